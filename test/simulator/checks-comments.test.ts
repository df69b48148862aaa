/** Check runs (ownership, listing filters, GitHub's limits) and issue comments with the bot identity. */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import type { Octokit } from "@octokit/rest";
import { GitHubSimulator } from "../../src/simulator/index.js";
import { failure, featurePr, installationOctokit } from "./helpers.js";

const repo = { owner: "acme", repo: "demo" };
let sim: GitHubSimulator;
let gh: Octokit;
let pr: { number: number; headSha: string };

beforeAll(async () => {
  ({ sim, gh, pr } = await featurePr());
});
afterAll(() => sim.stop());
afterEach(() => expect(sim.validationErrors).toEqual([]));

const output = { title: "Security review", summary: "Waiting for @acme/security" };
const action = { label: "Approve", description: "Mark this persona approved", identifier: "approve" };

describe("check runs", () => {
  test("create, update and get a run owned by the app", async () => {
    const created = await gh.checks.create({
      ...repo,
      name: "review/security",
      head_sha: pr.headSha,
      status: "in_progress",
      output,
      actions: [action],
    });
    expect(created.status).toBe(201);
    expect(created.data).toMatchObject({
      name: "review/security",
      status: "in_progress",
      conclusion: null,
      head_sha: pr.headSha,
      app: { id: 42, slug: "parallel-review" },
    });
    expect(created.data.pull_requests.map((p) => p.number)).toEqual([pr.number]);
    const updated = await gh.checks.update({
      ...repo,
      check_run_id: created.data.id,
      conclusion: "success",
      output: { title: "Approved", summary: "by bob" },
    });
    expect(updated.data).toMatchObject({
      status: "completed",
      conclusion: "success",
      output: { title: "Approved", summary: "by bob" },
    });
    expect(updated.data.completed_at).toMatch(/Z$/);
    expect((await gh.checks.get({ ...repo, check_run_id: created.data.id })).data.check_suite?.id).toBe(
      created.data.check_suite?.id,
    );
    expect(sim.checkRuns("demo", pr.headSha)).toMatchObject([
      { id: created.data.id, status: "completed", conclusion: "success", actions: [action], appId: 42 },
    ]);
  });

  test("listing by ref honours check_name, app_id, filter=latest|all and pagination", async () => {
    await sim.createBranch("demo", "listing", { files: { "l.txt": "l\n" } });
    const sha = sim.branchSha("demo", "listing");
    for (const name of ["review/docs", "review/docs", "gate"])
      await gh.checks.create({ ...repo, name, head_sha: sha, output });
    sim.createForeignCheckRun("demo", { name: "ci", headSha: sha, conclusion: "success" });
    const names = async (q: Record<string, unknown>) =>
      (await gh.checks.listForRef({ ...repo, ref: sha, ...q })).data.check_runs.map((r) => r.name);
    expect(await names({})).toEqual(["ci", "gate", "review/docs"]);
    expect(await names({ filter: "all" })).toEqual(["ci", "gate", "review/docs", "review/docs"]);
    expect(await names({ app_id: 42, filter: "all" })).toEqual(["gate", "review/docs", "review/docs"]);
    expect(await names({ check_name: "review/docs" })).toEqual(["review/docs"]);
    const paged = await gh.checks.listForRef({ ...repo, ref: "listing", filter: "all", per_page: 1, page: 2 });
    expect(paged.data.total_count).toBe(4);
    expect(paged.data.check_runs.map((r) => r.name)).toEqual(["gate"]);
    expect(paged.headers.link).toMatch(/rel="next"/);
  });

  test("runs belong to the app that created them", async () => {
    const foreign = sim.createForeignCheckRun("demo", { name: "ci", headSha: pr.headSha, status: "in_progress" });
    const e = await failure(gh.checks.update({ ...repo, check_run_id: foreign, conclusion: "failure" }));
    expect(e.status).toBe(403);
    expect((await gh.checks.get({ ...repo, check_run_id: foreign })).data.app?.slug).toBe("github-actions");
  });

  test("GitHub's limits are enforced with 422s", async () => {
    const base = { ...repo, name: "limits", head_sha: pr.headSha };
    const rejected = async (p: Promise<unknown>) => {
      const e = await failure(p);
      expect(e.status).toBe(422);
      expect(e.data.documentation_url).toMatch(/^https:\/\/docs\.github\.com\//);
      return e.data as { message: string; errors?: unknown[] };
    };
    const label = await rejected(
      gh.checks.create({ ...base, output, actions: [{ ...action, label: "x".repeat(21) }] }),
    );
    expect(label.message).toMatch(/too long \(maximum is 20 characters\)/);
    expect(label.errors?.length).toBeGreaterThan(0);
    await rejected(gh.checks.create({ ...base, output, actions: [{ ...action, description: "d".repeat(41) }] }));
    await rejected(gh.checks.create({ ...base, output, actions: [{ ...action, identifier: "i".repeat(21) }] }));
    await rejected(gh.checks.create({ ...base, output, actions: [action, action, action, action] }));
    await rejected(gh.checks.create({ ...base, output: { title: "t", summary: "s".repeat(65536) } }));
    await rejected(gh.checks.create({ ...base, output: { summary: "no title" } as typeof output }));
    await rejected(gh.checks.create({ ...base, status: "completed" }));
    await rejected(gh.checks.create({ ...base, conclusion: "great" as "success" }));
    await rejected(gh.checks.create({ ...repo, name: "x", head_sha: "f".repeat(40) }));
    await rejected(gh.checks.create({ ...repo, head_sha: pr.headSha } as typeof base));
    expect(sim.checkRuns("demo", pr.headSha, { name: "limits" })).toEqual([]);
  });

  test("limits hold without OpenAPI validation too (the simulator's own rules)", async () => {
    const plain = new GitHubSimulator({ app: { id: 7 } });
    await plain.start();
    try {
      plain.createRepo("r");
      const client = await installationOctokit(plain);
      const e = await failure(
        client.checks.create({
          owner: "acme",
          repo: "r",
          name: "n",
          head_sha: plain.branchSha("r", "main"),
          output,
          actions: [{ ...action, label: "x".repeat(21) }],
        }),
      );
      expect(e.status).toBe(422);
      expect(e.data.message).toMatch(/maximum is 20 characters/);
    } finally {
      await plain.stop();
    }
  });
});

describe("issue comments", () => {
  test("comments written by the app carry the bot identity", async () => {
    const { data } = await gh.issues.createComment({
      ...repo,
      issue_number: pr.number,
      body: "Review plan: security, docs",
    });
    expect(data.user).toMatchObject({ login: "parallel-review[bot]", type: "Bot" });
    expect(data.performed_via_github_app).toMatchObject({ id: 42, slug: "parallel-review" });
    expect(data.issue_url).toBe(`${sim.apiUrl}/repos/acme/demo/issues/${pr.number}`);
    await sim.comment("demo", pr.number, { user: "bob", body: "thanks" });
    const listed = await gh.paginate(gh.issues.listComments, { ...repo, issue_number: pr.number, per_page: 1 });
    expect(listed.map((c) => [c.user?.login, c.user?.type, c.performed_via_github_app?.slug ?? null])).toEqual([
      ["parallel-review[bot]", "Bot", "parallel-review"],
      ["bob", "User", null],
    ]);
  });

  test("edit and delete; unknown PRs are 404", async () => {
    const { data } = await gh.issues.createComment({ ...repo, issue_number: pr.number, body: "v1" });
    const edited = await gh.issues.updateComment({ ...repo, comment_id: data.id, body: "v2" });
    expect(edited.data.body).toBe("v2");
    expect(sim.comments("demo", pr.number).find((c) => c.id === data.id)).toMatchObject({ body: "v2", byApp: true });
    expect((await gh.issues.deleteComment({ ...repo, comment_id: data.id })).status).toBe(204);
    expect(sim.comments("demo", pr.number).some((c) => c.id === data.id)).toBe(false);
    expect((await failure(gh.issues.updateComment({ ...repo, comment_id: data.id, body: "v3" }))).status).toBe(404);
    expect((await failure(gh.issues.createComment({ ...repo, issue_number: 404, body: "x" }))).status).toBe(404);
  });
});
