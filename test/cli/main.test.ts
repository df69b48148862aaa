import { afterAll, describe, expect, test } from "@jest/globals";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, ROOT, run, spawnCli, tempDir } from "./helpers.js";

afterAll(cleanup);

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };

describe("main", () => {
  test.each([[[]], [["--help"]], [["-h"]], [["help"]]])("%j prints the usage of every command", async (argv) => {
    const r = await run(argv, tempDir());
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^Usage: parallel-review <command> \[options\]$/m);
    for (const c of ["validate", "plan", "coverage"])
      expect(r.stdout).toMatch(new RegExp(`^Usage: parallel-review ${c}`, "m"));
    expect(r.stdout).toContain("--files-from FILE");
  });

  test("a command's --help prints its own usage", async () => {
    const r = await run(["plan", "--help"], tempDir());
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^Usage: parallel-review plan \[--config FILE\] \[--base REF \| --files-from FILE\|-\] \[--json\]/,
    );
    expect(r.stdout).not.toContain("Usage: parallel-review coverage");
  });

  test("--version prints the package version", async () => {
    const r = await run(["--version"], tempDir());
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`parallel-review ${pkg.version}\n`);
  });

  test("unknown command or option: exit 2 with a hint", async () => {
    const cmd = await run(["plna"], tempDir());
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toBe(
      'parallel-review: unknown command "plna" (commands: validate, plan, coverage, import-codeowners, schema, report)\nRun "parallel-review --help" for usage.\n',
    );
    const opt = await run(["--verbose"], tempDir());
    expect(opt.code).toBe(2);
    expect(opt.stderr).toMatch(/unknown option "--verbose"/);
  });

  test("the built CLI: --help, --version and an unknown flag's exit status", () => {
    const dir = tempDir();
    const help = spawnCli(["--help"], dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: parallel-review plan/m);
    expect(spawnCli(["--version"], dir).stdout).toBe(`parallel-review ${pkg.version}\n`);
    const bad = spawnCli(["validate", "--strict"], dir);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toBe(
      'parallel-review: unknown option "--strict" for "validate" (options: --format, --online, --token, --repo)\nRun "parallel-review validate --help" for usage.\n',
    );
    const none = spawnCli(["schema", "--strict"], dir);
    expect(none.stderr).toMatch(/^parallel-review: unknown option "--strict" for "schema": it takes no options\n/);
  });
});
