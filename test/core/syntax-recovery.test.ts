import { describe, expect, test } from "@jest/globals";
import { readFileSync } from "node:fs";
import { formatProblem, parseTable } from "../../src/core/config.js";
import { PARSE_BUDGET, repairTabs } from "../../src/core/yaml-recover.js";

/** One YAML mistake must not hide, or pretend to be, every other problem (issue 11, item 4). */
const EXAMPLE = readFileSync(new URL("../../reviewers.yml", import.meta.url), "utf8");
const lines = (text: string) => parseTable({ file: "t.yml", text }).problems.map(formatProblem);

/** The example table with the indentation of the line starting with `start` (its first match) replaced by a tab. */
function tabbed(start: string, text = EXAMPLE): { text: string; line: number } {
  const all = text.split("\n");
  const i = all.findIndex((l) => l.startsWith(start));
  expect(i).toBeGreaterThanOrEqual(0);
  all[i] = "\t" + all[i]!.trimStart();
  return { text: all.join("\n"), line: i + 1 };
}

describe("tabs used as indentation", () => {
  test.each([
    ["a persona", "  security:", 2],
    ["a persona's key", "    name: Security Engineer", 4],
    ["a domain's key", "    description: IAM", 4],
    ["a domain's require entry", "      security: [Token generation secure", 6],
  ])("one tab before %s is one error, the real one, saying how many spaces", (_what, start, spaces) => {
    const { text, line } = tabbed(start);
    expect(lines(text)).toEqual([
      `t.yml:${line}:1 a tab indents this line, and YAML indents with spaces only: replace the indentation with ${spaces} spaces (the rest of the file was checked as if it were)`,
    ]);
  });

  test("the rest of the table is still checked, at the columns as written", () => {
    const { text, line } = tabbed("    name: Security Engineer");
    const broken = text.replace("on_push: changed-domains", "on_push: sometimes");
    const out = lines(broken);
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(new RegExp(`^t\\.yml:${line}:1 a tab indents this line`));
    expect(out[1]).toMatch(/^t\.yml:\d+:12 settings\.on_push: "sometimes" is not allowed here/);
  });

  test("a problem on the repaired line itself points into the line as written", () => {
    const { text, line } = tabbed(
      "    approvals: 1",
      EXAMPLE.replace("    teams: [security]\n", "    teams: [security]\n    approvals: 1\n"),
    );
    const out = lines(text.replace("\tapprovals: 1", "\tapprovals: 0"));
    expect(out).toEqual([
      `t.yml:${line}:1 a tab indents this line, and YAML indents with spaces only: replace the indentation with 4 spaces (the rest of the file was checked as if it were)`,
      `t.yml:${line}:13 personas.security.approvals: expected a whole number from 1 to 100, found number 0`,
    ]);
  });
});

describe("other syntax errors", () => {
  const TABLE = [
    "version: 1",
    "personas:",
    "  a: { teams: [x] }",
    "domains:",
    "  d:",
    "    paths: [x/]",
    "    require: [a]",
    "settings:",
    "  on_push: never",
    "",
  ].join("\n");

  test("problems of the sections the error leaves whole are still reported", () => {
    const text = TABLE.replace("  a: { teams: [x] }", "  a: { teams: [x] }\n  b: [unclosed");
    const out = lines(text);
    expect(out[0]).toBe(
      "t.yml:4:6 Flow sequence in block collection must be sufficiently indented and end with a ] (opened here; still open at line 5)",
    );
    expect(out.slice(1)).toEqual([
      't.yml:10:12 settings.on_push: "never" is not allowed here: use "keep", "dismiss", "changed-domains"',
    ]);
  });

  test("no unknown-persona error is blamed on a table whose personas section is broken", () => {
    const text = TABLE.replace("  a: { teams: [x] }", "  a: { teams: [x] }\n  b: [unclosed").replace(
      "require: [a]",
      "require: [a, b]",
    );
    expect(lines(text).some((l) => l.includes("unknown persona"))).toBe(false);
  });

  test("an unclosed quote that swallows the rest of the file reports only itself", () => {
    const text = TABLE.replace("    require: [a]", '    require: [a]\n  e: "unclosed');
    expect(lines(text)).toEqual(['t.yml:8:6 Missing closing "quote (opened here; still open at line 11)']);
  });

  test("the first problem is never a missing section the syntax error swallowed", () => {
    const text = TABLE.replace("personas:", 'personas: "oops');
    const out = lines(text);
    expect(out.some((l) => l.includes('missing "'))).toBe(false);
    expect(out.length).toBeGreaterThan(0);
  });
});

describe("the work a stranger's file can cause is bounded", () => {
  test("tab repair parses at most PARSE_BUDGET characters in all, however bad every candidate is", () => {
    const lines = Array.from({ length: 3000 }, (_, i) => (i % 300 === 0 ? "\t- ]] bad: [" : `  k${i}: v`));
    const text = ["version: 1", "personas:", ...lines].join("\n");
    let parsed = 0;
    const r = repairTabs(text, (candidate) => ((parsed += candidate.length), 1));
    expect(parsed).toBeLessThanOrEqual(PARSE_BUDGET);
    expect(r).toBeUndefined(); // out of budget: the ordinary recovery reports the file instead
  });

  test("a file larger than a table ever is, or with many tab lines, is not repaired at all", () => {
    const many = Array.from({ length: 11 }, (_, i) => `\tk${i}: v`).join("\n");
    expect(repairTabs(many, () => 0)).toBeUndefined();
    expect(repairTabs("\tk: v\n" + "#".repeat(40 * 1024), () => 0)).toBeUndefined();
  });
});
