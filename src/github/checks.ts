import type { CheckRunSpec } from "../core/checks.js";
import { isStatus, type Octokit, type RepoRef } from "./client.js";

/** A check run this app already has on a commit, as much of it as decides whether to rewrite it. */
export interface ExistingRun {
  readonly id: number;
  readonly name: string;
  readonly status: string;
  readonly conclusion: string | null;
  readonly title: string | null;
  readonly summary: string | null;
  readonly text: string | null;
  /** When GitHub started it: the earliest of the app's runs on a commit is when the app first saw that commit. */
  readonly startedAt: string | null;
}

export async function listOwnRuns(octokit: Octokit, repo: RepoRef, sha: string, appId: number): Promise<ExistingRun[]> {
  const runs = await octokit.paginate("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", {
    ...repo,
    ref: sha,
    app_id: appId,
    filter: "all",
    per_page: 100,
  });
  return runs
    .filter((r) => r.app?.id === undefined || r.app.id === appId)
    .map((r) => ({
      id: r.id,
      name: r.name,
      status: r.status,
      conclusion: r.conclusion ?? null,
      title: r.output?.title ?? null,
      summary: r.output?.summary ?? null,
      text: r.output?.text ?? null,
      startedAt: r.started_at ?? null,
    }))
    .sort((a, b) => a.id - b.id);
}

/** Does the run on GitHub already show what we want? Then writing it again would only spend rate limit. */
export function sameRun(have: ExistingRun, want: CheckRunSpec): boolean {
  return (
    have.status === want.status &&
    (have.conclusion ?? null) === (want.conclusion ?? null) &&
    have.title === want.title &&
    have.summary === want.summary &&
    (have.text ?? null) === (want.text ?? null)
  );
}

/** `now` stamps `completed_at`: a click's earliest possible time is read back from it (see clickTime). */
export async function createRun(
  octokit: Octokit,
  repo: RepoRef,
  sha: string,
  spec: CheckRunSpec,
  now: Date = new Date(),
): Promise<number> {
  const { data } = await octokit.request("POST /repos/{owner}/{repo}/check-runs", {
    ...repo,
    head_sha: sha,
    ...body(spec, now),
  });
  return Number(data.id);
}

export async function updateRun(
  octokit: Octokit,
  repo: RepoRef,
  id: number,
  spec: CheckRunSpec,
  now: Date = new Date(),
): Promise<void> {
  try {
    await octokit.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", {
      ...repo,
      check_run_id: id,
      ...body(spec, now),
    });
  } catch (err) {
    // A run that vanished cannot be updated; the next reconcile lists again and creates it.
    if (!isStatus(err, 404)) throw err;
  }
}

function body(spec: CheckRunSpec, now: Date) {
  return {
    name: spec.name,
    status: spec.status,
    ...(spec.status === "completed" ? { conclusion: spec.conclusion!, completed_at: now.toISOString() } : {}),
    output: { title: spec.title, summary: spec.summary, ...(spec.text !== undefined ? { text: spec.text } : {}) },
    actions: [...spec.actions],
  };
}
