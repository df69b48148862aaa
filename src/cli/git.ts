import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { CliError } from "./io.js";

export interface GitResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs git without a shell. Resolves with its exit code; only a missing git binary throws. */
export function git(args: readonly string[], cwd: string): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      [...args],
      { cwd, maxBuffer: 512 * 1024 * 1024, encoding: "utf8", windowsHide: true },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== "number") {
          if (err.code === "ENOENT")
            reject(
              new CliError(
                existsSync(cwd)
                  ? "could not run git: is it installed and on PATH?"
                  : `could not run git: the directory ${cwd} does not exist`,
              ),
            );
          else if (err.code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER")
            reject(new CliError(`git ${args[0]} printed more than 512 MiB: run it on a smaller change`));
          else reject(err instanceof Error ? err : new Error(`git ${args[0]} failed`, { cause: err }));
          return;
        }
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** The top level of the working tree containing `cwd`, or undefined outside a git repository. */
export async function topLevel(cwd: string): Promise<string | undefined> {
  const r = await git(["rev-parse", "--show-toplevel"], cwd);
  return r.code === 0 ? r.stdout.trim() || undefined : undefined;
}

async function mergeBase(cwd: string, ref: string): Promise<string | undefined> {
  const r = await git(["merge-base", "HEAD", ref], cwd);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

async function refExists(cwd: string, ref: string): Promise<boolean> {
  return (await git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], cwd)).code === 0;
}

/**
 * The commit the branch is compared with: the merge base of HEAD and `base` when given, else of HEAD and
 * `origin/HEAD`, else of HEAD and `main` — what a pull request's "files changed" compares against.
 */
export async function findBase(cwd: string, base?: string): Promise<{ ref: string; commit: string }> {
  if (!(await refExists(cwd, "HEAD")))
    throw new CliError(
      "this repository has no commits yet: commit the branch first, or pass the changed files with --files-from",
    );
  if (base !== undefined) {
    if (!(await refExists(cwd, base)))
      throw new CliError(
        `--base ${base}: no such branch, tag or commit (fetch it first, e.g. "git fetch origin ${base}")`,
      );
    const commit = await mergeBase(cwd, base);
    if (!commit)
      throw new CliError(
        `--base ${base}: no common ancestor with HEAD (unrelated histories, or a shallow clone: "git fetch --unshallow"); pass another --base`,
      );
    return { ref: base, commit };
  }
  for (const ref of ["origin/HEAD", "main"]) {
    if (!(await refExists(cwd, ref))) continue;
    const commit = await mergeBase(cwd, ref);
    if (commit) return { ref, commit };
  }
  const shallow = (await git(["rev-parse", "--is-shallow-repository"], cwd)).stdout.trim() === "true";
  throw new CliError(
    'cannot tell which branch to compare with: there is no "origin/HEAD" and no "main" sharing history with HEAD; pass --base REF (e.g. --base origin/develop) or --files-from FILE' +
      (shallow
        ? '. This is a shallow clone: fetch the history first ("git fetch --unshallow", or "fetch-depth: 0" in actions/checkout)'
        : ""),
  );
}

/** `git diff --name-status -z -M <commit> HEAD`: the branch's committed changes, NUL-separated. */
export async function diffNameStatus(cwd: string, commit: string): Promise<string> {
  const r = await git(["diff", "--name-status", "-z", "-M", "--no-color", "--no-ext-diff", commit, "HEAD", "--"], cwd);
  if (r.code !== 0) throw new CliError(`git diff failed: ${firstLine(r.stderr)}`);
  return r.stdout;
}

/** Tracked files (`git ls-files -z`), relative to the top level. */
export async function trackedFiles(top: string): Promise<string[]> {
  const r = await git(["ls-files", "-z", "--full-name"], top);
  if (r.code !== 0) throw new CliError(`git ls-files failed: ${firstLine(r.stderr)}`);
  return r.stdout.split("\0").filter((p) => p !== "");
}

export function firstLine(text: string): string {
  return text.trim().split("\n")[0] || "(no message)";
}
