import { describe, expect, test } from "@jest/globals";
import fc from "fast-check";
import { cpuTimed } from "../helpers/cpu-time.js";
import { assign } from "../../src/core/assignment.js";

/**
 * assign(): persona slots ↔ people, each person at most once. Checked against a brute-force search on
 * small random instances: whenever some assignment fills every slot, assign() must fill every slot
 * (and, more strongly, it always fills as many slots as the best assignment does).
 */

type Instance = { slots: number; candidates: string[] }[];

/** The largest number of slots any valid assignment fills, by trying every choice for every slot. */
function bruteForceMax(personas: Instance): number {
  const slots = personas.flatMap((p, i) => Array.from({ length: p.slots }, () => i));
  const used = new Set<string>();
  let best = 0;
  const go = (k: number, filled: number): void => {
    if (filled + (slots.length - k) <= best) return;
    if (k === slots.length) {
      best = Math.max(best, filled);
      return;
    }
    for (const person of personas[slots[k]!]!.candidates) {
      if (used.has(person)) continue;
      used.add(person);
      go(k + 1, filled + 1);
      used.delete(person);
    }
    go(k + 1, filled); // leave this slot empty
  };
  go(0, 0);
  return best;
}

function expectValid(personas: Instance, out: string[][]): void {
  expect(out).toHaveLength(personas.length);
  const everyone = out.flat();
  expect(new Set(everyone).size).toBe(everyone.length); // nobody twice, across and within personas
  out.forEach((assigned, i) => {
    expect(assigned.length).toBeLessThanOrEqual(personas[i]!.slots);
    for (const person of assigned) expect(personas[i]!.candidates).toContain(person);
  });
}

const PEOPLE = ["ann", "bob", "cat", "dan", "eve", "fay"];

const instance: fc.Arbitrary<Instance> = fc.array(
  fc.record({
    slots: fc.integer({ min: 0, max: 3 }),
    candidates: fc.subarray(PEOPLE).chain((c) => fc.shuffledSubarray(c, { minLength: c.length, maxLength: c.length })),
  }),
  { maxLength: 5 },
);

describe("assign", () => {
  test("no personas → nothing", () => {
    expect(assign([])).toEqual([]);
  });

  test("zero slots or no candidates → empty lists", () => {
    expect(
      assign([
        { slots: 0, candidates: ["ann"] },
        { slots: 2, candidates: [] },
      ]),
    ).toEqual([[], []]);
  });

  test("one shared person goes where they are needed (greedy would give them to the first persona)", () => {
    // ann can do A or B, bob only A: the only full assignment is A ← bob, B ← ann.
    expect(
      assign([
        { slots: 1, candidates: ["ann", "bob"] },
        { slots: 1, candidates: ["ann"] },
      ]),
    ).toEqual([["bob"], ["ann"]]);
  });

  test("a longer augmenting chain is found", () => {
    const personas = [
      { slots: 1, candidates: ["ann", "bob"] },
      { slots: 1, candidates: ["bob", "cat"] },
      { slots: 1, candidates: ["cat", "dan"] },
      { slots: 1, candidates: ["ann"] },
    ];
    const out = assign(personas);
    expectValid(personas, out);
    expect(out).toEqual([["bob"], ["cat"], ["dan"], ["ann"]]);
  });

  test("a persona with several slots takes distinct people", () => {
    const personas = [
      { slots: 2, candidates: ["ann", "bob", "cat"] },
      { slots: 1, candidates: ["ann"] },
    ];
    const out = assign(personas);
    expectValid(personas, out);
    expect(out[0]!.sort()).toEqual(["bob", "cat"]);
    expect(out[1]).toEqual(["ann"]);
  });

  test("when no full assignment exists, as many slots as possible are filled", () => {
    const personas = [
      { slots: 1, candidates: ["ann"] },
      { slots: 1, candidates: ["ann"] },
      { slots: 2, candidates: ["ann", "bob"] },
    ];
    const out = assign(personas);
    expectValid(personas, out);
    expect(out.flat().length).toBe(2);
  });

  test("duplicate candidates never make a person count twice", () => {
    const personas = [{ slots: 3, candidates: ["ann", "ann", "bob", "ann"] }];
    const out = assign(personas);
    expect(out[0]!.sort()).toEqual(["ann", "bob"]);
  });

  test("deterministic: the same input gives the same output", () => {
    const personas = [
      { slots: 2, candidates: ["ann", "bob", "cat"] },
      { slots: 1, candidates: ["cat", "ann"] },
      { slots: 1, candidates: ["bob"] },
    ];
    expect(assign(personas)).toEqual(assign(personas));
  });

  test("property: valid, and fills every slot whenever brute force says a full assignment exists", () => {
    fc.assert(
      fc.property(instance, (personas) => {
        const out = assign(personas);
        expectValid(personas, out);
        const total = personas.reduce((n, p) => n + p.slots, 0);
        const best = bruteForceMax(personas);
        if (best === total) expect(out.flat().length).toBe(total);
        // Kuhn's algorithm gives a maximum matching, so it never does worse than the best assignment.
        expect(out.flat().length).toBe(best);
      }),
      { numRuns: 2_000 },
    );
  });

  test("property: listing the candidates in another order changes who, never how many", () => {
    fc.assert(
      fc.property(instance, (personas) => {
        const reversed = personas.map((p) => ({ slots: p.slots, candidates: [...p.candidates].reverse() }));
        const b = assign(reversed);
        expectValid(reversed, b);
        expect(b.flat().length).toBe(assign(personas).flat().length);
      }),
      { numRuns: 500 },
    );
  });

  test("a large instance finishes quickly and is a full assignment", () => {
    // 200 personas × 2 slots, 400 people, each persona may use 20 people: a full assignment exists by construction.
    const people = Array.from({ length: 400 }, (_, i) => `u${i}`);
    const personas = Array.from({ length: 200 }, (_, i) => ({
      slots: 2,
      candidates: Array.from({ length: 20 }, (_, k) => people[(2 * i + k * 7) % 400]!),
    }));
    personas.forEach((p, i) => p.candidates.push(people[2 * i]!, people[2 * i + 1]!));
    const { result: out, ms } = cpuTimed(() => assign(personas));
    expect(ms).toBeLessThan(2_000);
    expectValid(personas, out);
    expect(out.flat().length).toBe(400);
  });
});
