import type { Octokit, RepoRef } from "./client.js";

/** A merged pull request, as the effectiveness report reads it. */
export interface MergedPull {
  readonly number: number;
  readonly title: string;
  readonly author: string;
  readonly createdAt: string;
  readonly mergedAt: string;
  readonly baseRef: string;
  readonly headSha: string;
}

/**
 * Pull requests merged since `since`, newest first: closed pull requests sorted by last update, read
 * page by page until one was last updated before `since` (nothing merged after it can follow), at
 * most `cap`.
 */
export async function mergedSince(octokit: Octokit, repo: RepoRef, since: Date, cap: number): Promise<MergedPull[]> {
  const out: MergedPull[] = [];
  for await (const page of octokit.paginate.iterator("GET /repos/{owner}/{repo}/pulls", {
    ...repo,
    state: "closed",
    sort: "updated",
    direction: "desc",
    per_page: 100,
  })) {
    for (const p of page.data) {
      if (Date.parse(p.updated_at) < since.getTime()) return out;
      if (!p.merged_at || Date.parse(p.merged_at) < since.getTime()) continue;
      out.push({
        number: p.number,
        title: p.title,
        author: p.user?.login ?? "",
        createdAt: p.created_at,
        mergedAt: p.merged_at,
        baseRef: p.base.ref,
        headSha: p.head.sha,
      });
      if (out.length >= cap) return out;
    }
  }
  return out;
}

/** Names and output of the check runs on a commit (any app's: the report only reads). */
export async function checkRunsOn(
  octokit: Octokit,
  repo: RepoRef,
  sha: string,
): Promise<{ name: string; conclusion: string | null; summary: string | null; appId?: number }[]> {
  const runs = await octokit.paginate("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", {
    ...repo,
    ref: sha,
    filter: "latest",
    per_page: 100,
  });
  return runs.map((r) => ({
    name: r.name,
    conclusion: r.conclusion ?? null,
    summary: r.output?.summary ?? null,
    ...(r.app?.id !== undefined ? { appId: r.app.id } : {}),
  }));
}
