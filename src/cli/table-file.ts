import { readFileSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { parseTable, type ParseResult } from "../core/config.js";
import type { RepoRef } from "../github/client.js";
import { withExtends, type LayerReader } from "../github/table.js";
import { extendsContext } from "./extends.js";
import { problemWithSource } from "./problems.js";
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
  /** Each file of the table's `_extends` chain as problems name it → its text (for source lines). */
  readonly sources: ReadonlyMap<string, string>;
  /** Why the chain could not be read whole here (another repository, no token): what was not checked. */
  readonly unchecked?: string;
  /** A problem's file as a path in this repository (for annotations), when it is one. */
  repoPath(file: string): string | undefined;
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

/** Reads and parses the table with its `_extends` chain; throws a CliError when the file cannot be read. */
export async function readTable(
  file: TableFile,
  env: Readonly<Record<string, string | undefined>>,
): Promise<LoadedTable> {
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
  const own = { file: file.display, text };
  const sources = new Map([[file.display, text]]);
  const first = parseTable(own);
  if (first.extends === undefined)
    return { ...file, text, result: first, sources, repoPath: repoPaths(file, undefined) };
  const ctx = await extendsContext(file.top, env);
  const read: LayerReader = async (t) => {
    const layer = await ctx.read(t);
    if (layer !== undefined) sources.set(`${t.owner}/${t.repo}:${t.path}`, layer);
    return layer;
  };
  const ext = await withExtends(read, ctx.repo ?? { owner: "", repo: "" }, own);
  const repoPath = repoPaths(file, ctx.repo);
  if (ext.unchecked === undefined) return { ...file, text, result: ext.result, sources, repoPath };
  return { ...file, text, result: uncheckedResult(ext.result), sources, unchecked: ext.unchecked, repoPath };
}

/** The table's own file, and `owner/repo:path` layers of this repository, as paths from the repository's top. */
function repoPaths(file: TableFile, repo: RepoRef | undefined): (f: string) => string | undefined {
  const own = file.top ? relative(file.top, realPath(file.path)).split(sep).join("/") : undefined;
  const here = repo ? `${repo.owner}/${repo.repo}:`.toLowerCase() : undefined;
  return (f) => {
    if (f === file.display) return own !== undefined && !own.startsWith("..") ? own : undefined;
    return here && f.toLowerCase().startsWith(here) ? f.slice(here.length) : undefined;
  };
}

/**
 * The extended table could not be read: a persona this file names may be defined there, so an unknown
 * persona is a warning that says it was not checked (the app, which reads the whole chain, still
 * fails on it). Any other error stands.
 */
function uncheckedResult(result: ParseResult): ParseResult {
  const problems = result.problems.map((p) =>
    p.severity === "error" && p.message.startsWith("unknown persona")
      ? {
          ...p,
          severity: "warning" as const,
          message: `${p.message.replace(/: define it under "personas".*$/, "")}: not checked, it may be defined in the extended table`,
        }
      : p,
  );
  return { problems, ...(result.extends !== undefined ? { extends: result.extends } : {}) };
}

/** Locates, reads and parses; a table with errors, or one not read whole, becomes a CliError. Warnings go to `warn`. */
export async function loadValidTable(
  cwd: string,
  explicit: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  warn: (line: string) => void,
): Promise<LoadedTable & { table: ReviewTable }> {
  const loaded = await readTable(await locateTable(cwd, explicit), env);
  const { result } = loaded;
  if (loaded.unchecked !== undefined)
    throw new CliError(`${loaded.display} cannot be used whole here: ${loaded.unchecked}`);
  if (!result.table) {
    throw new CliError(
      `${loaded.display} is not a valid review table (${summarize(result.problems)}): fix the problems above; "parallel-review validate" checks it alone`,
      1,
      result.problems.map((p) => problemWithSource(p, loaded.sources)),
    );
  }
  for (const p of result.problems) warn(problemWithSource(p, loaded.sources));
  return { ...loaded, table: result.table };
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
  return realPath(cwd);
}

function realPath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
