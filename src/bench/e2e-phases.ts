/**
 * The workloads of `npm run bench:e2e`, run in the simulator's process (src/bench/e2e-sim.ts):
 *
 * - `lifecycle`: pull requests one at a time, one event at a time: opened (3 personas), three approvals
 *   (a review, a `/approve` comment, the Approve button; rotated), one push, then the push's
 *   `synchronize` delivered again (a redelivery that changes nothing). Per event: the requests it caused
 *   and their sequential rounds, and how long until its result was visible. The webhooks about the
 *   app's own writes (echoes) are held back until the event is done, then sent and counted apart.
 * - `burst`: every pull request opened at once; as soon as one has its checks, its three approvals
 *   together (a review, a comment, the button): 4 events per pull request, at GitHub's concurrency.
 * - `rate`: the same at a fixed rate of pull requests per second (below saturation), after a few
 *   pull requests alone (the unloaded time of the same path, which is API latency).
 */
import { performance } from "node:perf_hooks";
import type { DeliveryRecord } from "../simulator/index.js";
import { isWrite } from "../simulator/server.js";
import { PERSONAS, REPO } from "./e2e-people.js";
import type { Harness, Timestamped } from "./e2e-sim.js";
import { summary } from "./e2e-stats.js";

export type Phase =
  | { kind: "lifecycle"; from: number; prs: number }
  | { kind: "burst"; from: number; prs: number; echoes: boolean }
  | { kind: "rate"; from: number; prs: number; rate: number; unloaded: number };

export interface StepFigures {
  readonly step: string;
  /** Event sent → its result visible (checks on the head, the gate changed); undefined when nothing shows. */
  readonly visibleMs?: number;
  readonly requests: number;
  readonly writes: number;
  readonly notModified: number;
  readonly rounds: number;
  readonly readRounds: number;
  readonly writeRounds: number;
  /** Rounds before the first write (all of them when nothing was written). */
  readonly roundsBeforeWrite: number;
  readonly echoDeliveries: number;
  readonly echoRequests: number;
  readonly echoWrites: number;
}

export interface LoadFigures {
  readonly prs: number;
  readonly deliveries: number;
  readonly failedDeliveries: number;
  readonly seconds: number;
  readonly requests: number;
  readonly writes: number;
  /** Answers by HTTP status (a 5xx or a retried request shows here). */
  readonly statuses: Record<string, number>;
  /** CPU of the simulator's process (simulator and driver) during the load. */
  readonly simCpuMs: number;
  readonly toChecks: ReturnType<typeof summary>;
  readonly toGate: ReturnType<typeof summary>;
  /** rate: the same approvals → gate with one pull request at a time. */
  readonly unloadedGate?: ReturnType<typeof summary>;
  /** Requests by endpoint (GraphQL by operation type), over the load. */
  readonly routes: Record<string, number>;
}

export type PhaseResult =
  | { kind: "lifecycle"; steps: StepFigures[]; routes: Record<string, number> }
  | ({ kind: "burst" | "rate" } & LoadFigures);

const WAYS = ["review", "comment", "button"] as const;
type Way = (typeof WAYS)[number];
const GATE = "parallel-review";
const CHECKS = [GATE, ...PERSONAS.map((p) => `review/${p.id}`)];

export function runPhase(h: Harness, phase: Phase): Promise<PhaseResult> {
  if (phase.kind === "lifecycle") return lifecycles(h, phase);
  return phase.kind === "burst" ? burst(h, phase) : rate(h, phase);
}

/**
 * Sequential rounds: a request that started after every request of the current round had been
 * answered waited for one of them, so it opens the next round. Requests issued together overlap.
 */
export function rounds(
  requests: readonly Timestamped[],
): Pick<StepFigures, "rounds" | "readRounds" | "writeRounds" | "roundsBeforeWrite"> {
  const sorted = [...requests].sort((a, b) => a.start - b.start);
  const groups: { end: number; read: boolean; write: boolean }[] = [];
  for (const r of sorted) {
    const last = groups[groups.length - 1];
    const write = isWrite(r.entry);
    if (last && r.start < last.end) {
      last.end = Math.max(last.end, r.end);
      last.read ||= !write;
      last.write ||= write;
    } else groups.push({ end: r.end, read: !write, write });
  }
  const firstWrite = groups.findIndex((g) => g.write);
  return {
    rounds: groups.length,
    readRounds: groups.filter((g) => g.read).length,
    writeRounds: groups.filter((g) => g.write).length,
    roundsBeforeWrite: firstWrite < 0 ? groups.length : firstWrite,
  };
}

function counts(requests: readonly Timestamped[]) {
  return {
    requests: requests.length,
    writes: requests.filter((r) => isWrite(r.entry)).length,
    notModified: requests.filter((r) => r.entry.notModified).length,
  };
}

const checksOn = (h: Harness, sha: string) => () => {
  const runs = h.runs(sha);
  return CHECKS.every((n) => runs?.has(n));
};

function gateKey(h: Harness, sha: string): string {
  const g = h.runs(sha)?.get(GATE);
  return JSON.stringify([g?.id, g?.status, g?.conclusion, g?.title, g?.summary]);
}

/** One approval by the persona's reviewer, in the given way; returns the deliveries it caused. */
async function approve(h: Harness, number: number, persona: (typeof PERSONAS)[number], way: Way) {
  const { sim } = h;
  if (way === "review")
    return sim.submitReview(REPO, number, {
      user: persona.reviewer,
      state: "APPROVED",
      body: `Looks right.\nReviewed-for: ${persona.id}`,
    });
  if (way === "comment") return sim.comment(REPO, number, { user: persona.reviewer, body: `/approve ${persona.id}` });
  const run = sim.checkRuns(REPO, sim.pullRequest(REPO, number).headSha, {
    latest: true,
    name: `review/${persona.id}`,
  })[0];
  if (!run) throw new Error(`#${number}: no review/${persona.id} check to click`);
  return sim.clickCheckRunAction(REPO, run.id, "approve", persona.reviewer);
}

/** One event, measured alone: its requests and rounds, when its result showed, then its echoes apart. */
async function step(
  h: Harness,
  label: string,
  act: () => Promise<unknown>,
  visible?: { ok: () => boolean; what: () => string },
): Promise<StepFigures> {
  await h.settle();
  const from = h.requests.length;
  h.holdEchoes = true;
  const t0 = performance.now();
  const shown = visible ? h.when(visible.ok, visible.what) : undefined;
  await act();
  const visibleAt = await shown;
  await h.settle();
  const own = h.requests.slice(from);
  h.holdEchoes = false;
  const echoes = h.held.splice(0);
  const echoFrom = h.requests.length;
  for (const e of echoes) void h.send(e);
  await h.settle();
  const echo = counts(h.requests.slice(echoFrom));
  return {
    step: label,
    ...(visibleAt !== undefined ? { visibleMs: visibleAt - t0 } : {}),
    ...counts(own),
    ...rounds(own),
    echoDeliveries: echoes.length,
    echoRequests: echo.requests,
    echoWrites: echo.writes,
  };
}

async function lifecycles(h: Harness, phase: Extract<Phase, { kind: "lifecycle" }>): Promise<PhaseResult> {
  const steps: StepFigures[] = [];
  const from = h.requests.length;
  for (let i = phase.from; i < phase.from + phase.prs; i++) {
    const head = h.sim.branchSha(REPO, `pr-${i}`);
    let number = 0;
    steps.push(
      await step(
        h,
        "opened",
        async () => {
          number = (await h.sim.openPullRequest(REPO, { title: `Change ${i}`, head: `pr-${i}`, author: "carol" }))
            .number;
        },
        { ok: checksOn(h, head), what: () => `#${number}: checks on ${head}` },
      ),
    );
    for (const [k, persona] of PERSONAS.entries()) {
      const way = WAYS[(i + k) % WAYS.length]!;
      const before = gateKey(h, head);
      steps.push(
        await step(h, `approval (${way})`, () => approve(h, number, persona, way), {
          ok: () => gateKey(h, head) !== before,
          what: () => `#${number}: the gate after a ${way}`,
        }),
      );
    }
    let sync: DeliveryRecord | undefined;
    let pushed = "";
    steps.push(
      await step(
        h,
        "push",
        async () => {
          const p = await h.sim.push(REPO, `pr-${i}`, {
            author: "carol",
            files: { [`src/payments/charge-${i}.ts`]: `export const charge${i} = () => ${i + 1};\n` },
          });
          pushed = p.sha;
          sync = p.deliveries.find((d) => d.event === "pull_request" && d.action === "synchronize");
        },
        { ok: () => pushed !== "" && checksOn(h, pushed)(), what: () => `#${number}: checks on the pushed ${pushed}` },
      ),
    );
    steps.push(
      await step(h, "redelivery (no change)", async () => {
        if (!sync) throw new Error(`#${number}: the push had no synchronize delivery`);
        await h.send(sync);
      }),
    );
  }
  return { kind: "lifecycle", steps, routes: byRoute(h.requests.slice(from)) };
}

/** Requests by endpoint, a GraphQL request by its operation type and name (`(query PullSnapshot)`). */
function byRoute(requests: readonly Timestamped[]): Record<string, number> {
  const routes: Record<string, number> = {};
  for (const r of requests) {
    const route = r.entry.route ?? `${r.entry.method} ${r.entry.path}`;
    const { operation, operationName } = r.entry;
    const key = operation ? `${route} (${operation}${operationName ? ` ${operationName}` : ""})` : route;
    routes[key] = (routes[key] ?? 0) + 1;
  }
  return routes;
}

interface PullTimes {
  readonly openSent: number;
  readonly checksAt: number;
  readonly approvalsSent: number;
  readonly passAt: number;
}

/** Opened; once its checks show, three approvals together; done when its gate passed. */
async function playPull(h: Harness, i: number): Promise<PullTimes> {
  const { sim } = h;
  const head = sim.branchSha(REPO, `pr-${i}`);
  const openSent = performance.now();
  const pr = await sim.openPullRequest(REPO, { title: `Change ${i}`, head: `pr-${i}`, author: "carol" });
  const checksAt = await h.when(checksOn(h, head), () => `#${pr.number}: checks on ${head}`, 300_000);
  const approvalsSent = performance.now();
  await Promise.all(PERSONAS.map((p, k) => approve(h, pr.number, p, WAYS[(i + k) % WAYS.length]!)));
  const gate = () => h.runs(head)?.get(GATE);
  const passAt = await h.when(
    () => gate()?.conclusion === "success",
    () => `#${pr.number}'s gate: ${gate()?.title}`,
    300_000,
  );
  return { openSent, checksAt, approvalsSent, passAt };
}

async function load(
  h: Harness,
  from: number,
  prs: number,
  perSecond: number,
): Promise<Omit<LoadFigures, "unloadedGate">> {
  await h.settle();
  const firstRequest = h.requests.length;
  const firstSent = h.sent.length;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const times = await Promise.all(
    Array.from({ length: prs }, async (_, k) => {
      if (perSecond > 0) await new Promise((r) => setTimeout(r, (k * 1000) / perSecond));
      return playPull(h, from + k);
    }),
  );
  const seconds = (Math.max(...times.map((t) => t.passAt)) - started) / 1000;
  await h.settle();
  const used = process.cpuUsage(cpu);
  const sent = h.sent.slice(firstSent);
  const all = h.requests.slice(firstRequest);
  const c = counts(all);
  const statuses: Record<string, number> = {};
  for (const r of all) statuses[r.entry.status] = (statuses[r.entry.status] ?? 0) + 1;
  return {
    prs,
    deliveries: sent.length,
    failedDeliveries: sent.filter((t) => t.status < 200 || t.status >= 300).length,
    seconds,
    requests: c.requests,
    writes: c.writes,
    simCpuMs: (used.user + used.system) / 1000,
    statuses,
    toChecks: summary(times.map((t) => t.checksAt - t.openSent)),
    toGate: summary(times.map((t) => t.passAt - t.approvalsSent)),
    routes: byRoute(all),
  };
}

async function burst(h: Harness, phase: Extract<Phase, { kind: "burst" }>): Promise<PhaseResult> {
  h.sim.setEchoAppEvents(phase.echoes);
  return { kind: "burst", ...(await load(h, phase.from, phase.prs, 0)) };
}

async function rate(h: Harness, phase: Extract<Phase, { kind: "rate" }>): Promise<PhaseResult> {
  const alone: number[] = [];
  for (let k = 0; k < phase.unloaded; k++) {
    await h.settle();
    const t = await playPull(h, phase.from + k);
    alone.push(t.passAt - t.approvalsSent);
  }
  const figures = await load(h, phase.from + phase.unloaded, phase.prs, phase.rate);
  return { kind: "rate", ...figures, unloadedGate: summary(alone) };
}
