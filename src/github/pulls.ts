import type { CommentInput, GitHubUser, ReviewInput } from "../core/actions.js";
import type { ChangedFile } from "../core/types.js";
import { isStatus, type Octokit, type PullRef, type RepoRef } from "./client.js";
import type { Recent } from "./recent.js";

/** GitHub lists at most 3,000 files of a pull request. */
export const MAX_PR_FILES = 3000;

export interface PullRequest {
  readonly number: number;
  /** Its GraphQL id: the app's record comments are written on it (src/github/checks.ts writeRuns). */
  readonly nodeId: string;
  readonly state: "open" | "closed";
  readonly merged: boolean;
  readonly draft: boolean;
  readonly author: GitHubUser;
  readonly headSha: string;
  readonly baseRef: string;
  readonly baseSha: string;
  /** The repository's default branch (its pull requests' gate has the plain name). */
  readonly defaultBranch: string | undefined;
  readonly changedFiles: number;
  readonly requestedUsers: readonly string[];
  readonly requestedTeams: readonly string[];
  /** Teams exist only in organizations; a user-owned repository's table can name users only. */
  readonly ownerIsOrg: boolean;
  /** The repository's GraphQL id: check runs are written through GraphQL (src/github/checks.ts writeRuns). */
  readonly repoNodeId: string;
  /** When it was opened: the start of its reviews' timing (src/core/effectiveness.ts). */
  readonly createdAt?: string;
  /**
   * The head commit of the merge group GitHub built for it, while it is in its base's merge queue: a gate
   * that stops passing is closed there too (src/app/reconcile.ts), or the group merges on the decision it
   * got when it was queued. Undefined when not queued, or when GitHub did not say.
   */
  readonly queueHead?: string;
}

interface RawUser {
  login: string;
  id?: number;
  type?: string;
}

export async function listFiles(octokit: Octokit, pr: PullRef): Promise<ChangedFile[]> {
  const files = await octokit.paginate("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", {
    owner: pr.owner,
    repo: pr.repo,
    pull_number: pr.number,
    per_page: 100,
  });
  return files.map((f) => changedFile(f));
}

const FILES_PER_PAGE = 100;

/**
 * The changed files, with every page fetched at once when the count is known (one round trip instead
 * of one per page), then page after page while a page comes back full: the count is a hint, the list
 * is the truth.
 */
export async function changedFiles(octokit: Octokit, pr: PullRef, at: { expected?: number }): Promise<ChangedFile[]> {
  const page = async (n: number) => {
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", {
      owner: pr.owner,
      repo: pr.repo,
      pull_number: pr.number,
      per_page: FILES_PER_PAGE,
      page: n,
    });
    return data.map((f) => changedFile(f));
  };
  const known = Math.min(MAX_PR_FILES / FILES_PER_PAGE, Math.max(1, Math.ceil((at.expected ?? 0) / FILES_PER_PAGE)));
  const pages = await Promise.all(Array.from({ length: known }, (_, i) => page(i + 1)));
  while (pages.at(-1)!.length === FILES_PER_PAGE && pages.length < MAX_PR_FILES / FILES_PER_PAGE)
    pages.push(await page(pages.length + 1));
  return pages.flat();
}

export async function listReviews(octokit: Octokit, pr: PullRef): Promise<ReviewInput[]> {
  const reviews = await octokit.paginate("GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews", {
    owner: pr.owner,
    repo: pr.repo,
    pull_number: pr.number,
    per_page: 100,
  });
  return reviews.map((r) => ({
    id: r.id,
    user: r.user ? user(r.user as RawUser) : null,
    state: r.state,
    body: r.body ?? null,
    commitId: r.commit_id ?? null,
    submittedAt: r.submitted_at ?? null,
  }));
}

export async function listComments(octokit: Octokit, pr: PullRef): Promise<CommentInput[]> {
  const comments = await octokit.paginate("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", {
    owner: pr.owner,
    repo: pr.repo,
    issue_number: pr.number,
    per_page: 100,
  });
  return comments.map((c) => comment(c));
}

export async function requestReviewers(
  octokit: Octokit,
  pr: PullRef,
  users: readonly string[],
  teams: readonly string[],
): Promise<void> {
  await octokit.request("POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", {
    owner: pr.owner,
    repo: pr.repo,
    pull_number: pr.number,
    reviewers: [...users],
    team_reviewers: [...teams],
  });
}

/**
 * Files changed from `base` to `head`, or null when GitHub cannot say (the commit is gone, or the head
 * no longer descends from it after a force-push): the caller then treats everything as changed.
 */
export async function changedBetween(
  octokit: Octokit,
  repo: RepoRef,
  base: string,
  head: string,
): Promise<ChangedFile[] | null> {
  try {
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/compare/{basehead}", {
      ...repo,
      basehead: `${base}...${head}`,
      per_page: 100,
    });
    if (data.status !== "ahead" && data.status !== "identical") return null;
    // The compare API lists at most 300 files; beyond that we cannot tell which paths changed.
    if ((data.files?.length ?? 0) >= 300) return null;
    return (data.files ?? []).map((f) => changedFile(f));
  } catch (err) {
    if (isStatus(err, 404, 422)) return null;
    throw err;
  }
}

/**
 * When the pull request's branch was force-pushed, from GitHub's issue events (`head_ref_force_pushed`).
 * Only GitHub writes these; they tell whether the head a comment was written against may have changed.
 */
export async function forcePushTimes(octokit: Octokit, pr: PullRef): Promise<string[]> {
  const events = await octokit.paginate("GET /repos/{owner}/{repo}/issues/{issue_number}/events", {
    owner: pr.owner,
    repo: pr.repo,
    issue_number: pr.number,
    per_page: 100,
  });
  return events
    .filter((e) => (e as { event?: string }).event === "head_ref_force_pushed")
    .map((e) => (e as { created_at: string }).created_at);
}

/** Open pull requests whose base is `branch`, newest first, at most `limit`. */
export async function openPullsOnBase(
  octokit: Octokit,
  repo: RepoRef,
  branch: string,
  limit: number,
): Promise<number[]> {
  const out: number[] = [];
  for await (const page of octokit.paginate.iterator("GET /repos/{owner}/{repo}/pulls", {
    ...repo,
    state: "open",
    base: branch,
    sort: "updated",
    direction: "desc",
    per_page: 100,
  })) {
    for (const p of page.data) {
      out.push(p.number);
      if (out.length >= limit) return out;
    }
  }
  return out;
}

/** Pull requests (in this repository) whose head is `sha`, for check events that arrive without them. */
export async function pullsForCommit(octokit: Octokit, repo: RepoRef, sha: string): Promise<number[]> {
  // Every page: pull requests that only contain the commit fill the list too, and must not hide a twin.
  const data = await octokit.paginate("GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls", {
    ...repo,
    commit_sha: sha,
    per_page: 100,
  });
  return data
    .filter((p) => p.state === "open" && p.head.sha === sha && p.base.repo.full_name === `${repo.owner}/${repo.repo}`)
    .map((p) => p.number);
}

/**
 * The open pull requests whose head is `sha`, as `number` sees them: GitHub's list (`read`), `number`
 * itself and every pull request this process reconciled on that head in the last minute (GitHub's list
 * can lag behind a pull request just opened), so a second pull request on a head is a blocker at once (see
 * ReadCache). Remembering only ever adds blockers, so a read that bypasses the caches to confirm a pass
 * uses it too: a twin remembered since the first read (one another reconcile of this process just met)
 * must not be dropped by that read, nor forgotten because GitHub's list does not show it yet.
 */
export function sharingHead(
  recent: Recent<readonly number[]> | undefined,
  repo: RepoRef,
  sha: string,
  number: number,
  read: readonly number[],
): number[] {
  const key = `${repo.owner}/${repo.repo}@${sha}`.toLowerCase();
  const all = [...new Set([...read, ...(recent?.get(key) ?? []), number])].sort((a, b) => a - b);
  recent?.set(key, all);
  return all;
}

/** Forgets what `recent` knows of a head's pull requests (one of them closed). */
export function forgetSharing(recent: Recent<readonly number[]> | undefined, repo: RepoRef, sha: string): void {
  recent?.delete(`${repo.owner}/${repo.repo}@${sha}`.toLowerCase());
}

function changedFile(f: { filename: string; status: string; previous_filename?: string }): ChangedFile {
  return {
    path: f.filename,
    status: f.status as ChangedFile["status"],
    ...(f.previous_filename ? { previousPath: f.previous_filename } : {}),
  };
}

function comment(c: {
  id: number | bigint;
  user: unknown;
  body?: string;
  created_at: string;
  updated_at: string;
  performed_via_github_app?: { id: number } | null;
}): CommentInput {
  return {
    id: Number(c.id),
    user: c.user ? user(c.user as RawUser) : null,
    body: c.body ?? "",
    createdAt: c.created_at,
    updatedAt: c.updated_at,
    ...(c.performed_via_github_app ? { viaAppId: c.performed_via_github_app.id } : {}),
  };
}

function user(u: RawUser): GitHubUser {
  return { login: u.login, ...(u.id !== undefined ? { id: u.id } : {}), ...(u.type ? { type: u.type } : {}) };
}
