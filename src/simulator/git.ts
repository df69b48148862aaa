/**
 * A deliberately small git model: every commit stores its parents and the full file map (path → blob sha).
 * That is enough to answer contents, compare, PR files and merge-base questions without real trees.
 */
import { blobSha, countLines, sha1 } from "./util.js";

export interface GitIdentity {
  name: string;
  email: string;
  login?: string;
}

export interface Commit {
  sha: string;
  treeSha: string;
  parents: string[];
  files: ReadonlyMap<string, string>;
  message: string;
  author: GitIdentity;
  timestamp: string;
  /** Longest distance from a root; lets merge-base pick the nearest common ancestor. */
  generation: number;
}

export type FileStatus = "added" | "removed" | "modified" | "renamed";

export interface FileChange {
  filename: string;
  status: FileStatus;
  previous_filename?: string;
  /** Blob sha of the new content (the old one for removals), as GitHub reports. */
  sha: string;
  additions: number;
  deletions: number;
}

/** A file map change set: string = new content, null = delete. */
export type FileEdits = Record<string, string | null>;

export class ObjectStore {
  readonly blobs = new Map<string, string>();
  readonly commits = new Map<string, Commit>();
  private counter = 0;

  putBlob(content: string): string {
    const sha = blobSha(content);
    this.blobs.set(sha, content);
    return sha;
  }

  blob(sha: string): string {
    const content = this.blobs.get(sha);
    if (content === undefined) throw new Error(`unknown blob ${sha}`);
    return content;
  }

  commit(input: {
    parents: string[];
    edits: FileEdits;
    message: string;
    author: GitIdentity;
    timestamp: string;
  }): Commit {
    const first = input.parents[0];
    const files = new Map(first ? this.get(first).files : []);
    for (const [path, content] of Object.entries(input.edits)) {
      if (content === null) files.delete(path);
      else files.set(normalizePath(path), this.putBlob(content));
    }
    return this.commitTree({ ...input, files });
  }

  /** Used for merge commits, where the caller computes the resulting file map itself. */
  commitTree(input: {
    parents: string[];
    files: Map<string, string>;
    message: string;
    author: GitIdentity;
    timestamp: string;
  }): Commit {
    const entries = [...input.files.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    const treeSha = sha1(`tree\0${entries.map(([p, s]) => `${p}\0${s}`).join("\n")}`);
    const a = input.author;
    // The counter keeps two identical commits in the same second distinct, as real timestamps would.
    const header = [
      `tree ${treeSha}`,
      ...input.parents.map((p) => `parent ${p}`),
      `author ${a.name} <${a.email}> ${input.timestamp}`,
      `n ${this.counter++}`,
    ];
    const sha = sha1(`commit\0${header.join("\n")}\n\n${input.message}`);
    const generation = 1 + Math.max(0, ...input.parents.map((p) => this.get(p).generation));
    const commit: Commit = {
      sha,
      treeSha,
      parents: [...input.parents],
      files: input.files,
      message: input.message,
      author: a,
      timestamp: input.timestamp,
      generation,
    };
    this.commits.set(sha, commit);
    return commit;
  }

  get(sha: string): Commit {
    const c = this.commits.get(sha);
    if (!c) throw new Error(`unknown commit ${sha}`);
    return c;
  }

  has(sha: string): boolean {
    return this.commits.has(sha);
  }

  ancestors(sha: string): Set<string> {
    const seen = new Set<string>();
    const stack = [sha];
    while (stack.length) {
      const s = stack.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      stack.push(...this.get(s).parents);
    }
    return seen;
  }

  mergeBase(a: string, b: string): Commit | undefined {
    const ofA = this.ancestors(a);
    let best: Commit | undefined;
    for (const s of this.ancestors(b)) {
      if (!ofA.has(s)) continue;
      const c = this.get(s);
      if (!best || c.generation > best.generation) best = c;
    }
    return best;
  }

  /** Commits reachable from `head` but not from `base`, oldest first (what GitHub lists in a PR or compare). */
  commitsBetween(base: string, head: string): Commit[] {
    const exclude = this.ancestors(base);
    return [...this.ancestors(head)]
      .filter((s) => !exclude.has(s))
      .map((s) => this.get(s))
      .sort((x, y) => x.generation - y.generation || (x.timestamp < y.timestamp ? -1 : 1));
  }

  /** Diff two snapshots; an exact-content delete+add pair is reported as a rename like GitHub does. */
  diff(from: ReadonlyMap<string, string>, to: ReadonlyMap<string, string>): FileChange[] {
    const changes: FileChange[] = [];
    const removed = new Map<string, string>();
    for (const [path, sha] of from) if (!to.has(path)) removed.set(path, sha);
    for (const [path, sha] of to) {
      const old = from.get(path);
      if (old === sha) continue;
      if (old !== undefined) {
        changes.push({ filename: path, status: "modified", sha, ...lineDelta(this.blob(old), this.blob(sha)) });
        continue;
      }
      const renamedFrom = [...removed].find(([, s]) => s === sha)?.[0];
      if (renamedFrom !== undefined) {
        removed.delete(renamedFrom);
        changes.push({
          filename: path,
          status: "renamed",
          previous_filename: renamedFrom,
          sha,
          additions: 0,
          deletions: 0,
        });
      } else {
        changes.push({ filename: path, status: "added", sha, additions: countLines(this.blob(sha)), deletions: 0 });
      }
    }
    for (const [path, sha] of removed)
      changes.push({ filename: path, status: "removed", sha, additions: 0, deletions: countLines(this.blob(sha)) });
    return changes.sort((x, y) => (x.filename < y.filename ? -1 : 1));
  }
}

export const normalizePath = (p: string): string => p.replace(/^\/+/, "");

/** Line-multiset delta: cheap and close to `git diff --stat` for the kinds of edits scenarios make. */
function lineDelta(before: string, after: string): { additions: number; deletions: number } {
  const pool = new Map<string, number>();
  for (const l of before.split("\n")) pool.set(l, (pool.get(l) ?? 0) + 1);
  let additions = 0;
  for (const l of after.split("\n")) {
    const n = pool.get(l) ?? 0;
    if (n > 0) pool.set(l, n - 1);
    else additions++;
  }
  const deletions = [...pool.values()].reduce((a, b) => a + b, 0);
  return { additions, deletions };
}
