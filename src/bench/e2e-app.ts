/**
 * The app server alone in a child process, for `npm run bench:e2e`: its memory and CPU are the app's
 * only, and it competes with the simulator (another process) for nothing but the machine — as in
 * production, where GitHub is elsewhere. It runs the same `createWebhookServer` as `npm start`, with
 * the app's write pacing on (production: writes ≥ 1 s apart per installation, as GitHub asks) or off (`pace`).
 *
 * Parent side: `startAppProcess`. Child side: this file run as a script; it reports each reconcile's
 * outcome with a wall-clock timestamp, and its peak memory and CPU time when asked to stop.
 */
import { fork, type ChildProcess } from "node:child_process";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { mkdirSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { getHeapStatistics } from "node:v8";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Probot } from "probot";
import { appOctokit } from "../github/octokit.js";
import { RECONCILES_PER_INSTALLATION } from "../app/slots.js";
import { admissionPerInstallation, createWebhookServer, WEBHOOK_PATH } from "../server.js";
import { tuneHeap, YOUNG_GENERATION_FLAG } from "../service/heap.js";

export interface AppProcessConfig {
  readonly apiUrl: string;
  readonly appId: number;
  readonly privateKey: string;
  readonly secret: string;
  /** The app's write pacing (≥ 1 s between writes, as GitHub asks and as in production); off by default here. */
  readonly pace?: boolean;
  /**
   * How often the peak heap is sampled (0: never). Even V8's statistics cost CPU that would show in the
   * app's CPU per event: off when only CPU is measured. The peak RSS is not sampled: the kernel keeps it
   * (`getrusage`).
   */
  readonly sampleMs?: number;
  /** Deliveries parsed and handled at once (the server's default when unset). */
  readonly admission?: number;
  /** Reconciles run at once (the app's default when unset): the rest wait, parsed, for a free one. */
  readonly reconciles?: number;
  /** Of those, reconciles of one installation at once (the app's default when unset). */
  readonly perInstallation?: number;
  /**
   * A directory: the app's CPU profile of the measured phase only (from `mark` to `stop`, warm-up and
   * start-up left out) is written there as a `.cpuprofile` (`--app-profile DIR`).
   */
  readonly profileDir?: string;
  /**
   * A directory: the app's allocation profile of the measured phase (`--app-alloc DIR`), every sampled
   * allocation kept, collected or not (a `.heapprofile`: what the app allocates, not what it retains).
   */
  readonly allocDir?: string;
  /** V8/Node flags for the app's process alone (`--app-node-flags`), e.g. to weigh memory against CPU. */
  readonly nodeFlags?: readonly string[];
}

export interface AppProcessStats {
  readonly peakRss: number;
  readonly peakHeapUsed: number;
  readonly rssAtStart: number;
  /** heapUsed after a full garbage collection once the load is over: what the app retains. */
  readonly heapAfterGc: number;
  readonly cpuUserMicros: number;
  readonly cpuSystemMicros: number;
}

interface Outcome {
  readonly number: number;
  readonly state: string;
  readonly at: number;
}

type ToParent =
  | { type: "ready"; url: string }
  | { type: "quiet"; waitedMs: number }
  | { type: "outcomes"; outcomes: readonly Outcome[] }
  | { type: "stats"; stats: AppProcessStats };

export interface AppProcess {
  readonly webhookUrl: string;
  readonly pid: number;
  /**
   * Resolves once the app's process is quiet (under 2 ms of CPU per second), at most `maxMs`: for about
   * 20 s after start-up V8 keeps compiling and collecting in the background (~4 ms of CPU per second, idle),
   * work of the start, not of the events measured next. Resolves with the time waited.
   */
  quiet(maxMs?: number): Promise<number>;
  /** Resets the peaks and the CPU counter (call when the load starts). */
  mark(): void;
  /** Stops the child; resolves with its figures since `mark` (the peak RSS: since it started, `getrusage`'s). */
  stop(): Promise<AppProcessStats>;
}

/** Starts the app in a child process; `onOutcome` gets each reconcile's end, on the parent's performance.now() clock. */
export async function startAppProcess(
  config: AppProcessConfig,
  onOutcome: (number: number, state: string, at: number) => void,
): Promise<AppProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    execArgv: [...process.execArgv, "--expose-gc", YOUNG_GENERATION_FLAG, ...(config.nodeFlags ?? [])],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, E2E_APP_CONFIG: JSON.stringify(config) },
  });
  let statsWaiter: ((s: AppProcessStats) => void) | undefined;
  let quietWaiter: ((waitedMs: number) => void) | undefined;
  const url = await new Promise<string>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the app process exited (${code}) before it was ready`)));
    child.on("message", (m: ToParent) => {
      if (m.type === "ready") resolve(m.url);
      else if (m.type === "outcomes")
        for (const o of m.outcomes) onOutcome(o.number, o.state, o.at - performance.timeOrigin);
      else if (m.type === "stats") statsWaiter?.(m.stats);
      else if (m.type === "quiet") quietWaiter?.(m.waitedMs);
    });
  });
  child.removeAllListeners("exit");
  return {
    webhookUrl: url,
    pid: child.pid!,
    quiet: (maxMs = 30_000) =>
      new Promise<number>((resolve) => {
        quietWaiter = resolve;
        child.send({ type: "quiet", maxMs });
      }),
    mark: () => void child.send({ type: "mark" }),
    stop: () =>
      new Promise<AppProcessStats>((resolve, reject) => {
        // A process that dies before sending its figures (a profile it could not write, say) fails the run
        // instead of leaving the benchmark waiting for ever.
        const died = (code: number | null) => reject(new Error(`the app process exited (${code}) before its figures`));
        child.once("exit", died);
        statsWaiter = (s) => {
          child.off("exit", died);
          const timer = setTimeout(() => child.kill(), 10_000);
          child.once("exit", () => {
            clearTimeout(timer);
            resolve(s);
          });
        };
        child.send({ type: "stop" });
      }),
  };
}

/** Outcomes gathered for at most `everyMs`, then sent together. */
class OutcomeBatch {
  private pending: Outcome[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sendBatch: (batch: readonly Outcome[]) => void,
    private readonly everyMs = 20,
  ) {}

  add(o: Outcome): void {
    this.pending.push(o);
    this.timer ??= setTimeout(() => this.flush(), this.everyMs);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.sendBatch(batch);
  }
}

/** Waits until this process spends under 2 ms of CPU per second (measured over 250 ms), at most `maxMs`. */
async function quietened(maxMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const before = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 250));
    const used = process.cpuUsage(before);
    if ((used.user + used.system) / 1000 < 0.5 || Date.now() - started >= maxMs) return Date.now() - started;
  }
}

async function childMain(): Promise<void> {
  const config = JSON.parse(process.env.E2E_APP_CONFIG ?? "{}") as AppProcessConfig;
  // As `npm start` does (a --heap-growing-percent in --app-node-flags wins, as on Node's command line).
  tuneHeap(process.env);
  const send = (m: ToParent) => process.send?.(m);
  // The reconciles' ends go to the parent in batches (each stamped when it happened): one IPC message per
  // reconcile cost the app's process about 4 % of its CPU in the burst, the benchmark's and not the app's.
  const outcomes = new OutcomeBatch((batch) => send({ type: "outcomes", outcomes: batch }));
  const Octokit = appOctokit({ pace: config.pace === true });
  const probot = new Probot({
    appId: config.appId,
    privateKey: config.privateKey,
    secret: config.secret,
    baseUrl: config.apiUrl,
    logLevel: "fatal",
    Octokit,
  });
  const server = await createWebhookServer({
    probot,
    secret: config.secret,
    ...(config.admission ? { maxConcurrentDeliveries: config.admission } : {}),
    // Admission by installation as `npm start` derives it from the two limits.
    maxDeliveriesPerInstallation: admissionPerInstallation(
      config.admission ?? 128,
      config.perInstallation ?? RECONCILES_PER_INSTALLATION,
    ),
    app: {
      appId: config.appId,
      maxRetryWaitMs: 2_000,
      ...(config.reconciles ? { maxConcurrentReconciles: config.reconciles } : {}),
      ...(config.perInstallation ? { maxReconcilesPerInstallation: config.perInstallation } : {}),
      onOutcome: (pr, o) =>
        outcomes.add({ number: pr.number, state: o.state, at: performance.timeOrigin + performance.now() }),
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

  let peakHeapUsed = 0;
  let rssAtStart = process.memoryUsage().rss;
  let cpu = process.cpuUsage();
  // The peak RSS is the kernel's (getrusage's maxRSS): exact, where sampling could miss a short peak, and
  // free, where reading /proc every 50 ms cost 1-2 % of the app's CPU in the burst. It is the process's
  // peak since it started: the warm-up before the phase (one lifecycle) is far below any phase's.
  // V8's figure alone (process.memoryUsage()'s heapUsed is the same number), without the resident set size
  // that memoryUsage() reads too: in the burst the profile put 1.4 % of the app's CPU in those samples.
  const sample = () => {
    peakHeapUsed = Math.max(peakHeapUsed, getHeapStatistics().used_heap_size);
  };
  if ((config.sampleMs ?? 500) > 0) setInterval(sample, config.sampleMs ?? 500);
  for (const dir of [config.profileDir, config.allocDir]) if (dir) mkdirSync(dir, { recursive: true });
  const profiler = config.profileDir || config.allocDir ? new Session() : undefined;
  profiler?.connect();
  process.on("disconnect", () => process.exit(0));
  const onMessage = async (m: { type: string; maxMs?: number }) => {
    if (m.type === "quiet") {
      send({ type: "quiet", waitedMs: await quietened(m.maxMs ?? 30_000) });
    } else if (m.type === "mark") {
      if (config.profileDir) {
        await profiler?.post("Profiler.enable");
        await profiler?.post("Profiler.start");
      }
      if (config.allocDir)
        await profiler?.post("HeapProfiler.startSampling", {
          samplingInterval: 32 * 1024,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        });
      rssAtStart = process.memoryUsage().rss;
      peakHeapUsed = 0;
      sample();
      cpu = process.cpuUsage();
    } else if (m.type === "stop") {
      outcomes.flush();
      sample();
      const used = process.cpuUsage(cpu);
      if (profiler && config.profileDir) {
        const { profile } = await profiler.post("Profiler.stop");
        writeFileSync(join(config.profileDir, `app-${process.pid}.cpuprofile`), JSON.stringify(profile));
      }
      if (profiler && config.allocDir) {
        const { profile } = await profiler.post("HeapProfiler.stopSampling");
        writeFileSync(join(config.allocDir, `app-${process.pid}.heapprofile`), JSON.stringify(profile));
      }
      globalThis.gc?.();
      const heapAfterGc = process.memoryUsage().heapUsed;
      // Exit normally once the figures are sent, so `node --cpu-prof` writes this process's profile too.
      process.send?.(
        {
          type: "stats",
          stats: {
            peakRss: process.resourceUsage().maxRSS * 1024, // kilobytes
            peakHeapUsed,
            rssAtStart,
            heapAfterGc,
            cpuUserMicros: used.user,
            cpuSystemMicros: used.system,
          },
        } satisfies ToParent,
        () => process.exit(0),
      );
    }
  };
  process.on("message", (m: { type: string; maxMs?: number }) => void onMessage(m));
  send({ type: "ready", url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${WEBHOOK_PATH}` });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  childMain().catch((err: unknown) => {
    console.error(`bench:e2e app process: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  });
}
