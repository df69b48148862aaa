import { describe, expect, test } from "@jest/globals";
import { existsSync, readFileSync } from "node:fs";
import { importCodeowners } from "../../src/core/codeowners.js";
import { parseTable } from "../../src/core/config.js";
import { PathMatcher } from "../../src/core/matcher.js";
import { planReview } from "../../src/core/plan.js";
import type { ReviewTable } from "../../src/core/types.js";

/** CODEOWNERS → review table (issue 11, item 12), on GitHub's own documented examples. */
const SHARED = new URL("../../../shared/conformance/data/github-docs-codeowners.mjs", import.meta.url);
const DOCS_EXAMPLE = readFileSync(new URL("../fixtures/codeowners/github-docs.CODEOWNERS", import.meta.url), "utf8");

interface DocCase {
  readonly paths: readonly string[];
  readonly ignore?: readonly string[];
  readonly path: string;
  readonly expect: 0 | 1 | "rejected";
  readonly claim: string;
}

function tableOf(text: string): ReviewTable {
  const { yaml } = importCodeowners(text);
  const parsed = parseTable({ file: "imported.yml", text: yaml });
  expect(parsed.problems).toEqual([]);
  return parsed.table!;
}

/** The personas a change to `path` needs, by their reviewers (`@a or @b`). */
function owners(table: ReviewTable, path: string): string[] {
  return planReview(table, [{ path, status: "modified" }], [])
    .personas.map((p) => [...p.teams, ...p.users].map((o) => `@${o}`).join(" "))
    .sort();
}

/** GitHub's rule, computed independently: the owners of the last line whose pattern matches. */
function lastMatch(text: string, path: string): string[] {
  let found: string[] = [];
  for (const raw of text.split("\n")) {
    const [pattern, ...rest] = raw
      .replace(/(^|\s)#.*$/, "")
      .trim()
      .split(/\s+/);
    if (!pattern || /[[\]!]/.test(pattern)) continue;
    if (new PathMatcher([{ pattern, tag: 0 }]).match(path).length > 0) found = rest.filter((o) => o.startsWith("@"));
  }
  return found.length > 0 ? [found.join(" ")] : [];
}

const docCases: DocCase[] = existsSync(SHARED) ? ((await import(SHARED.href)) as { cases: DocCase[] }).cases : [];

describe("GitHub's documented CODEOWNERS claims, one line (and its owner-less exceptions) at a time", () => {
  test("the conformance data is there (../shared beside the repository)", () => {
    expect(docCases.length).toBeGreaterThan(20);
  });

  test.each(docCases.map((c) => [c.claim, c] as const))("%s", (_claim, c) => {
    const text = [`${c.paths[0]} @octocat`, ...(c.ignore ?? [])].join("\n") + "\n";
    const imported = importCodeowners(text);
    if (c.expect === "rejected") {
      expect(imported.domains).toBe(0);
      expect(imported.skipped).toEqual([expect.objectContaining({ line: 1, column: 1 })]);
      return;
    }
    expect(owners(tableOf(text), c.path)).toEqual(c.expect === 1 ? ["@octocat"] : []);
  });
});

describe("GitHub's example CODEOWNERS file as a whole", () => {
  const table = tableOf(DOCS_EXAMPLE);
  const paths = [...new Set([...docCases.map((c) => c.path), "README.md", "src/x.go", "apps/github/a.rb"])];

  test.each(paths)("%s needs the owners of its last matching line (e-mail owners aside)", (path) => {
    const expected = lastMatch(DOCS_EXAMPLE, path);
    const byEmail = /\.go$|^docs\/[^/]+$/.test(path) && !/^docs\/.+\//.test(path);
    // A line whose only owner is an e-mail is not imported: earlier lines keep its files (fail closed).
    if (!byEmail) expect(owners(table, path)).toEqual(expected);
    else expect(owners(table, path).length).toBeGreaterThan(0);
  });

  test("every owner set is one persona, every imported line one domain; what cannot be said is listed with its line", () => {
    const r = importCodeowners(DOCS_EXAMPLE, ".github/CODEOWNERS");
    expect(r.personas).toBe(6);
    expect(r.domains).toBe(10);
    const lineOf = (s: string) => DOCS_EXAMPLE.split("\n").findIndex((l) => l.startsWith(s)) + 1;
    expect(r.skipped.filter((s) => s.line > 0).map((s) => [s.line, s.message.split(":")[0]])).toEqual([
      [lineOf("*.go"), '"*.go"'],
      [lineOf("*.go"), 'owner "docs@example.com" is an e-mail address'],
      [lineOf("docs/*"), '"docs/*"'],
      [lineOf("docs/*"), 'owner "docs@example.com" is an e-mail address'],
      [
        lineOf("/apps/ @octocat"),
        '"/apps/" is given again on line ' + (lineOf("/apps/github @doctocat") - 1) + ", which wins on GitHub",
      ],
    ]);
    expect(r.skipped.filter((s) => s.line === 0).map((s) => s.message)).toEqual([
      expect.stringContaining("settings.distinct_reviewers"),
      expect.stringContaining("settings.config_owners"),
    ]);
  });

  test("teams keep their organization; users lose the @", () => {
    expect(table.personas.find((p) => p.id === "octocats")).toMatchObject({ teams: ["octo-org/octocats"], users: [] });
    expect(table.personas.find((p) => p.id === "doctocat-or-octocat")).toMatchObject({
      name: "@doctocat or @octocat",
      users: ["doctocat", "octocat"],
    });
  });
});
