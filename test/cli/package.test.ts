import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { cleanup, EXAMPLE_TABLE, git, initRepo, paymentChange, ROOT, tempDir, write } from "./helpers.js";

/**
 * The CLI outside this clone (issue 11, item 11): the package as `npm pack` makes it, installed into a
 * scratch repository, runs validate, plan and coverage there; and the GitHub Action's steps run in a
 * pull request's checkout.
 */
afterAll(cleanup);

interface Pkg {
  name: string;
  version: string;
  license: string;
  dependencies: Record<string, string>;
  bin: Record<string, string>;
  engines: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Pkg;
const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
  packages: Record<string, { dev?: boolean; link?: boolean }>;
};

function npm(args: string[], cwd: string): { code: number; out: string } {
  const r = spawnSync("npm", args, { cwd, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/**
 * Installs the tarball without the network: a lockfile made of this repository's production
 * dependencies (what `npm ci` here put in npm's cache) lets `npm ci --offline` install the package as
 * a user's `npm install` would resolve it. Only when something is not cached does it ask the registry.
 */
function installOffline(dir: string, tarball: string): void {
  const spec = `file:${tarball}`;
  const integrity = `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`;
  const packages: Record<string, unknown> = {
    "": { name: "scratch", dependencies: { [pkg.name]: spec } },
    [`node_modules/${pkg.name}`]: {
      version: pkg.version,
      resolved: spec,
      integrity,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [key, entry] of Object.entries(lock.packages)) if (key && !entry.dev && !entry.link) packages[key] = entry;
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "scratch", private: true, dependencies: { [pkg.name]: spec } }),
  );
  writeFileSync(
    join(dir, "package-lock.json"),
    JSON.stringify({ name: "scratch", lockfileVersion: 3, requires: true, packages }),
  );
  const flags = ["--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"];
  let r = npm(["ci", "--offline", ...flags], dir);
  if (r.code !== 0 && r.out.includes("ENOTCACHED")) r = npm(["ci", "--prefer-offline", ...flags], dir);
  if (r.code !== 0) throw new Error(`npm ci of the packed tarball failed:\n${r.out}`);
}

describe("the packed CLI in another repository", () => {
  let tarball: string;
  let repo: string;
  const cli = (...args: string[]) => {
    const r = spawnSync("npx", ["--offline", "--no", "parallel-review", ...args], {
      cwd: repo,
      encoding: "utf8",
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(() => {
    // lib/ is built by `npm test` before jest; --ignore-scripts keeps pack from rebuilding it under other tests.
    const out = tempDir();
    const packed = JSON.parse(
      execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", out], {
        cwd: ROOT,
        encoding: "utf8",
      }),
    ) as { filename: string; files: { path: string }[] }[];
    tarball = join(out, packed[0]!.filename);
    const files = packed[0]!.files.map((f) => f.path);
    expect(files).toEqual(
      expect.arrayContaining(["LICENSE", "bin/parallel-review.js", "lib/cli/main.js", "schema/reviewers.schema.json"]),
    );
    expect(files.some((f) => f.startsWith("src/") || f.startsWith("test/"))).toBe(false);

    repo = initRepo();
    installOffline(repo, tarball);
    paymentChange(repo, {
      ".gitignore": "node_modules/\n",
      ".github/reviewers.yml": EXAMPLE_TABLE,
      "docs/guide.md": "# Guide\n",
    });
  }, 120_000);

  test("the license file is the one package.json names", () => {
    expect(pkg.license).toBe("MIT");
    expect(readFileSync(join(ROOT, "LICENSE"), "utf8")).toMatch(/^MIT License\n/);
  });

  test("validate", () => {
    const r = cli("validate");
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(".github/reviewers.yml: valid: 8 personas, 6 domains, 29 patterns\n");
    expect(r.code).toBe(0);
  });

  test("plan", () => {
    const r = cli("plan");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Review plan: HEAD against main \(merge base [0-9a-f]{12}\)\n/);
    expect(r.stdout).toContain("payments  src/payments/charge.ts  backend, security, finance");
  });

  test("coverage", () => {
    const r = cli("coverage");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Coverage of \.github\/reviewers\.yml over 6 tracked files\n/);
  });

  test("schema, for an editor reference beside the table", () => {
    const r = cli("schema");
    expect(JSON.parse(r.stdout)).toEqual(
      JSON.parse(readFileSync(join(ROOT, "schema", "reviewers.schema.json"), "utf8")),
    );
  });
});

describe("the GitHub Action (action.yml)", () => {
  interface Step {
    id: string;
    run: string;
    shell: string;
    env?: Record<string, string>;
  }
  const action = parse(readFileSync(join(ROOT, "action.yml"), "utf8")) as {
    runs: { using: string; steps: Step[] };
    inputs: Record<string, { default?: string }>;
  };
  const step = (id: string) => action.runs.steps.find((s) => s.id === id)!;

  /** Runs one step's script as the runner would: bash -e, its env with ${{ inputs.* }} filled in. */
  function runStep(id: string, cwd: string, inputs: Record<string, string>, extra: Record<string, string>) {
    const s = step(id);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.env ?? {}))
      env[k] = v.replace(/\$\{\{\s*inputs\.(\w+)\s*\}\}/g, (_, name: string) => inputs[name] ?? "");
    const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", s.run], {
      cwd,
      encoding: "utf8",
      env: { PATH: process.env.PATH!, HOME: process.env.HOME!, GITHUB_ACTION_PATH: ROOT, ...env, ...extra },
    });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  /** A pull request's checkout: a clone of a repository whose main has the table, on a feature branch. */
  function checkout(table: string): string {
    const origin = initRepo();
    write(origin, ".github/reviewers.yml", table);
    write(origin, "src/payments/charge.ts", "export const charge = 1;\n");
    git(origin, "add", "-A");
    git(origin, "commit", "-q", "-m", "base");
    const work = tempDir();
    git(work, "clone", "-q", origin, ".");
    git(work, "config", "user.name", "Test User");
    git(work, "config", "user.email", "test@example.com");
    git(work, "checkout", "-q", "-b", "feature");
    write(work, "src/payments/charge.ts", "export const charge = 2;\n");
    git(work, "commit", "-q", "-am", "change a payment");
    return work;
  }

  test("is a composite action: install, validate, plan; inputs reach the scripts through env only", () => {
    expect(action.runs.using).toBe("composite");
    expect(action.runs.steps.map((s) => s.id)).toEqual(["install", "validate", "plan"]);
    expect(Object.keys(action.inputs).sort()).toEqual(["base", "config", "token"]);
    // An input pasted into a script is a shell injection; the scripts read $PR_* variables instead.
    for (const s of action.runs.steps) expect(s.run).not.toMatch(/\$\{\{/);
    // No token by default: the workflow's own token cannot read another repository, and a failed read
    // is an error where no token is a clear "not checked" warning.
    expect(action.inputs.token!.default).toBe("");
  });

  test("validate annotates a broken table at its line and column, and fails the step", () => {
    const work = checkout(EXAMPLE_TABLE.replace("on_push: changed-domains", "on_push: sometimes"));
    const line = EXAMPLE_TABLE.split("\n").findIndex((l) => l.includes("on_push:")) + 1;
    const r = runStep("validate", work, { config: "" }, {});
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `::error file=.github/reviewers.yml,line=${line},col=12,title=parallel-review::settings.on_push: "sometimes" is not allowed here: use "keep", "dismiss", "changed-domains"\n`,
    );
  });

  test("validate passes a valid table with no annotation; plan prints the plan and writes it to the job summary", () => {
    const work = checkout(EXAMPLE_TABLE);
    expect(runStep("validate", work, { config: "" }, {})).toMatchObject({
      code: 0,
      stdout: ".github/reviewers.yml: valid: 8 personas, 6 domains, 29 patterns\n",
    });
    const summary = join(tempDir(), "summary.md");
    writeFileSync(summary, "");
    const r = runStep(
      "plan",
      work,
      { config: ".github/reviewers.yml", base: "" },
      { GITHUB_BASE_REF: "main", GITHUB_STEP_SUMMARY: summary },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Review plan: HEAD against origin\/main/);
    const md = readFileSync(summary, "utf8");
    expect(md).toMatch(/^### Review plan\n\n```text\nReview plan: HEAD against origin\/main/);
    expect(md).toContain("payments  src/payments/charge.ts  backend, security, finance");
  });
});
