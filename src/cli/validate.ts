import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { formatProblem, sortProblems } from "../core/config.js";
import { count } from "../core/plan.js";
import type { Problem } from "../core/types.js";
import type { RepoRef } from "../github/client.js";
import { parseArgs, stringFlag, type ParsedArgs } from "./args.js";
import { thisRepo } from "./extends.js";
import { CliError, cwdOf, envOf, UsageError, type Io } from "./io.js";
import { onlineProblems, type OnlineOptions } from "./online.js";
import { annotation, problemFormat, problemWithSource } from "./problems.js";
import { locateTable, readTable, summarize, type LoadedTable } from "./table-file.js";

export const VALIDATE_USAGE = `Usage: parallel-review validate [--format text|annotations|json] [--online [--token TOKEN] [--repo OWNER/NAME]] [FILE]

Checks a review table. FILE defaults to .github/reviewers.yml, then reviewers.yml, at the top
level of the current git repository (the current directory outside git).
An _extends in this repository is read from the working tree; one in another repository through the
GitHub API when GITHUB_TOKEN (or GH_TOKEN) is set, else it is not checked and a warning says so.
Exit 0 when valid (warnings allowed), 1 when not.

Options:
  --format text         (default) problems on stderr as "file:line:col key.path: message", each
                        followed by its source line and a caret under the column
  --format annotations  problems on stdout as GitHub Actions commands ("::error file=…,line=…,col=…::…"),
                        shown on the pull request at the table's line
  --format json         {"file", "valid", "checked", "problems": [...]} on stdout
  --online              also ask GitHub whether the teams and users the table names exist and are
                        visible, and whether each persona has enough people to approve (what the
                        gate checks); needs a token: GITHUB_TOKEN (or GH_TOKEN), else --token.
                        GITHUB_API_URL names GitHub Enterprise Server's API
  --token TOKEN         the token for --online (prefer GITHUB_TOKEN: a command line is visible to
                        other users of the machine); to see teams it needs read:org (classic) or
                        Members: read (fine-grained)
  --repo OWNER/NAME     the repository the table guards, whose organization owns bare team slugs
                        (default: GITHUB_REPOSITORY, else the "origin" remote)`;

export async function validate(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs(
    "validate",
    argv,
    { "--format": "value", "--online": "boolean", "--token": "value", "--repo": "value" },
    1,
  );
  if (args.help) {
    io.stdout.write(VALIDATE_USAGE + "\n");
    return 0;
  }
  const format = problemFormat(stringFlag(args, "--format"), "validate");
  const online = onlineRequest(args, envOf(io));
  const loaded = await readTable(await locateTable(cwdOf(io), args.positionals[0]), envOf(io));
  const t = loaded.result.table;
  // Only a table that is valid offline is asked about: its problems would hide nothing GitHub could add.
  const found =
    online && t && loaded.unchecked === undefined
      ? await onlineProblems({
          ...online,
          repo: online.repo ?? (await thisRepo(loaded.top, envOf(io))),
          table: t,
          sources: loaded.sources,
        })
      : [];
  const problems = sortProblems([...loaded.result.problems, ...schemaReference(loaded), ...found]);
  const valid = !problems.some((p) => p.severity === "error");
  const { display } = loaded;

  if (format === "json") {
    io.stdout.write(
      JSON.stringify(
        {
          file: display,
          valid,
          checked: loaded.unchecked === undefined,
          ...(online ? { online: true } : {}),
          problems,
        },
        null,
        2,
      ) + "\n",
    );
    return valid ? 0 : 1;
  }
  if (format === "annotations")
    for (const p of problems) {
      const path = loaded.repoPath(p.file);
      io.stdout.write(annotation(path ? { ...p, file: path } : p, path !== undefined, formatProblem(p)) + "\n");
    }
  else for (const p of problems) io.stderr.write(problemWithSource(p, loaded.sources) + "\n");

  if (!valid) {
    io.stderr.write(
      `${display}: ${summarize(problems)}: not valid; fix the problems above and run "parallel-review validate" again\n`,
    );
    return 1;
  }
  const warnings = problems.length > 0 ? ` (${summarize(problems)})` : "";
  if (!t || loaded.unchecked !== undefined) {
    io.stdout.write(`${display}: no errors${warnings}, but the extended table was not read: see the warning above\n`);
    return 0;
  }
  const patterns = t.domains.reduce((n, d) => n + d.paths.length + d.ignore.length, 0);
  io.stdout.write(
    `${display}: valid${warnings}: ${count(t.personas.length, "persona")}, ${count(t.domains.length, "domain")}, ${count(patterns, "pattern")}${online ? "; teams and users checked on GitHub" : ""}\n`,
  );
  return 0;
}

/** `--online` with its token and repository, or undefined without it; a token or repository alone is a usage error. */
function onlineRequest(
  args: ParsedArgs,
  env: Readonly<Record<string, string | undefined>>,
): Omit<OnlineOptions, "table" | "sources"> | undefined {
  const token = stringFlag(args, "--token");
  const repoArg = stringFlag(args, "--repo");
  if (!args.flags.has("--online")) {
    const alone = token !== undefined ? "--token" : repoArg !== undefined ? "--repo" : undefined;
    if (alone) throw new UsageError(`${alone} is for --online: add --online`, "validate");
    return undefined;
  }
  let repo: RepoRef | undefined;
  if (repoArg !== undefined) {
    const m = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)$/.exec(repoArg);
    if (!m) throw new UsageError(`--repo ${repoArg}: write it as OWNER/NAME, e.g. my-org/shop`, "validate");
    repo = { owner: m[1]!, repo: m[2]! };
  }
  const key = token ?? (env.GITHUB_TOKEN || env.GH_TOKEN);
  if (!key)
    throw new CliError(
      "validate --online needs a GitHub token: set GITHUB_TOKEN (or GH_TOKEN), or pass --token; it must be able to read the organization's teams (read:org)",
    );
  return { token: key, apiUrl: env.GITHUB_API_URL || undefined, repo };
}

const MODELINE = /^(#\s*yaml-language-server:\s*\$schema=)(\S+)/;

/**
 * The editor's schema line (`# yaml-language-server: $schema=…`) names a file relative to the table: a
 * table copied from this repository's root to `.github/` keeps `./schema/…`, which is not there. A
 * warning, since the app does not need it; the fix names the stable reference (a copy beside the table).
 */
function schemaReference(loaded: LoadedTable): Problem[] {
  const lines = loaded.text.split("\n");
  const i = lines.findIndex((l) => MODELINE.test(l));
  if (i < 0) return [];
  const [, prefix, target] = MODELINE.exec(lines[i]!)!;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target!) || existsSync(resolve(dirname(loaded.path), target!))) return [];
  return [
    {
      severity: "warning",
      file: loaded.display,
      line: i + 1,
      column: prefix!.length + 1,
      path: "",
      message: `the schema "${target}" does not exist next to this file, so editors cannot use it: run "parallel-review schema > ${dirname(loaded.display) === "." ? "" : dirname(loaded.display) + "/"}reviewers.schema.json" and write "$schema=reviewers.schema.json"`,
    },
  ];
}
