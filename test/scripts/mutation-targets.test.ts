import { existsSync, readFileSync } from "node:fs";
import { describe, expect, test } from "@jest/globals";
import { parse } from "yaml";
import { markedRanges, resolve, TARGETS } from "../../scripts/mutation-targets.mjs";

/**
 * `npm run test:mutation` (scripts/mutation.mjs) mutates reconcile.ts on ranges marked in the file itself. A
 * marker lost, misspelt or unbalanced in an edit must fail here, in `npm test`, not in the weekly mutation run
 * (where it would at best fail late and at worst mutate the wrong lines).
 */
describe("the mutation targets", () => {
  test.each(Object.keys(TARGETS))("%s resolves: its file, its markers and its tests exist", (file) => {
    const run = resolve(file)!;
    expect(run.mutate.length).toBeGreaterThan(0);
    for (const path of [file, ...run.tests]) expect(existsSync(path)).toBe(true);
  });

  test("the weekly workflow also runs on a change to any target or to the tests that judge it", () => {
    const on = (parse(readFileSync(".github/workflows/mutation.yml", "utf8")) as { on: Record<string, unknown> }).on;
    for (const event of ["push", "pull_request"]) {
      const paths = (on[event] as { paths: string[] }).paths;
      for (const file of Object.keys(TARGETS)) expect(paths).toContain(file);
      const tests = [...new Set(Object.keys(TARGETS).flatMap((f) => resolve(f)!.tests))];
      for (const t of tests)
        expect(paths.some((p) => p === t || (p.endsWith("/**") && t.startsWith(p.slice(0, -2))))).toBe(true);
    }
  });

  test("each marked range of reconcile.ts holds code, between the markers", () => {
    const lines = readFileSync("src/app/reconcile.ts", "utf8").split("\n");
    for (const range of resolve("src/app/reconcile.ts")!.mutate) {
      const [first, last] = range.split(":")[1]!.split("-").map(Number) as [number, number];
      expect(lines[first - 2]).toMatch(/\/\/ mutation-range: /);
      expect(lines[last]).toMatch(/\/\/ mutation-range-end$/);
      expect(lines.slice(first - 1, last).some((l) => l.trim() !== "" && !/^\s*(\/\/|\/?\*)/.test(l))).toBe(true);
    }
  });

  test("narrowing: by line ranges (any target) or by range names (a marked target)", () => {
    expect(resolve("src/core/actions.ts:137-149,157")!.mutate).toEqual([
      "src/core/actions.ts:137-149",
      "src/core/actions.ts:157-157",
    ]);
    expect(resolve("src/app/reconcile.ts:100-120")!.mutate).toEqual(["src/app/reconcile.ts:100-120"]);
    const all = resolve("src/app/reconcile.ts")!.mutate;
    const two = resolve("src/app/reconcile.ts@too-many-files,closed-pull-request")!;
    expect(two.mutate).toEqual([all[2], all[0]]);
    expect(two.tests).toEqual(resolve("src/app/reconcile.ts")!.tests);
    expect(() => resolve("src/app/reconcile.ts@nowhere")).toThrow(/no range named nowhere/);
    expect(resolve("src/core/glob.ts@rounds")).toBeUndefined();
    expect(resolve("src/nowhere.ts")).toBeUndefined();
  });
});

describe("markers", () => {
  const file = (...lines: string[]) => lines.join("\n");
  const B = (name: string) => `  // mutation-range: ${name}`;
  const E = "  // mutation-range-end";

  test("a pair gives the lines between its markers", () => {
    expect(markedRanges(file("a", B("one"), "b", "c", E, "d", B("two"), "e", E))).toEqual(
      new Map([
        ["one", "3-4"],
        ["two", "8-8"],
      ]),
    );
  });

  test.each([
    ["a begin without an end", file(B("one"), "a"), /"one" has no mutation-range-end/],
    ["an end without a begin", file("a", E), /:2: mutation-range-end without a mutation-range/],
    ["a begin inside another range", file(B("one"), "a", B("two"), "b", E, E), /"two" opens inside "one"/],
    ["a name marked twice", file(B("one"), "a", E, B("one"), "b", E), /"one" is marked twice/],
    ["an empty range", file(B("one"), E), /"one" is empty/],
    ["a misspelt marker", file("// mutation-range one", "a", E), /:1: not a marker/],
  ])("%s fails", (_, text, message) => {
    expect(() => markedRanges(text, "f.ts")).toThrow(message);
  });

  test("a target's listed names and its file's markers must match both ways", () => {
    const listed = (TARGETS["src/app/reconcile.ts"] as { ranges: readonly string[] }).ranges;
    const text = listed.map((n) => file(B(n), "x();", E)).join("\n");
    expect(resolve("src/app/reconcile.ts", () => text)!.mutate).toHaveLength(listed.length);
    expect(() => resolve("src/app/reconcile.ts", () => file(B(listed[0]!), "x();", E))).toThrow(
      new RegExp(`no mutation-range marked for ${listed[1]}`),
    );
    expect(() => resolve("src/app/reconcile.ts", () => `${text}\n${file(B("extra"), "x();", E)}`)).toThrow(
      /mutation-range extra marked but not listed/,
    );
  });
});
