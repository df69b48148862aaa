import { describe, expect, test } from "@jest/globals";
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { globProblem } from "../../src/core/glob.js";
import { PathMatcher } from "../../src/core/matcher.js";

/**
 * The matcher against pattern suites nobody here wrote (../shared/conformance/data, beside the repository; CI
 * places a copy there). GitHub's CODEOWNERS, gitignore and git's wildmatch disagree among themselves, so every
 * case where our answer differs from a suite's must be explained by one of the documented choices below
 * (docs/configuration.md, "How this differs from CODEOWNERS and .gitignore"); a disagreement none of them
 * explains fails the test, and so does a choice that no longer explains anything.
 */

const DATA = resolve(dirname(fileURLToPath(import.meta.url)), "../../../shared/conformance/data");
if (!existsSync(DATA))
  throw new Error(
    `conformance case tables not found at ${DATA}: this test needs a copy of shared/conformance beside the repository (../shared from the repository root), as CI provides`,
  );
const load = async (file: string) => (await import(pathToFileURL(resolve(DATA, file)).href)) as Record<string, unknown>;

type Answer = 0 | 1 | "rejected";

const matchers = new Map<string, PathMatcher>();
/** One PathMatcher per list of patterns, built once: the suites ask thousands of paths of the same patterns. */
function matcherOf(list: readonly string[]): PathMatcher {
  const key = JSON.stringify(list);
  let m = matchers.get(key);
  if (!m) matchers.set(key, (m = new PathMatcher(list.map((pattern) => ({ pattern, tag: 0 })))));
  return m;
}

/** A review-table domain with `paths` and `ignore`: does `path` belong to it? "rejected" when a pattern is invalid. */
function ours(paths: readonly string[], ignore: readonly string[], path: string): Answer {
  if ([...paths, ...ignore].some((p) => globProblem(p) !== undefined)) return "rejected";
  return matcherOf(paths).match(path).length > 0 && matcherOf(ignore).match(path).length === 0 ? 1 : 0;
}

interface Case {
  suite: string;
  paths: readonly string[];
  ignore: readonly string[];
  path: string;
  expected: Answer;
}

/** The path's proper ancestor directories: `a/b/c` → `a`, `a/b`. */
const ancestors = (path: string) =>
  path.split("/").flatMap((_, i, segs) => (i === 0 ? [] : [segs.slice(0, i).join("/")]));

/**
 * Our documented choices, each a precise test of whether it explains one disagreement. Keys are the anchors
 * of docs/configuration.md's list.
 */
const CHOICES: Record<string, (c: Case, got: Answer) => boolean> = {
  // No escapes: a backslash is rejected with an error (GitHub documents `\#` as not working either).
  "no-escapes": (c, got) => got === "rejected" && [...c.paths, ...c.ignore].some((p) => p.includes("\\")),
  // A malformed class (unclosed, empty, reversed, unknown POSIX name, holding "/") is an error with its column;
  // git reads such a pattern as one that matches nothing, silently.
  "malformed-class": (c, got) =>
    got === "rejected" &&
    c.expected === 0 &&
    c.paths.some((p) => /character class|unclosed "\["/.test(globProblem(p)?.message ?? "")),
  // An `ignore` entry always excludes. gitignore's `!` re-includes, and the last matching line wins, except
  // that nothing inside an excluded directory can be re-included.
  "ignore-always-wins": (c, got) => got === 0 && c.expected === 1 && ours(c.paths, [], c.path) === 1,
  // A last segment with a wildcard covers only what it names (`docs/*` as GitHub documents it); gitignore and
  // CODEOWNERS implementations also let `f*` or `/*` cover everything inside a directory it matches.
  "wildcard-last-segment": (c, got) =>
    got === 0 && c.expected === 1 && ancestors(c.path).some((dir) => ours(c.paths, [], dir) === 1),
  // Brackets are a class and also the characters written; GitHub rejects `[ ]` and git reads only the class.
  "brackets-both-ways": (c, got) =>
    got === 1 &&
    c.expected !== 1 &&
    c.paths.some((p) => p.includes("[")) &&
    (c.paths.some((p) => /\[[^\]]+\]/.exec(p) !== null && c.path.includes(/\[[^\]]+\]/.exec(p)![0])) ||
      c.expected === "rejected"),
  // `a/**/` is what lies in the directories under `a`; a file directly in `a` is not.
  "double-star-slash": (c, got) => got === 0 && c.expected === 1 && c.paths.some((p) => p.endsWith("**/")),
};

function classify(cases: Case[]): { unexplained: string[]; used: Map<string, number> } {
  const unexplained: string[] = [];
  const used = new Map<string, number>();
  for (const c of cases) {
    const got = ours(c.paths, c.ignore, c.path);
    if (got === c.expected) continue;
    const why = Object.keys(CHOICES).find((k) => CHOICES[k]!(c, got));
    if (why) used.set(why, (used.get(why) ?? 0) + 1);
    else
      unexplained.push(
        `${c.suite}: paths ${JSON.stringify(c.paths)} ignore ${JSON.stringify(c.ignore)} vs ${JSON.stringify(c.path)}: expected ${c.expected}, got ${got}`,
      );
  }
  return { unexplained, used };
}

const suites: Record<string, Case[]> = {};

// hmarr/codeowners: GitHub CODEOWNERS as a Go library implements it.
const hmarr = (await load("hmarr-codeowners-patterns.mjs")).default as {
  pattern: string;
  paths: Record<string, boolean>;
}[];
suites.hmarr = hmarr.flatMap(({ pattern, paths }) =>
  Object.entries(paths).map(([path, hit]) => ({
    suite: "hmarr",
    paths: [pattern],
    ignore: [],
    path,
    expected: hit ? 1 : 0,
  })),
);

// GitHub's "About code owners" page.
const docs = (await load("github-docs-codeowners.mjs")).cases as {
  paths: string[];
  ignore?: string[];
  path: string;
  expect: Answer;
}[];
suites["github-docs"] = docs.map((c) => ({
  suite: "github-docs",
  paths: c.paths,
  ignore: c.ignore ?? [],
  path: c.path,
  expected: c.expect,
}));

// git's t0008-ignores, flattened into one table.
const t0008 = await load("git-t0008-ignores.mjs");
const t0008Table = t0008.table as { paths: string[]; ignore: string[] };
suites.t0008 = (t0008.cases as [string, 0 | 1, string][]).map(([path, hit]) => ({
  suite: "t0008",
  ...t0008Table,
  path,
  expected: hit,
}));

// `git check-ignore --no-index` answers, one pattern at a time.
const checkIgnore = await load("git-check-ignore.mjs");
for (const name of ["grid", "workload"]) {
  const g = checkIgnore[name] as { patterns: string[]; paths: string[]; ignored: number[][] };
  suites[`check-ignore ${name}`] = g.patterns.flatMap((pattern, i) => {
    const hits = new Set(g.ignored[i]);
    return g.paths.map((path, j) => ({
      suite: `check-ignore ${name}`,
      paths: [pattern],
      ignore: [],
      path,
      expected: hits.has(j) ? 1 : 0,
    }));
  });
}

/**
 * A .gitignore text → a domain: comment and blank lines dropped, trailing spaces trimmed, `!x` lines become
 * `ignore` entries (gitignore re-includes in order; a table's `ignore` always wins — see "negation").
 */
function gitignoreDomain(lines: readonly string[]): { paths: string[]; ignore: string[] } {
  const paths: string[] = [];
  const ignore: string[] = [];
  for (const raw of lines.flatMap((l) => l.replace(/^\uFEFF/, "").split("\n"))) {
    const line = raw.replace(/(?<!\\) +$/, "");
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("!")) ignore.push(line.slice(1));
    else paths.push(line);
  }
  return { paths, ignore };
}

// kaelzhang/node-ignore: gitignore semantics. A path ending in "/" names a directory: we ask about a file in it.
const nodeIgnore = (await load("node-ignore-cases.mjs")).cases as [
  string,
  string | (string | { pattern: string })[],
  Record<string, 0 | 1>,
  ...unknown[],
][];
suites["node-ignore"] = nodeIgnore.flatMap(([, patterns, expectations]) => {
  const list = typeof patterns === "string" ? [patterns] : patterns;
  const domain = gitignoreDomain(list.map((p) => (typeof p === "string" ? p : p.pattern)));
  return Object.entries(expectations).map(([path, hit]) => ({
    suite: "node-ignore",
    ...domain,
    path,
    expected: hit,
  }));
});

/** Shell words of one t3070 line: bare words, '…' and "…" (with \\ and \" inside double quotes). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const word = /'([^']*)'|"((?:\\.|[^"\\])*)"|(\S+)/g;
  for (let m = word.exec(line); m; m = word.exec(line)) words.push(m[1] ?? m[2]?.replace(/\\(.)/g, "$1") ?? m[3]!);
  return words;
}

// git's t3070-wildmatch: the whole text against one pattern, with "/" special (the GLOB column). A table
// pattern is anchored with a leading "/" so that only the rules differ, not where matching starts.
const t3070Lines = readFileSync(resolve(DATA, "git-t3070-wildmatch.txt"), "utf8")
  .replace(/\\\n\s*/g, " ")
  .split("\n")
  .filter((l) => l.startsWith("match "));
suites.t3070 = t3070Lines.flatMap((line) => {
  const w = shellWords(line);
  const [text, pattern] = w.slice(-2) as [string, string];
  const glob = w[1];
  if (text === "" || pattern === "" || pattern.startsWith("/")) return [];
  return [
    {
      suite: "t3070",
      paths: ["/" + pattern],
      ignore: [],
      path: text,
      expected: glob === "E" ? "rejected" : glob === "1" ? 1 : 0,
    },
  ];
});

/** The disagreements each choice explains, per suite: pinned, so a change in matching shows up here. */
const EXPECTED_USE: Record<string, Record<string, number>> = {
  hmarr: { "no-escapes": 4, "wildcard-last-segment": 5, "double-star-slash": 1 },
  "github-docs": { "brackets-both-ways": 1 },
  t0008: {},
  "check-ignore grid": { "no-escapes": 144, "wildcard-last-segment": 154, "brackets-both-ways": 1 },
  "check-ignore workload": {},
  "node-ignore": { "no-escapes": 47, "malformed-class": 9, "wildcard-last-segment": 11, "ignore-always-wins": 9 },
  t3070: { "no-escapes": 30, "malformed-class": 11 },
};

describe("conformance with public pattern suites (../shared/conformance/data)", () => {
  test.each(Object.keys(EXPECTED_USE))("%s: every disagreement is a documented choice", (suite) => {
    const cases = suites[suite]!;
    expect(cases.length).toBeGreaterThan(0);
    const { unexplained, used } = classify(cases);
    expect(unexplained).toEqual([]);
    expect(Object.fromEntries(used)).toEqual(EXPECTED_USE[suite]);
  });

  test("every choice is documented in docs/configuration.md", () => {
    const doc = readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), "../../docs/configuration.md"), "utf8");
    for (const key of Object.keys(CHOICES)) expect([key, doc.includes(`<a id="${key}"></a>`)]).toEqual([key, true]);
  });
});
