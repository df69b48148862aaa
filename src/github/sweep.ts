import { CONFLICTS_CHECK } from "../core/conflicts.js";
import { isStatus, type Octokit, type RepoRef } from "./client.js";

/**
 * Reads for healing sweeps. The periodic resync asks the same questions every hour, so its reads are
 * conditional (`If-None-Match`): an unchanged answer is a 304, which GitHub does not count against the
 * rate limit. The ETag cache only saves requests; every read still asks GitHub.
 */
const etags = new Map<string, { etag: string; data: unknown }>();
const MAX_CACHED = 5_000;

async function conditionalGet<T>(octokit: Octokit, route: string, params: Record<string, unknown>): Promise<T> {
  const key = `${route}\0${JSON.stringify(params)}`;
  const cached = etags.get(key);
  try {
    const res = await octokit.request(route, {
      ...params,
      ...(cached ? { headers: { "if-none-match": cached.etag } } : {}),
    });
    const etag = (res.headers as Record<string, string | undefined>).etag;
    if (etag) {
      etags.delete(key);
      etags.set(key, { etag, data: res.data });
      if (etags.size > MAX_CACHED) etags.delete(etags.keys().next().value!);
    }
    return res.data as T;
  } catch (err) {
    if (cached && isStatus(err, 304)) return cached.data as T;
    throw err;
  }
}

export interface OpenPull {
  readonly number: number;
  readonly base: string;
  readonly headSha: string;
  readonly updatedAt: string;
}

/** The most recently updated open pull requests of a repository, at most `limit` (≤ 100: one request). */
export async function openPulls(octokit: Octokit, repo: RepoRef, limit: number): Promise<OpenPull[]> {
  const data = await conditionalGet<
    { number: number; base: { ref: string }; head: { sha: string }; updated_at: string }[]
  >(octokit, "GET /repos/{owner}/{repo}/pulls", {
    ...repo,
    state: "open",
    sort: "updated",
    direction: "desc",
    per_page: Math.min(100, limit),
  });
  return data.slice(0, limit).map((p) => ({
    number: p.number,
    base: p.base.ref,
    headSha: p.head.sha,
    updatedAt: p.updated_at,
  }));
}

/** The repositories an installation covers, at most `limit`. */
export async function installationRepos(octokit: Octokit, limit: number): Promise<RepoRef[]> {
  const out: RepoRef[] = [];
  for await (const page of octokit.paginate.iterator("GET /installation/repositories", { per_page: 100 })) {
    for (const r of page.data as unknown as { name: string; owner: { login: string }; archived?: boolean }[]) {
      if (!r.archived) out.push({ owner: r.owner.login, repo: r.name });
      if (out.length >= limit) return out;
    }
  }
  return out;
}

/**
 * When this app last wrote a check run of the pull request's own on a commit (the newest of its runs), or
 * undefined if it has none. The conflict radar's check is left out: another pull request's refresh rewrites
 * it, which would make a pull request whose own reconcile missed a delivery look freshly judged.
 */
export async function lastOwnRunAt(
  octokit: Octokit,
  repo: RepoRef,
  sha: string,
  appId: number,
): Promise<string | undefined> {
  const data = await conditionalGet<{
    check_runs: {
      name: string;
      app?: { id?: number } | null;
      started_at?: string | null;
      completed_at?: string | null;
    }[];
  }>(octokit, "GET /repos/{owner}/{repo}/commits/{ref}/check-runs", {
    ...repo,
    ref: sha,
    app_id: appId,
    filter: "latest",
    per_page: 100,
  });
  const times = data.check_runs
    .filter((r) => r.app?.id === appId && r.name !== CONFLICTS_CHECK) // as listOwnRuns: a run naming no app is not ours
    .map((r) => r.completed_at ?? r.started_at ?? "")
    .filter(Boolean)
    .sort();
  return times[times.length - 1];
}
