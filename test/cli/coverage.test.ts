import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { join } from "node:path";
import type { CoverageReport } from "../../src/cli/coverage.js";
import { cleanup, EXAMPLE_TABLE, FIXTURES, git, initRepo, run, spawnCli, tempDir, write } from "./helpers.js";

let repo: string;
/** Line and column of `"k8s/"` in the example table, where coverage must point. */
let k8s: { line: number; column: number };

beforeAll(() => {
  repo = initRepo();
  write(repo, ".github/reviewers.yml", EXAMPLE_TABLE);
  for (const f of [
    "src/payments/charge.ts",
    "terraform/main.tf",
    "src/auth/login.ts",
    "README.md",
    "tools/lint.sh",
    "Dockerfile",
  ])
    write(repo, f, "x\n");
  write(repo, "untracked/new.ts", "x\n"); // not committed: not reported
  git(repo, "add", ".github", "src", "terraform", "README.md", "tools", "Dockerfile");
  git(repo, "commit", "-q", "-m", "files");
  const lines = EXAMPLE_TABLE.split("\n");
  const line = lines.findIndex((l) => l.includes('"k8s/"'));
  k8s = { line: line + 1, column: lines[line]!.indexOf('"k8s/"') + 1 };
});
afterAll(cleanup);

describe("coverage", () => {
  test("--json: uncovered tracked files and patterns matching nothing, with positions", async () => {
    const r = await run(["coverage", "--json"], repo);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as CoverageReport;
    expect(report.config).toBe(".github/reviewers.yml");
    expect(report.trackedFiles).toBe(7);
    // The table itself is reviewed by config_owners, so it is not listed.
    expect(report.uncovered).toEqual(["README.md", "tools/lint.sh"]);
    expect(report.patterns).toBe(29);
    const unused = report.unusedPatterns.map((p) => `${p.domain}.${p.key}:${p.pattern}`);
    expect(unused).toContain("iam.paths:k8s/");
    expect(unused).not.toContain("iam.ignore:**/*.md"); // README.md
    expect(unused).not.toContain("iam.paths:terraform/");
    expect(unused).not.toContain("payments.paths:src/payments/");
    expect(unused).not.toContain("ci-cd.paths:Dockerfile");
    expect(report.unusedPatterns.find((p) => p.pattern === "k8s/")).toEqual({
      domain: "iam",
      key: "paths",
      pattern: "k8s/",
      file: ".github/reviewers.yml",
      ...k8s,
    });
  });

  test("human output: lists, compiler-style pattern positions, and a summary", async () => {
    const r = await run(["coverage"], repo);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Coverage of \.github\/reviewers\.yml over 7 tracked files$/m);
    expect(r.stdout).toMatch(
      /^Files no domain covers \(2\): changes to them need no review \(settings\.unmatched is empty\)\n {2}README\.md\n {2}tools\/lint\.sh$/m,
    );
    expect(r.stdout).toContain(
      `  .github/reviewers.yml:${k8s.line}:${k8s.column} domains.iam.paths: "k8s/" matches no tracked file\n`,
    );
    expect(r.stdout).toMatch(/^2 of 7 tracked files uncovered; \d+ of 29 patterns match nothing\.$/m);
  });

  test("a typo'd pattern in a block list is located on its own line", async () => {
    const dir = initRepo();
    write(dir, "app/main.ts", "x\n");
    write(
      dir,
      "reviewers.yml",
      [
        "version: 1",
        "personas:",
        "  dev:",
        "    teams: [dev]",
        "domains:",
        "  app:",
        "    paths:",
        "      - app/",
        "      - ap/",
        "    require: [dev]",
        "",
      ].join("\n"),
    );
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "x");
    const r = spawnCli(["coverage"], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  reviewers.yml:9:9 domains.app.paths: "ap/" matches no tracked file\n');
    expect(r.stdout).toContain("Every tracked file is in a domain.");
  });

  test("an invalid table: exit 1 with its problems", async () => {
    const r = await run(["coverage", "--config", join(FIXTURES, "broken.yml")], repo);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/broken\.yml:12:35 domains\.payments\.paths: invalid pattern "src\/\[bad"/);
  });

  test("outside git: exit 1 saying it needs a repository", async () => {
    const dir = tempDir();
    write(dir, "reviewers.yml", EXAMPLE_TABLE);
    const r = await run(["coverage"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/coverage needs a git repository/);
  });

  test("unknown flag: exit 2", async () => {
    const r = await run(["coverage", "--base", "main"], repo);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option "--base" for "coverage" \(options: --config, --json\)/);
  });
});
