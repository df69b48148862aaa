/** Human interaction with checks: clicking a requested action, re-running a run or a suite, and other apps' runs. */
import type { AppInfo, CheckRun, CheckSuite } from "./state.js";
import type { DeliveryRecord } from "./webhooks.js";
import { repoByName, requireUser, type World } from "./world.js";

function runById(w: World, repoName: string, id: number): CheckRun {
  const repo = repoByName(w, repoName);
  const run = w.state.runs.get(id);
  if (!run || run.repoId !== repo.id) throw new Error(`unknown check run ${id}`);
  return run;
}

/** GitHub only sends requested_action to the app that owns the run, and only for actions the run offers. */
export function clickAction(
  w: World,
  repoName: string,
  runId: number,
  identifier: string,
  user: string,
): DeliveryRecord[] {
  const run = runById(w, repoName, runId);
  if (run.appId !== w.state.appId) throw new Error(`check run ${runId} belongs to another app`);
  if (!run.actions.some((a) => a.identifier === identifier)) {
    throw new Error(
      `check run ${runId} (${run.name}) has no action "${identifier}"; it offers: ${run.actions.map((a) => a.identifier).join(", ") || "none"}`,
    );
  }
  return w.emit(w.events.checkRun("requested_action", run, requireUser(w, user), { requested_action: { identifier } }));
}

export function rerequestRun(w: World, repoName: string, runId: number, user: string): DeliveryRecord[] {
  const run = runById(w, repoName, runId);
  if (run.appId !== w.state.appId) throw new Error(`check run ${runId} belongs to another app`);
  return w.emit(w.events.checkRun("rerequested", run, requireUser(w, user)));
}

export function rerequestSuite(w: World, repoName: string, headSha: string, user: string): DeliveryRecord[] {
  const repo = repoByName(w, repoName);
  const suite = w.state.suites.find((s) => s.repoId === repo.id && s.appId === w.state.appId && s.headSha === headSha);
  if (!suite) throw new Error(`no check suite of the app for ${headSha}`);
  return w.emit(w.events.checkSuite("rerequested", suite, requireUser(w, user)));
}

/** Registers another GitHub App (e.g. CI) so runs that the app under test doesn't own can exist. */
export function ensureApp(w: World, slug: string): AppInfo {
  const existing = [...w.state.apps.values()].find((a) => a.slug === slug);
  if (existing) return existing;
  const id = 15368 + w.state.apps.size;
  const app: AppInfo = {
    id,
    slug,
    name: slug,
    clientId: `Iv1.${slug}`,
    owner: w.state.org,
    permissions: { checks: "write" },
    events: [],
    createdAt: w.now(),
  };
  w.state.apps.set(id, app);
  return app;
}

export interface ForeignRunOptions {
  name: string;
  headSha: string;
  status?: CheckRun["status"];
  conclusion?: string;
  /** Slug of the owning app; default "github-actions". */
  app?: string;
}

/** A check run created by another app: visible in listings, but not updatable by the app under test. */
export function foreignCheckRun(w: World, repoName: string, o: ForeignRunOptions): number {
  const repo = repoByName(w, repoName);
  if (!repo.git.has(o.headSha)) throw new Error(`unknown commit ${o.headSha}`);
  const app = ensureApp(w, o.app ?? "github-actions");
  let suite = w.state.suites.find((s) => s.repoId === repo.id && s.appId === app.id && s.headSha === o.headSha);
  const at = w.now();
  if (!suite) {
    suite = {
      id: w.state.ids.suite.take(),
      repoId: repo.id,
      appId: app.id,
      headSha: o.headSha,
      headBranch: null,
      before: null,
      createdAt: at,
      updatedAt: at,
    } satisfies CheckSuite;
    w.state.suites.push(suite);
  }
  const completed = o.conclusion !== undefined;
  const run: CheckRun = {
    id: w.state.ids.run.take(),
    repoId: repo.id,
    suiteId: suite.id,
    appId: app.id,
    headSha: o.headSha,
    name: o.name,
    status: completed ? "completed" : (o.status ?? "queued"),
    conclusion: o.conclusion ?? null,
    startedAt: at,
    completedAt: completed ? at : null,
    detailsUrl: null,
    externalId: "",
    output: { title: null, summary: null, text: null, annotationsCount: 0 },
    actions: [],
    createdSeq: ++w.state.runSeq,
  };
  w.state.runs.set(run.id, run);
  return run.id;
}
