import type { RadarPull } from "../core/conflicts.js";
import { isStatus, type Octokit, type RepoRef } from "./client.js";
import type { ChangedFile } from "../core/types.js";
import { listFiles } from "./pulls.js";

/** An open pull request as the radar sees it. */
export interface OpenPull extends RadarPull {
  readonly headSha: string;
}

/** A pull request's file list never changes for one head commit (and base): cached by it, bounded. */
export class FileCache {
  private readonly entries = new Map<string, readonly string[]>();
  constructor(private readonly max = 2000) {}

  get(key: string): readonly string[] | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      // Least recently used goes first: re-insert on a hit.
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, files: readonly string[]): void {
    this.entries.delete(key);
    this.entries.set(key, files);
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }
}

/** The last answer to a list request and its ETag: a 304 to If-None-Match costs no rate limit. */
export class EtagCache {
  private readonly entries = new Map<string, { etag: string; data: unknown }>();
  constructor(private readonly max = 500) {}

  async get<T>(key: string, fetch: (headers: Record<string, string>) => Promise<{ etag?: string; data: T }>) {
    const hit = this.entries.get(key);
    try {
      const res = await fetch(hit ? { "if-none-match": hit.etag } : {});
      this.entries.delete(key);
      if (res.etag) this.entries.set(key, { etag: res.etag, data: res.data });
      while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
      return res.data;
    } catch (err) {
      if (hit && isStatus(err, 304)) return hit.data as T;
      throw err;
    }
  }
}

/**
 * The open pull requests into `base`, most recently updated first, at most `cap` (one page: the cap
 * is at most 100), with a conditional request.
 */
export async function openPulls(
  octokit: Octokit,
  repo: RepoRef,
  base: string,
  cap: number,
  etags: EtagCache,
): Promise<Omit<OpenPull, "files">[]> {
  return etags.get(`${repo.owner}/${repo.repo}:${base}:${cap}`.toLowerCase(), async (headers) => {
    const res = await octokit.request("GET /repos/{owner}/{repo}/pulls", {
      ...repo,
      state: "open",
      base,
      sort: "updated",
      direction: "desc",
      per_page: Math.min(100, cap),
      headers,
    });
    return {
      etag: res.headers.etag,
      data: res.data.map((p) => ({ number: p.number, title: p.title, createdAt: p.created_at, headSha: p.head.sha })),
    };
  });
}

/** The files of each pull request (a rename under both paths), from the cache when its head was seen. */
export async function filesOf(
  octokit: Octokit,
  repo: RepoRef,
  pulls: readonly Omit<OpenPull, "files">[],
  cache: FileCache,
  fetch = true,
): Promise<OpenPull[]> {
  const out = await Promise.all(
    pulls.map(async (p) => {
      const key = fileKey(repo, p.number, p.headSha);
      let files = cache.get(key);
      if (!files) {
        // GitHub lists a pull request's files only for its current head: an older head is known from the cache or not at all.
        if (!fetch) return undefined;
        files = pathsOf(await listFiles(octokit, { ...repo, number: p.number }));
        cache.set(key, files);
      }
      return { ...p, files };
    }),
  );
  return out.filter((p): p is OpenPull => p !== undefined);
}

/** Every path a change touches: a renamed file's old path too. */
export function pathsOf(files: readonly ChangedFile[]): string[] {
  return [...new Set(files.flatMap((f) => (f.previousPath ? [f.path, f.previousPath] : [f.path])))];
}

export function fileKey(repo: RepoRef, number: number, headSha: string): string {
  return `${repo.owner}/${repo.repo}#${number}@${headSha}`.toLowerCase();
}
