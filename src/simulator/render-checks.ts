/** Renderers for check runs and check suites (REST and webhook variants). */
import type { CheckRun, CheckSuite, State } from "./state.js";
import { integration, type Json, type Urls } from "./render.js";
import { pullMinimal } from "./render-pulls.js";
import { nodeId } from "./util.js";

export function checkRun(u: Urls, state: State, run: CheckRun, forWebhook = false): Json {
  const repo = state.repoById(run.repoId);
  const full = `${repo.owner}/${repo.name}`;
  const url = `${u.api}/repos/${full}/check-runs/${run.id}`;
  const suite = state.suites.find((s) => s.id === run.suiteId)!;
  return {
    id: run.id,
    head_sha: run.headSha,
    node_id: nodeId("CheckRun", run.id),
    external_id: run.externalId,
    url,
    html_url: `${u.html}/${full}/runs/${run.id}`,
    details_url: run.detailsUrl ?? `${u.html}/apps/${state.apps.get(run.appId)!.slug}`,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    output: {
      title: run.output.title,
      summary: run.output.summary,
      text: run.output.text,
      annotations_count: run.output.annotationsCount,
      annotations_url: `${url}/annotations`,
    },
    name: run.name,
    check_suite: forWebhook ? checkSuite(u, state, suite) : { id: suite.id },
    app: integration(u, state, state.apps.get(run.appId)!),
    pull_requests: state.pullsWithHead(repo, run.headSha).map((p) => pullMinimal(u, state, p)),
  };
}

/** Suite status/conclusion are derived from its runs, roughly like GitHub's rollup. */
export function checkSuite(u: Urls, state: State, suite: CheckSuite): Json {
  const repo = state.repoById(suite.repoId);
  const runs = [...state.runs.values()].filter((r) => r.suiteId === suite.id);
  const done = runs.length > 0 && runs.every((r) => r.status === "completed");
  const order = ["action_required", "cancelled", "timed_out", "failure", "neutral", "skipped", "success"];
  const conclusion = done ? (order.find((c) => runs.some((r) => r.conclusion === c)) ?? "success") : null;
  return {
    id: suite.id,
    node_id: nodeId("CheckSuite", suite.id),
    head_branch: suite.headBranch,
    head_sha: suite.headSha,
    status: done ? "completed" : runs.some((r) => r.status === "in_progress") ? "in_progress" : "queued",
    conclusion,
    url: `${u.api}/repos/${repo.owner}/${repo.name}/check-suites/${suite.id}`,
    before: suite.before,
    after: suite.headSha,
    pull_requests: state.pullsWithHead(repo, suite.headSha).map((p) => pullMinimal(u, state, p)),
    app: integration(u, state, state.apps.get(suite.appId)!),
    created_at: suite.createdAt,
    updated_at: suite.updatedAt,
    latest_check_runs_count: runs.length,
    check_runs_url: `${u.api}/repos/${repo.owner}/${repo.name}/check-suites/${suite.id}/check-runs`,
  };
}
