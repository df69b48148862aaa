/** Issue comments on PRs. Comments written through the API belong to the app's bot user. */
import { intParam, json, notFound, paginate, unprocessable, type ApiRequest } from "../http.js";
import { issueComment } from "../render-pulls.js";
import { userByLogin } from "../render.js";
import { nodeId } from "../util.js";
import { repoOf, requireBody, type Route, type RouteContext } from "../router.js";
import type { IssueComment, PullRequest, Repo, State } from "../state.js";
import { pullOf } from "./pulls.js";

export const MAX_COMMENT = 65536;

function bodyText(req: ApiRequest): string {
  return checkedBody(requireBody(req).body);
}

/** A comment's body as GitHub takes it (REST's body, GraphQL's `addComment` input), else its 422. */
function checkedBody(body: unknown): string {
  if (typeof body !== "string")
    throw unprocessable(`Invalid request.\n\n"body" wasn't supplied.`, [
      { resource: "IssueComment", field: "body", code: "missing_field" },
    ]);
  if (body.length > MAX_COMMENT)
    throw unprocessable("Validation Failed", [
      {
        resource: "IssueComment",
        field: "body",
        code: "custom",
        message: `body is too long (maximum is ${MAX_COMMENT} characters)`,
      },
    ]);
  return body;
}

/**
 * The comments GET issues/{n}/comments lists (all pages, oldest first), shared with GraphQL's
 * `PullRequest.comments`.
 */
export function pullComments(state: State, repo: Repo, pr: PullRequest, since?: string | null): IssueComment[] {
  return [...state.comments.values()]
    .filter((c) => c.repoId === repo.id && c.issueNumber === pr.number && (!since || c.updatedAt >= since))
    .sort((a, b) => a.id - b.id);
}

function listComments(req: ApiRequest, ctx: RouteContext) {
  const { repo, pr } = pullOf(req, ctx, "issue_number");
  const { page, headers } = paginate(req, pullComments(ctx.state, repo, pr, req.query.get("since")));
  return json(
    200,
    page.map((c) => issueComment(req.urls, ctx.state, c)),
    headers,
  );
}

function createComment(req: ApiRequest, ctx: RouteContext) {
  const { repo, pr } = pullOf(req, ctx, "issue_number");
  return json(201, issueComment(req.urls, ctx.state, addComment(ctx, repo, pr, requireBody(req).body)));
}

/** The app's comment on a pull request, as POST …/issues/{n}/comments and GraphQL's `addComment` write it. */
export function addComment(ctx: RouteContext, repo: Repo, pr: PullRequest, body: unknown): IssueComment {
  const at = ctx.now();
  const bot = `${ctx.state.app.slug}[bot]`;
  const c: IssueComment = {
    id: ctx.state.ids.comment.take(),
    repoId: repo.id,
    issueNumber: pr.number,
    user: bot,
    body: checkedBody(body),
    createdAt: at,
    updatedAt: at,
    viaAppId: ctx.state.appId,
  };
  ctx.state.comments.set(c.id, c);
  pr.updatedAt = at; // a comment is activity on the pull request, as on GitHub
  ctx.echo(ctx.events.issueComment("created", pr, c, bot));
  return c;
}

function commentOf(req: ApiRequest, ctx: RouteContext): IssueComment {
  const repo = repoOf(req, ctx);
  const c = ctx.state.comments.get(intParam(req, "comment_id"));
  if (!c || c.repoId !== repo.id) throw notFound();
  return c;
}

function updateComment(req: ApiRequest, ctx: RouteContext) {
  const c = commentOf(req, ctx);
  const body = bodyText(req);
  const from = c.body;
  c.body = body;
  c.updatedAt = ctx.now();
  const pr = ctx.state.pullsOf(ctx.state.repoById(c.repoId)).get(c.issueNumber)!;
  ctx.echo(ctx.events.issueComment("edited", pr, c, `${ctx.state.app.slug}[bot]`, { body: { from } }));
  return json(200, issueComment(req.urls, ctx.state, c));
}

function deleteComment(req: ApiRequest, ctx: RouteContext) {
  const c = commentOf(req, ctx);
  const pr = ctx.state.pullsOf(ctx.state.repoById(c.repoId)).get(c.issueNumber)!;
  ctx.echo(ctx.events.issueComment("deleted", pr, c, `${ctx.state.app.slug}[bot]`));
  ctx.state.comments.delete(c.id);
  return { status: 204 };
}

/** The issue events GitHub records itself, oldest first (only force pushes are simulated). */
/** The issue events GitHub recorded on a pull request, oldest first (REST's list and GraphQL's timeline). */
export function pullIssueEvents(state: State, repo: Repo, pr: PullRequest): State["issueEvents"] {
  return state.issueEvents.filter((e) => e.repoId === repo.id && e.issueNumber === pr.number);
}

function listIssueEvents(req: ApiRequest, ctx: RouteContext) {
  const { repo, pr } = pullOf(req, ctx, "issue_number");
  const full = `${repo.owner}/${repo.name}`;
  const all = pullIssueEvents(ctx.state, repo, pr);
  const { page, headers } = paginate(req, all);
  return json(
    200,
    page.map((e) => ({
      id: e.id,
      node_id: nodeId("HeadRefForcePushedEvent", e.id),
      url: `${req.urls.api}/repos/${full}/issues/events/${e.id}`,
      actor: userByLogin(req.urls, ctx.state, e.actor),
      event: e.event,
      commit_id: e.commitId,
      commit_url: `${req.urls.api}/repos/${full}/commits/${e.commitId}`,
      created_at: e.createdAt,
      performed_via_github_app: null,
    })),
    headers,
  );
}

export const commentRoutes: Route[] = [
  {
    method: "GET",
    template: "/repos/{owner}/{repo}/issues/{issue_number}/events",
    auth: "installation",
    handler: listIssueEvents,
  },
  {
    method: "GET",
    template: "/repos/{owner}/{repo}/issues/{issue_number}/comments",
    auth: "installation",
    handler: listComments,
  },
  {
    method: "POST",
    template: "/repos/{owner}/{repo}/issues/{issue_number}/comments",
    auth: "installation",
    handler: createComment,
  },
  {
    method: "GET",
    template: "/repos/{owner}/{repo}/issues/comments/{comment_id}",
    auth: "installation",
    handler: (req, ctx) => json(200, issueComment(req.urls, ctx.state, commentOf(req, ctx))),
  },
  {
    method: "PATCH",
    template: "/repos/{owner}/{repo}/issues/comments/{comment_id}",
    auth: "installation",
    handler: updateComment,
  },
  {
    method: "DELETE",
    template: "/repos/{owner}/{repo}/issues/comments/{comment_id}",
    auth: "installation",
    handler: deleteComment,
  },
];
