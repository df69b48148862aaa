/** Reviews (read-only for the app) and review requests, with GitHub's collaborator/author rules. */
import { json, paginate, unprocessable, type ApiRequest } from "../http.js";
import { userByLogin } from "../render.js";
import { pullRequest, review, reviewRequest } from "../render-pulls.js";
import { requireBody, type Route, type RouteContext } from "../router.js";
import type { PullRequest, Repo, Review, State } from "../state.js";
import { pullOf } from "./pulls.js";

/** The reviews GET pulls/{n}/reviews lists (all pages), shared with GraphQL's `PullRequest.reviews`. */
export function pullReviews(state: State, repo: Repo, pr: PullRequest): Review[] {
  return state.reviews.filter((r) => r.repoId === repo.id && r.prNumber === pr.number);
}

function listReviews(req: ApiRequest, ctx: RouteContext) {
  const { repo, pr } = pullOf(req, ctx);
  const { page, headers } = paginate(req, pullReviews(ctx.state, repo, pr));
  return json(
    200,
    page.map((r) => review(req.urls, ctx.state, r)),
    headers,
  );
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

function requestReviewers(req: ApiRequest, ctx: RouteContext) {
  const { repo, pr } = pullOf(req, ctx);
  const body = requireBody(req);
  const users = strings(body.reviewers);
  const teams = strings(body.team_reviewers).map((t) => t.toLowerCase());
  if (users.some((u) => u.toLowerCase() === pr.author.toLowerCase()))
    throw unprocessable("Review cannot be requested from pull request author.");
  const unknown =
    users.some((u) => ctx.state.account(u)?.type !== "User") || teams.some((t) => !ctx.state.teams.has(t));
  if (unknown) {
    throw unprocessable(
      `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${repo.owner}/${repo.name} repository.`,
    );
  }
  const sender = `${ctx.state.app.slug}[bot]`;
  for (const login of users.map((u) => ctx.state.account(u)!.login)) {
    if (pr.requestedReviewers.includes(login)) continue;
    pr.requestedReviewers.push(login);
    ctx.echo(ctx.events.pullRequest("review_requested", pr, sender, { requested_reviewer: reviewer(req, ctx, login) }));
  }
  for (const slug of teams) {
    if (pr.requestedTeams.includes(slug)) continue;
    pr.requestedTeams.push(slug);
    ctx.echo(ctx.events.pullRequest("review_requested", pr, sender, { requested_team: ctx.events.team(slug) }));
  }
  pr.updatedAt = ctx.now();
  return json(201, pullRequest(req.urls, ctx.state, pr, "simple"));
}

function removeReviewers(req: ApiRequest, ctx: RouteContext) {
  const { pr } = pullOf(req, ctx);
  const body = requireBody(req);
  const users = new Set(strings(body.reviewers).map((u) => u.toLowerCase()));
  const teams = new Set(strings(body.team_reviewers).map((t) => t.toLowerCase()));
  const removed = pr.requestedReviewers.filter((l) => users.has(l.toLowerCase()));
  pr.requestedReviewers = pr.requestedReviewers.filter((l) => !users.has(l.toLowerCase()));
  pr.requestedTeams = pr.requestedTeams.filter((t) => !teams.has(t));
  pr.updatedAt = ctx.now();
  for (const login of removed)
    ctx.echo(
      ctx.events.pullRequest("review_request_removed", pr, `${ctx.state.app.slug}[bot]`, {
        requested_reviewer: reviewer(req, ctx, login),
      }),
    );
  return json(200, pullRequest(req.urls, ctx.state, pr, "simple"));
}

const reviewer = (req: ApiRequest, ctx: RouteContext, login: string) => userByLogin(req.urls, ctx.state, login);

export const reviewRoutes: Route[] = [
  {
    method: "GET",
    template: "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
    auth: "installation",
    handler: listReviews,
  },
  {
    method: "GET",
    template: "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
    auth: "installation",
    handler: (req, ctx) => json(200, reviewRequest(req.urls, ctx.state, pullOf(req, ctx).pr)),
  },
  {
    method: "POST",
    template: "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
    auth: "installation",
    handler: requestReviewers,
  },
  {
    method: "DELETE",
    template: "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
    auth: "installation",
    handler: removeReviewers,
  },
];
