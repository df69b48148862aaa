import type { Logger } from "pino";
import type { KeyedRunner } from "../app/serialize.js";
import { withLogContext } from "./logger.js";
import type { Metrics, QueueStats } from "./metrics.js";
import type { PrEffect } from "../core/effectiveness.js";

/**
 * Wraps the router's per-pull-request runner to log and measure every reconcile: one info line per
 * reconcile (repository, PR, installation, delivery, gate state, duration), one error line per failure,
 * the duration histogram and the gate outcomes, and the in-process queue (reconciles waiting for their
 * pull request's turn; those waiting for a reconcile slot are the `slots` queue: src/service/serve.ts).
 */
export class ObservedRunner implements KeyedRunner {
  private readonly pending = new Map<symbol, number>();

  constructor(
    private readonly inner: KeyedRunner,
    private readonly log: Logger,
    private readonly metrics?: Metrics,
  ) {}

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    return this.track(key, job, (k, j) => this.inner.run(k, j));
  }

  coalesce<T>(key: string, job: () => Promise<T>): Promise<T> {
    return this.track(key, job, (k, j) => this.inner.coalesce(k, j));
  }

  /** Reconciles not started yet (waiting for their pull request's turn, or joined to one that waits). */
  stats(): QueueStats {
    const oldest = Math.min(...this.pending.values());
    return {
      waiting: this.pending.size,
      active: 0,
      delayed: 0,
      failed: 0,
      oldestAgeSeconds: this.pending.size ? (Date.now() - oldest) / 1000 : 0,
    };
  }

  private track<T>(
    key: string,
    job: () => Promise<T>,
    via: (key: string, job: () => Promise<T>) => Promise<T>,
  ): Promise<T> {
    const token = Symbol(key);
    this.pending.set(token, Date.now());
    const result = via(key, () => {
      this.pending.delete(token);
      return this.observe(key, job);
    });
    void result.then(
      () => this.pending.delete(token),
      () => this.pending.delete(token),
    );
    return result;
  }

  private async observe<T>(key: string, job: () => Promise<T>): Promise<T> {
    const m = /^(.*)#(\d+)$/.exec(key);
    const fields = m ? { repository: m[1]!, pr: Number(m[2]) } : { repository: key };
    return withLogContext(fields, async () => {
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      try {
        const outcome = await job();
        const s = seconds();
        const o = (outcome ?? {}) as {
          state?: string;
          created?: unknown[];
          updated?: unknown[];
          headSha?: string;
          effect?: PrEffect;
        };
        if (o.effect) this.metrics?.effectiveness.observe(`${key}@${o.headSha ?? ""}`, o.effect);
        this.metrics?.reconciles.inc({ result: "ok" });
        this.metrics?.reconcileSeconds.observe({ result: "ok" }, s);
        this.metrics?.gateOutcomes.inc({ state: o.state ?? "unknown" });
        this.log.info(
          { state: o.state, created: o.created?.length, updated: o.updated?.length, ms: Math.round(s * 1000) },
          `reconciled ${key}: ${o.state ?? "done"}`,
        );
        return outcome;
      } catch (err) {
        const s = seconds();
        this.metrics?.reconciles.inc({ result: "error" });
        this.metrics?.reconcileSeconds.observe({ result: "error" }, s);
        this.metrics?.failures.inc({ kind: "reconcile" });
        this.log.error({ err, ms: Math.round(s * 1000) }, `reconcile of ${key} failed; the gate stays closed`);
        throw err;
      }
    });
  }
}
