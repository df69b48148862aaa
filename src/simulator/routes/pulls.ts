/** Pull request reads: single PR, list, files (3,000-file cap), commits, PRs for a commit. */
import { intParam, json, notFound, paginate, unprocessable, type ApiRequest } from "../http.js";
import { commit, diffEntry } from "../render.js";
import { pullRequest } from "../render-pulls.js";
import { repoOf, type Route, type RouteContext } from "../router.js";
import type { PullRequest, Repo, State } from "../state.js";
import type { Commit, FileChange } from "../git.js";

/** GitHub never lists more than 3,000 files for a PR, however many changed. */
export const MAX_PR_FILES = 3000;
/** …and never more than 250 commits. */
export const MAX_PR_COMMITS = 250;

export function pullOf(req: ApiRequest, ctx: RouteContext, param = "pull_number"): { repo: Repo; pr: PullRequest } {
  const repo = repoOf(req, ctx);
  const pr = ctx.state.pullsOf(repo).get(intParam(req, param));
  if (!pr) throw notFound();
  return { repo, pr };
}

function listPulls(req: ApiRequest, ctx: RouteContext) {
  const repo = repoOf(req, ctx);
  const head = req.query.get("head");
  const sort = req.query.get("sort") ?? "created";
  let prs = pullsOf(ctx.state, repo, {
    state: req.query.get("state") ?? "open",
    base: req.query.get("base") ?? undefined,
    sort,
    direction: req.query.get("direction") ?? (sort === "created" || sort === "updated" ? "desc" : "asc"),
  });
  if (head) {
    const [owner, branch] = head.includes(":") ? head.split(":", 2) : [repo.owner, head];
    prs = prs.filter((p) => owner!.toLowerCase() === repo.owner.toLowerCase() && p.head === branch);
  }
  const { page, headers } = paginate(req, prs);
  return json(
    200,
    page.map((p) => pullRequest(req.urls, ctx.state, p, "simple")),
    headers,
  );
}

/** The pull requests GET pulls lists (all pages), shared with GraphQL's `Repository.pullRequests`. */
export function pullsOf(
  state: State,
  repo: Repo,
  q: { state: string; base: string | undefined; sort: string; direction: string },
): PullRequest[] {
  const prs = [...state.pullsOf(repo).values()].filter(
    (p) => (q.state === "all" || p.state === q.state) && (!q.base || p.base === q.base),
  );
  const key = (p: PullRequest) =>
    (q.sort === "updated" ? p.updatedAt : p.createdAt) + String(p.number).padStart(9, "0");
  prs.sort((a, b) => (key(a) < key(b) ? -1 : 1));
  if (q.direction === "desc") prs.reverse();
  return prs;
}

/** The files GET pulls/{n}/files lists (all pages), shared with GraphQL's `PullRequest.files`. */
export function pullFiles(state: State, repo: Repo, pr: PullRequest): FileChange[] {
  const head = state.headSha(pr);
  const base = repo.git.mergeBase(state.baseSha(pr), head);
  return base ? repo.git.diff(base.files, repo.git.get(head).files).slice(0, MAX_PR_FILES) : [];
}

function listFiles(req: ApiRequest, ctx: RouteContext) {
  const { repo, pr } = pullOf(req, ctx);
  const head = ctx.state.headSha(pr);
  const { page, headers } = paginate(req, pullFiles(ctx.state, repo, pr));
  return json(
    200,
    page.map((f) => diffEntry(req.urls, repo, head, f)),
    headers,
  );
}

/** The commits GET pulls/{n}/commits lists (all pages), shared with GraphQL's `PullRequest.commits`. */
export function pullCommits(state: State, repo: Repo, pr: PullRequest): Commit[] {
  return repo.git.commitsBetween(state.baseSha(pr), state.headSha(pr)).slice(0, MAX_PR_COMMITS);
}

function listCommits(req: ApiRequest, ctx: RouteContext) {
  const { repo, pr } = pullOf(req, ctx);
  const { page, headers } = paginate(req, pullCommits(ctx.state, repo, pr), { max: 100 });
  return json(
    200,
    page.map((c) => commit(req.urls, ctx.state, repo, c)),
    headers,
  );
}

/**
 * PRs containing the commit (not yet on their base), plus PRs that merged it, newest first; shared with
 * GraphQL's `Commit.associatedPullRequests`.
 */
export function pullsContaining(state: State, repo: Repo, sha: string): PullRequest[] {
  if (!/^[0-9a-f]{40}$/.test(sha) || !repo.git.has(sha)) throw unprocessable(`No commit found for SHA: ${sha}`);
  const prs = [...state.pullsOf(repo).values()].filter((p) => {
    if (p.mergeCommitSha === sha) return true;
    const head = state.headSha(p);
    return repo.git.ancestors(head).has(sha) && !repo.git.ancestors(state.baseSha(p)).has(sha);
  });
  return prs.sort((a, b) => b.number - a.number);
}

function pullsForCommit(req: ApiRequest, ctx: RouteContext) {
  const repo = repoOf(req, ctx);
  const { page, headers } = paginate(req, pullsContaining(ctx.state, repo, req.params.commit_sha ?? ""));
  return json(
    200,
    page.map((p) => pullRequest(req.urls, ctx.state, p, "simple")),
    headers,
  );
}

export const pullRoutes: Route[] = [
  { method: "GET", template: "/repos/{owner}/{repo}/pulls", auth: "installation", handler: listPulls },
  {
    method: "GET",
    template: "/repos/{owner}/{repo}/pulls/{pull_number}",
    auth: "installation",
    handler: (req, ctx) => json(200, pullRequest(req.urls, ctx.state, pullOf(req, ctx).pr, "full")),
  },
  {
    method: "GET",
    template: "/repos/{owner}/{repo}/pulls/{pull_number}/files",
    auth: "installation",
    handler: listFiles,
  },
  {
    method: "GET",
    template: "/repos/{owner}/{repo}/pulls/{pull_number}/commits",
    auth: "installation",
    handler: listCommits,
  },
  {
    method: "GET",
    template: "/repos/{owner}/{repo}/commits/{commit_sha}/pulls",
    auth: "installation",
    handler: pullsForCommit,
  },
];
