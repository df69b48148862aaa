import { Octokit as RestOctokit } from "@octokit/rest";
import { parseTable, type ParseResult, type TableSource } from "../core/config.js";
import { TABLE_PATHS, type Problem } from "../core/types.js";
import { isStatus, type Octokit, type RepoRef } from "./client.js";

export type TableLoad =
  | { readonly kind: "absent" }
  | {
      readonly kind: "loaded";
      readonly file: string;
      /** The table file's own text (for locating problems found later). */
      readonly text: string;
      readonly result: ParseResult;
      /** Files of this repository the table is made of (its own, and same-repository `_extends` targets): changing one needs the config owners. */
      readonly files: readonly string[];
    };

interface CachedFile {
  readonly etag: string;
  readonly text: string;
}

/**
 * File contents by (repo, path, ref), revalidated with `If-None-Match`: an unchanged table costs a 304,
 * which GitHub does not count against the rate limit. The cache only saves requests — every read still
 * asks GitHub — so replicas and restarts see the same answer.
 */
const etags = new Map<string, CachedFile>();
const MAX_CACHED = 2_000;
const MAX_EXTENDS = 3;

export async function readFile(
  octokit: Octokit,
  repo: RepoRef,
  path: string,
  ref?: string,
): Promise<string | undefined> {
  const key = `${repo.owner}/${repo.repo}:${path}@${ref ?? ""}`;
  const cached = etags.get(key);
  try {
    const res = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      ...repo,
      path,
      ...(ref ? { ref } : {}),
      headers: cached ? { "if-none-match": cached.etag } : {},
    });
    const data = res.data as { type?: string; content?: string; encoding?: string };
    if (Array.isArray(res.data) || data.type !== "file" || typeof data.content !== "string")
      throw new Error(`${path} is not a file`);
    const text = Buffer.from(data.content, (data.encoding as BufferEncoding | undefined) ?? "base64").toString("utf8");
    const etag = res.headers.etag;
    if (etag) remember(key, { etag, text });
    return text;
  } catch (err) {
    if (isStatus(err, 304) && cached) {
      remember(key, cached);
      return cached.text;
    }
    if (isStatus(err, 404)) {
      etags.delete(key);
      return undefined;
    }
    throw err;
  }
}

function remember(key: string, value: CachedFile): void {
  etags.delete(key); // re-insert: Map order doubles as least-recently-used order
  etags.set(key, value);
  if (etags.size > MAX_CACHED) etags.delete(etags.keys().next().value!);
}

/**
 * Parse results by the exact table text (without `_extends`, which depends on other files): an unchanged
 * table — the common case, read as a 304 — is neither parsed nor compiled again, since the plan's
 * compiled matcher is cached per table object.
 */
const parsed = new Map<string, ParseResult>();
const MAX_PARSED = 200;

/** The table on a ref: `.github/reviewers.yml`, else `reviewers.yml`; `_extends` followed up to 3 levels. */
export async function readTable(octokit: Octokit, repo: RepoRef, ref: string): Promise<TableLoad> {
  for (const path of TABLE_PATHS) {
    const text = await readFile(octokit, repo, path, ref);
    if (text !== undefined) return loadTable(octokit, repo, { file: path, text });
  }
  return { kind: "absent" };
}

/** A table file already read (src/github/snapshot.ts), parsed, with its `_extends` chain read and merged. */
export async function loadTable(octokit: Octokit, repo: RepoRef, source: TableSource): Promise<TableLoad> {
  const { file: path, text } = source;
  const key = `${path}\0${text}`;
  const cached = parsed.get(key);
  if (cached) return { kind: "loaded", file: path, text, result: cached, files: [path] };
  const { result, layers } = await withExtends(githubReader(octokit), repo, { file: path, text });
  if (layers.length === 1) {
    parsed.set(key, result);
    if (parsed.size > MAX_PARSED) parsed.delete(parsed.keys().next().value!);
  }
  return {
    kind: "loaded",
    file: path,
    text,
    result,
    files: layers.filter((l) => sameRepo(l, repo)).map((l) => l.path),
  };
}

/** Where a layer of an `_extends` chain lives: a repository and a path in it. */
export type LayerRef = RepoRef & { readonly path: string };

/**
 * Reads one file of an `_extends` chain: its text, or undefined when it does not exist. An
 * `ExtendsUnreadable` it throws names the problem in its own words (the CLI reads other places than
 * the app does); any other error is a failed GitHub request.
 */
export type LayerReader = (target: LayerRef) => Promise<string | undefined>;

export class ExtendsUnreadable extends Error {
  constructor(
    message: string,
    /** True when the file could exist but cannot be read here (the CLI without a token): not an error of the table. */
    readonly unchecked = false,
  ) {
    super(message);
  }
}

export interface ExtendsResult {
  readonly result: ParseResult;
  readonly layers: LayerRef[];
  /** Set when a layer could not be read but that is not the table's fault (see ExtendsUnreadable.unchecked). */
  readonly unchecked?: string;
}

/** The app's reader: the default branch of the target repository, through the installation's client. */
export function githubReader(octokit: Octokit, ref?: (target: LayerRef) => string | undefined): LayerReader {
  return (target) => readFile(octokit, target, target.path, ref?.(target));
}

/**
 * The CLI's reader for another repository: its default branch through the REST API with a token (a
 * personal token, or GITHUB_TOKEN in Actions). Every failure is named for the person at the terminal.
 */
export function tokenReader(token: string, baseUrl = "https://api.github.com"): LayerReader {
  const octokit = new RestOctokit({ auth: token, baseUrl, log: { debug() {}, info() {}, warn() {}, error() {} } });
  return async (target) => {
    const key = `${target.owner}/${target.repo}:${target.path}`;
    let text: string | undefined;
    try {
      text = await readFile(octokit, target, target.path);
    } catch (err) {
      const status = (err as { status?: number }).status;
      throw new ExtendsUnreadable(
        `cannot read ${key} from ${baseUrl} (${status ?? (err as Error).message}): check the token (it needs read access to ${target.owner}/${target.repo}'s contents)`,
      );
    }
    if (text === undefined)
      throw new ExtendsUnreadable(
        `${key} does not exist, or the token cannot see it: fix _extends or use a token that can read it`,
      );
    return text;
  };
}

/** Parses a table and the org-wide tables it extends (Probot-style `_extends: repo | owner/repo | owner/repo:path`). */
export async function withExtends(read: LayerReader, repo: RepoRef, own: TableSource): Promise<ExtendsResult> {
  const located: LayerRef[] = [{ ...repo, path: own.file }];
  const layers: TableSource[] = [own];
  const seen = new Set<string>([`${repo.owner}/${repo.repo}:${own.file}`]);
  let result = parseTable(own);
  let current = { repo, source: own };
  for (let depth = 0; result.extends !== undefined; depth++) {
    const target = parseExtends(result.extends, current.repo);
    const key = `${target.owner}/${target.repo}:${target.path}`;
    const fail = (message: string) => ({
      result: { problems: [...result.problems, extendsProblem(current.source, message)] },
      layers: located,
    });
    if (!target.valid)
      return fail(
        `"${result.extends}" is not a valid _extends value: use "repo", "owner/repo" or "owner/repo:path/to/file.yml"`,
      );
    if (seen.has(key)) return fail(`_extends cycle: ${key} is already part of this table`);
    if (depth >= MAX_EXTENDS) return fail(`_extends is nested more than ${MAX_EXTENDS} levels`);
    seen.add(key);
    located.push({ owner: target.owner, repo: target.repo, path: target.path });
    let text: string | undefined;
    try {
      text = await read(target);
    } catch (err) {
      if (err instanceof ExtendsUnreadable && err.unchecked) {
        const p = extendsProblem(current.source, err.message);
        return {
          result: { ...result, problems: [...result.problems, { ...p, severity: "warning" }] },
          layers: located,
          unchecked: err.message,
        };
      }
      return fail(
        err instanceof ExtendsUnreadable
          ? err.message
          : `cannot read ${key} (${(err as { status?: number }).status ?? "error"}): check that the app is installed on ${target.owner}/${target.repo}`,
      );
    }
    if (text === undefined)
      return fail(
        `${key} does not exist or the app cannot read it: install the app on ${target.owner}/${target.repo} or fix _extends`,
      );
    const parent: TableSource = { file: key, text };
    layers.unshift(parent);
    result = parseTable(...layers);
    // Follow the parent's own _extends next (parseTable reports the last layer's; re-read the parent's).
    const parentExt = parseTable(parent).extends;
    result = { ...result, ...(parentExt !== undefined ? { extends: parentExt } : { extends: undefined }) };
    current = { repo: target, source: parent };
  }
  return { result, layers: located };
}

/**
 * The problems of a table file as a pull request changes it, with its `_extends` chain: layers in the
 * same repository are read at the pull request's head (it may change them too), others from their
 * default branch, as the app will read them once the change is merged.
 */
export async function readChangedTable(
  octokit: Octokit,
  repo: RepoRef,
  file: string,
  head: string,
): Promise<readonly Problem[]> {
  const text = await readFile(octokit, repo, file, head);
  if (text === undefined) return [];
  const same = (t: LayerRef) => sameRepo(t, repo);
  const { result } = await withExtends(
    githubReader(octokit, (t) => (same(t) ? head : undefined)),
    repo,
    { file, text },
  );
  return result.problems;
}

function sameRepo(a: RepoRef, b: RepoRef): boolean {
  return a.owner.toLowerCase() === b.owner.toLowerCase() && a.repo.toLowerCase() === b.repo.toLowerCase();
}

function parseExtends(value: string, from: RepoRef): RepoRef & { path: string; valid: boolean } {
  const m = /^(?:([A-Za-z0-9-]+)\/)?([A-Za-z0-9._-]+)(?::(.+))?$/.exec(value.trim());
  if (!m) return { ...from, path: "", valid: false };
  return { owner: m[1] ?? from.owner, repo: m[2]!, path: m[3] ?? TABLE_PATHS[0], valid: true };
}

function extendsProblem(source: TableSource, message: string): Problem {
  const lines = source.text.split("\n");
  const i = lines.findIndex((l) => /^_extends\s*:/.test(l));
  return { severity: "error", file: source.file, line: i + 1 || 1, column: 1, path: "_extends", message };
}
