import { describe, expect, test } from "@jest/globals";
import {
  attribute,
  duration,
  effectLines,
  measurePr,
  quantile,
  summarize,
  type AttributedAction,
  type EffectInput,
} from "../../src/core/effectiveness.js";

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0);
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const act = (
  persona: string,
  user: string,
  minutes: number,
  kind: AttributedAction["kind"] = "approve",
  sha = "h1",
) => ({
  persona,
  user,
  kind,
  at: at(minutes),
  sha,
});
const PERSONAS = [
  { id: "backend", name: "Backend", domains: ["payments", "api"], approvals: 1 },
  { id: "security", name: "Security", domains: ["payments"], approvals: 1 },
];
const input = (actions: AttributedAction[], over: Partial<EffectInput> = {}): EffectInput => ({
  number: 7,
  openedAt: at(0),
  personas: PERSONAS,
  actions,
  ...over,
});

describe("one pull request's figures", () => {
  test("the seed's example: two 15-minute reviews in parallel save 50 %", () => {
    const e = measurePr(input([act("backend", "bob", 15), act("security", "sue", 15)]));
    expect(e.personas.map((p) => p.timeToApproveMs)).toEqual([15 * 60_000, 15 * 60_000]);
    expect(e.longestMs).toBe(15 * 60_000);
    expect(e.sumMs).toBe(30 * 60_000);
    expect(e.timeSaved).toBe(0.5);
    expect(e.disagreementRate).toBe(0);
    expect(e.reviewRounds).toBe(1);
  });

  test("uneven reviews: time saved = 1 − longest / sum", () => {
    const e = measurePr(input([act("backend", "bob", 10), act("security", "sue", 30)]));
    expect(e.timeSaved).toBeCloseTo(1 - 30 / 40);
  });

  test("a persona not approved yet has no time, and the pull request no totals", () => {
    const e = measurePr(input([act("backend", "bob", 10)]));
    expect(e.personas[1]!.approvedAt).toBeUndefined();
    expect(e.longestMs).toBeUndefined();
    expect(e.timeSaved).toBeUndefined();
  });

  test("a reviewer's later change request undoes their approval; approvals: 2 waits for the second", () => {
    const blocked = measurePr(input([act("backend", "bob", 5), act("backend", "bob", 8, "request_changes")]));
    expect(blocked.personas[0]!.approvedAt).toBeUndefined();
    const two = measurePr(
      input([act("backend", "bob", 5), act("backend", "ann", 20)], {
        personas: [{ ...PERSONAS[0]!, approvals: 2 }],
      }),
    );
    expect(two.personas[0]!.timeToApproveMs).toBe(20 * 60_000);
    expect(two.timeSaved).toBeUndefined(); // one persona: nothing to compare with
  });

  test("a persona after another is requested when its prerequisite approved", () => {
    const e = measurePr(
      input([act("backend", "bob", 10), act("security", "sue", 25)], {
        after: new Map([
          ["backend", []],
          ["security", ["backend"]],
        ]),
      }),
    );
    expect(e.personas[1]!.requestedAt).toBe(at(10));
    expect(e.personas[1]!.timeToApproveMs).toBe(15 * 60_000);
  });

  test("disagreement: one persona approved while another requested changes on the same head", () => {
    const e = measurePr(
      input([
        act("backend", "bob", 5, "approve", "h1"),
        act("security", "sue", 6, "request_changes", "h1"),
        act("security", "sue", 30, "approve", "h2"),
        act("backend", "bob", 31, "approve", "h2"),
      ]),
    );
    expect(e.disagreementRate).toBe(1);
    expect(e.personas.every((p) => p.disagreed)).toBe(true);
    // Rework: a second review round, and Bob approved again on the new head.
    expect(e.reviewRounds).toBe(2);
    expect(e.reapprovals).toBe(1);
  });

  test("the gate's section shows each persona and the totals", () => {
    const lines = effectLines(measurePr(input([act("backend", "bob", 15), act("security", "sue", 75)])));
    expect(lines).toContain("| Backend | 2026-11-02 09:00 UTC | 15 min |");
    expect(lines).toContain(
      "Parallel elapsed 1 h 15 min (the longest) against 1 h 30 min one after another: **17 % time saved**.",
    );
  });
});

describe("attribution", () => {
  test("eligible humans only; a review for all counts for each persona the reviewer can review", () => {
    const base = { isBot: false, sha: "h1", at: at(1) };
    const out = attribute(
      [
        { ...base, user: "bob", kind: "approve", personas: "all" },
        { ...base, user: "ci[bot]", isBot: true, kind: "approve", personas: "all" },
        { ...base, user: "amy", kind: "approve", personas: "all" }, // the author
        { ...base, user: "sue", kind: "request_changes", personas: ["security"] },
      ],
      PERSONAS,
      (persona, login) => (persona === "backend" ? ["bob", "amy", "ci[bot]"] : ["bob", "sue"]).includes(login),
      "amy",
      false,
    );
    expect(out.map((a) => `${a.user}:${a.persona}:${a.kind}`)).toEqual([
      "bob:backend:approve",
      "bob:security:approve",
      "sue:security:request_changes",
    ]);
  });
});

describe("over many pull requests", () => {
  test("median and p90 per persona and per domain, overall time saved, rates", () => {
    const prs = [10, 20, 30, 40, 50].map((m, i) =>
      measurePr({
        ...input([act("backend", "bob", m), act("security", "sue", 60)]),
        number: i + 1,
        sameFileOverlap: i === 0,
      }),
    );
    const s = summarize(prs);
    expect(s.pulls).toBe(5);
    expect(s.measured).toBe(5);
    const backend = s.personas.find((g) => g.id === "backend")!;
    expect([backend.medianMs, backend.p90Ms]).toEqual([30 * 60_000, 50 * 60_000]);
    expect(s.domains.map((d) => [d.id, d.pulls])).toEqual([
      ["api", 5],
      ["payments", 5],
    ]);
    // Σ longest = 300 min, Σ sum = 150 + 300 = 450 min.
    expect(s.timeSaved!.overall).toBeCloseTo(1 - 300 / 450);
    expect(s.overlapRate).toBe(0.2);
    expect(s.reworkRate).toBe(0);
  });

  test("quantiles and durations", () => {
    expect(quantile([5, 1, 3], 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect([duration(40_000), duration(12 * 60_000), duration(65 * 60_000), duration(50 * 3600_000)]).toEqual([
      "40 s",
      "12 min",
      "1 h 05 min",
      "2 d 2 h",
    ]);
  });
});
