import { afterAll, afterEach, describe, expect, test } from "@jest/globals";
import nock from "nock";
import { mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { repoFromRemoteUrl } from "../../src/cli/extends.js";
import { annotation } from "../../src/cli/problems.js";
import { cleanup, EXAMPLE_TABLE, git, initRepo, ROOT, run, tempDir, write } from "./helpers.js";

afterAll(cleanup);
afterEach(() => nock.cleanAll());
// nock patches node:http for the whole jest worker and each test file loads its own nock: release it when
// the file is done, or a later file's requests (the app's client is node:http) meet its stale interceptors.
afterAll(() => nock.restore());

/** The CLI in-process with the given environment (no GITHUB_* of the machine running the tests). */
const runEnv = (argv: string[], cwd: string, env: Record<string, string> = {}) => run(argv, cwd, undefined, env);

const ORG_TABLE = `version: 1
personas:
  security: { name: Security Engineer, teams: [security] }
  backend: { name: Backend Engineer, teams: [backend] }
domains:
  payments:
    paths: [src/payments/]
    require: [backend, security]
`;
/** A repository table that only adds a domain, for personas of the extended table. */
const child = (ext: string, persona = "security") =>
  `_extends: ${ext}\ndomains:\n  docs:\n    paths: [docs/]\n    require: [${persona}]\n`;

function repoWithOrigin(url = "git@github.com:acme/shop.git"): string {
  const dir = initRepo();
  git(dir, "remote", "add", "origin", url);
  return dir;
}

describe("validate resolves _extends", () => {
  test("a layer in this repository (known from the origin remote) is read from the working tree", async () => {
    const dir = repoWithOrigin();
    write(dir, ".github/reviewers.yml", child("acme/shop:policies/org.yml"));
    write(dir, "policies/org.yml", ORG_TABLE);
    const r = await runEnv(["validate"], dir);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(".github/reviewers.yml: valid: 2 personas, 2 domains, 2 patterns\n");
    expect(r.code).toBe(0);
  });

  test("GITHUB_REPOSITORY names this repository when there is no remote (as in Actions)", async () => {
    const dir = initRepo();
    write(dir, ".github/reviewers.yml", child("acme/shop:policies/org.yml", "securty"));
    write(dir, "policies/org.yml", ORG_TABLE);
    const r = await runEnv(["validate"], dir, { GITHUB_REPOSITORY: "acme/shop" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      '.github/reviewers.yml:5:15 domains.docs.require: unknown persona "securty" (did you mean "security"?)',
    );
  });

  test("a missing layer of this repository is an error naming the path", async () => {
    const dir = repoWithOrigin("https://github.com/acme/shop");
    write(dir, ".github/reviewers.yml", child("acme/shop:policies/org.yml"));
    const r = await runEnv(["validate"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      ".github/reviewers.yml:1:1 _extends: acme/shop:policies/org.yml is in this repository, but policies/org.yml does not exist in the working tree",
    );
  });

  test.each([
    ["a .. path", "../OUTSIDE/secret.yml"],
    ["a symbolic link out of the repository", "policies/link.yml"],
  ])("%s is refused, and nothing of the file it names is printed", async (_what, path) => {
    const dir = repoWithOrigin();
    const outside = tempDir(); // a sibling of dir: ../OUTSIDE/secret.yml from dir is this file
    write(outside, "secret.yml", "password: hunter2\n");
    const ext = `acme/shop:${path.replace("OUTSIDE", basename(outside))}`;
    write(dir, ".github/reviewers.yml", child(ext));
    mkdirSync(join(dir, "policies"));
    symlinkSync(join(outside, "secret.yml"), join(dir, "policies", "link.yml"));
    const r = await runEnv(["validate"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`_extends: ${ext}: the path leads outside the repository`);
    expect(r.stderr + r.stdout).not.toContain("hunter2");
  });

  test("another repository without a token: a warning says what was not checked; known-unknown personas are warnings", async () => {
    const dir = repoWithOrigin();
    write(dir, ".github/reviewers.yml", child("policy"));
    const r = await runEnv(["validate"], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      ".github/reviewers.yml:1:1 warning: _extends: acme/policy:.github/reviewers.yml is in another repository than this one (acme/shop): without a token the CLI does not read it, so personas, domains and settings defined there are not checked. Set GITHUB_TOKEN (or GH_TOKEN)",
    );
    expect(r.stderr).toContain(
      '.github/reviewers.yml:5:15 warning: domains.docs.require: unknown persona "security": not checked, it may be defined in the extended table',
    );
    expect(r.stdout).toBe(
      ".github/reviewers.yml: no errors (2 warnings), but the extended table was not read: see the warning above\n",
    );
  });

  test("plan refuses a table it cannot read whole, saying why", async () => {
    const dir = repoWithOrigin();
    write(dir, ".github/reviewers.yml", child("policy"));
    const r = await runEnv(["plan", "--files-from", "-"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^parallel-review: \.github\/reviewers\.yml cannot be used whole here: acme\/policy:/m);
  });

  test("another repository with a token is read through the GitHub API", async () => {
    const dir = repoWithOrigin();
    write(dir, ".github/reviewers.yml", child("policy"));
    let auth: string | undefined;
    const api = nock("https://ghe.example.com/api/v3")
      .get(/\/repos\/acme\/policy\/contents\/\.github/)
      .reply(function () {
        auth = String(this.req.headers.authorization);
        return [200, { type: "file", encoding: "base64", content: Buffer.from(ORG_TABLE).toString("base64") }];
      });
    const r = await runEnv(["validate"], dir, { GH_TOKEN: "t0ken", GITHUB_API_URL: "https://ghe.example.com/api/v3" });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(".github/reviewers.yml: valid: 2 personas, 2 domains, 2 patterns\n");
    expect(api.isDone()).toBe(true);
    expect(auth).toMatch(/t0ken$/);
  });

  test("with a token, a file the token cannot see is an error", async () => {
    const dir = repoWithOrigin();
    write(dir, ".github/reviewers.yml", child("policy"));
    nock("https://api.github.com")
      .get(/\/repos\/acme\/policy\/contents\/.*/)
      .reply(404, { message: "Not Found" });
    const r = await runEnv(["validate"], dir, { GITHUB_TOKEN: "t0ken" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "_extends: acme/policy:.github/reviewers.yml does not exist, or the token cannot see it: fix _extends or use a token that can read it",
    );
  });

  test.each([
    ["git@github.com:acme/shop.git", "acme/shop"],
    ["https://github.com/acme/shop.git", "acme/shop"],
    ["https://github.com/acme/shop", "acme/shop"],
    ["ssh://git@ghe.example.com:2222/acme/shop.git", "acme/shop"],
    ["/srv/git/shop.git", undefined],
  ])("the origin remote %s is %s", (url, repo) => {
    const r = repoFromRemoteUrl(url);
    expect(r ? `${r.owner}/${r.repo}` : undefined).toBe(repo);
  });
});

describe("validate output", () => {
  test("one tab of indentation gives one error, the real one, with the line and a caret under the tab", async () => {
    const dir = tempDir();
    write(dir, "t.yml", EXAMPLE_TABLE.replace("\n  security:\n", "\n\tsecurity:\n"));
    const r = await runEnv(["validate", "t.yml"], dir);
    expect(r.code).toBe(1);
    const line = EXAMPLE_TABLE.split("\n").indexOf("  security:") + 1;
    expect(r.stderr).toBe(
      `t.yml:${line}:1 a tab indents this line, and YAML indents with spaces only: replace the indentation with 2 spaces (the rest of the file was checked as if it were)\n` +
        ` ${line} | \tsecurity:\n` +
        ` ${" ".repeat(String(line).length)} | ^\n` +
        `t.yml: 1 error: not valid; fix the problems above and run "parallel-review validate" again\n`,
    );
  });

  test("--format annotations: GitHub workflow commands at the table's path from the repository top, line and column", async () => {
    const dir = initRepo();
    write(dir, ".github/reviewers.yml", EXAMPLE_TABLE.replace("on_push: changed-domains", "on_push: sometimes"));
    const line = EXAMPLE_TABLE.split("\n").findIndex((l) => l.includes("on_push:")) + 1;
    write(dir, "src/x.ts", "");
    const r = await runEnv(["validate", "--format", "annotations"], join(dir, "src"));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `::error file=.github/reviewers.yml,line=${line},col=12,title=parallel-review::settings.on_push: "sometimes" is not allowed here%3A use "keep", "dismiss", "changed-domains"\n`.replace(
        "%3A",
        ":",
      ),
    );
    expect(r.stderr).toMatch(/not valid/);
  });

  test("--format json lists the problems for tools", async () => {
    const dir = tempDir();
    write(dir, "t.yml", EXAMPLE_TABLE.replace("on_push: changed-domains", "on_push: sometimes"));
    const r = await runEnv(["validate", "--format=json", "t.yml"], dir);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { file: string; valid: boolean; checked: boolean; problems: unknown[] };
    expect(out).toMatchObject({ file: "t.yml", valid: false, checked: true });
    expect(out.problems).toEqual([
      expect.objectContaining({ severity: "error", column: 12, path: "settings.on_push" }),
    ]);
  });

  test("an unknown --format is a usage error", async () => {
    const r = await runEnv(["validate", "--format", "xml"], tempDir());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--format xml: use one of text, annotations, json");
  });

  test("annotation escapes what the runner would read as syntax", () => {
    const p = {
      severity: "warning" as const,
      file: "a,b:c.yml",
      line: 2,
      column: 3,
      path: "x",
      message: "50% done\nnext",
    };
    expect(annotation(p, true, "")).toBe(
      "::warning file=a%2Cb%3Ac.yml,line=2,col=3,title=parallel-review::x: 50%25 done%0Anext",
    );
    expect(annotation(p, false, "other/repo:f.yml:2:3 x: y")).toBe(
      "::warning title=parallel-review::other/repo:f.yml:2:3 x: y",
    );
  });
});

describe("the schema reference", () => {
  test("schema prints the shipped schema", async () => {
    const r = await runEnv(["schema"], tempDir());
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(
      JSON.parse(readFileSync(join(ROOT, "schema", "reviewers.schema.json"), "utf8")),
    );
  });

  test("a copied table whose schema line points at nothing gets a warning with the fix; a copy beside it silences it", async () => {
    const dir = initRepo();
    const bundled = readFileSync(join(ROOT, "reviewers.yml"), "utf8");
    write(dir, ".github/reviewers.yml", bundled);
    const before = await runEnv(["validate"], dir);
    expect(before.code).toBe(0);
    expect(before.stderr).toContain(
      '.github/reviewers.yml:1:33 warning: the schema "./schema/reviewers.schema.json" does not exist next to this file, so editors cannot use it: run "parallel-review schema > .github/reviewers.schema.json" and write "$schema=reviewers.schema.json"',
    );
    write(dir, ".github/reviewers.schema.json", (await runEnv(["schema"], dir)).stdout);
    write(
      dir,
      ".github/reviewers.yml",
      bundled.replace("$schema=./schema/reviewers.schema.json", "$schema=reviewers.schema.json"),
    );
    const after = await runEnv(["validate"], dir);
    expect(after.stderr).toBe("");
    expect(after.stdout).toMatch(/^\.github\/reviewers\.yml: valid: /);
  });
});
