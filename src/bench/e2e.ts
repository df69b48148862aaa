/**
 * `npm run bench:e2e`: the app under load, end to end — the local GitHub simulator and the real app
 * server (src/dev/stack.ts) over loopback HTTP, every API call delayed by a fixed latency.
 *
 * Many pull requests are opened and reviewed concurrently. Each is opened (→ its persona checks and
 * the gate), then gets three approvals sent together, one per persona, each a different way (a GitHub
 * review, a `/approve` comment, the check's Approve button; rotated over the pull requests). Measured:
 * events processed per second, time from the webhook to the checks and to the passing gate per pull
 * request, GitHub requests per pull request (and 304s), CPU time and peak memory.
 *
 * Options (argv, or the environment):
 *   --prs N               E2E_PRS          pull requests (default 200)
 *   --latency MS          E2E_LATENCY_MS   added to every API call (default 50)
 *   --rate N              E2E_RATE         open N pull requests per second (default 0: all at once)
 *   --delivery MODE       E2E_DELIVERY     "concurrent" (default: as GitHub delivers) or "serial" (the simulator's own queue)
 *   --app-process         E2E_APP_PROCESS=1  run the app in a child process: its own memory and CPU, its own event loop
 *   --sim-keepalive-ms N                   experiment: the simulator's HTTP keep-alive timeout (it uses 1000 ms)
 *   --no-baseline                          skip the unloaded single pull request run
 *   --json                                 also print the figures as JSON
 *   --workers 1,2,4                        the scale-out mode instead (src/bench/e2e-scale.ts): the simulator in its own
 *                                          process, the app as real processes, without Redis and with N workers
 * Profile with `node --cpu-prof lib/bench/e2e.js …`. Nothing here is asserted by the test suite.
 */
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { startStack, type Stack } from "../dev/stack.js";
import type { DeliveryRecord, GitHubSimulator } from "../simulator/index.js";
import { startAppProcess, type AppProcess, type AppProcessStats } from "./e2e-app.js";
import { ConcurrentDelivery, SerialDelivery, type Delivery, type Timed } from "./e2e-deliver.js";
import { PERSONAS, REPO } from "./e2e-people.js";
import { fmtMs, MemorySampler, MiB, RoundCounter, summary } from "./e2e-stats.js";

interface Options {
  prs: number;
  latencyMs: number;
  rate: number;
  delivery: "concurrent" | "serial";
  appProcess: boolean;
  simKeepAliveMs?: number;
  baseline: boolean;
  json: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const arg = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, env: string | undefined, dflt: number) => {
    const v = Number(arg(name) ?? (env ? process.env[env] : undefined) ?? dflt);
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a number ≥ 0`);
    return v;
  };
  const delivery = arg("delivery") ?? process.env.E2E_DELIVERY ?? "concurrent";
  if (delivery !== "concurrent" && delivery !== "serial")
    throw new Error(`--delivery must be "concurrent" or "serial"`);
  const keepAlive = arg("sim-keepalive-ms");
  return {
    prs: Math.max(1, Math.floor(num("prs", "E2E_PRS", 200))),
    latencyMs: num("latency", "E2E_LATENCY_MS", 50),
    rate: num("rate", "E2E_RATE", 0),
    delivery,
    appProcess: argv.includes("--app-process") || process.env.E2E_APP_PROCESS === "1",
    ...(keepAlive !== undefined ? { simKeepAliveMs: num("sim-keepalive-ms", undefined, 1000) } : {}),
    baseline: !argv.includes("--no-baseline"),
    json: argv.includes("--json"),
  };
}

type PersonaRef = (typeof PERSONAS)[number];
const WAYS = ["review", "comment", "button"] as const;
type Way = (typeof WAYS)[number];

/** Each reconcile's end (the app's onOutcome), per pull request. */
class Outcomes {
  readonly ends: number[] = [];
  private readonly waiters = new Map<number, (at: number) => void>();
  private readonly passedAt = new Map<number, number>();

  record(number: number, state: string, at = performance.now()): void {
    this.ends.push(at);
    if (state === "pass" && !this.passedAt.has(number)) {
      this.passedAt.set(number, at);
      this.waiters.get(number)?.(at);
    }
  }

  /** The time of the first reconcile that left the gate passing. */
  passed(number: number, timeoutMs: number): Promise<number> {
    const known = this.passedAt.get(number);
    if (known !== undefined) return Promise.resolve(known);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`#${number}: the gate did not pass within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      this.waiters.set(number, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  }
}

interface Setup {
  stack: Stack;
  sim: GitHubSimulator;
  outcomes: Outcomes;
  rounds: RoundCounter;
  delivery: Delivery;
  app?: AppProcess;
}

async function setUp(
  opts: Options,
  branches: number,
  mode: { delivery: Options["delivery"]; appProcess: boolean },
): Promise<Setup> {
  const outcomes = new Outcomes();
  const rounds = new RoundCounter();
  const stack = await startStack({
    simulator: { webhookMode: "queue", rateLimit: 1_000_000_000 },
    onOutcome: (pr, o) => outcomes.record(pr.number, o.state),
    counter: { count: () => rounds.count() },
  });
  const { sim } = stack;
  if (opts.simKeepAliveMs !== undefined) {
    // Experiment only: reaches into the simulator's private HTTP server (see the doc, "End-to-end load").
    const http = (sim as unknown as { server?: { server?: { keepAliveTimeout: number } } }).server?.server;
    if (!http)
      throw new Error("--sim-keepalive-ms: the simulator's HTTP server is not where this experiment expects it");
    http.keepAliveTimeout = opts.simKeepAliveMs;
  }
  // No webhooks from the simulator while setting up (nor at all with concurrent delivery: they are sent here).
  sim.configureApp({ webhookUrl: undefined });
  const table = readFileSync(new URL("../../reviewers.yml", import.meta.url), "utf8");
  for (const u of ["carol", ...PERSONAS.map((p) => p.reviewer)]) sim.createUser(u);
  for (const p of PERSONAS) sim.createTeam(p.id, { members: [p.reviewer] });
  for (const t of ["platform", "devex", "frontend", "marketing", "design"]) sim.createTeam(t, { members: [] });
  sim.createRepo(REPO, {
    files: {
      ".github/reviewers.yml": table,
      "src/payments/charge.ts": "export const charge = () => 1;\n",
      "README.md": "# shop\n",
    },
  });
  for (let i = 0; i < branches; i++)
    await sim.createBranch(REPO, `pr-${i}`, {
      author: "carol",
      files: { [`src/payments/charge-${i}.ts`]: `export const charge${i} = () => ${i};\n` },
    });
  await sim.idle({ timeoutMs: 60_000 });

  let app: AppProcess | undefined;
  let webhookUrl = stack.webhookUrl;
  if (mode.appProcess) {
    // The app in a child process, with its own key; the in-process app of the stack stays idle.
    const keys = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    sim.configureApp({ publicKey: keys.publicKey });
    app = await startAppProcess(
      { apiUrl: sim.apiUrl, appId: stack.appId, privateKey: keys.privateKey, secret: stack.secret },
      (number, state, at) => outcomes.record(number, state, at),
    );
    webhookUrl = app.webhookUrl;
  }
  if (mode.delivery === "serial") sim.configureApp({ webhookUrl });
  const delivery: Delivery =
    mode.delivery === "serial"
      ? new SerialDelivery()
      : new ConcurrentDelivery({ url: webhookUrl, secret: stack.secret, appId: stack.appId });
  sim.faults.set({ latencyMs: opts.latencyMs });
  return { stack, sim, outcomes, rounds, delivery, ...(app ? { app } : {}) };
}

/** One approval by the persona's reviewer, in the given way; returns the deliveries it caused. */
async function approve(s: Setup, number: number, persona: PersonaRef, way: Way): Promise<DeliveryRecord[]> {
  const { sim } = s;
  if (way === "review")
    return (
      await sim.submitReview(REPO, number, {
        user: persona.reviewer,
        state: "APPROVED",
        body: `Looks right.\nReviewed-for: ${persona.id}`,
      })
    ).deliveries;
  if (way === "comment")
    return (await sim.comment(REPO, number, { user: persona.reviewer, body: `/approve ${persona.id}` })).deliveries;
  const run = sim.checkRuns(REPO, sim.pullRequest(REPO, number).headSha, {
    latest: true,
    name: `review/${persona.id}`,
  })[0];
  if (!run) throw new Error(`#${number}: no review/${persona.id} check to click`);
  return (await sim.clickCheckRunAction(REPO, run.id, "approve", persona.reviewer)).deliveries;
}

interface PrResult {
  openSentAt: number;
  /** The opened webhook answered: the persona checks and the gate exist. */
  checksAt: number;
  approvalsSentAt: number;
  passAt: number;
}

/** A pull request's life: opened; once its checks exist, three approvals sent together; done when its gate passed. */
async function playPull(s: Setup, i: number, timed: Timed[]): Promise<PrResult> {
  const opened = await s.sim.openPullRequest(REPO, { title: `Change ${i}`, head: `pr-${i}`, author: "carol" });
  const first = await s.delivery.deliver(opened.deliveries);
  timed.push(...first);
  const records: DeliveryRecord[] = [];
  for (const [k, p] of PERSONAS.entries())
    records.push(...(await approve(s, opened.number, p, WAYS[(i + k) % WAYS.length]!)));
  const approvalsSentAt = performance.now();
  const pass = s.outcomes.passed(opened.number, 300_000);
  timed.push(...(await s.delivery.deliver(records)));
  return {
    openSentAt: Math.min(...first.map((t) => t.sentAt)),
    checksAt: Math.max(...first.map((t) => t.answeredAt)),
    approvalsSentAt,
    passAt: await pass,
  };
}

interface BaselineRow {
  event: string;
  ms: number;
  rounds: number;
  requests: number;
}

/** One pull request alone (after a warm-up one), one event at a time, app in-process: each reconcile's latency and rounds of API calls, unloaded. */
async function baseline(opts: Options): Promise<BaselineRow[]> {
  const s = await setUp(opts, 2, { delivery: "concurrent", appProcess: false });
  try {
    const out: BaselineRow[] = [];
    const gap = Math.max(5, opts.latencyMs * 0.6);
    const step = async (label: string, records: DeliveryRecord[]) => {
      s.rounds.take(gap);
      const [t] = await s.delivery.deliver(records);
      await s.sim.idle();
      out.push({ event: label, ms: t!.answeredAt - t!.sentAt, ...s.rounds.take(gap) });
    };
    // Warm-up: the first pull request pays for the installation token and for compiling the code.
    const warm = await s.sim.openPullRequest(REPO, { title: "Warm-up", head: "pr-0", author: "carol" });
    await s.delivery.deliver(warm.deliveries);
    for (const [k, p] of PERSONAS.entries()) await s.delivery.deliver(await approve(s, warm.number, p, WAYS[k]!));
    await s.sim.idle();
    const pr = await s.sim.openPullRequest(REPO, { title: "Alone", head: "pr-1", author: "carol" });
    await step("pull_request.opened", pr.deliveries);
    await step(
      "pull_request_review (@sam, Reviewed-for: security)",
      await approve(s, pr.number, PERSONAS[1], "review"),
    );
    await step("issue_comment `/approve backend` (@bob)", await approve(s, pr.number, PERSONAS[0], "comment"));
    await step("check_run.requested_action Approve (@fiona)", await approve(s, pr.number, PERSONAS[2], "button"));
    const gate = s.sim.checkRuns(REPO, pr.headSha, { latest: true, name: "parallel-review" })[0];
    if (gate?.conclusion !== "success") throw new Error(`baseline: the gate did not pass (${gate?.output.title})`);
    return out;
  } finally {
    await s.stack.stop();
  }
}

async function main(): Promise<number> {
  if (process.argv.includes("--workers")) return (await import("./e2e-scale.js")).scaleBench(process.argv.slice(2));
  const opts = parseOptions(process.argv.slice(2));
  const line = (s = "") => console.log(s);
  line(
    `parallel-review end-to-end load: ${opts.prs} pull requests, ${opts.latencyMs} ms per API call, ${opts.delivery} webhook delivery, ${opts.rate > 0 ? `${opts.rate} pull requests opened per second` : "all opened at once"}, app ${opts.appProcess ? "in a child process" : "in the same process as the simulator"}${opts.simKeepAliveMs !== undefined ? `, simulator keep-alive ${opts.simKeepAliveMs} ms (experiment)` : ""}`,
  );
  line(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? "?"}, ${os.platform()} ${os.arch()}, Node ${process.version}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );

  let base: BaselineRow[] | undefined;
  if (opts.baseline) {
    base = await baseline(opts);
    line("");
    line("Unloaded: one pull request, one event at a time; webhook sent → answered (= the reconcile done)");
    for (const b of base)
      line(
        `  ${b.event.padEnd(52)} ${fmtMs(b.ms).padStart(7)}   ${b.rounds} rounds of API calls (${b.rounds * opts.latencyMs} ms of latency), ${b.requests} requests`,
      );
  }

  const memory = new MemorySampler();
  const s = await setUp(opts, opts.prs, opts);
  const { sim } = s;
  memory.start();
  s.app?.mark();
  const rssBefore = process.memoryUsage().rss;
  const firstRequest = sim.requests.length;
  const cpuBefore = process.cpuUsage();
  const timed: Timed[] = [];
  const results: PrResult[] = [];
  const failures: string[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: opts.prs }, async (_, i) => {
      if (opts.rate > 0) await new Promise((r) => setTimeout(r, (i * 1000) / opts.rate));
      try {
        results.push(await playPull(s, i, timed));
      } catch (err) {
        failures.push(err instanceof Error ? err.message : String(err));
      }
    }),
  );
  await sim.idle({ timeoutMs: 60_000 });
  const cpu = process.cpuUsage(cpuBefore);
  memory.stop();
  const appStats: AppProcessStats | undefined = s.app ? await s.app.stop() : undefined;
  const requests = sim.requests.slice(firstRequest);
  await s.stack.stop();

  // ── figures ──
  const lastEnd = Math.max(...s.outcomes.ends, ...timed.map((t) => t.answeredAt));
  const spanS = (lastEnd - started) / 1000;
  const reconciles = s.outcomes.ends.length;
  const perS = reconciles / spanS;
  const late = timed.filter((t) => t.status === 202).length;
  const bad = timed.filter((t) => t.status !== 200 && t.status !== 202);
  const toChecks = summary(results.map((r) => r.checksAt - r.openSentAt));
  const toGate = summary(results.map((r) => r.passAt - r.approvalsSentAt));
  const perEvent = summary(timed.map((t) => t.answeredAt - t.sentAt));
  const byRoute = new Map<string, number>();
  for (const r of requests)
    byRoute.set(r.route ?? `${r.method} ${r.path}`, (byRoute.get(r.route ?? `${r.method} ${r.path}`) ?? 0) + 1);
  const notModified = requests.filter((r) => r.notModified).length;
  const writes = requests.filter((r) => r.method !== "GET").length;
  const n = results.length || 1;
  // Minimum possible per docs/performance.md "GitHub requests per event" (F = 1 file, P = 3 personas):
  // opened ⌈F/100⌉ + 1 reads + P + 2 writes = 7; a review T + 2 = 5 (T = 3: the reviewer × the 3 personas' teams);
  // a button click 3; a comment command, like a click, 3 (its record, the persona's run, the gate).
  const minimum = 7 + 5 + 3 + 3;
  const cpuMs = (cpu.user + cpu.system) / 1e3;
  const appCpuMs = appStats ? (appStats.cpuUserMicros + appStats.cpuSystemMicros) / 1e3 : undefined;
  const pctCore = (ms: number) => ((100 * ms) / (spanS * 1000)).toFixed(0);

  line("");
  line(
    `Loaded: ${results.length} pull requests (${failures.length} failed), ${timed.length} webhook deliveries, ${reconciles} reconciles, ${spanS.toFixed(2)} s from the first webhook to the last reconcile`,
  );
  line(
    `  events processed per second              ${perS.toFixed(1)}  (reconciles completed; every delivery here leads to one)`,
  );
  line(
    `  webhook sent → answered, every event     p50 ${fmtMs(perEvent.p50)}  p90 ${fmtMs(perEvent.p90)}  p99 ${fmtMs(perEvent.p99)}  max ${fmtMs(perEvent.max)}${late ? `  (${late} answered 202 "still processing" by Probot after 9 s)` : ""}`,
  );
  line(
    `  opened → persona checks and gate posted  p50 ${fmtMs(toChecks.p50)}  p90 ${fmtMs(toChecks.p90)}  p99 ${fmtMs(toChecks.p99)}  max ${fmtMs(toChecks.max)}`,
  );
  line(
    `  3 approvals sent → gate passed           p50 ${fmtMs(toGate.p50)}  p90 ${fmtMs(toGate.p90)}  p99 ${fmtMs(toGate.p99)}  max ${fmtMs(toGate.max)}`,
  );
  line(
    `  GitHub requests per pull request         ${(requests.length / n).toFixed(1)} (${(writes / n).toFixed(1)} writes); ${notModified} of ${requests.length} (${((100 * notModified) / Math.max(1, requests.length)).toFixed(1)} %) were conditional 304s; minimum possible ${minimum}`,
  );
  for (const [route, count] of [...byRoute].sort((a, b) => b[1] - a[1]))
    line(`      ${(count / n).toFixed(2).padStart(6)}  ${route}`);
  if (appStats && appCpuMs !== undefined) {
    line(
      `  CPU, app process                         ${(appCpuMs / 1000).toFixed(2)} s = ${(appCpuMs / Math.max(1, reconciles)).toFixed(1)} ms per event, ${pctCore(appCpuMs)} % of one core`,
    );
    line(
      `  CPU, simulator + driver process          ${(cpuMs / 1000).toFixed(2)} s = ${(cpuMs / Math.max(1, reconciles)).toFixed(1)} ms per event, ${pctCore(cpuMs)} % of one core`,
    );
    line(
      `  peak RSS, app process                    ${(appStats.peakRss / MiB).toFixed(1)} MiB (${(appStats.rssAtStart / MiB).toFixed(1)} MiB before the load), peak heapUsed ${(appStats.peakHeapUsed / MiB).toFixed(1)} MiB, ${(appStats.heapAfterGc / MiB).toFixed(1)} MiB after a full GC at the end`,
    );
    line(
      `  peak RSS, simulator + driver process     ${(memory.peakRss / MiB).toFixed(1)} MiB, peak heapUsed ${(memory.peakHeapUsed / MiB).toFixed(1)} MiB`,
    );
  } else {
    line(
      `  CPU (app + simulator + driver)           ${(cpuMs / 1000).toFixed(2)} s = ${(cpuMs / Math.max(1, reconciles)).toFixed(1)} ms per event, ${pctCore(cpuMs)} % of one core`,
    );
    line(
      `  peak RSS                                 ${(memory.peakRss / MiB).toFixed(1)} MiB (${(rssBefore / MiB).toFixed(1)} MiB before the load), peak heapUsed ${(memory.peakHeapUsed / MiB).toFixed(1)} MiB — one process: simulator, app and driver`,
    );
  }
  if (bad.length > 0)
    line(
      `  ${bad.length} deliveries not answered 200/202: ${[...new Set(bad.map((b) => `${b.event} → ${b.status}`))].slice(0, 5).join(", ")}`,
    );
  for (const f of failures.slice(0, 5)) line(`  FAILED ${f}`);
  if (sim.validationErrors.length > 0) line(`  simulator errors: ${sim.validationErrors.slice(0, 3).join(" | ")}`);

  const appRss = appStats?.peakRss ?? memory.peakRss;
  if (base) {
    const rounds = (label: string) => base.find((b) => b.event.startsWith(label))?.rounds ?? 0;
    const openPath = rounds("pull_request.opened") * opts.latencyMs;
    const gateRounds = rounds("pull_request_review") + rounds("issue_comment") + rounds("check_run");
    const gatePath = gateRounds * opts.latencyMs;
    line("");
    line("Targets");
    line(`  ≥ 200 events processed per second: ${perS >= 200 ? "met" : "NOT met"} (${perS.toFixed(1)})`);
    line(
      `  p99 opened → checks within 1 s of its API latency (${rounds("pull_request.opened")} rounds, ${openPath} ms): ${toChecks.p99 <= openPath + 1000 ? "met" : "NOT met"} (${fmtMs(toChecks.p99)})`,
    );
    line(
      `  p99 approvals → gate within 1 s of its API latency (3 reconciles in series, ${gateRounds} rounds, ${gatePath} ms): ${toGate.p99 <= gatePath + 1000 ? "met" : "NOT met"} (${fmtMs(toGate.p99)})`,
    );
    line(
      `  peak RSS < 150 MB (${appStats ? "the app process" : "the whole process"}): ${appRss < 150e6 ? "met" : "NOT met"} (${(appRss / 1e6).toFixed(1)} MB)`,
    );
  }
  if (opts.json) {
    line(
      JSON.stringify({
        opts,
        baseline: base,
        prs: results.length,
        failures: failures.length,
        deliveries: timed.length,
        reconciles,
        spanS,
        eventsPerS: perS,
        perEvent,
        toChecks,
        toGate,
        requestsPerPr: requests.length / n,
        writesPerPr: writes / n,
        notModified,
        requests: requests.length,
        byRoute: Object.fromEntries(byRoute),
        cpuMs,
        appCpuMs,
        peakRssMiB: memory.peakRss / MiB,
        peakHeapUsedMiB: memory.peakHeapUsed / MiB,
        app: appStats,
      }),
    );
  }
  return failures.length === 0 && bad.length === 0 ? 0 : 1;
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
