import { formatProblem } from "../core/config.js";
import { count } from "../core/plan.js";
import { parseArgs } from "./args.js";
import { cwdOf, type Io } from "./io.js";
import { extendsNote, locateTable, readTable, summarize } from "./table-file.js";

export const VALIDATE_USAGE = `Usage: parallel-review validate [FILE]

Checks a review table. FILE defaults to .github/reviewers.yml, then reviewers.yml, at the top
level of the current git repository (the current directory outside git).
Problems go to stderr as "file:line:col key.path: message". Exit 0 when valid (warnings allowed), 1 when not.`;

export async function validate(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs("validate", argv, {}, 1);
  if (args.help) {
    io.stdout.write(VALIDATE_USAGE + "\n");
    return 0;
  }
  const loaded = readTable(await locateTable(cwdOf(io), args.positionals[0]));
  const { result, display } = loaded;
  for (const p of result.problems) io.stderr.write(formatProblem(p) + "\n");
  if (result.extends !== undefined) io.stderr.write(extendsNote(display, result.extends) + "\n");
  if (!result.table) {
    io.stderr.write(
      `${display}: ${summarize(result.problems)}: not valid; fix the problems above and run "parallel-review validate" again\n`,
    );
    return 1;
  }
  const t = result.table;
  const patterns = t.domains.reduce((n, d) => n + d.paths.length + d.ignore.length, 0);
  const warnings = result.problems.length > 0 ? ` (${summarize(result.problems)})` : "";
  io.stdout.write(
    `${display}: valid${warnings}: ${count(t.personas.length, "persona")}, ${count(t.domains.length, "domain")}, ${count(patterns, "pattern")}\n`,
  );
  return 0;
}
