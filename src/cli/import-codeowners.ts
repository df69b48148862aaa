import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { importCodeowners } from "../core/codeowners.js";
import { parseTable } from "../core/config.js";
import { count } from "../core/plan.js";
import { parseArgs } from "./args.js";
import { topLevel } from "./git.js";
import { CliError, cwdOf, type Io } from "./io.js";
import { problemWithSource } from "./problems.js";

export const IMPORT_USAGE = `Usage: parallel-review import-codeowners [FILE]

Turns a CODEOWNERS file into a review table, printed on stdout: each owner set (the owners of one line)
becomes a persona, each pattern a domain requiring it. GitHub applies only the last matching line, so
each domain ignores the patterns of the later lines. What cannot be expressed (e-mail owners, "[ ]",
negation, lines with no importable owner) is listed on stderr with its line, as are the differences
the table brings. FILE defaults to .github/CODEOWNERS, then CODEOWNERS, then docs/CODEOWNERS, at the
repository's top level.

  parallel-review import-codeowners > .github/reviewers.yml`;

/** Where GitHub looks for CODEOWNERS, in its order. */
const CODEOWNERS_PATHS = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

export async function importCodeownersCommand(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs("import-codeowners", argv, {}, 1);
  if (args.help) {
    io.stdout.write(IMPORT_USAGE + "\n");
    return 0;
  }
  const cwd = cwdOf(io);
  const { path, display } = await locate(cwd, args.positionals[0]);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read ${display}: ${code === "ENOENT" ? "no such file" : (err as Error).message}`);
  }
  const result = importCodeowners(text, display);
  if (result.domains === 0)
    throw new CliError(
      `${display} has no line with a pattern and an owner the table can express: nothing to import${result.skipped.length > 0 ? " (see above)" : ""}`,
      1,
      result.skipped.map((s) => `${display}:${s.line}:${s.column} ${s.message}`),
    );
  // The importer's own check: what it writes must be a valid table, or this is a bug to report.
  const check = parseTable({ file: "(imported table)", text: result.yaml });
  if (!check.table)
    throw new Error(
      `the imported table is not valid:\n${check.problems.map((p) => problemWithSource(p, new Map([[p.file, result.yaml]]))).join("\n")}`,
    );
  for (const s of result.skipped)
    io.stderr.write(s.line > 0 ? `${display}:${s.line}:${s.column} ${s.message}\n` : `note: ${s.message}\n`);
  io.stderr.write(
    `${display}: imported ${count(result.personas, "persona")} and ${count(result.domains, "domain")}; ${count(result.skipped.filter((s) => s.line > 0).length, "line")} not imported as written\n`,
  );
  io.stdout.write(result.yaml);
  return 0;
}

async function locate(cwd: string, explicit: string | undefined): Promise<{ path: string; display: string }> {
  if (explicit !== undefined) return { path: resolve(cwd, explicit), display: explicit };
  const root = (await topLevel(cwd)) ?? cwd;
  for (const p of CODEOWNERS_PATHS) {
    try {
      readFileSync(join(root, p));
      return { path: join(root, p), display: p };
    } catch {
      // try the next place
    }
  }
  throw new CliError(
    `no CODEOWNERS file found: looked for ${CODEOWNERS_PATHS.join(", ")} at ${root}; pass its path as FILE`,
  );
}
