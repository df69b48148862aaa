import { describe, expect, test } from "@jest/globals";
import { effectivenessMetrics, TIME_TO_APPROVE_BUCKETS } from "../../src/app/effect-metrics.js";
import { measurePr } from "../../src/core/effectiveness.js";

/** prom-client's Histogram and Counter as far as the module uses them: every call is recorded. */
const calls: string[] = [];
const registered: { name: string; registers: unknown[]; buckets?: number[] }[] = [];
class Histogram {
  constructor(readonly cfg: { name: string; registers: unknown[]; buckets: number[] }) {
    registered.push(cfg);
  }
  observe(labels: Record<string, string>, value: number) {
    calls.push(`${this.cfg.name}${JSON.stringify(labels)} ${value}`);
  }
}
class Counter {
  constructor(readonly cfg: { name: string; registers: unknown[] }) {
    registered.push(cfg);
  }
  inc(labels: Record<string, string>, value = 1) {
    calls.push(`${this.cfg.name}${JSON.stringify(labels)} +${value}`);
  }
}

describe("Prometheus figures of parallel effectiveness", () => {
  test("registered on the caller's registry; a passed gate's figures observed once per head", () => {
    const registry = { name: "the server's registry" };
    const metrics = effectivenessMetrics({ Histogram, Counter }, registry);
    expect(registered.map((r) => r.name)).toEqual([
      "parallel_review_persona_time_to_approve_seconds",
      "parallel_review_disagreements_total",
      "parallel_review_rework_total",
    ]);
    expect(registered.every((r) => r.registers[0] === registry)).toBe(true);
    expect(registered[0]!.buckets).toEqual(TIME_TO_APPROVE_BUCKETS);

    const at = (m: number) => new Date(Date.UTC(2026, 10, 2, 9, m)).toISOString();
    const effect = measurePr({
      number: 3,
      openedAt: at(0),
      personas: [
        { id: "backend", name: "Backend", domains: [], approvals: 1 },
        { id: "security", name: "Security", domains: [], approvals: 1 },
      ],
      actions: [
        { persona: "backend", user: "bob", kind: "approve", at: at(2), sha: "a" },
        { persona: "security", user: "sue", kind: "request_changes", at: at(3), sha: "a" },
        { persona: "security", user: "sue", kind: "approve", at: at(10), sha: "b" },
        { persona: "backend", user: "bob", kind: "approve", at: at(11), sha: "b" },
      ],
    });
    metrics.observe("acme/shop#3@b", effect);
    metrics.observe("acme/shop#3@b", effect); // a later reconcile of the same passed head
    expect(calls).toEqual([
      'parallel_review_persona_time_to_approve_seconds{"persona":"backend"} 660',
      'parallel_review_disagreements_total{"persona":"backend"} +1',
      'parallel_review_persona_time_to_approve_seconds{"persona":"security"} 600',
      'parallel_review_disagreements_total{"persona":"security"} +1',
      'parallel_review_rework_total{"kind":"round"} +1',
      'parallel_review_rework_total{"kind":"reapproval"} +1',
    ]);
  });
});
