import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { KeyedSlots } from "../app/slots.js";
import type { RequestCounter } from "../github/client.js";
import { effectivenessMetrics, type PromClientLike } from "../app/effect-metrics.js";

export interface QueueStats {
  /** Jobs waiting (not started), by queue. */
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  /** Jobs that failed every attempt (the dead-letter set). */
  readonly failed: number;
  /** Age in seconds of the oldest job not started yet (0 when none waits). */
  readonly oldestAgeSeconds: number;
}

/** Slots as a queue's figures: jobs waiting for a slot, those holding one, the longest wait. */
export function slotStats(slots: KeyedSlots): QueueStats {
  const s = slots.stats();
  return { waiting: s.waiting, active: s.running, delayed: 0, failed: 0, oldestAgeSeconds: s.oldestWaitMs / 1000 };
}

/**
 * The app's Prometheus metrics (served at GET /metrics). One registry per process, not prom-client's
 * global one, so tests and the benchmark can run several servers in one process. Label values are
 * bounded: events and actions are GitHub's, routes are OpenAPI templates, states are the gate's.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly deliveries: Counter<"event" | "action">;
  readonly reconciles: Counter<"result">;
  readonly reconcileSeconds: Histogram<"result">;
  readonly gateOutcomes: Counter<"state">;
  readonly failures: Counter<"kind">;
  readonly githubRequests: Counter<"method" | "route" | "status">;
  readonly rateLimitRemaining: Gauge<"resource">;
  readonly deadLetters: Counter;
  readonly heals: Counter<"kind">;
  readonly pacingWait: Histogram;
  /** Parallel effectiveness of passed gates (issue 9): time to approve, disagreement, rework. */
  readonly effectiveness: ReturnType<typeof effectivenessMetrics>;
  private readonly queueSources: (() => Promise<Record<string, QueueStats>>)[] = [];

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: "parallel_review_" });
    this.effectiveness = effectivenessMetrics({ Histogram, Counter } as unknown as PromClientLike, this.registry);
    this.deliveries = new Counter({
      name: "parallel_review_deliveries_total",
      help: "Webhook deliveries accepted (signature verified), by event and action",
      labelNames: ["event", "action"],
      registers,
    });
    this.reconciles = new Counter({
      name: "parallel_review_reconciles_total",
      help: "Reconciles of one pull request that finished, by result (ok, error)",
      labelNames: ["result"],
      registers,
    });
    this.reconcileSeconds = new Histogram({
      name: "parallel_review_reconcile_duration_seconds",
      help: "Time from the start of a reconcile to its end (GitHub reads and writes included)",
      labelNames: ["result"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.gateOutcomes = new Counter({
      name: "parallel_review_gate_outcomes_total",
      help: "State of the gate after each reconcile (pass, waiting, blocked, invalid, no-table, skipped, …)",
      labelNames: ["state"],
      registers,
    });
    this.failures = new Counter({
      name: "parallel_review_failures_total",
      help: "Failures by kind: reconcile (the gate was closed and the error reported), delivery (a handler threw), heal, redelivery",
      labelNames: ["kind"],
      registers,
    });
    this.githubRequests = new Counter({
      name: "parallel_review_github_requests_total",
      help: "GitHub API requests by method, route template and status (0 = no answer)",
      labelNames: ["method", "route", "status"],
      registers,
    });
    this.rateLimitRemaining = new Gauge({
      name: "parallel_review_github_rate_limit_remaining",
      help: "x-ratelimit-remaining of the last GitHub answer, by resource (per installation token; the lowest seen since the last scrape)",
      labelNames: ["resource"],
      registers,
    });
    this.deadLetters = new Counter({
      name: "parallel_review_dead_letters_total",
      help: "Deliveries that failed every attempt and were moved to the dead-letter set",
      registers,
    });
    this.heals = new Counter({
      name: "parallel_review_heal_total",
      help: "Healing work: pull requests reconciled after an installation or a resync, deliveries redelivered",
      labelNames: ["kind"],
      registers,
    });
    this.pacingWait = new Histogram({
      name: "parallel_review_write_pacing_wait_seconds",
      help: "Time a GitHub write waited for its turn (one write per second per installation, across replicas with REDIS_URL)",
      buckets: [0.01, 0.1, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    });
    const sources = this.queueSources;
    const gauge = (name: string, help: string, pick: (s: QueueStats) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["queue"],
        registers,
        async collect() {
          this.reset();
          for (const source of sources) {
            const stats = await source().catch(() => ({}));
            for (const [queue, s] of Object.entries(stats)) this.set({ queue }, pick(s));
          }
        },
      });
    gauge("parallel_review_queue_depth", "Jobs waiting to start (not yet reconciling)", (s) => s.waiting + s.delayed);
    gauge("parallel_review_queue_active", "Jobs running now", (s) => s.active);
    gauge(
      "parallel_review_queue_oldest_job_age_seconds",
      "Age of the oldest job still waiting",
      (s) => s.oldestAgeSeconds,
    );
    gauge("parallel_review_dead_letters", "Jobs in the dead-letter set now", (s) => s.failed);
  }

  /** Adds a source of queue figures, read at each scrape. */
  addQueue(source: () => Promise<Record<string, QueueStats>>): void {
    this.queueSources.push(source);
  }

  /** A RequestCounter (the adapter's observer of every GitHub request) that feeds the request metrics. */
  requestCounter(): RequestCounter {
    return {
      count: (method, route, status) =>
        this.githubRequests.inc({ method, route: routeLabel(route), status: String(status) }),
      rateLimit: (resource, remaining) => this.rateLimitRemaining.set({ resource }, remaining),
    };
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** A route template as a label; full URLs (pagination links) lose their origin, query and numbers. */
export function routeLabel(url: string): string {
  const path = url.replace(/^https?:\/\/[^/]+(\/api\/v3)?/, "").split("?")[0] ?? "";
  return path.replace(/\/\d+(?=\/|$)/g, "/{id}");
}
