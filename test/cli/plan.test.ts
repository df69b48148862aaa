import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { join } from "node:path";
import type { ReviewPlan } from "../../src/core/plan.js";
import {
  cleanup,
  EXAMPLE_TABLE,
  FIXTURES,
  git,
  initRepo,
  run,
  scenarioRepo,
  spawnCli,
  tempDir,
  write,
} from "./helpers.js";

type JsonPlan = ReviewPlan & { config: string };

let repo: string;
beforeAll(() => {
  repo = scenarioRepo();
});
afterAll(cleanup);

const byId = <T extends { id: string }>(list: readonly T[], id: string): T => {
  const found = list.find((x) => x.id === id);
  if (!found) throw new Error(`no ${id} in ${list.map((x) => x.id).join(", ")}`);
  return found;
};

/** The plan every way of computing the scenario's change must give. */
function expectScenarioPlan(plan: JsonPlan): void {
  expect(plan.config).toBe("reviewers.yml");
  expect(plan.domains.map((d) => d.id)).toEqual(["iam", "auth", "payments"]);
  // The rename into iam counts under its new path, the rename out of auth under its old one.
  expect(byId(plan.domains, "iam").files).toEqual(["infra/setup.sh", "terraform/iam.tf"]);
  expect(byId(plan.domains, "auth").files).toEqual(["misc/login.ts"]);
  // The removed file counts for its domain.
  expect(byId(plan.domains, "payments").files).toEqual(["src/billing/invoice.ts", "src/payments/charge.ts"]);
  expect(byId(plan.domains, "payments").personas).toEqual(["backend", "security", "finance"]);
  expect(plan.unmatched).toEqual(["README.md"]); // the table file has its own reviewers (config owners)
  expect(plan.tableChange).toEqual({ files: ["reviewers.yml"], personas: ["security"] });

  expect(plan.personas.map((p) => p.id)).toEqual(["infra", "security", "backend", "finance"]);
  const security = byId(plan.personas, "security");
  expect(security.name).toBe("Security Engineer");
  expect(security.domains).toEqual(["iam", "auth", "payments"]);
  expect(security.files).toContain("reviewers.yml");
  expect(security.criteria.map((g) => g.source)).toEqual(["persona", "iam", "auth", "payments"]);
  expect(
    byId(
      security.criteria.map((g) => ({ ...g, id: g.source })),
      "payments",
    ).items,
  ).toEqual(["PCI compliance verified", "Fraud prevention in place", "No credential exposure"]);
  expect(security.reasons.some((r) => r.includes("review table itself changed"))).toBe(true);
  const finance = byId(plan.personas, "finance");
  expect(finance.files).toEqual(["src/billing/invoice.ts", "src/payments/charge.ts"]);
  expect(finance.criteria).toEqual([
    {
      source: "payments",
      title: "Payment processing",
      items: ["Refund logic correct", "Reconciliation accurate", "Idempotency verified"],
    },
  ]);
  expect(byId(plan.personas, "infra").approvals).toBe(1);
}

describe("plan of the current branch", () => {
  test("--json: domains, personas with criteria, renames under both paths, removals, the table change", async () => {
    const r = await run(["plan", "--json"], repo);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expectScenarioPlan(JSON.parse(r.stdout) as JsonPlan);
  });

  test("the built CLI (node bin/parallel-review.js) gives the same plan, from a subdirectory too", () => {
    const r = spawnCli(["plan", "--json"], join(repo, "src"));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as JsonPlan;
    expect(plan.config).toBe(join("..", "reviewers.yml"));
    expectScenarioPlan({ ...plan, config: "reviewers.yml" });
  });

  test("--base main gives the same plan; --base with an unknown ref explains what to do", async () => {
    const r = await run(["plan", "--json", "--base", "main"], repo);
    expect(r.code).toBe(0);
    expectScenarioPlan(JSON.parse(r.stdout) as JsonPlan);

    const bad = await run(["plan", "--base", "no-such-branch"], repo);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toMatch(/--base no-such-branch: no such branch, tag or commit \(fetch it first/);
  });

  test("the base defaults to origin/HEAD when there is one", async () => {
    const clone = tempDir();
    git(clone, "clone", "-q", repo, "c");
    const dir = join(clone, "c");
    // The clone's origin/HEAD is the source's HEAD (feature), so the branch has nothing of its own.
    git(dir, "checkout", "-q", "-b", "topic");
    write(dir, "Dockerfile", "FROM node:20\n");
    git(dir, "add", "-A");
    git(dir, "-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-q", "-m", "docker");
    const r = await run(["plan", "--json"], dir);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as JsonPlan;
    expect(plan.domains.map((d) => [d.id, d.files])).toEqual([["ci-cd", ["Dockerfile"]]]);
    expect(plan.personas.map((p) => p.id)).toEqual(["security", "devex"]);
  });

  test("human output: the domain table, personas with checklists, unmatched files and the table-change note", async () => {
    const r = await run(["plan"], repo);
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^Review plan: HEAD against main \(merge base [0-9a-f]{12}\)$/m);
    expect(out).toMatch(/7 changed files · 3 domains · 4 personas required/);
    expect(out).toMatch(/^DOMAIN +FILES +PERSONAS$/m);
    expect(out).toMatch(/^iam +infra\/setup\.sh ← scripts\/setup\.sh +infra, security$/m);
    expect(out).toMatch(/^ +terraform\/iam\.tf \(added\)$/m);
    expect(out).toMatch(/^auth +misc\/login\.ts ← src\/auth\/login\.ts +security, backend$/m);
    expect(out).toMatch(/^payments +src\/billing\/invoice\.ts \(removed\) +backend, security, finance$/m);
    expect(out).toMatch(/^ +src\/payments\/charge\.ts$/m);
    expect(out).toMatch(/^ {2}Finance \[finance\] — needs 1 approval · teams: finance$/m);
    expect(out).toMatch(/^ {4}why: domain payments \(Payment processing\): 2 files$/m);
    expect(out).toMatch(/^ {6}Payment processing \(payments\)\n {8}- \[ \] Refund logic correct$/m);
    expect(out).toMatch(/^ {6}Security Engineer\n {8}- \[ \] No secrets or credentials in code$/m);
    expect(out).toMatch(
      /^Unmatched files \(1\): no domain covers them; no persona is required for them \(settings\.unmatched is empty\)\n {2}README\.md$/m,
    );
    expect(out).toMatch(
      /^Note: the review table itself changed \(reviewers\.yml\): security must approve it \(settings\.config_owners\)\.$/m,
    );
  });

  test("human output caps long file lists", async () => {
    const files = Array.from({ length: 25 }, (_, i) => `src/payments/f${String(i).padStart(2, "0")}.ts`).join("\n");
    const r = await run(["plan", "--files-from", "-"], repo, files + "\n");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^payments +src\/payments\/f00\.ts/m);
    expect(r.stdout).toContain("src/payments/f08.ts");
    expect(r.stdout).not.toContain("src/payments/f09.ts");
    expect(r.stdout).toMatch(/^ +… and 16 more$/m);
  });

  test("no changes: says there is nothing to review", async () => {
    const dir = initRepo();
    write(dir, "reviewers.yml", EXAMPLE_TABLE);
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "only the table");
    const r = await run(["plan"], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("No changed files: nothing to review.");
    const json = JSON.parse((await run(["plan", "--json"], dir)).stdout) as JsonPlan;
    expect(json).toEqual({
      config: "reviewers.yml",
      domains: [],
      personas: [],
      unmatched: [],
      stages: [],
      after: {},
    });
  });
});

describe("plan --files-from", () => {
  test("a plain list: each path counts as modified; comments, blank lines and ./ are handled", async () => {
    const r = await run(["plan", "--json", "--files-from", join(FIXTURES, "changes.txt")], repo);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as JsonPlan;
    expect(plan.domains.map((d) => [d.id, d.files])).toEqual([
      ["iam", ["terraform/iam.tf"]],
      ["payments", ["src/payments/charge.ts"]],
    ]);
    expect(plan.unmatched).toEqual(["README.md"]);
    expect(plan.tableChange).toBeUndefined();
  });

  test("git diff --name-status output: R100 (under both paths), C (copied), D and T lines, quoted paths", async () => {
    const r = await run(["plan", "--json", "--files-from", join(FIXTURES, "changes.name-status")], repo);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as JsonPlan;
    expect(plan.domains.map((d) => [d.id, d.files])).toEqual([
      ["iam", ["terraform/iam.tf"]],
      ["auth", ["misc/login.ts"]],
      ["payments", ["src/billing/invoice.ts", "src/payments/charge.ts", "src/payments/refund.ts"]],
      ["ci-cd", ["Dockerfile"]],
    ]);
    expect(plan.unmatched).toEqual(["docs/café.md"]);
  });

  test("- reads stdin (name-status with a rename out of a domain)", async () => {
    const r = await run(["plan", "--json", "--files-from", "-"], repo, "R100\tsrc/auth/login.ts\tmisc/login.ts\n");
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as JsonPlan;
    expect(plan.domains).toEqual([
      { id: "auth", description: "Authentication", files: ["misc/login.ts"], personas: ["security", "backend"] },
    ]);
    expect(plan.unmatched).toEqual([]);
  });

  test("- reads stdin of the built CLI too", () => {
    const r = spawnCli(["plan", "--json", "--files-from", "-"], repo, "D\tsrc/billing/invoice.ts\n");
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as JsonPlan;
    expect(plan.domains.map((d) => [d.id, d.files])).toEqual([["payments", ["src/billing/invoice.ts"]]]);
  });

  test("changing only the table requires config_owners (security) and nobody else", async () => {
    const r = await run(["plan", "--json", "--files-from", "-"], repo, "M\treviewers.yml\nM\t.github/reviewers.yml\n");
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as JsonPlan;
    expect(plan.domains).toEqual([]);
    expect(plan.personas.map((p) => p.id)).toEqual(["security"]);
    expect(plan.tableChange).toEqual({ files: [".github/reviewers.yml", "reviewers.yml"], personas: ["security"] });
  });

  test("a malformed name-status line is an error naming the file and line", async () => {
    const dir = tempDir();
    write(dir, "changes.txt", "M\tsrc/payments/charge.ts\n\nR100\tonly-the-old-path.ts\n");
    const r = await run(["plan", "--config", join(repo, "reviewers.yml"), "--files-from", "changes.txt"], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /^parallel-review: changes\.txt:3: malformed line "R100\\tonly-the-old-path\.ts": 1 path for status R100; expected "R100<TAB>old path<TAB>new path"/m,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  test("an unknown status and a plain path among name-status lines are malformed too", async () => {
    const unknown = await run(["plan", "--files-from", "-"], repo, "M\ta.ts\nZ\tb.ts\n");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/<stdin>:2: malformed line "Z\\tb\.ts": unknown status "Z"/);
    const mixed = await run(["plan", "--files-from", "-"], repo, "A\ta.ts\nb.ts\n");
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toMatch(
      /<stdin>:2: malformed line "b\.ts": a plain path, but other lines are name-status lines/,
    );
  });

  test("a missing --files-from file says so", async () => {
    const r = await run(["plan", "--files-from", "nope.txt"], repo);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--files-from nope\.txt: no such file; pass a file listing the changed paths, or "-"/);
  });
});

describe("plan errors", () => {
  test("no table: exit 1 naming the paths tried", async () => {
    const dir = initRepo();
    const r = await run(["plan", "--files-from", "-"], dir, "a.ts\n");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`looked for ${join(dir, ".github/reviewers.yml")} and ${join(dir, "reviewers.yml")}`);
    expect(r.stderr).toContain("--config FILE");
  });

  test("an invalid table: every problem with line:col, exit 1", async () => {
    const r = await run(["plan", "--config", join(FIXTURES, "broken.yml"), "--files-from", "-"], repo, "a.ts\n");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const problems = r.stderr.split("\n").filter((l) => /broken\.yml:\d+:\d+ /.test(l));
    expect(problems).toHaveLength(6);
    expect(r.stderr).toMatch(
      /broken\.yml:14:7 domains\.payments\.require\.securty: unknown persona "securty" \(did you mean "security"\?\)/,
    );
    expect(r.stderr).toMatch(/parallel-review: .*broken\.yml is not a valid review table \(5 errors, 1 warning\)/);
  });

  test("not in a git repository without --files-from", async () => {
    const dir = tempDir();
    write(dir, "reviewers.yml", EXAMPLE_TABLE);
    const r = await run(["plan"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /not in a git repository: run inside one .* or pass the changed files with --files-from FILE/,
    );
    // …but a file list works there, with the table from the current directory.
    const ok = await run(["plan", "--json", "--files-from", "-"], dir, "Dockerfile\n");
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as JsonPlan).domains.map((d) => d.id)).toEqual(["ci-cd"]);
  });

  test("a branch with no main and no origin: asks for --base", async () => {
    const dir = initRepo();
    git(dir, "checkout", "-q", "-b", "trunk");
    write(dir, "reviewers.yml", EXAMPLE_TABLE);
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "x");
    const r = await run(["plan"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no "origin\/HEAD" and no "main".*pass --base REF/);
  });

  test.each([
    [["plan", "--bogus"], /unknown option "--bogus" for "plan" \(options: --config, --base, --files-from, --json\)/],
    [["plan", "--config"], /--config needs a value/],
    [["plan", "--base", "--json"], /--base needs a value/],
    [["plan", "--base", "main", "--files-from", "x"], /--base and --files-from exclude each other/],
    [["plan", "extra"], /unexpected argument "extra" for "plan"/],
    [["plan", "--json", "--json"], /--json is given twice/],
    [["plan", "--json=yes"], /--json takes no value/],
  ])("usage error %j: exit 2 with a hint", async (argv, message) => {
    const r = await run(argv, repo);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('Run "parallel-review plan --help" for usage.');
  });
});

describe("plan with after: (reviewing in order)", () => {
  const ORDERED = [
    "version: 1",
    "personas:",
    "  backend:",
    "    users: [bob]",
    "  security:",
    "    users: [sue]",
    "  finance:",
    "    users: [fiona]",
    "    after: [backend]",
    "domains:",
    "  payments:",
    "    paths: [src/payments/]",
    "    require: [backend, security, finance]",
    "",
  ].join("\n");

  test("human output shows the stages and each persona's prerequisites; --json has them too", async () => {
    const dir = tempDir();
    write(dir, "reviewers.yml", ORDERED);
    const human = await run(["plan", "--config", "reviewers.yml", "--files-from", "-"], dir, "src/payments/a.ts\n");
    expect(human.stderr).toBe("");
    expect(human.stdout).toContain(
      "Order (after: in the table; each stage is asked once the previous one approved)\n  stage 1: backend, security\n  stage 2: finance\n",
    );
    expect(human.stdout).toContain("    after: backend (stage 2)");
    const json = await run(
      ["plan", "--json", "--config", "reviewers.yml", "--files-from", "-"],
      dir,
      "src/payments/a.ts\n",
    );
    const plan = JSON.parse(json.stdout) as { stages: string[][]; after: Record<string, string[]> };
    expect(plan.stages).toEqual([["backend", "security"], ["finance"]]);
    expect(plan.after).toEqual({ backend: [], security: [], finance: ["backend"] });
  });

  test("a table that orders nothing prints no Order section", async () => {
    const dir = tempDir();
    write(dir, "reviewers.yml", ORDERED.replace("    after: [backend]\n", ""));
    const human = await run(["plan", "--config", "reviewers.yml", "--files-from", "-"], dir, "src/payments/a.ts\n");
    expect(human.stdout).not.toContain("Order");
  });
});
