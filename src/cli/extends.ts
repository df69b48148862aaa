import { readFile, realpath } from "node:fs/promises";
import { isAbsolute, join, relative } from "node:path";
import type { RepoRef } from "../github/client.js";
import { ExtendsUnreadable, tokenReader, type LayerReader } from "../github/table.js";
import { git } from "./git.js";

/**
 * How the CLI reads an `_extends` chain. A layer in this repository is read from the working tree (so a
 * change to it is checked before it is pushed); one in another repository through the GitHub API when a
 * token is set (GITHUB_TOKEN or GH_TOKEN; GITHUB_API_URL for GitHub Enterprise Server), else it is not
 * checked and the CLI says so.
 */
export interface ExtendsContext {
  /** This repository, when known (GITHUB_REPOSITORY, else the `origin` remote's GitHub URL). */
  readonly repo: RepoRef | undefined;
  readonly read: LayerReader;
}

/** This repository: GITHUB_REPOSITORY (as in Actions), else the `origin` remote's GitHub URL. */
export async function thisRepo(
  top: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<RepoRef | undefined> {
  return repoOf(env.GITHUB_REPOSITORY) ?? (top ? await originRepo(top) : undefined);
}

export async function extendsContext(
  top: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<ExtendsContext> {
  const repo = await thisRepo(top, env);
  const token = env.GITHUB_TOKEN || env.GH_TOKEN;
  const remote = token ? tokenReader(token, env.GITHUB_API_URL || undefined) : undefined;
  const read: LayerReader = async (target) => {
    const key = `${target.owner}/${target.repo}:${target.path}`;
    if (top && repo && same(target, repo)) {
      try {
        return await readFile(await insideRepo(top, target.path, key), "utf8");
      } catch (err) {
        if (err instanceof ExtendsUnreadable) throw err;
        const code = (err as NodeJS.ErrnoException).code;
        throw new ExtendsUnreadable(
          code === "ENOENT"
            ? `${key} is in this repository, but ${target.path} does not exist in the working tree: fix _extends or add the file`
            : `cannot read ${target.path} (${code ?? (err as Error).message})`,
        );
      }
    }
    if (remote) return remote(target);
    const which = repo
      ? `another repository than this one (${repo.owner}/${repo.repo})`
      : `a repository, and this one's is unknown (no GITHUB_REPOSITORY and no GitHub "origin" remote)`;
    throw new ExtendsUnreadable(
      `${key} is in ${which}: without a token the CLI does not read it, so personas, domains and settings defined there are not checked. Set GITHUB_TOKEN (or GH_TOKEN) to a token that can read it to check the whole chain`,
      true,
    );
  };
  return { repo, read };
}

/**
 * The file an `_extends` path names in the working tree, refused when it leads outside the repository
 * (`..`, an absolute path, a symbolic link out): the table comes from a pull request, and validate
 * prints lines of what it reads, in CI logs anyone may see.
 */
async function insideRepo(top: string, path: string, key: string): Promise<string> {
  const outside = () =>
    new ExtendsUnreadable(`${key}: the path leads outside the repository; name a file inside it, relative to its top`);
  if (isAbsolute(path) || path.split(/[/\\]/).includes("..")) throw outside();
  const root = await realpath(top);
  let real: string;
  try {
    real = await realpath(join(root, path));
  } catch {
    return join(root, path); // missing: reading it reports ENOENT
  }
  const rel = relative(root, real);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) throw outside();
  return real;
}

function same(a: RepoRef, b: RepoRef): boolean {
  return a.owner.toLowerCase() === b.owner.toLowerCase() && a.repo.toLowerCase() === b.repo.toLowerCase();
}

function repoOf(value: string | undefined): RepoRef | undefined {
  const m = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)$/.exec(value ?? "");
  return m ? { owner: m[1]!, repo: m[2]! } : undefined;
}

/** `git@github.com:acme/shop.git`, `https://github.com/acme/shop`, `ssh://git@ghe.example.com/acme/shop.git` → acme/shop. */
export function repoFromRemoteUrl(url: string): RepoRef | undefined {
  const m = /^(?:[a-z+]+:\/\/)?(?:[^@/]+@)?[^/:]+[:/](?:\d+\/)?([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+?)(?:\.git)?\/?$/.exec(
    url.trim(),
  );
  return m ? { owner: m[1]!, repo: m[2]! } : undefined;
}

async function originRepo(top: string): Promise<RepoRef | undefined> {
  const r = await git(["remote", "get-url", "origin"], top);
  return r.code === 0 ? repoFromRemoteUrl(r.stdout) : undefined;
}
