import type { Logger } from "pino";
import type { Probot } from "probot";
import type { Healer } from "../app/heal.js";
import { failedDeliveries, redeliver } from "../github/deliveries.js";
import { intFrom } from "./config.js";
import type { Metrics } from "./metrics.js";

/**
 * Runs the healing sweeps of one process: on start and then periodically, (1) ask GitHub to redeliver
 * the app's failed deliveries, each at most once, and (2) resync every installation (src/app/heal.ts).
 * With several replicas, `claim` (a Redis lock) lets one replica run each sweep per interval.
 */
export interface HealSettings {
  /** Between two redelivery sweeps; 0 turns them off. Default 10 minutes. */
  readonly redeliverIntervalMs: number;
  /** How far back failed deliveries are redelivered. Default 24 hours (GitHub keeps 3 days). */
  readonly redeliverWindowMs: number;
  /** Pages of 100 deliveries read per sweep at most. Default 10. */
  readonly redeliverMaxPages: number;
  /** Between two resyncs; 0 turns them off. Default 1 hour. */
  readonly resyncIntervalMs: number;
  /** Pause between two reconciles of a sweep. Default 250 ms. */
  readonly paceMs: number;
}

export function healSettings(env: NodeJS.ProcessEnv): HealSettings {
  return {
    redeliverIntervalMs: intFrom(env, "HEAL_REDELIVER_INTERVAL_MS", 10 * 60_000),
    redeliverWindowMs: intFrom(env, "HEAL_REDELIVER_WINDOW_MS", 24 * 3600_000),
    redeliverMaxPages: intFrom(env, "HEAL_REDELIVER_MAX_PAGES", 10),
    resyncIntervalMs: intFrom(env, "HEAL_RESYNC_INTERVAL_MS", 3600_000),
    paceMs: intFrom(env, "HEAL_PACE_MS", 250),
  };
}

export type Claim = (sweep: string, ttlMs: number) => Promise<boolean>;

export class HealScheduler {
  private healer: Healer | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly redelivered = new Set<string>();
  private stopped = false;

  constructor(
    private readonly probot: Probot,
    private readonly log: Logger,
    private readonly settings: HealSettings,
    private readonly metrics?: Metrics,
    private readonly claim: Claim = () => Promise.resolve(true),
    private readonly claimDelivery: (guid: string) => Promise<boolean> = () => Promise.resolve(true),
  ) {}

  /** Given to the app (AppOptions.heal.attach): the resync entry point. */
  readonly attach = (healer: Healer): void => {
    this.healer = healer;
  };

  start(): void {
    const every = (ms: number, name: string, sweep: () => Promise<unknown>) => {
      if (ms <= 0) return;
      const once = async () => {
        if (this.stopped || !(await this.claim(name, ms).catch(() => false))) return;
        await sweep().catch((err: unknown) => {
          this.metrics?.failures.inc({ kind: name === "redeliver" ? "redelivery" : "heal" });
          this.log.warn({ err }, `${name} sweep failed`);
        });
      };
      void once();
      const timer = setInterval(() => void once(), ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.settings.redeliverIntervalMs, "redeliver", () => this.redeliverFailed());
    every(this.settings.resyncIntervalMs, "resync", () => this.resync());
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.splice(0)) clearInterval(t);
  }

  /** Asks GitHub to redeliver every failed delivery of the window that was not redelivered yet. */
  async redeliverFailed(): Promise<number> {
    const app = await this.probot.auth();
    const failed = await failedDeliveries(
      app,
      Date.now() - this.settings.redeliverWindowMs,
      this.settings.redeliverMaxPages,
    );
    let sent = 0;
    for (const f of failed) {
      if (this.stopped) break;
      if (this.redelivered.has(f.guid) || !(await this.claimDelivery(f.guid))) continue;
      this.redelivered.add(f.guid);
      try {
        await redeliver(app, f.attemptId);
        sent++;
        this.metrics?.heals.inc({ kind: "redelivery" });
        this.log.info(
          { delivery: f.guid, event: f.event, action: f.action, status: f.statusCode },
          "asked GitHub to redeliver a failed delivery",
        );
      } catch (err) {
        this.metrics?.failures.inc({ kind: "redelivery" });
        this.log.warn({ err, delivery: f.guid }, "redelivery refused");
      }
    }
    return sent;
  }

  /** One resync of every installation of the app. */
  async resync(): Promise<number> {
    if (!this.healer) return 0;
    const app = await this.probot.auth();
    const installations = await app.paginate("GET /app/installations", { per_page: 100 });
    let reconciled = 0;
    for (const i of installations) {
      if (this.stopped) break;
      if (i.suspended_at) continue;
      const octokit = await this.probot.auth(i.id);
      reconciled += await this.healer.resync(octokit, this.log.child({ installation: i.id }));
    }
    return reconciled;
  }
}
