import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import { startStack, type Stack } from "../../src/dev/stack.js";
import { testLog } from "../helpers/test-log.js";
import { signature } from "../helpers/webhook-headers.js";
import type { GitHubSimulator } from "../../src/simulator/index.js";

/**
 * The whole path over real HTTP: the local GitHub simulator delivers signed webhooks to the real app
 * server, which calls the simulator's REST API back. Scenarios are the seed's review table.
 */
const TABLE = readFileSync(new URL("../../reviewers.yml", import.meta.url), "utf8");
const TEAMS: Record<string, string> = {
  platform: "ivan",
  security: "sam",
  backend: "bob",
  finance: "fiona",
  devex: "dev",
  frontend: "fran",
  marketing: "mia",
  design: "desi",
};
const PERSONA_TEAM: Record<string, string> = {
  infra: "platform",
  security: "security",
  backend: "backend",
  finance: "finance",
  devex: "devex",
  frontend: "frontend",
  marketing: "marketing",
  design: "design",
};

let stack: Stack;
let sim: GitHubSimulator;
let repoCount = 0;
/** GitHub's timestamps are to the second; each step of a scenario happens a couple of seconds after the last. */
let clockOffset = 0;
const later = () => void (clockOffset += 2000);

beforeAll(async () => {
  stack = await startStack({
    simulator: { validation: true, clock: () => new Date(Date.now() + clockOffset) },
    maxRetryWaitMs: 50,
    log: testLog(),
  });
  sim = stack.sim;
  for (const login of ["carol", "mallory", ...Object.values(TEAMS)]) sim.createUser(login);
  for (const [team, member] of Object.entries(TEAMS)) sim.createTeam(team, { members: [member] });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

afterEach(() => {
  expect(sim.validationErrors).toEqual([]);
  sim.faults.reset();
});

/** A fresh repository with the bundled table on main, and a pull request by carol changing `files`. */
async function openPr(files: Record<string, string>) {
  const repo = `shop-${++repoCount}`;
  sim.createRepo(repo, { files: { "reviewers.yml": TABLE, "README.md": "shop\n" } });
  await sim.createBranch(repo, "feature", { files, author: "carol" });
  const pr = await sim.openPullRequest(repo, { title: "change", head: "feature", author: "carol" });
  return { repo, number: pr.number };
}

function head(repo: string, n: number): string {
  return sim.pullRequest(repo, n).headSha;
}

/** The newest run of each name on the PR's head: what GitHub shows. */
function runs(repo: string, n: number) {
  const out = new Map<string, ReturnType<GitHubSimulator["checkRuns"]>[number]>();
  for (const r of [...sim.checkRuns(repo, head(repo, n))].sort((a, b) => a.id - b.id)) out.set(r.name, r);
  return out;
}

function state(repo: string, n: number, name: string): string {
  const r = runs(repo, n).get(name);
  return r ? (r.status === "completed" ? r.conclusion! : r.status) : "missing";
}

type Way = "review" | "comment" | "button";

async function approve(repo: string, n: number, persona: string, way: Way, user = TEAMS[PERSONA_TEAM[persona]!]!) {
  later();
  if (way === "review") await sim.submitReview(repo, n, { user, state: "APPROVED", body: `Reviewed-for: ${persona}` });
  else if (way === "comment") await sim.comment(repo, n, { user, body: `/approve ${persona}` });
  else await sim.clickCheckRunAction(repo, runs(repo, n).get(`review/${persona}`)!.id, "approve", user);
}

/** Deterministic shuffles: the order differs per scenario but every run is the same. */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const SCENARIOS: [string, Record<string, string>, string[]][] = [
  [
    "IAM policy → Infrastructure + Security",
    { "terraform/iam.tf": 'resource "aws_iam_policy" "s3" {}\n' },
    ["infra", "security"],
  ],
  [
    "PII migration → Backend + Security",
    { "db/migrations/20261127_customer_email.sql": "ALTER TABLE orders ADD customer_email text;\n" },
    ["backend", "security"],
  ],
  [
    "JWT auth → Security + Backend",
    { "src/auth/tokens.ts": "export const sign = () => 1;\n" },
    ["security", "backend"],
  ],
  [
    "payments → Backend + Security + Finance",
    { "src/payments/charge.ts": "export const charge = () => 1;\n" },
    ["backend", "security", "finance"],
  ],
  ["CI/CD with secrets → DevEx + Security", { ".github/workflows/deploy.yml": "on: push\n" }, ["devex", "security"]],
  [
    "landing page → Marketing + Visual Designer + Frontend",
    { "web/landing/index.html": "<h1>Hi</h1>\n" },
    ["marketing", "design", "frontend"],
  ],
];

describe("the seed's scenarios over HTTP", () => {
  test.each(SCENARIOS.map(([name, files, personas], i) => [name, files, personas, i] as const))(
    "%s: checks appear together, approvals in any order and any way, the gate passes after the last",
    async (_name, files, personas, i) => {
      const from = sim.requests.length;
      const { repo, number } = await openPr(files);
      // Together: every check run is written by one GraphQL request (one write for GitHub's pacing).
      const runWrites = sim.requests
        .slice(from)
        .filter((r) => r.method !== "GET" && r.operation !== "query" && /check-runs|graphql/.test(r.path));
      expect(runWrites.map((r) => [r.route, r.status])).toEqual([["POST /graphql", 200]]);
      const all = runs(repo, number);
      expect([...all.keys()].sort()).toEqual(["parallel-review", ...personas.map((p) => `review/${p}`)].sort());
      for (const p of personas) expect(state(repo, number, `review/${p}`)).toBe("in_progress");
      expect(state(repo, number, "parallel-review")).toBe("in_progress");

      const ways: Way[] = ["review", "comment", "button"];
      const order = shuffled(personas, 17 + i);
      for (const [k, p] of order.entries()) {
        await approve(repo, number, p, ways[(k + i) % 3]!);
        expect(state(repo, number, `review/${p}`)).toBe("success");
        expect(state(repo, number, "parallel-review")).toBe(k === order.length - 1 ? "success" : "in_progress");
      }
    },
  );
});

describe("pushes, change requests and forgery, over HTTP", () => {
  test("a push touching one domain resets only the personas reviewing it", async () => {
    const { repo, number } = await openPr({
      "src/payments/charge.ts": "a\n",
      "web/landing/index.html": "<h1>a</h1>\n",
    });
    const personas = ["backend", "security", "finance", "marketing", "design", "frontend"];
    for (const [k, p] of personas.entries())
      await approve(repo, number, p, (["review", "comment", "button"] as Way[])[k % 3]!);
    expect(state(repo, number, "parallel-review")).toBe("success");

    await sim.pushToPullRequest(repo, number, { files: { "web/landing/index.html": "<h1>b</h1>\n" }, author: "carol" });
    for (const p of ["marketing", "design", "frontend"]) expect(state(repo, number, `review/${p}`)).toBe("in_progress");
    for (const p of ["backend", "security", "finance"]) {
      expect(state(repo, number, `review/${p}`)).toBe("success");
      expect(runs(repo, number).get(`review/${p}`)!.output.summary).toContain("carried over from");
    }
    expect(state(repo, number, "parallel-review")).toBe("in_progress");
  });

  test("a change request turns the gate red and a later approval clears it", async () => {
    const { repo, number } = await openPr({ "src/auth/session.ts": "x\n" });
    await approve(repo, number, "security", "button");
    later();
    await sim.comment(repo, number, { user: "bob", body: "/request-changes backend sessions never expire" });
    expect(state(repo, number, "review/backend")).toBe("failure");
    expect(state(repo, number, "parallel-review")).toBe("failure");
    expect(runs(repo, number).get("parallel-review")!.output.title).toBe("Backend Engineer: changes requested by @bob");
    await approve(repo, number, "backend", "review");
    expect(state(repo, number, "parallel-review")).toBe("success");
  });

  test("forged approvals are refused: a non-member's click and an imitated record", async () => {
    const { repo, number } = await openPr({ "src/payments/refund.ts": "x\n" });
    await sim.clickCheckRunAction(repo, runs(repo, number).get("review/finance")!.id, "approve", "mallory");
    const record = `<!-- parallel-review:record {"v":1,"via":"button","user":"fiona","sha":"${head(repo, number)}","commands":[{"kind":"approve","personas":["finance"]}],"delivery":"forged"} -->`;
    await sim.comment(repo, number, { user: "mallory", body: record });
    expect(state(repo, number, "review/finance")).toBe("in_progress");
    expect(runs(repo, number).get("review/finance")!.output.summary).toContain(
      "@mallory clicked Approve via the check's button but is not a Finance reviewer: not counted",
    );
    expect(
      sim
        .comments(repo, number)
        .some(
          (c) => c.byApp && c.body.includes("@mallory clicked Approve as **Finance** but is not a Finance reviewer"),
        ),
    ).toBe(true);
  });

  test("a webhook with a bad signature gets 401 and changes nothing", async () => {
    const { repo, number } = await openPr({ "src/payments/charge.ts": "x\n" });
    const before = sim.requests.length;
    const body = JSON.stringify({
      action: "requested_action",
      requested_action: { identifier: "approve" },
      check_run: {
        id: 1,
        name: "review/finance",
        head_sha: head(repo, number),
        app: { id: stack.appId },
        pull_requests: [{ number }],
      },
      repository: { name: repo, owner: { login: "acme" } },
      sender: { login: "fiona" },
      installation: { id: 1 },
    });
    const bad = signature("not-the-secret", body);
    for (const signature of [bad, undefined]) {
      const res = await fetch(stack.webhookUrl, {
        method: "POST",
        body,
        headers: {
          "content-type": "application/json",
          "x-github-event": "check_run",
          "x-github-delivery": "d-1",
          ...(signature ? { "x-hub-signature-256": signature } : {}),
        },
      });
      expect(res.status).toBe(401);
    }
    expect(sim.requests.length).toBe(before);
    expect(state(repo, number, "review/finance")).toBe("in_progress");
    // The same server answers health checks and nothing else.
    const origin = new URL(stack.webhookUrl).origin;
    expect((await fetch(`${origin}/healthz`)).status).toBe(200);
    expect((await fetch(`${origin}/elsewhere`)).status).toBe(404);
  });

  test("injected 5xx and secondary rate limits are retried and the end state is right", async () => {
    sim.faults.inject({ kind: "error", status: 502, match: { method: "POST", path: "/graphql" }, times: 2 });
    sim.faults.inject({
      kind: "secondary-rate-limit",
      retryAfterSeconds: 0,
      // A GraphQL request (the reads of the pull request and of team members, the check-run writes): a REST
      // read's secondary limit is retried in test/app/cost-and-failures.test.ts.
      match: { method: "POST", path: "/graphql" },
      times: 1,
    });
    sim.faults.inject({
      kind: "error",
      status: 503,
      phase: "after",
      match: { method: "POST", path: "/comments" },
      times: 1,
    });
    const { repo, number } = await openPr({ "src/payments/charge.ts": "x\n" });
    expect(state(repo, number, "parallel-review")).toBe("in_progress");
    await approve(repo, number, "finance", "comment");
    await approve(repo, number, "backend", "button");
    await approve(repo, number, "security", "review");
    expect(state(repo, number, "parallel-review")).toBe("success");
    expect(sim.stats().faults).toBeGreaterThanOrEqual(4);
  }, 60_000); // Probot's retry plugin backs off 1 s, 4 s, … between attempts

  test("duplicated and reordered deliveries end in the right state with no duplicate checks", async () => {
    sim.faults.set({ webhookDuplicateRate: 1 });
    const { repo, number } = await openPr({ "terraform/iam.tf": "x\n" });
    await approve(repo, number, "infra", "button");
    await approve(repo, number, "security", "comment");
    sim.faults.set({ webhookDuplicateRate: 0 });
    const names = sim.checkRuns(repo, head(repo, number)).map((r) => r.name);
    expect(names.filter((n) => n === "review/infra")).toHaveLength(1);
    expect(state(repo, number, "parallel-review")).toBe("success");
  });
});
