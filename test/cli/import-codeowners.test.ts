import { afterAll, describe, expect, test } from "@jest/globals";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, initRepo, ROOT, run, tempDir, write } from "./helpers.js";

afterAll(cleanup);

const DOCS_EXAMPLE = readFileSync(join(ROOT, "test", "fixtures", "codeowners", "github-docs.CODEOWNERS"), "utf8");

describe("import-codeowners", () => {
  test("finds .github/CODEOWNERS, prints a table validate accepts, and lists what it could not import", async () => {
    const dir = initRepo();
    write(dir, ".github/CODEOWNERS", DOCS_EXAMPLE);
    const r = await run(["import-codeowners"], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# Review table imported from \.github\/CODEOWNERS/);
    expect(r.stderr).toMatch(
      /^\.github\/CODEOWNERS:\d+:6 owner "docs@example\.com" is an e-mail address: the table names GitHub logins and teams; add the person's login by hand$/m,
    );
    expect(r.stderr).toMatch(/^note: one person who owns files of several lines now counts for one persona only/m);
    expect(r.stderr).toMatch(
      /^\.github\/CODEOWNERS: imported 6 personas and 10 domains; 5 lines not imported as written\n$/m,
    );
    write(dir, ".github/reviewers.yml", r.stdout);
    const v = await run(["validate"], dir);
    expect(v.stderr).toBe("");
    expect(v.stdout).toBe(".github/reviewers.yml: valid: 6 personas, 10 domains, 46 patterns\n");
  });

  test("a file with nothing importable is an error that lists each line", async () => {
    const dir = tempDir();
    write(dir, "CO", "# only e-mail owners\n*.go docs@example.com\nsrc/[ab].js @x\n");
    const r = await run(["import-codeowners", "CO"], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n")).toEqual([
      'CO:2:1 "*.go": no owner could be imported, so the line is left out and earlier lines keep these files',
      'CO:2:6 owner "docs@example.com" is an e-mail address: the table names GitHub logins and teams; add the person\'s login by hand',
      'CO:3:1 "src/[ab].js": "[ ]" is an error in CODEOWNERS (GitHub flags the line); not imported',
      "parallel-review: CO has no line with a pattern and an owner the table can express: nothing to import (see above)",
      "",
    ]);
  });

  test("no CODEOWNERS anywhere GitHub looks: exit 1 naming the places", async () => {
    const dir = initRepo();
    const r = await run(["import-codeowners"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no CODEOWNERS file found: looked for \.github\/CODEOWNERS, CODEOWNERS, docs\/CODEOWNERS/);
  });
});
