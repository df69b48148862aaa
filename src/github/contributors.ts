import type { ChangedFile } from "../core/types.js";
import type { Push } from "../core/ledger.js";
import { changedBetween } from "./pulls.js";
import type { Octokit, PullRef } from "./client.js";

/** GitHub lists at most 250 commits of a pull request. */
export const MAX_PR_COMMITS = 250;

/** One person's part in the pull request: the files of the commits they authored, committed or pushed. */
export interface Contribution {
  readonly login: string;
  /** null: the files cannot be listed (a commit or push too large to list): count it as touching everything. */
  readonly files: readonly ChangedFile[] | null;
}

export interface PullCommit {
  readonly sha: string;
  readonly people: readonly string[];
}

/** The pull request's commits with the GitHub users who authored and committed them (`web-flow` is GitHub itself). */
export async function listPullCommits(octokit: Octokit, pr: PullRef): Promise<PullCommit[]> {
  const commits = await octokit.paginate("GET /repos/{owner}/{repo}/pulls/{pull_number}/commits", {
    owner: pr.owner,
    repo: pr.repo,
    pull_number: pr.number,
    per_page: 100,
  });
  return commits.map((c) => ({
    sha: c.sha,
    people: [c.author?.login, c.committer?.login].filter((l): l is string => !!l && l !== "web-flow"),
  }));
}

/**
 * A commit's files never change, so they are cached by sha (bounded, least recently used first out).
 * GitHub lists at most 300 files of a commit here; a larger one counts as touching everything.
 */
const commitFiles = new Map<string, readonly ChangedFile[] | null>();
const MAX_CACHED = 5_000;

async function filesOf(octokit: Octokit, pr: PullRef, sha: string): Promise<readonly ChangedFile[] | null> {
  const key = `${pr.owner}/${pr.repo}@${sha}`.toLowerCase();
  if (commitFiles.has(key)) return commitFiles.get(key)!;
  const { data } = await octokit.request("GET /repos/{owner}/{repo}/commits/{ref}", {
    owner: pr.owner,
    repo: pr.repo,
    ref: sha,
    per_page: 300,
  });
  const files = (data.files ?? []).map((f): ChangedFile => ({
    path: f.filename,
    status: f.status,
    ...(f.previous_filename ? { previousPath: f.previous_filename } : {}),
  }));
  const value = files.length >= 300 ? null : files;
  commitFiles.set(key, value);
  if (commitFiles.size > MAX_CACHED) commitFiles.delete(commitFiles.keys().next().value!);
  return value;
}

/**
 * What each of `logins` contributed: their commits' files and their pushes' differences. Only the
 * people asked about are looked up (the approvers), so a pull request nobody contributed to and
 * approved costs nothing here.
 */
export async function contributionsOf(
  octokit: Octokit,
  pr: PullRef,
  commits: readonly PullCommit[],
  pushes: readonly Push[],
  logins: readonly string[],
): Promise<Contribution[]> {
  const wanted = new Set(logins.map((l) => l.toLowerCase()));
  const out: Promise<Contribution>[] = [];
  for (const c of commits)
    for (const login of c.people)
      if (wanted.has(login.toLowerCase())) out.push(filesOf(octokit, pr, c.sha).then((files) => ({ login, files })));
  for (const p of pushes)
    if (wanted.has(p.user.toLowerCase()))
      out.push(changedBetween(octokit, pr, p.before, p.after).then((files) => ({ login: p.user, files })));
  return Promise.all(out);
}
