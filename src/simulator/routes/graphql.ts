/**
 * POST /graphql (and GitHub Enterprise's /api/graphql): documents are validated against GitHub's published
 * schema; `createCheckRun` / `updateCheckRun` / `addComment` take effect through the REST check-run and
 * comment code (routes/checks.ts, routes/comments.ts), with the same checks, webhooks and faults, and
 * queries read what the REST read routes render (the same list functions and renderers). A document GitHub would reject is answered as GitHub does: HTTP 200 with `errors`.
 */
import { loadGraphQL, type MutationBackend, type RestCheckRun } from "../graphql.js";
import type { PullStateBackend, RepositoryReads } from "../graphql-reads.js";
import { HttpError, json, notFound, type ApiRequest } from "../http.js";
import { commit, diffEntry, repository, user, userByLogin, type Urls } from "../render.js";
import { checkRun } from "../render-checks.js";
import { issueComment, pullRequest, review } from "../render-pulls.js";
import type { Route, RouteContext } from "../router.js";
import type { PullRequest, Repo, State } from "../state.js";
import { parseNodeId } from "../util.js";
import { createCheckRun, runsForCommit, updateCheckRun } from "./checks.js";
import { addComment, pullComments, pullIssueEvents } from "./comments.js";
import { fileAt } from "./contents.js";
import { pullCommits, pullFiles, pullsContaining, pullsOf } from "./pulls.js";
import { pullReviews } from "./reviews.js";
import { activeMembers } from "./teams.js";

function backend(req: ApiRequest, ctx: RouteContext): MutationBackend {
  const repoOf = (id: string): Repo => {
    const node = parseNodeId(id);
    const repo = node?.type === "Repository" ? [...ctx.state.repos.values()].find((r) => r.id === node.id) : undefined;
    if (!repo) throw notFound();
    return repo;
  };
  const runId = (id: string): number => {
    const node = parseNodeId(id);
    if (node?.type !== "CheckRun") throw notFound();
    return node.id;
  };
  const pullOf = (id: string): { repo: Repo; pr: PullRequest } => {
    const node = parseNodeId(id);
    if (node?.type === "PullRequest")
      for (const repo of ctx.state.repos.values()) {
        const pr = [...ctx.state.pullsOf(repo).values()].find((p) => p.id === node.id);
        if (pr) return { repo, pr };
      }
    throw notFound();
  };
  const rendered = (run: Parameters<typeof checkRun>[2]) =>
    checkRun(req.urls, ctx.state, run) as unknown as RestCheckRun;
  // A fault a test aimed at the REST write a field stands for fails the field, before or after the write.
  const faulted = <T>(method: string, path: string, write: () => T): T => {
    const fault = req.fieldFault?.(method, path);
    if (fault?.phase === "before") throw new HttpError(fault.status, "Server Error");
    const out = write();
    if (fault) throw new HttpError(fault.status, "Server Error");
    return out;
  };
  const runs = (repo: Repo) => `/repos/${repo.owner}/${repo.name}/check-runs`;
  return {
    createCheckRun: (repositoryId, body) => {
      const repo = repoOf(repositoryId);
      return faulted("POST", runs(repo), () => rendered(createCheckRun(ctx, repo, body)));
    },
    updateCheckRun: (repositoryId, checkRunId, body) => {
      const repo = repoOf(repositoryId);
      const id = runId(checkRunId);
      return faulted("PATCH", `${runs(repo)}/${id}`, () => rendered(updateCheckRun(ctx, repo, id, body)));
    },
    addComment: (subjectId, body) => {
      const { repo, pr } = pullOf(subjectId);
      faulted("POST", `/repos/${repo.owner}/${repo.name}/issues/${pr.number}/comments`, () =>
        addComment(ctx, repo, pr, body),
      );
    },
  };
}

/** The simulator's reads, rendered as its REST routes render them (every list whole, in REST's order). */
export function reads(u: Urls, state: State): PullStateBackend {
  return {
    // The installation's token is the app's bot user (created with the app: GitHubSimulator.configureApp).
    viewer: () => rest(userByLogin(u, state, `${state.app.slug}[bot]`)),
    repository: (owner, name) => {
      const repo = state.repo(owner, name);
      return repo && repositoryReads(u, state, repo);
    },
    isOrganization: (login) => login.toLowerCase() === state.org.toLowerCase(),
    // As GET /orgs/{org}/teams/{team_slug}/members lists them (routes/teams.ts).
    team: (org, slug) => {
      const team = org.toLowerCase() === state.org.toLowerCase() ? state.teams.get(slug.toLowerCase()) : undefined;
      return team && { slug: team.slug, members: activeMembers(state, team.slug).map((a) => rest(user(u, a))) };
    },
  };
}

function repositoryReads(u: Urls, state: State, repo: Repo): RepositoryReads {
  const pr = (n: number) => {
    const p = state.pullsOf(repo).get(n);
    if (!p) throw new Error(`the simulator has no pull request #${n} in ${repo.name}`);
    return p;
  };
  return {
    repository: rest(repository(u, state, repo)),
    pull: (n) => {
      const p = state.pullsOf(repo).get(n);
      return p && rest(pullRequest(u, state, p, "full"));
    },
    reviews: (n) => pullReviews(state, repo, pr(n)).map((r) => rest(review(u, state, r))),
    comments: (n) => pullComments(state, repo, pr(n)).map((c) => rest(issueComment(u, state, c))),
    files: (n) => {
      const p = pr(n);
      return pullFiles(state, repo, p).map((f) => rest(diffEntry(u, repo, state.headSha(p), f)));
    },
    commits: (n) => pullCommits(state, repo, pr(n)).map((c) => rest(commit(u, state, repo, c))),
    branch: (name) => repo.branches.get(name),
    hasCommit: (sha) => /^[0-9a-f]{40}$/.test(sha) && repo.git.has(sha),
    checkRuns: (sha) => runsForCommit(state, repo, sha, { filter: "all" }).map((r) => rest(checkRun(u, state, r))),
    pullsForCommit: (sha) => pullsContaining(state, repo, sha).map((p) => rest(pullRequest(u, state, p, "simple"))),
    openPulls: (base) =>
      pullsOf(state, repo, { state: "open", base, sort: "updated", direction: "desc" }).map((p) =>
        rest(pullRequest(u, state, p, "simple")),
      ),
    file: (ref, path) => fileAt(state, repo, ref, path),
    issueEvents: (n) => pullIssueEvents(state, repo, pr(n)).map((e) => ({ event: e.event, created_at: e.createdAt })),
  };
}

/** A renderer's JSON as the REST shape the reads declare (the renderers are checked against OpenAPI in tests). */
const rest = <T>(json: Record<string, unknown>): T => json as unknown as T;

export const graphqlRoutes: Route[] = [
  {
    method: "POST",
    template: "/graphql",
    auth: "installation",
    handler: async (req, ctx) =>
      json(200, (await loadGraphQL()).execute(req.body, backend(req, ctx), reads(req.urls, ctx.state))),
  },
];
