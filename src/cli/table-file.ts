import { readFileSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { formatProblem, parseTable, type ParseResult } from "../core/config.js";
import { TABLE_PATHS, type Problem, type ReviewTable } from "../core/types.js";
import { topLevel } from "./git.js";
import { CliError } from "./io.js";

export interface TableFile {
  /** Absolute path. */
  readonly path: string;
  /** As printed: what the user typed, else relative to the working directory. */
  readonly display: string;
  /** The git top level containing the working directory, if any. */
  readonly top?: string;
}

export interface LoadedTable extends TableFile {
  readonly text: string;
  readonly result: ParseResult;
}

/** The table to read: `explicit` (relative to cwd), else `.github/reviewers.yml` then `reviewers.yml` at the repository's top level (or cwd outside git). */
export async function locateTable(cwd: string, explicit: string | undefined): Promise<TableFile> {
  const top = await topLevel(cwd);
  if (explicit !== undefined) return { path: resolve(cwd, explicit), display: explicit, ...(top ? { top } : {}) };
  const root = top ?? cwd;
  const tried = TABLE_PATHS.map((p) => join(root, p));
  const found = tried.find((p) => isFile(p));
  if (!found) {
    throw new CliError(
      `no review table found: looked for ${tried.join(" and ")}${top ? "" : " (not in a git repository, so in the current directory)"}. ` +
        "Create .github/reviewers.yml (start from the reviewers.yml shipped with parallel-review, see docs/configuration.md) or pass its path with --config FILE",
    );
  }
  return { path: found, display: displayPath(realCwd(cwd), found), ...(top ? { top } : {}) };
}

/** Reads and parses the table; throws a CliError when the file cannot be read. */
export function readTable(file: TableFile): LoadedTable {
  let text: string;
  try {
    text = readFileSync(file.path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EISDIR"
          ? "it is a directory, not a file"
          : code === "EACCES"
            ? "permission denied"
            : (err as Error).message;
    throw new CliError(
      `cannot read the review table ${file.display}: ${why}. Check the path${code === "ENOENT" ? ", or omit it to use .github/reviewers.yml or reviewers.yml of this repository" : ""}`,
    );
  }
  return { ...file, text, result: parseTable({ file: file.display, text }) };
}

/** Locates, reads and parses; a table with errors becomes a CliError listing every problem. Warnings go to `warn`. */
export async function loadValidTable(
  cwd: string,
  explicit: string | undefined,
  warn: (line: string) => void,
): Promise<LoadedTable & { table: ReviewTable }> {
  const loaded = readTable(await locateTable(cwd, explicit));
  const { result } = loaded;
  if (result.extends !== undefined) warn(extendsNote(loaded.display, result.extends));
  if (!result.table) {
    throw new CliError(
      `${loaded.display} is not a valid review table (${summarize(result.problems)}): fix the problems above; "parallel-review validate" checks it alone`,
      1,
      result.problems.map(formatProblem),
    );
  }
  for (const p of result.problems) warn(formatProblem(p));
  return { ...loaded, table: result.table };
}

export function extendsNote(display: string, ref: string): string {
  return `note: ${display} extends "${ref}", which the CLI does not fetch: it checks this file on its own, so personas or domains defined only there are missing`;
}

export function summarize(problems: readonly Problem[]): string {
  const errors = problems.filter((p) => p.severity === "error").length;
  const warnings = problems.length - errors;
  const parts = [];
  if (errors > 0) parts.push(`${errors} error${errors === 1 ? "" : "s"}`);
  if (warnings > 0) parts.push(`${warnings} warning${warnings === 1 ? "" : "s"}`);
  return parts.join(", ") || "no problems";
}

export function displayPath(cwd: string, abs: string): string {
  const rel = relative(cwd, abs);
  return rel === "" || isAbsolute(rel) ? abs : rel;
}

/** git prints the top level with symlinks resolved; so must the directory it is made relative to. */
function realCwd(cwd: string): string {
  try {
    return realpathSync(cwd);
  } catch {
    return cwd;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
