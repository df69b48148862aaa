import { describe, expect, test } from "@jest/globals";
import fc from "fast-check";
import { compileGlob, globProblem } from "../../src/core/glob.js";
import { PathMatcher } from "../../src/core/matcher.js";
import { refExpandBraces, refMatch, refSegmentMatch } from "../helpers/reference-glob.js";
import { DOCUMENTED_PATTERNS } from "../helpers/pattern-table.js";

/**
 * compileGlob and PathMatcher against the independent reference of test/helpers/reference-glob.ts,
 * on paths and patterns built from a small alphabet so that the same names keep turning up on both
 * sides: anchoring, directories, "everything beneath", dotfiles, classes and braces all get exercised.
 */

/** 2,000 runs per property; `npm run test:mutation` asks for fewer (PROPERTY_RUNS) to test hundreds of mutants. */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 2_000);

/** Path segment names. `x\ny` and `a+(b)` check that a name is matched as plain characters. */
const NAMES = [
  "a",
  "b",
  "ab",
  "A",
  "src",
  "docs",
  ".env",
  ".env.prod",
  "x.tf",
  "main.tf",
  "x.tfvars",
  "a.b",
  "x\ny",
  "a+(b)",
  "-",
  "[ab]",
  "7",
];

const path = fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 5 }).map((segs) => segs.join("/"));

/** Pattern segments: literals from the same alphabet, and every kind of wildcard. */
const PIECES = [
  "a",
  "b",
  "src",
  "docs",
  ".env",
  "x.tf",
  "A",
  "a+(b)",
  "*",
  "**",
  "?",
  "[ab]",
  "[!a]",
  "[a-c]*",
  "[!-a]",
  "{a,b}",
  "{src,docs}",
  "{a,{b,x.tf}}",
  "{a,b/src}",
  "*.tf",
  "*.tf*",
  ".env*",
  "a*",
  "*b",
  "?.tf",
  "x.{tf,tfvars}",
  "*.{tf,b}",
  "**b",
  "[.x]*",
  "a[+-0]b",
  "x[+-0]tf",
  "[[:digit:]]",
  "[![:alpha:]]*",
  "x.[[:alpha:]]f",
];

const pattern = fc
  .record({
    lead: fc.boolean(),
    segs: fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 4 }),
    trail: fc.boolean(),
  })
  .map(({ lead, segs, trail }) => (lead ? "/" : "") + segs.join("/") + (trail ? "/" : ""))
  .filter((p) => globProblem(p) === undefined);

function globMatches(p: string, target: string): boolean {
  return compileGlob(p).some((g) => g.matches(target));
}

describe("the reference itself", () => {
  // If the reference were wrong, the properties would prove nothing: pin it to the documented table.
  test.each<[string, string[], string[]]>([
    ...DOCUMENTED_PATTERNS,
    ["a/**/b", ["a/b", "a/x/y/b"], ["b"]],
    ["a/**", ["a/b"], ["a"]],
    ["a/**/", ["a/b/c"], ["a/b"]],
  ])("%j", (p, yes, no) => {
    for (const t of yes) expect(refMatch(p, t)).toBe(true);
    for (const t of no) expect(refMatch(p, t)).toBe(false);
  });

  test("segments and braces", () => {
    expect(refSegmentMatch("[!a-c]?", "dx")).toBe(true);
    expect(refSegmentMatch("[!a-c]?", "bx")).toBe(false);
    expect(refSegmentMatch("[]]", "]")).toBe(true);
    expect(refSegmentMatch("a**b", "axyb")).toBe(true);
    expect(refExpandBraces("{a,b{c,d}}e")).toEqual(["ae", "bce", "bde"]);
    expect(refExpandBraces("[{]x")).toEqual(["[{]x"]);
  });
});

describe("counterexamples the properties found (fixed in src/core/glob.ts)", () => {
  test.each<[string, string]>([
    ["a", "a/x\ny"], // `.` without the `s` flag stopped at a newline in a file name
    ["docs/", "docs/x\ny"],
    ["[!-a]/", "A/.env"], // `[!-a]` compiled to `[^/-a]`, the range "/" to "a"
    ["a[+-0]b/", "a/b/a"], // a class range spanning "/" crossed segments
    ["**/", "a"], // a trailing `**` with a trailing slash matched files, not directories
    ["a/**/", "a/x"],
  ])("%j vs %j", (p, t) => {
    expect(globMatches(p, t)).toBe(refMatch(p, t));
    expect(new PathMatcher([{ pattern: p, tag: 0 }]).match(t)).toEqual(refMatch(p, t) ? [0] : []);
  });
});

describe("properties", () => {
  test("compileGlob agrees with the reference", () => {
    fc.assert(
      fc.property(pattern, fc.array(path, { minLength: 1, maxLength: 8 }), (p, paths) => {
        for (const t of paths) {
          if (globMatches(p, t) !== refMatch(p, t))
            throw new Error(`${JSON.stringify(p)} vs ${JSON.stringify(t)}: compileGlob says ${globMatches(p, t)}`);
        }
      }),
      { numRuns: RUNS },
    );
  });

  test("compileGlob agrees with the reference on paths a pattern is likely to match", () => {
    // Paths built from the pattern's own pieces, with wildcards replaced by names: far more hits than random paths.
    const pick = (piece: string, n: number) => (/[*?[{]/.test(piece) ? NAMES[n % NAMES.length]! : piece);
    fc.assert(
      fc.property(
        pattern,
        fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
        fc.array(fc.constantFrom(...NAMES), { maxLength: 2 }),
        (p, picks, extra) => {
          const segs = p
            .split("/")
            .filter((s) => s !== "" && s !== "**")
            .map((s, i) => pick(s, picks[i % picks.length]!));
          if (segs.length === 0) return;
          for (const t of [segs.join("/"), [...segs, ...extra].join("/"), [...extra, ...segs].join("/")]) {
            expect([p, t, globMatches(p, t)]).toEqual([p, t, refMatch(p, t)]);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("PathMatcher returns exactly the tags whose patterns the reference matches", () => {
    const tagged = fc.array(fc.record({ pattern, tag: fc.integer({ min: 0, max: 5 }) }), {
      minLength: 1,
      maxLength: 12,
    });
    fc.assert(
      fc.property(tagged, fc.array(path, { minLength: 1, maxLength: 10 }), (entries, paths) => {
        const matcher = new PathMatcher(entries);
        for (const t of paths) {
          const expected = [...new Set(entries.filter((e) => refMatch(e.pattern, t)).map((e) => e.tag))].sort(
            (a, b) => a - b,
          );
          expect([t, matcher.match(t)]).toEqual([t, expected]);
        }
      }),
      { numRuns: RUNS },
    );
  });

  test("brace expansion agrees with the reference", () => {
    fc.assert(
      fc.property(pattern, (p) => {
        expect(
          compileGlob(p)
            .map((g) => g.source)
            .sort(),
        ).toEqual(refExpandBraces(p).sort());
      }),
      { numRuns: RUNS },
    );
  });
});
