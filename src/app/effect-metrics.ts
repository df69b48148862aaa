import type { PrEffect } from "../core/effectiveness.js";

/**
 * Prometheus figures of parallel effectiveness, for whichever prom-client registry the server has: the
 * caller passes prom-client's Histogram and Counter classes and its registry, so this module depends on
 * neither (the /metrics endpoint lives with the server). `observe` is called with a pull request's
 * figures when its gate passes; each pull request head is counted once per process.
 */
export interface PromClientLike {
  readonly Histogram: new (cfg: {
    name: string;
    help: string;
    labelNames: string[];
    buckets: number[];
    registers: unknown[];
  }) => { observe(labels: Record<string, string>, value: number): void };
  readonly Counter: new (cfg: { name: string; help: string; labelNames: string[]; registers: unknown[] }) => {
    inc(labels: Record<string, string>, value?: number): void;
  };
}

/** Seconds: a minute to two weeks. */
export const TIME_TO_APPROVE_BUCKETS = [60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800, 1209600];

export function effectivenessMetrics(prom: PromClientLike, registry: unknown) {
  const registers = [registry];
  const timeToApprove = new prom.Histogram({
    name: "parallel_review_persona_time_to_approve_seconds",
    help: "Time from a persona's request (PR opened, or its prerequisites approved) to the approval that completed it",
    labelNames: ["persona"],
    buckets: TIME_TO_APPROVE_BUCKETS,
    registers,
  });
  const disagreements = new prom.Counter({
    name: "parallel_review_disagreements_total",
    help: "Personas that approved while another requested changes on the same head commit (or the reverse), counted at the passed gate",
    labelNames: ["persona"],
    registers,
  });
  const rework = new prom.Counter({
    name: "parallel_review_rework_total",
    help: "Rework at the passed gate: review rounds after the first (kind=round), approvals given again after a push (kind=reapproval)",
    labelNames: ["kind"],
    registers,
  });
  const seen = new Set<string>();
  return {
    /** `key` names the pull request and head (e.g. `owner/repo#12@sha`): observed once. */
    observe(key: string, effect: PrEffect): void {
      if (seen.has(key)) return;
      seen.add(key);
      if (seen.size > 10_000) seen.delete(seen.values().next().value!);
      for (const p of effect.personas) {
        if (p.timeToApproveMs !== undefined) timeToApprove.observe({ persona: p.id }, p.timeToApproveMs / 1000);
        if (p.disagreed) disagreements.inc({ persona: p.id });
      }
      if (effect.reviewRounds > 1) rework.inc({ kind: "round" }, effect.reviewRounds - 1);
      if (effect.reapprovals > 0) rework.inc({ kind: "reapproval" }, effect.reapprovals);
    },
  };
}
