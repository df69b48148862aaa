/**
 * `npm run bench:e2e`: the app end to end against the local GitHub simulator, each in its own process
 * (as in production, where GitHub is elsewhere), every API call delayed by a fixed latency. Prints the
 * figures of issue 10 (docs/performance.md, "End-to-end"):
 *
 * - lifecycle, Probot's write pacing ON (production) and OFF: pull requests one at a time, each opened
 *   (3 personas), approved three ways one by one, pushed to, and its `synchronize` redelivered. Per
 *   event: requests, writes, sequential rounds of reads and of writes, the time until its result was
 *   visible; the webhooks about the app's own writes (echoes) counted apart; the app's CPU per event.
 * - burst (pacing off: against one installation, GitHub's pacing would only measure one write per
 *   second): N pull requests opened at once, then approved (4 events each): events per second, the app's
 *   CPU per event and peak RSS, latencies.
 * - rate (pacing off): pull requests at a fixed rate below saturation: the gate's p99 beyond the time the
 *   same approvals take on an idle app (API latency).
 *
 * Options (argv):
 *   --quick               small runs (2 lifecycles, a 50-PR burst, 20 PRs at the rate)
 *   --latency MS          added to every API call (default 50)
 *   --lifecycles N        measured lifecycles per pacing mode (default 5)
 *   --prs N               pull requests in the burst (default 200 = 800 events)
 *   --rate N              pull requests per second in the rate run (default 5 = 20 events/s)
 *   --rate-prs N          pull requests in the rate run (default 50)
 *   --only a,b            run only some of: lifecycle, burst, rate
 *   --pacing on|off       the lifecycle in one write-pacing mode only (default both; --throttle is the old name)
 *   --burst-echoes        also send the echoes in the burst (default off: 4 deliveries per pull request)
 *   --repeat N            the burst N times, each with fresh processes (default 1): every run's CPU per pull-request
 *                         event and its ratio to the simulator's (the machine's speed moves between runs); the
 *                         other rows are the run with the median CPU
 *   --admission N         deliveries the app parses and handles at once (default: the server's, 128)
 *   --reconciles N        reconciles the app runs at once (default: the app's, 128)
 *   --per-installation N  of those, reconciles of one installation at once (default: the app's, 16)
 *   --app-profile DIR     write the app's CPU profile of each measured phase (warm-up left out) to DIR
 *   --app-alloc DIR       write the app's allocation profile of each measured phase (collected objects kept) to DIR
 *   --app-node-flags "F"  Node/V8 flags for the app's process alone (e.g. "--max-old-space-size=128")
 *   --pin                 the app's process on CPU 0, the simulator and the driver on the others (Linux taskset):
 *                         the app's CPU per event without the simulator's scheduling in it, events/s of one core
 *   --routes              print the requests per endpoint (per lifecycle; per pull request under load)
 *   --json                also print the figures as JSON
 *   --workers 1,2,4       the scale-out mode instead (src/bench/e2e-scale.ts)
 * Profile the app with `node --cpu-prof lib/bench/e2e.js …` (the app process writes its own profile).
 * The benchmark asserts nothing; it exits 1 only if a run failed (a gate that never passed, a delivery
 * not answered 2xx).
 */
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import os from "node:os";
import { startAppProcess, type AppProcessStats } from "./e2e-app.js";
import type { LoadFigures, Phase, PhaseResult, StepFigures } from "./e2e-phases.js";

type LoadResult = Extract<PhaseResult, { kind: "burst" | "rate" }>;
import { startSimProcess } from "./e2e-sim.js";
import { fmtMs, MiB, summary } from "./e2e-stats.js";

interface Options {
  latencyMs: number;
  lifecycles: number;
  prs: number;
  rate: number;
  ratePrs: number;
  unloaded: number;
  only: Set<string>;
  pace: boolean[];
  burstEchoes: boolean;
  repeat: number;
  admission?: number;
  reconciles?: number;
  perInstallation?: number;
  appProfile?: string;
  appAlloc?: string;
  appNodeFlags?: string[];
  pin: boolean;
  routes: boolean;
  json: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const quick = argv.includes("--quick");
  const arg = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, dflt: number) => {
    const v = Number(arg(name) ?? dflt);
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a number ≥ 0`);
    return v;
  };
  const pacing = arg("pacing") ?? arg("throttle");
  return {
    latencyMs: num("latency", 50),
    lifecycles: Math.max(1, num("lifecycles", quick ? 2 : 5)),
    prs: Math.max(1, num("prs", quick ? 50 : 200)),
    rate: Math.max(0.1, num("rate", 5)),
    ratePrs: Math.max(1, num("rate-prs", quick ? 20 : 50)),
    unloaded: quick ? 2 : 3,
    only: new Set((arg("only") ?? "lifecycle,burst,rate").split(",")),
    pace: pacing === "on" ? [true] : pacing === "off" ? [false] : [true, false],
    burstEchoes: argv.includes("--burst-echoes"),
    repeat: Math.max(1, Math.floor(num("repeat", 1))),
    ...(arg("admission") !== undefined ? { admission: Math.max(1, num("admission", 128)) } : {}),
    ...(arg("reconciles") !== undefined ? { reconciles: Math.max(1, num("reconciles", 128)) } : {}),
    ...(arg("per-installation") !== undefined ? { perInstallation: Math.max(1, num("per-installation", 16)) } : {}),
    ...(arg("app-profile") !== undefined ? { appProfile: arg("app-profile") } : {}),
    ...(arg("app-alloc") !== undefined ? { appAlloc: arg("app-alloc") } : {}),
    ...(arg("app-node-flags") ? { appNodeFlags: arg("app-node-flags")!.split(/\s+/).filter(Boolean) } : {}),
    pin: argv.includes("--pin"),
    routes: argv.includes("--routes"),
    json: argv.includes("--json"),
  };
}

const APP_ID = 4646;
const SECRET = "bench-webhook-secret";

interface Session<R> {
  result: R;
  app: AppProcessStats;
  reconciles: number;
}

/**
 * A fresh simulator process and app process; one warm-up lifecycle (token, JIT), the app's process left
 * to go quiet, then the measured phase.
 */
async function session<R extends PhaseResult>(
  opts: Options,
  pace: boolean,
  branches: number,
  phase: Phase,
): Promise<Session<R>> {
  const keys = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const sim = await startSimProcess({
    latencyMs: opts.latencyMs,
    appId: APP_ID,
    publicKey: keys.publicKey,
    secret: SECRET,
    branches: branches + 1,
  });
  let reconciles = 0;
  try {
    const app = await startAppProcess(
      {
        apiUrl: sim.apiUrl,
        appId: APP_ID,
        privateKey: keys.privateKey,
        secret: SECRET,
        pace,
        // The lifecycle measures CPU per event, not memory: no heap sampling there (it costs CPU of its own).
        sampleMs: phase.kind === "lifecycle" ? 0 : 500,
        ...(opts.admission ? { admission: opts.admission } : {}),
        ...(opts.reconciles ? { reconciles: opts.reconciles } : {}),
        ...(opts.perInstallation ? { perInstallation: opts.perInstallation } : {}),
        ...(opts.appProfile ? { profileDir: opts.appProfile } : {}),
        ...(opts.appAlloc ? { allocDir: opts.appAlloc } : {}),
        ...(opts.appNodeFlags ? { nodeFlags: opts.appNodeFlags } : {}),
      },
      () => reconciles++,
    );
    if (opts.pin) pin(app.pid, [sim.pid, process.pid]);
    try {
      await sim.run({ kind: "lifecycle", from: 0, prs: 1 }, app.webhookUrl);
      // V8's background work after start-up (compiling, collecting) is not the events' CPU: wait it out.
      await app.quiet();
      app.mark();
      reconciles = 0;
      const result = (await sim.run(phase, app.webhookUrl)) as R;
      return { result, app: await app.stop(), reconciles };
    } catch (err) {
      await app.stop();
      throw err;
    }
  } finally {
    sim.stop();
  }
}

/**
 * The app's process (all its threads: V8's collector helpers too) on the first CPU, the simulator and this
 * driver on the others: the app's CPU per event is then its own, not shared with the simulator's
 * scheduling, and events per second are what one core of the app does while the simulator keeps up.
 */
function pin(appPid: number, others: readonly number[]): void {
  const cpus = os.cpus().length;
  if (cpus < 2) throw new Error("--pin needs 2 CPUs or more: one for the app, the rest for the simulator");
  const set = (pid: number, list: string) => execFileSync("taskset", ["-a", "-p", "-c", list, String(pid)]);
  try {
    set(appPid, "0");
    for (const pid of others) set(pid, `1-${cpus - 1}`);
  } catch (err) {
    throw new Error(`--pin: taskset (util-linux) failed: ${(err as Error).message}`, { cause: err });
  }
}

type Lifecycle = Session<Extract<PhaseResult, { kind: "lifecycle" }>>;

const cpuMs = (s: AppProcessStats) => (s.cpuUserMicros + s.cpuSystemMicros) / 1000;
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** Per step kind: the mean of a figure over the lifecycles. */
function per(l: Lifecycle, match: (s: StepFigures) => boolean, f: (s: StepFigures) => number): number {
  return mean(l.result.steps.filter(match).map(f));
}

function lifecycleRows(l: Lifecycle, latencyMs: number): [string, string][] {
  const steps = l.result.steps;
  const opened = (s: StepFigures) => s.step === "opened";
  const approval = (s: StepFigures) => s.step.startsWith("approval");
  const push = (s: StepFigures) => s.step === "push";
  const redelivery = (s: StepFigures) => s.step.startsWith("redelivery");
  const events = steps.filter((s) => !redelivery(s));
  const lifecycles = steps.filter(opened).length;
  const reconciling = lifecycles * 5; // opened, 3 approvals, synchronize (the push event itself reconciles nothing)
  const gate = summary(steps.filter(approval).map((s) => s.visibleMs ?? NaN));
  const deliveries = steps.reduce((n, s) => n + s.echoDeliveries, 0) + lifecycles * 7; // 1 + 3 + 2 (push, synchronize) + 1 redelivered
  const r = (f: (s: StepFigures) => number, m = opened) => per(l, m, f).toFixed(1);
  return [
    ["opened: rounds of reads / of writes", `${r((s) => s.readRounds)} / ${r((s) => s.writeRounds)}`],
    ["opened: rounds before the first write", r((s) => s.roundsBeforeWrite)],
    ["opened → every persona check and the gate", fmtMs(per(l, opened, (s) => s.visibleMs ?? NaN))],
    [`approval → gate updated p50 / p99 (${latencyMs} ms API)`, `${fmtMs(gate.p50)} / ${fmtMs(gate.p99)}`],
    [
      "approval: rounds of reads / of writes",
      `${r((s) => s.readRounds, approval)} / ${r((s) => s.writeRounds, approval)}`,
    ],
    ["push → checks on the new head", fmtMs(per(l, push, (s) => s.visibleMs ?? NaN))],
    [
      "requests per reconcile (lifecycle mean)",
      `${(events.reduce((n, s) => n + s.requests, 0) / reconciling).toFixed(1)} (${(events.reduce((n, s) => n + s.writes, 0) / reconciling).toFixed(1)} writes)`,
    ],
    ["requests per lifecycle (5 reconciles)", (events.reduce((n, s) => n + s.requests, 0) / lifecycles).toFixed(1)],
    ["reconciles per lifecycle, redelivery included (the app's count)", (l.reconciles / lifecycles).toFixed(1)],
    [
      "redelivery that changes nothing: requests / writes",
      `${r((s) => s.requests, redelivery)} / ${r((s) => s.writes, redelivery)}`,
    ],
    [
      "echoes per lifecycle: deliveries / requests / writes",
      `${(steps.reduce((n, s) => n + s.echoDeliveries, 0) / lifecycles).toFixed(1)} / ${(steps.reduce((n, s) => n + s.echoRequests, 0) / lifecycles).toFixed(1)} / ${(steps.reduce((n, s) => n + s.echoWrites, 0) / lifecycles).toFixed(1)}`,
    ],
    [
      "conditional 304s (of all requests)",
      `${(
        (100 * steps.reduce((n, s) => n + s.notModified, 0)) /
        Math.max(
          1,
          steps.reduce((n, s) => n + s.requests, 0),
        )
      ).toFixed(1)} %`,
    ],
    ["app CPU per delivery (echoes included)", `${(cpuMs(l.app) / deliveries).toFixed(1)} ms`],
    [
      "app CPU per event (7 per lifecycle; echoes' cost included)",
      `${(cpuMs(l.app) / (lifecycles * 7)).toFixed(1)} ms`,
    ],
  ];
}

function loadRows(label: string, s: Session<LoadResult>): [string, string][] {
  const { result: f, app } = s;
  return [
    [
      `${label}: events (deliveries) / s`,
      `${(f.deliveries / f.seconds).toFixed(1)} (${f.deliveries} in ${f.seconds.toFixed(1)} s)`,
    ],
    [
      `${label}: CPU per PR event (4 per PR), app / simulator process`,
      `${(cpuMs(app) / (4 * f.prs)).toFixed(1)} ms / ${(f.simCpuMs / (4 * f.prs)).toFixed(1)} ms`,
    ],
    [`${label}: app CPU per delivery (echoes included)`, `${(cpuMs(app) / f.deliveries).toFixed(1)} ms`],
    [
      `${label}: app peak RSS (at start) / heap`,
      `${(app.peakRss / MiB).toFixed(0)} MiB (${(app.rssAtStart / MiB).toFixed(0)}) / ${(app.peakHeapUsed / MiB).toFixed(0)} MiB (${(app.heapAfterGc / MiB).toFixed(0)} MiB after GC)`,
    ],
    [`${label}: opened → checks p50 / p99`, `${fmtMs(f.toChecks.p50)} / ${fmtMs(f.toChecks.p99)}`],
    [`${label}: 3 approvals → gate p50 / p99`, `${fmtMs(f.toGate.p50)} / ${fmtMs(f.toGate.p99)}`],
    [
      `${label}: requests per pull request`,
      `${(f.requests / f.prs).toFixed(1)} (${(f.writes / f.prs).toFixed(1)} writes)`,
    ],
    [`${label}: reconciles per pull request (the app's count)`, (s.reconciles / f.prs).toFixed(2)],
    [
      `${label}: answers by status`,
      Object.entries(f.statuses)
        .map(([k, v]) => `${k}: ${v}`)
        .join(", "),
    ],
  ];
}

/**
 * Every run's app CPU per pull-request event, in order, with its ratio to the simulator's: the simulator's
 * code does not change between runs, so the ratio says whether the app or the machine moved.
 */
function repeatRow(
  label: string,
  runs: readonly Session<LoadResult>[],
  perEvent: (r: Session<LoadResult>) => number,
): [string, string] {
  const each = runs.map((r) => {
    const sim = r.result.simCpuMs / (4 * r.result.prs);
    return `${perEvent(r).toFixed(1)} (${(perEvent(r) / sim).toFixed(2)})`;
  });
  return [`${label} ×${runs.length}: app CPU per PR event, each run (÷ simulator's)`, `${each.join(" ")} ms`];
}

function printRoutes(title: string, f: LoadFigures): void {
  console.log(`\n  ${title}:`);
  for (const [route, n] of Object.entries(f.routes).sort((a, b) => b[1] - a[1]))
    console.log(`    ${(n / f.prs).toFixed(2).padStart(6)}  ${route}`);
}

function table(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")}`;
  console.log(`\n${title}`);
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

async function main(): Promise<number> {
  if (process.argv.includes("--workers")) return (await import("./e2e-scale.js")).scaleBench(process.argv.slice(2));
  const opts = parseOptions(process.argv.slice(2));
  console.log(
    `parallel-review end to end: simulator and app in separate processes, ${opts.latencyMs} ms per API call; ` +
      `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? "?"}, Node ${process.version}, load ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")}`,
  );
  const json: Record<string, unknown> = { opts: { ...opts, only: [...opts.only] } };
  let failed = false;

  if (opts.only.has("lifecycle")) {
    const runs: { pace: boolean; l: Lifecycle }[] = [];
    for (const pace of opts.pace)
      runs.push({
        pace,
        l: await session(opts, pace, opts.lifecycles, { kind: "lifecycle", from: 1, prs: opts.lifecycles }),
      });
    const cols = runs.map((r) => lifecycleRows(r.l, opts.latencyMs));
    table(
      `Lifecycle, one event at a time (${opts.lifecycles} pull requests; means per event)`,
      ["", ...runs.map((r) => `pacing ${r.pace ? "ON" : "OFF"}`)],
      cols[0]!.map(([label], i) => [label, ...cols.map((c) => c[i]![1])]),
    );
    if (opts.routes)
      for (const r of runs) {
        console.log(`\n  requests per lifecycle by endpoint, pacing ${r.pace ? "ON" : "OFF"}:`);
        for (const [route, n] of Object.entries(r.l.result.routes).sort((a, b) => b[1] - a[1]))
          console.log(`    ${(n / opts.lifecycles).toFixed(1).padStart(6)}  ${route}`);
      }
    json.lifecycle = runs;
  }

  const rows: [string, string][] = [];
  if (opts.only.has("burst")) {
    const runs: Session<LoadResult>[] = [];
    for (let i = 0; i < opts.repeat; i++)
      runs.push(
        await session<LoadResult>(opts, false, opts.prs, {
          kind: "burst",
          from: 1,
          prs: opts.prs,
          echoes: opts.burstEchoes,
        }),
      );
    const perEvent = (r: Session<LoadResult>) => cpuMs(r.app) / (4 * r.result.prs);
    const b = [...runs].sort((x, y) => perEvent(x) - perEvent(y))[Math.floor((runs.length - 1) / 2)]!;
    rows.push(...loadRows(`burst of ${b.result.deliveries}`, b));
    if (runs.length > 1) rows.push(repeatRow(`burst of ${b.result.deliveries}`, runs, perEvent));
    if (opts.routes) printRoutes(`burst, requests per pull request by endpoint`, b.result);
    failed ||= runs.some((r) => r.result.failedDeliveries > 0);
    json.burst = runs.length > 1 ? runs : b;
  }
  if (opts.only.has("rate")) {
    const r = await session<LoadResult>(opts, false, opts.unloaded + opts.ratePrs, {
      kind: "rate",
      from: 1,
      prs: opts.ratePrs,
      rate: opts.rate,
      unloaded: opts.unloaded,
    });
    const alone = r.result.unloadedGate?.p50 ?? NaN;
    rows.push(
      [
        `${opts.rate} PRs/s: 3 approvals → gate p50 / p99`,
        `${fmtMs(r.result.toGate.p50)} / ${fmtMs(r.result.toGate.p99)}`,
      ],
      [`idle app: the same (API latency), p50`, fmtMs(alone)],
      [`${opts.rate} PRs/s: gate p99 beyond API latency`, fmtMs(r.result.toGate.p99 - alone)],
      [
        // The window holds the idle runs too: 4 events per pull request of both. Echoes are on here (off in
        // the burst): per delivery divides by them too.
        `${opts.rate} PRs/s: app CPU per PR event / per delivery / peak RSS`,
        `${(cpuMs(r.app) / (4 * (opts.unloaded + opts.ratePrs))).toFixed(1)} ms / ${(cpuMs(r.app) / r.result.deliveries).toFixed(1)} ms (${r.result.deliveries}) / ${(r.app.peakRss / MiB).toFixed(0)} MiB`,
      ],
    );
    rows.push([
      `${opts.rate} PRs/s: reconciles per pull request (the app's count)`,
      (r.reconciles / (opts.unloaded + opts.ratePrs)).toFixed(2),
    ]);
    if (opts.routes) printRoutes(`${opts.rate} PRs/s, requests per pull request by endpoint`, r.result);
    failed ||= r.result.failedDeliveries > 0;
    json.rate = r;
  }
  if (rows.length > 0)
    table("Under load (pacing OFF: one installation paced would measure only the pacing)", ["", ""], rows);
  if (opts.json) console.log(JSON.stringify(json));
  return failed ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`bench:e2e failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  },
);
