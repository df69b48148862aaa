/**
 * Check runs. GitHub's limits are enforced here even when OpenAPI validation is off, because the app's
 * correctness depends on them (e.g. a 21-character action label is a 422 in production).
 */
import { HttpError, intParam, json, notFound, paginate, unprocessable, type ApiRequest } from "../http.js";
import { checkRun } from "../render-checks.js";
import { repoOf, requireBody, type Route, type RouteContext } from "../router.js";
import type { CheckAction, CheckRun, CheckSuite, Repo, State } from "../state.js";

const STATUSES = ["queued", "in_progress", "completed"];
const CONCLUSIONS = ["action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"];
export const MAX_TEXT = 65535;
const DOCS = "https://docs.github.com/rest/checks/runs";

const invalid = (field: string, message: string, code = "invalid"): HttpError =>
  new HttpError(422, `Invalid request.\n\n${message}`, {
    errors: [{ resource: "CheckRun", field, code, message }],
    documentation_url: DOCS,
  });

const tooLong = (field: string, value: string, max: number): HttpError =>
  invalid(
    field,
    `For 'properties/${field.split(".").pop()}', ${JSON.stringify(value)} is too long (maximum is ${max} characters).`,
  );

function str(body: Record<string, unknown>, key: string, field = key): string | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw invalid(field, `For 'properties/${key}', ${JSON.stringify(v)} is not a string.`);
  return v;
}

function oneOf(body: Record<string, unknown>, key: string, allowed: string[]): string | undefined {
  const v = str(body, key);
  if (v !== undefined && !allowed.includes(v))
    throw invalid(key, `For 'properties/${key}', ${JSON.stringify(v)} is not a member of ${JSON.stringify(allowed)}.`);
  return v;
}

function parseActions(v: unknown): CheckAction[] {
  if (!Array.isArray(v)) throw invalid("actions", `For 'properties/actions', ${JSON.stringify(v)} is not an array.`);
  if (v.length > 3) throw invalid("actions", "For 'properties/actions', the array has too many items (maximum is 3).");
  const limits: Array<[keyof CheckAction, number]> = [
    ["label", 20],
    ["description", 40],
    ["identifier", 20],
  ];
  return v.map((a: Record<string, unknown>) => {
    for (const [k, max] of limits) {
      if (typeof a?.[k] !== "string" || a[k] === "")
        throw invalid(`actions.${k}`, `"${k}" wasn't supplied.`, "missing_field");
      if (a[k].length > max) throw tooLong(`actions.${k}`, a[k], max);
    }
    return { label: a.label as string, description: a.description as string, identifier: a.identifier as string };
  });
}

/** Applies the writable fields shared by create and update; `run` is mutated in place. */
function applyInput(run: CheckRun, body: Record<string, unknown>, ctx: RouteContext, creating: boolean): void {
  const name = str(body, "name");
  if (name !== undefined) {
    if (!name.trim()) throw invalid("name", `"name" wasn't supplied.`, "missing_field");
    run.name = name;
  }
  const detailsUrl = str(body, "details_url");
  if (detailsUrl !== undefined) run.detailsUrl = detailsUrl;
  const externalId = str(body, "external_id");
  if (externalId !== undefined) run.externalId = externalId;
  const startedAt = str(body, "started_at");
  if (startedAt !== undefined) run.startedAt = startedAt;
  const status = oneOf(body, "status", STATUSES);
  const conclusion = oneOf(body, "conclusion", CONCLUSIONS);
  const completedAt = str(body, "completed_at");
  if (body.output !== undefined) {
    const out = body.output as Record<string, unknown>;
    if (!out || typeof out !== "object")
      throw invalid("output", `For 'properties/output', ${JSON.stringify(out)} is not an object.`);
    const title = str(out, "title", "output.title");
    const summary = str(out, "summary", "output.summary");
    const text = str(out, "text", "output.text");
    if (summary === undefined) throw invalid("output.summary", `"summary" wasn't supplied.`, "missing_field");
    if (creating && title === undefined) throw invalid("output.title", `"title" wasn't supplied.`, "missing_field");
    if (summary.length > MAX_TEXT) throw tooLong("output.summary", summary.slice(0, 20) + "…", MAX_TEXT);
    if (text !== undefined && text.length > MAX_TEXT) throw tooLong("output.text", text.slice(0, 20) + "…", MAX_TEXT);
    const annotations = Array.isArray(out.annotations) ? out.annotations : [];
    if (annotations.length > 50)
      throw invalid(
        "output.annotations",
        "For 'properties/annotations', the array has too many items (maximum is 50).",
      );
    run.output = {
      title: title ?? run.output.title,
      summary,
      text: text ?? run.output.text,
      annotationsCount: run.output.annotationsCount + annotations.length,
    };
  }
  if (body.actions !== undefined) run.actions = parseActions(body.actions);
  if (conclusion !== undefined) {
    // Providing a conclusion implies completion, as documented.
    run.status = "completed";
    run.conclusion = conclusion;
    run.completedAt = completedAt ?? ctx.now();
  } else if (status === "completed" || completedAt !== undefined) {
    // GitHub requires a conclusion to complete a run; re-sending "completed" on a finished run is fine.
    if (run.status !== "completed" || !run.conclusion)
      throw invalid("conclusion", `"conclusion" is required when status is "completed".`, "missing_field");
    if (completedAt !== undefined) run.completedAt = completedAt;
  } else if (status !== undefined) {
    run.status = status as CheckRun["status"];
    run.conclusion = null;
    run.completedAt = null;
  }
}

function suiteFor(ctx: RouteContext, repo: Repo, headSha: string): CheckSuite {
  const appId = ctx.state.appId;
  let suite = ctx.state.suites.find((s) => s.repoId === repo.id && s.appId === appId && s.headSha === headSha);
  if (!suite) {
    const branch = [...repo.branches].find(([, sha]) => sha === headSha)?.[0] ?? null;
    const at = ctx.now();
    suite = {
      id: ctx.state.ids.suite.take(),
      repoId: repo.id,
      appId,
      headSha,
      headBranch: branch,
      before: null,
      createdAt: at,
      updatedAt: at,
    };
    ctx.state.suites.push(suite);
  }
  return suite;
}

/**
 * Creates a check run from a REST-shaped body, with GitHub's checks and webhooks; shared by the REST
 * route and GraphQL's `createCheckRun` (src/simulator/graphql.ts).
 */
export function createCheckRun(ctx: RouteContext, repo: Repo, body: Record<string, unknown>): CheckRun {
  if (typeof body.name !== "string" || !body.name) throw invalid("name", `"name" wasn't supplied.`, "missing_field");
  const headSha = body.head_sha;
  if (typeof headSha !== "string") throw invalid("head_sha", `"head_sha" wasn't supplied.`, "missing_field");
  if (!repo.git.has(headSha)) throw unprocessable(`No commit found for SHA: ${headSha}`);
  const suite = suiteFor(ctx, repo, headSha);
  const run: CheckRun = {
    id: 0,
    repoId: repo.id,
    suiteId: suite.id,
    appId: ctx.state.appId,
    headSha,
    name: body.name,
    status: "queued",
    conclusion: null,
    startedAt: ctx.now(),
    completedAt: null,
    detailsUrl: null,
    externalId: "",
    output: { title: null, summary: null, text: null, annotationsCount: 0 },
    actions: [],
    createdSeq: 0,
  };
  applyInput(run, body, ctx, true);
  run.id = ctx.state.ids.run.take();
  run.createdSeq = ++ctx.state.runSeq;
  ctx.state.runs.set(run.id, run);
  suite.updatedAt = ctx.now();
  const bot = `${ctx.state.app.slug}[bot]`;
  ctx.echo(ctx.events.checkRun("created", run, bot));
  if (run.status === "completed") ctx.echo(ctx.events.checkRun("completed", run, bot));
  return run;
}

function createRun(req: ApiRequest, ctx: RouteContext) {
  const run = createCheckRun(ctx, repoOf(req, ctx), requireBody(req));
  return json(201, checkRun(req.urls, ctx.state, run));
}

function runOf(req: ApiRequest, ctx: RouteContext): CheckRun {
  return runIn(ctx, repoOf(req, ctx), intParam(req, "check_run_id"));
}

function runIn(ctx: RouteContext, repo: Repo, id: number): CheckRun {
  const run = ctx.state.runs.get(id);
  if (!run || run.repoId !== repo.id) throw notFound();
  return run;
}

/** Updates a run from a REST-shaped body; shared by the REST route and GraphQL's `updateCheckRun`. */
export function updateCheckRun(ctx: RouteContext, repo: Repo, id: number, body: Record<string, unknown>): CheckRun {
  const run = runIn(ctx, repo, id);
  if (run.appId !== ctx.state.appId)
    throw new HttpError(403, "Invalid app_id - check run can only be modified by the GitHub App that created it.");
  const wasCompleted = run.status === "completed";
  // Validate on a copy so a rejected request leaves the run untouched.
  const draft: CheckRun = { ...run, output: { ...run.output }, actions: [...run.actions] };
  applyInput(draft, body, ctx, false);
  Object.assign(run, draft);
  if (!wasCompleted && run.status === "completed")
    ctx.echo(ctx.events.checkRun("completed", run, `${ctx.state.app.slug}[bot]`));
  return run;
}

function updateRun(req: ApiRequest, ctx: RouteContext) {
  const run = updateCheckRun(ctx, repoOf(req, ctx), intParam(req, "check_run_id"), requireBody(req));
  return json(200, checkRun(req.urls, ctx.state, run));
}

export interface RunFilter {
  name?: string | null;
  status?: string | null;
  appId?: string | null;
  /** REST's `filter`: "latest" (the default) keeps the newest run of each app and name. */
  filter?: string | null;
}

/**
 * The runs GET commits/{ref}/check-runs lists (all pages, newest first), shared with GraphQL's
 * `Commit.checkSuites { checkRuns }`.
 */
export function runsForCommit(state: State, repo: Repo, sha: string, f: RunFilter = {}): CheckRun[] {
  let runs = [...state.runs.values()]
    .filter((r) => r.repoId === repo.id && r.headSha === sha)
    .filter(
      (r) =>
        (!f.name || r.name === f.name) &&
        (!f.status || r.status === f.status) &&
        (!f.appId || String(r.appId) === f.appId),
    )
    .sort((a, b) => b.createdSeq - a.createdSeq);
  if ((f.filter ?? "latest") === "latest") {
    const seen = new Set<string>();
    runs = runs.filter((r) => !seen.has(`${r.appId}:${r.name}`) && seen.add(`${r.appId}:${r.name}`));
  }
  return runs;
}

function listForRef(req: ApiRequest, ctx: RouteContext) {
  const repo = repoOf(req, ctx);
  const ref = req.params.ref ?? "";
  const sha = ctx.state.resolveRef(repo, ref);
  if (!sha) throw unprocessable(`No commit found for SHA: ${ref}`);
  const q = (k: string) => req.query.get(k);
  const runs = runsForCommit(ctx.state, repo, sha, {
    name: q("check_name"),
    status: q("status"),
    appId: q("app_id"),
    filter: q("filter"),
  });
  const { page, headers } = paginate(req, runs);
  return json(
    200,
    { total_count: runs.length, check_runs: page.map((r) => checkRun(req.urls, ctx.state, r)) },
    headers,
  );
}

export const checkRoutes: Route[] = [
  { method: "POST", template: "/repos/{owner}/{repo}/check-runs", auth: "installation", handler: createRun },
  {
    method: "GET",
    template: "/repos/{owner}/{repo}/check-runs/{check_run_id}",
    auth: "installation",
    handler: (req, ctx) => json(200, checkRun(req.urls, ctx.state, runOf(req, ctx))),
  },
  {
    method: "PATCH",
    template: "/repos/{owner}/{repo}/check-runs/{check_run_id}",
    auth: "installation",
    handler: updateRun,
  },
  {
    method: "GET",
    template: "/repos/{owner}/{repo}/commits/{ref}/check-runs",
    auth: "installation",
    handler: listForRef,
  },
];
