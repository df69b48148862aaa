import { afterAll, describe, expect, test } from "@jest/globals";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { cleanup, EXAMPLE_TABLE, FIXTURES, initRepo, run, spawnCli, tempDir, write } from "./helpers.js";

afterAll(cleanup);

describe("validate", () => {
  test("the example table is valid: exit 0 and a summary on stdout", async () => {
    const dir = initRepo();
    write(dir, "reviewers.yml", EXAMPLE_TABLE);
    const r = await run(["validate"], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("reviewers.yml: valid: 8 personas, 6 domains, 29 patterns\n");
  });

  test(".github/reviewers.yml comes first, found from a subdirectory at the repository's top level", async () => {
    const dir = initRepo();
    write(dir, ".github/reviewers.yml", EXAMPLE_TABLE);
    write(dir, "reviewers.yml", "not: a table\n");
    mkdirSync(join(dir, "src", "deep"), { recursive: true });
    const r = await run(["validate"], join(dir, "src", "deep"));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\.\.\/\.\.\/\.github\/reviewers\.yml: valid: 8 personas/);
  });

  test("warnings are printed but the table stays valid", async () => {
    const dir = tempDir();
    const line = "      design: [Visual hierarchy clear, Typography consistent, Accessibility verified]\n";
    expect(EXAMPLE_TABLE).toContain(line);
    write(dir, "t.yml", EXAMPLE_TABLE.replace(line, "")); // design is then required by no domain
    const r = await run(["validate", "t.yml"], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^t\.yml:\d+:3 warning: personas\.design: persona "design" is not required by any domain/m,
    );
    expect(r.stdout).toBe("t.yml: valid (1 warning): 8 personas, 6 domains, 29 patterns\n");
  });

  test("a broken table prints every problem with file:line:col and its source line with a caret, then a summary, and exits 1", async () => {
    const dir = tempDir();
    copyFileSync(join(FIXTURES, "broken.yml"), join(dir, "broken.yml"));
    const r = await run(["validate", "broken.yml"], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n")).toEqual([
      'broken.yml:4:3 warning: personas.security: persona "security" is not required by any domain: add it to a domain\'s "require" or remove it',
      " 4 |   security:",
      "   |   ^",
      "broken.yml:6:16 personas.security.approvals: expected a whole number from 1 to 100, found number 0",
      " 6 |     approvals: 0",
      "   |                ^",
      'broken.yml:9:13 personas.backend.teams: write the team as "backend" (no "@")',
      ' 9 |     teams: ["@backend"]',
      "   |             ^",
      'broken.yml:12:35 domains.payments.paths: invalid pattern "src/[bad": unclosed "[": close the character class with "]"',
      ' 12 |     paths: ["src/payments/", "src/[bad"]',
      "    |                                   ^",
      'broken.yml:14:7 domains.payments.require.securty: unknown persona "securty" (did you mean "security"?)',
      " 14 |       securty: [PCI compliance verified]",
      "    |       ^",
      'broken.yml:17:12 settings.on_push: "sometimes" is not allowed here: use "keep", "dismiss", "changed-domains"',
      " 17 |   on_push: sometimes",
      "    |            ^",
      'broken.yml: 5 errors, 1 warning: not valid; fix the problems above and run "parallel-review validate" again',
      "",
    ]);
  });

  test("a YAML syntax error is reported with its position", async () => {
    const dir = tempDir();
    write(dir, "bad.yml", "version: 1\npersonas:\n  a: [unclosed\n");
    const r = await run(["validate", "bad.yml"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bad\.yml:\d+:\d+ /m);
    expect(r.stderr).toMatch(/bad\.yml: \d+ errors?.*: not valid/);
  });

  test("no table in the repository: exit 1 naming both paths tried and what to do", async () => {
    const dir = initRepo();
    const r = await run(["validate"], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `parallel-review: no review table found: looked for ${join(dir, ".github/reviewers.yml")} and ${join(dir, "reviewers.yml")}. ` +
        "Create .github/reviewers.yml (start from the reviewers.yml shipped with parallel-review, see docs/configuration.md) or pass its path with --config FILE\n",
    );
  });

  test("a missing FILE: exit 1 naming it", async () => {
    const dir = tempDir();
    const r = await run(["validate", "nope.yml"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^parallel-review: cannot read the review table nope\.yml: no such file\. Check the path/);
  });

  test("outside git, the current directory is searched", async () => {
    const dir = tempDir();
    write(dir, "reviewers.yml", EXAMPLE_TABLE);
    expect((await run(["validate"], dir)).code).toBe(0);
    const empty = tempDir();
    const r = await run(["validate"], empty);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("(not in a git repository, so in the current directory)");
  });

  test("the built CLI sets the exit status", () => {
    const dir = tempDir();
    copyFileSync(join(FIXTURES, "broken.yml"), join(dir, "reviewers.yml"));
    const r = spawnCli(["validate"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('reviewers.yml:14:7 domains.payments.require.securty: unknown persona "securty"');
  });
});
