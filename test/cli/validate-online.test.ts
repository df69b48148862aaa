import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import { forgetDirectory } from "../../src/github/directory.js";
import type { GitHubSimulator } from "../../src/simulator/index.js";
import { appJwt, appKeys, octokit, startSim } from "../simulator/helpers.js";
import { cleanup, git, initRepo, run, tempDir, write } from "./helpers.js";

/**
 * `validate --online` against the GitHub simulator (no internet): teams and users the table names are
 * looked up with the token, as the gate does, and reported at the table's line and column. Every
 * request the CLI makes is validated against GitHub's OpenAPI description by the simulator.
 */

let sim: GitHubSimulator;
let token: string;

beforeAll(async () => {
  sim = await startSim();
  sim.createTeam("security", { members: ["alice", "bob"] });
  sim.createTeam("empty-team");
  // An installation token of the simulator stands for the user's token: both are sent as a bearer token.
  const app = octokit(sim.apiUrl, appJwt(appKeys().privateKey, 42));
  const { data } = await app.request("POST /app/installations/{installation_id}/access_tokens", { installation_id: 1 });
  token = data.token;
});
afterAll(async () => {
  await sim.stop();
  cleanup();
});
afterEach(() => {
  expect(sim.validationErrors).toEqual([]);
  forgetDirectory();
});

const TABLE = [
  "version: 1", // 1
  "personas:", // 2
  "  security:", // 3
  "    teams: [secuirty]", // 4
  "  finance:", // 5
  "    users: [alice, fiona-typo]", // 6
  "  platform:", // 7
  "    teams: [empty-team]", // 8
  "  ok:", // 9
  "    teams: [security]", // 10
  "    users: [carol]", // 11
  "    approvals: 3", // 12
  "domains:", // 13
  "  all:", // 14
  "    paths: [src/]", // 15
  "    require: [security, finance, platform, ok]", // 16
].join("\n");

function repo(table: string, origin = "git@github.com:acme/demo.git"): string {
  const dir = initRepo();
  git(dir, "remote", "add", "origin", origin);
  write(dir, ".github/reviewers.yml", table + "\n");
  return dir;
}

const env = (extra: Record<string, string> = {}) => ({ GITHUB_TOKEN: token, GITHUB_API_URL: sim.apiUrl, ...extra });

describe("validate --online", () => {
  test("reports unknown teams and users and personas nobody can satisfy, at their line and column", async () => {
    const r = await run(["validate", "--online"], repo(TABLE), undefined, env());
    expect(r.code).toBe(1);
    const lines = r.stderr.split("\n").filter((l) => /^\.github\/reviewers\.yml:\d+:\d+ /.test(l));
    expect(lines).toEqual([
      '.github/reviewers.yml:4:13 personas.security.teams.0: team "secuirty" does not exist in acme, or the token cannot see it (it needs read:org, or Members: read for a fine-grained token): fix the name or the token',
      '.github/reviewers.yml:6:20 personas.finance.users.1: user "fiona-typo" does not exist on GitHub: fix the login',
      ".github/reviewers.yml:8:5 personas.platform: nobody can satisfy platform: it needs 1 approval but its teams and users have 0 active members",
    ]);
    // Like every validate problem: the source line and a caret under the column.
    expect(r.stderr).toContain(" 4 |     teams: [secuirty]\n   |             ^\n");
    expect(r.stderr).toContain(".github/reviewers.yml: 3 errors: not valid");
  });

  test("a table whose teams and users all exist is valid, and says it was checked on GitHub", async () => {
    const good = TABLE.replace("secuirty", "security").replace(", fiona-typo", "").replace("empty-team", "security");
    const r = await run(["validate", "--online"], repo(good), undefined, env());
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(
      ".github/reviewers.yml: valid: 4 personas, 1 domain, 1 pattern; teams and users checked on GitHub\n",
    );
    expect(r.code).toBe(0);
  });

  test("--token instead of GITHUB_TOKEN; --repo names the organization outside a GitHub clone; --format json", async () => {
    const dir = tempDir();
    write(dir, "reviewers.yml", TABLE + "\n");
    const r = await run(
      ["validate", "--online", "--token", token, "--repo", "acme/demo", "--format", "json", "reviewers.yml"],
      dir,
      undefined,
      { GITHUB_API_URL: sim.apiUrl },
    );
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      valid: boolean;
      online: boolean;
      problems: { line: number; column: number }[];
    };
    expect(out).toMatchObject({ valid: false, online: true });
    expect(out.problems.map((p) => [p.line, p.column])).toEqual([
      [4, 13],
      [6, 20],
      [8, 5],
    ]);
  });

  test("annotations carry the file, line and column for the pull request", async () => {
    const r = await run(["validate", "--online", "--format", "annotations"], repo(TABLE), undefined, env());
    expect(r.stdout.split("\n")[0]).toMatch(/^::error file=\.github\/reviewers\.yml,line=4,col=13,/);
  });

  test("without a token, or with one GitHub refuses, it says so and fails; --token alone is a usage error", async () => {
    const none = await run(["validate", "--online"], repo(TABLE), undefined, { GITHUB_API_URL: sim.apiUrl });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(
      "validate --online needs a GitHub token: set GITHUB_TOKEN (or GH_TOKEN), or pass --token",
    );
    const bad = await run(["validate", "--online"], repo(TABLE), undefined, env({ GITHUB_TOKEN: "ghs_notarealtoken" }));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("validate --online could not ask GitHub (401): the token is not valid");
    const alone = await run(["validate", "--token", "x"], repo(TABLE), undefined, {});
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain("--token is for --online: add --online");
  });

  test("bare team slugs with no known organization: it says how to name it", async () => {
    const dir = tempDir();
    write(dir, "reviewers.yml", TABLE + "\n");
    const r = await run(["validate", "--online", "reviewers.yml"], dir, undefined, env());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("pass --repo OWNER/NAME");
  });

  test("a persona defined in an extended table is reported in that file, at its own line", async () => {
    const dir = repo(
      "_extends: acme/demo:policies/org.yml\ndomains:\n  docs:\n    paths: [docs/]\n    require: [security]",
    );
    write(
      dir,
      "policies/org.yml",
      "version: 1\npersonas:\n  security:\n    teams: [secuirty]\ndomains:\n  src:\n    paths: [src/]\n    require: [security]\n",
    );
    const r = await run(["validate", "--online"], dir, undefined, env());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'acme/demo:policies/org.yml:4:13 personas.security.teams.0: team "secuirty" does not exist',
    );
  });
});
