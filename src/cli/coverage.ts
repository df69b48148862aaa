import { isScalar, isSeq } from "yaml";
import { PathMatcher } from "../core/matcher.js";
import { count, matcherFor } from "../core/plan.js";
import { TABLE_PATHS, type ReviewTable } from "../core/types.js";
import { YamlSource } from "../core/yaml-source.js";
import { parseArgs, stringFlag } from "./args.js";
import { trackedFiles } from "./git.js";
import { CliError, cwdOf, envOf, type Io } from "./io.js";
import { capped } from "./render.js";
import { loadValidTable } from "./table-file.js";

export const COVERAGE_USAGE = `Usage: parallel-review coverage [--config FILE] [--json]

Reports the tracked files (git ls-files) that no domain covers, and each pattern of a domain's
"paths" or "ignore" that matches no tracked file (likely a typo). The table's own file is left out:
settings.config_owners review it. Exit 0 (it is a report), 1 when the table is not valid.

Options:
  --config FILE   the review table (default: .github/reviewers.yml, then reviewers.yml, at the repository top level)
  --json          print the report as JSON`;

/** Uncovered files listed by the human report before "… and N more" (--json lists all). */
const MAX_UNCOVERED = 50;

export interface UnusedPattern {
  readonly domain: string;
  readonly key: "paths" | "ignore";
  readonly pattern: string;
  readonly file: string;
  /** 1-based; absent when the pattern could not be located in the file. */
  readonly line?: number;
  readonly column?: number;
}

export interface CoverageReport {
  readonly config: string;
  readonly trackedFiles: number;
  readonly uncovered: readonly string[];
  readonly patterns: number;
  readonly unusedPatterns: readonly UnusedPattern[];
}

export async function coverage(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs("coverage", argv, { "--config": "value", "--json": "boolean" }, 0);
  if (args.help) {
    io.stdout.write(COVERAGE_USAGE + "\n");
    return 0;
  }
  const loaded = await loadValidTable(cwdOf(io), stringFlag(args, "--config"), envOf(io), (line) =>
    io.stderr.write(line + "\n"),
  );
  if (!loaded.top)
    throw new CliError("coverage needs a git repository (it checks the tracked files): run it inside one");
  const files = await trackedFiles(loaded.top);
  const report = coverageOf(loaded.table, files, loaded.display, loaded.text);
  io.stdout.write(
    args.flags.has("--json")
      ? JSON.stringify(report, null, 2) + "\n"
      : renderCoverage(report, loaded.table.settings.unmatched),
  );
  return 0;
}

/** The coverage report of a table over a list of repository paths; `text` is the table's source, to locate patterns. */
export function coverageOf(
  table: ReviewTable,
  files: readonly string[],
  display: string,
  text: string,
): CoverageReport {
  const matcher = matcherFor(table);
  const tablePaths: readonly string[] = TABLE_PATHS;
  const uncovered = files.filter((f) => !tablePaths.includes(f) && matcher.domainsOf(f).length === 0);

  const patterns = table.domains.flatMap((d) =>
    (["paths", "ignore"] as const).flatMap((key) => d[key].map((pattern) => ({ domain: d.id, key, pattern }))),
  );
  const used = new Uint8Array(patterns.length);
  const all = new PathMatcher(patterns.map((p, tag) => ({ pattern: p.pattern, tag })));
  let left = patterns.length;
  for (const f of files) {
    if (left === 0) break;
    for (const tag of all.match(f)) {
      if (used[tag] === 1) continue;
      used[tag] = 1;
      left--;
    }
  }

  const locate = locator(display, text);
  const unusedPatterns = patterns
    .filter((_, i) => used[i] === 0)
    .map((p) => ({ ...p, file: display, ...locate(p.domain, p.key, p.pattern) }));
  return { config: display, trackedFiles: files.length, uncovered, patterns: patterns.length, unusedPatterns };
}

/** Finds a pattern's scalar in the YAML (domains.<id>.<key>), else the first quoted occurrence in the text. */
function locator(
  display: string,
  text: string,
): (domain: string, key: string, pattern: string) => { line: number; column: number } | Record<string, never> {
  const src = new YamlSource(display, text);
  return (domain, key, pattern) => {
    const node = src.doc?.getIn(["domains", domain, key], true);
    const items = isSeq(node) ? node.items : [node];
    const hit = items.find((n) => isScalar(n) && n.value === pattern);
    if (hit) return src.position(hit);
    for (const q of [`"${pattern}"`, `'${pattern}'`]) {
      const at = text.indexOf(q);
      if (at >= 0) {
        const before = text.slice(0, at).split("\n");
        return { line: before.length, column: before[before.length - 1]!.length + 1 };
      }
    }
    return {};
  };
}

export function renderCoverage(r: CoverageReport, unmatchedPersonas: readonly string[]): string {
  const out = [`Coverage of ${r.config} over ${count(r.trackedFiles, "tracked file")}`, ""];
  if (r.uncovered.length === 0) out.push("Every tracked file is in a domain.");
  else {
    const who =
      unmatchedPersonas.length > 0
        ? `changes to them need ${unmatchedPersonas.join(", ")} (settings.unmatched)`
        : "changes to them need no review (settings.unmatched is empty)";
    out.push(`Files no domain covers (${r.uncovered.length}): ${who}`);
    const shown = capped(r.uncovered, MAX_UNCOVERED);
    for (const f of shown) out.push(`  ${f}`);
    if (shown.length < r.uncovered.length) out.push("  (--json lists them all)");
  }
  out.push("");
  if (r.unusedPatterns.length === 0) out.push("Every pattern matches a tracked file.");
  else {
    out.push(
      `Patterns that match no tracked file (${r.unusedPatterns.length}): a typo, or a path that does not exist (yet)`,
    );
    for (const p of r.unusedPatterns) {
      const where = p.line !== undefined ? `${p.file}:${p.line}:${p.column}` : p.file;
      out.push(`  ${where} domains.${p.domain}.${p.key}: "${p.pattern}" matches no tracked file`);
    }
  }
  out.push(
    "",
    `${r.uncovered.length} of ${count(r.trackedFiles, "tracked file")} uncovered; ${r.unusedPatterns.length} of ${count(r.patterns, "pattern")} match nothing.`,
  );
  return out.join("\n") + "\n";
}
