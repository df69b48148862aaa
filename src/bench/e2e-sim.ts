/**
 * The simulator side of `npm run bench:e2e`, in a process of its own: the app's process then competes
 * with nothing but the simulator for the machine, and its CPU and memory figures are its own.
 *
 * It sets up the world (src/bench/e2e-world.ts), sends every delivery itself, concurrently, as GitHub
 * does (the simulator's dispatcher is serial), and measures from the simulator's request log: which
 * requests an event caused, in how many sequential rounds, and when the checks became visible. The
 * workloads are in src/bench/e2e-phases.ts. Parent side: `startSimProcess`.
 */
import { performance } from "node:perf_hooks";
import type { DeliveryRecord, GitHubSimulator } from "../simulator/index.js";
import type { LatestRun } from "../simulator/simulator.js";
import { isWrite, type RequestLogEntry } from "../simulator/server.js";
import { describeError, forkChild, resultOf, runAsChild, type Answer } from "./e2e-child.js";
import { ConcurrentDelivery, type Timed } from "./e2e-deliver.js";
import { runPhase, type Phase, type PhaseResult } from "./e2e-phases.js";
import { REPO } from "./e2e-people.js";
import { buildWorld, type WorldConfig } from "./e2e-world.js";

export type SimConfig = WorldConfig;

type ToParent = { type: "ready"; apiUrl: string } | Answer<PhaseResult>;

export interface SimProcess {
  readonly apiUrl: string;
  readonly pid: number;
  run(phase: Phase, webhookUrl: string): Promise<PhaseResult>;
  stop(): void;
}

export async function startSimProcess(config: SimConfig): Promise<SimProcess> {
  const child = forkChild<ToParent>(import.meta.url, "E2E_SIM_CONFIG", config);
  const ready = await child.next();
  if (ready.type !== "ready") throw new Error(`simulator process: ${JSON.stringify(ready)}`);
  return {
    apiUrl: ready.apiUrl,
    pid: child.process.pid!,
    async run(phase, webhookUrl) {
      child.process.send({ phase, webhookUrl });
      return resultOf<PhaseResult>(await child.next());
    },
    stop: child.stop,
  };
}

/** A request with its wall-clock span (performance.now() of this process). */
export interface Timestamped {
  readonly entry: RequestLogEntry;
  readonly start: number;
  readonly end: number;
}

/**
 * The bench's view of the simulator: every delivery is sent at once (the app's own echoes can be held
 * back and sent later, to tell their cost apart), every answered request is kept with its times, and
 * waiters are woken when a request completes (a check became visible).
 */
export class Harness {
  readonly requests: Timestamped[] = [];
  readonly sent: Timed[] = [];
  holdEchoes = false;
  held: DeliveryRecord[] = [];
  private delivery: ConcurrentDelivery | undefined;
  private readonly pending = new Set<Promise<Timed>>();
  private readonly watchers = new Set<() => void>();
  private index: Map<string, Map<string, LatestRun>> | undefined;

  constructor(
    readonly sim: GitHubSimulator,
    private readonly config: SimConfig,
  ) {}

  target(webhookUrl: string): void {
    this.delivery = new ConcurrentDelivery({ url: webhookUrl, secret: this.config.secret, appId: this.config.appId });
  }

  onDelivery(record: DeliveryRecord): void {
    if (this.holdEchoes && isEcho(record)) this.held.push(record);
    else void this.send(record);
  }

  onRequest(entry: RequestLogEntry): void {
    if (entry.route === "POST /app/installations/{installation_id}/access_tokens") return; // cached for an hour
    const end = performance.now();
    this.requests.push({ entry, start: end - entry.durationMs, end });
    if (!isWrite(entry)) return; // only a write can make something visible
    this.index = undefined;
    for (const w of [...this.watchers]) w();
  }

  /** The latest check run of each name, by head commit (rebuilt after a write, when asked). */
  runs(sha: string): Map<string, LatestRun> | undefined {
    this.index ??= this.sim.latestRunsByHead(REPO);
    return this.index.get(sha);
  }

  /** Sends one delivery (again, for a redelivery: same id, same bytes). */
  send(record: DeliveryRecord): Promise<Timed> {
    if (!this.delivery) throw new Error("no webhook URL yet");
    const p = this.delivery.deliver([record]).then(([t]) => t!);
    this.pending.add(p);
    void p.then((t) => {
      this.pending.delete(p);
      this.sent.push(t);
    });
    return p;
  }

  /** Resolves with the time `ok` first held (checked now and after every answered write). */
  when(ok: () => boolean, what: () => string, timeoutMs = 120_000): Promise<number> {
    if (ok()) return Promise.resolve(performance.now());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.watchers.delete(watch);
        reject(new Error(`not within ${timeoutMs / 1000} s: ${what()}`));
      }, timeoutMs);
      const watch = () => {
        if (!ok()) return;
        clearTimeout(timer);
        this.watchers.delete(watch);
        resolve(performance.now());
      };
      this.watchers.add(watch);
    });
  }

  /** Every delivery answered (the app answers after its handlers) and no request for a moment. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    try {
      await this.sim.idle({ quietMs: 40, timeoutMs: 120_000 });
    } catch (err) {
      // Not idle is usually not one hung request but work that keeps going: say what ran in the last 30 s.
      const now = performance.now();
      const by: Record<string, number> = {};
      for (const r of this.requests.filter((x) => x.end > now - 30_000)) {
        const k = `${r.entry.route ?? r.entry.path} ${r.entry.status}`;
        by[k] = (by[k] ?? 0) + 1;
      }
      if (err instanceof Error) err.message += `; requests answered in the last 30 s: ${JSON.stringify(by)}`;
      throw err;
    }
    if (this.pending.size > 0) await this.settle();
  }
}

/** A webhook GitHub sends about the app's own write (its check runs, comments, review requests). */
export function isEcho(record: DeliveryRecord): boolean {
  const sender = (record.payload.sender as { login?: string } | undefined)?.login ?? "";
  return sender.endsWith("[bot]");
}

async function child(config: SimConfig): Promise<void> {
  let harness: Harness | undefined;
  const sim = await buildWorld(config, {
    onDelivery: (r) => harness?.onDelivery(r),
    onRequest: (e) => harness?.onRequest(e),
  });
  harness = new Harness(sim, config);
  process.send!({ type: "ready", apiUrl: sim.apiUrl } satisfies ToParent);
  process.on("message", (m: { phase: Phase; webhookUrl: string }) => {
    harness.target(m.webhookUrl);
    runPhase(harness, m.phase).then(
      (result) => process.send!({ type: "result", result } satisfies ToParent),
      (err: unknown) => process.send!({ type: "error", message: describeError(err) } satisfies ToParent),
    );
  });
}

runAsChild(import.meta.url, "E2E_SIM_CONFIG", child);
