/** POST /graphql: schema validation as GitHub answers it, and check-run mutations with the REST routes' effects. */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import type { Octokit } from "@octokit/rest";
import { GitHubSimulator } from "../../src/simulator/index.js";
import { featurePr, octokit } from "./helpers.js";

const repo = { owner: "acme", repo: "demo" };
let sim: GitHubSimulator;
let gh: Octokit;
let pr: { number: number; headSha: string };
let repositoryId: string;

beforeAll(async () => {
  ({ sim, gh, pr } = await featurePr());
  repositoryId = (await gh.pulls.get({ ...repo, pull_number: pr.number })).data.base.repo.node_id;
});
afterAll(() => sim.stop());
afterEach(() => expect(sim.validationErrors).toEqual([]));

const action = { label: "Approve", description: "Mark this persona approved", identifier: "approve" };

/** The raw answer (Octokit's `graphql` throws on `errors`; GitHub's status and body are what is tested here). */
async function post(query: string, variables: Record<string, unknown> = {}) {
  // The simulator's API URL is GitHub Enterprise's (/api/v3), so GraphQL is served at /api/graphql.
  const res = await gh.request({ method: "POST", url: `${sim.url}/api/graphql`, query, variables });
  return {
    status: res.status,
    body: res.data as { data?: Record<string, any> | null; errors?: Record<string, any>[] },
  };
}

const CREATE_THEN_UPDATE = `mutation Write($create: CreateCheckRunInput!, $update: UpdateCheckRunInput!) {
  first: createCheckRun(input: $create) { checkRun { id name status conclusion } }
  second: updateCheckRun(input: $update) { checkRun { id status conclusion title summary text completedAt } }
}`;

describe("check-run mutations", () => {
  test("aliased mutations run in order, with REST's effects and webhooks", async () => {
    sim.setEchoAppEvents(true);
    try {
      const { node_id: existingNode } = (
        await gh.checks.create({
          ...repo,
          name: "review/docs",
          head_sha: pr.headSha,
          status: "in_progress",
          output: { title: "t", summary: "s" },
        })
      ).data;
      const from = sim.deliveries.length;
      const { status, body } = await post(CREATE_THEN_UPDATE, {
        create: {
          repositoryId,
          headSha: pr.headSha,
          name: "review/security",
          status: "IN_PROGRESS",
          output: { title: "Security review", summary: "Waiting", text: "ledger" },
          actions: [action],
        },
        update: {
          repositoryId,
          checkRunId: existingNode,
          status: "COMPLETED",
          conclusion: "NEUTRAL",
          completedAt: "2026-11-30T12:00:00Z",
          output: { title: "Not required", summary: "No docs changed" },
          actions: [],
        },
      });
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      const created = sim.checkRuns("demo", pr.headSha, { name: "review/security" });
      expect(created).toMatchObject([
        {
          status: "in_progress",
          output: { title: "Security review", summary: "Waiting", text: "ledger" },
          actions: [action],
        },
      ]);
      expect(body.data).toEqual({
        first: {
          checkRun: {
            id: expect.any(String),
            name: "review/security",
            status: "IN_PROGRESS",
            conclusion: null,
          },
        },
        second: {
          checkRun: {
            id: existingNode,
            status: "COMPLETED",
            conclusion: "NEUTRAL",
            title: "Not required",
            summary: "No docs changed",
            text: null,
            completedAt: "2026-11-30T12:00:00Z",
          },
        },
      });
      // The created run's id is the node id REST reports for it.
      const listed = await gh.checks.listForRef({ ...repo, ref: pr.headSha, check_name: "review/security" });
      expect(listed.data.check_runs[0]!.node_id).toBe(body.data!.first.checkRun.id);
      await sim.idle();
      expect(sim.deliveries.slice(from).map((d) => `${d.event}.${d.action}`)).toEqual([
        "check_run.created",
        "check_run.completed",
      ]);
    } finally {
      sim.setEchoAppEvents(false);
    }
  });

  test("a run that does not exist is a NOT_FOUND error on its own mutation; the others still run", async () => {
    const query = `mutation($gone: UpdateCheckRunInput!, $create: CreateCheckRunInput!) {
  gone: updateCheckRun(input: $gone) { checkRun { id } }
  after: createCheckRun(input: $create) { checkRun { name } }
}`;
    const missing = Buffer.from("08:CheckRun999999").toString("base64");
    const { status, body } = await post(query, {
      gone: { repositoryId, checkRunId: missing, output: { title: "x", summary: "y" } },
      create: { repositoryId, headSha: pr.headSha, name: "after-the-miss", output: { title: "t", summary: "s" } },
    });
    expect(status).toBe(200);
    expect(body.errors).toEqual([
      expect.objectContaining({ type: "NOT_FOUND", path: ["gone"], message: expect.stringContaining(missing) }),
    ]);
    expect(body.data).toEqual({ gone: null, after: { checkRun: { name: "after-the-miss" } } });
    expect(sim.checkRuns("demo", pr.headSha, { name: "after-the-miss" })).toHaveLength(1);
  });

  test("a fault a test aims at the REST check-run write fails the mutation that makes it, alone", async () => {
    const query = `mutation($a: CreateCheckRunInput!, $b: CreateCheckRunInput!) {
  a: createCheckRun(input: $a) { checkRun { name } }
  b: createCheckRun(input: $b) { checkRun { name } }
}`;
    sim.faults.inject({ kind: "error", status: 500, match: { method: "POST", path: /\/check-runs$/ }, times: 1 });
    const run = (name: string) => ({ repositoryId, headSha: pr.headSha, name, output: { title: "t", summary: "s" } });
    const { body } = await post(query, { a: run("faulted-run"), b: run("written-run") });
    expect(body.errors).toEqual([expect.objectContaining({ type: "INTERNAL", path: ["a"] })]);
    expect(sim.checkRuns("demo", pr.headSha, { name: "faulted-run" })).toEqual([]);
    expect(sim.checkRuns("demo", pr.headSha, { name: "written-run" })).toHaveLength(1);
  });

  test("GitHub's check-run limits apply as on REST: a 21-character button label is refused", async () => {
    const { body } = await post(
      `mutation($i: CreateCheckRunInput!) { c: createCheckRun(input: $i) { checkRun { id } } }`,
      {
        i: {
          repositoryId,
          headSha: pr.headSha,
          name: "too-long-label",
          output: { title: "t", summary: "s" },
          actions: [{ ...action, label: "x".repeat(21) }],
        },
      },
    );
    expect(body.errors).toEqual([expect.objectContaining({ type: "UNPROCESSABLE", path: ["c"] })]);
    expect(sim.checkRuns("demo", pr.headSha, { name: "too-long-label" })).toEqual([]);
  });
});

describe("addComment", () => {
  const ADD = `mutation($a: AddCommentInput!, $b: AddCommentInput!) {
  a: addComment(input: $a) { clientMutationId }
  b: addComment(input: $b) { clientMutationId }
}`;
  const bodies = () => sim.comments("demo", pr.number).map((c) => c.body);
  let subjectId: string;
  beforeAll(async () => {
    subjectId = (await gh.pulls.get({ ...repo, pull_number: pr.number })).data.node_id;
  });

  test("comments on the pull request as the app's bot, in order, as the REST route does (webhook included)", async () => {
    sim.setEchoAppEvents(true);
    try {
      const before = bodies().length;
      const from = sim.deliveries.length;
      const { body } = await post(ADD, { a: { subjectId, body: "first" }, b: { subjectId, body: "second" } });
      expect(body).toEqual({ data: { a: { clientMutationId: null }, b: { clientMutationId: null } } });
      expect(bodies().slice(before)).toEqual(["first", "second"]);
      const listed = (await gh.issues.listComments({ ...repo, issue_number: pr.number })).data.slice(before);
      expect(listed.map((c) => c.user?.type)).toEqual(["Bot", "Bot"]);
      expect(listed.every((c) => c.performed_via_github_app?.id !== undefined)).toBe(true);
      await sim.idle();
      expect(sim.deliveries.slice(from).map((d) => `${d.event}.${d.action}`)).toEqual([
        "issue_comment.created",
        "issue_comment.created",
      ]);
    } finally {
      sim.setEchoAppEvents(false);
    }
  });

  test("an unknown subject is NOT_FOUND and a body past GitHub's limit UNPROCESSABLE, each on its own field", async () => {
    const before = bodies().length;
    const missing = Buffer.from("11:PullRequest999999").toString("base64");
    const { body } = await post(ADD, {
      a: { subjectId: missing, body: "lost" },
      b: { subjectId, body: "x".repeat(65537) },
    });
    expect(body.errors).toEqual([
      expect.objectContaining({ type: "NOT_FOUND", path: ["a"] }),
      expect.objectContaining({ type: "UNPROCESSABLE", path: ["b"] }),
    ]);
    expect(body.data).toEqual({ a: null, b: null });
    expect(bodies().length).toBe(before);
  });

  test("a fault a test aims at POST …/comments fails the field, before or after the write; the other fields run", async () => {
    const faults = sim.stats().faults;
    const path = new RegExp(`/issues/${pr.number}/comments$`);
    sim.faults.inject({ kind: "error", status: 500, match: { method: "POST", path }, times: 1 });
    const before = bodies().length;
    const first = await post(ADD, { a: { subjectId, body: "refused" }, b: { subjectId, body: "kept" } });
    expect(first.status).toBe(200);
    expect(first.body.errors).toEqual([expect.objectContaining({ type: "INTERNAL", path: ["a"] })]);
    expect(first.body.data).toEqual({ a: null, b: { clientMutationId: null } });
    expect(bodies().slice(before)).toEqual(["kept"]);
    sim.faults.inject({ kind: "error", status: 502, phase: "after", match: { method: "POST", path }, times: 1 });
    const ghost = await post(ADD, { a: { subjectId, body: "written anyway" }, b: { subjectId, body: "too" } });
    expect(ghost.body.errors).toEqual([expect.objectContaining({ type: "INTERNAL", path: ["a"] })]);
    expect(bodies().slice(before)).toEqual(["kept", "written anyway", "too"]);
    expect(sim.stats().faults).toBe(faults + 2);
  });

  test("faults aimed at every request, or at /graphql, stay the request's: no field takes them", async () => {
    const comments = `/repos/acme/demo/issues/${pr.number}/comments`;
    sim.faults.inject({ kind: "error", status: 502, match: { method: "POST", path: "/graphql" }, times: 1 });
    sim.faults.inject({ kind: "error", status: 502, times: 1 });
    expect(sim.faults.forField("POST", comments)).toBeUndefined();
    sim.faults.reset();
    sim.faults.inject({ kind: "error", status: 503, match: { method: "PATCH", path: /\/comments$/ }, times: 1 });
    expect(sim.faults.forField("POST", comments)).toBeUndefined();
    expect(sim.faults.forField("PATCH", comments)).toEqual({ status: 503, phase: "before" });
  });
});

test("the request log names each GraphQL request's operation type and, when it has one, its name", async () => {
  const from = sim.requests.length;
  await post(`query Who { viewer { login } }`);
  await post(`{ viewer { login } }`);
  expect(sim.requests.slice(from).map((r) => [r.operation, r.operationName])).toEqual([
    ["query", "Who"],
    ["query", undefined],
  ]);
});

describe("validation against GitHub's published schema", () => {
  test.each([
    ["an unknown mutation", `mutation { createCheckRuns(input: {}) { clientMutationId } }`, /createCheckRuns/],
    [
      "an enum in REST's lower case",
      `mutation { createCheckRun(input: { repositoryId: "R", headSha: "a", name: "n", status: in_progress }) { clientMutationId } }`,
      /in_progress/,
    ],
    [
      "a missing required input field",
      `mutation { updateCheckRun(input: { repositoryId: "R" }) { clientMutationId } }`,
      /checkRunId/,
    ],
    ["a syntax error", `mutation { createCheckRun(`, /Syntax Error/],
  ])("%s: HTTP 200 with errors, nothing written", async (_what, query, message) => {
    const runs = sim.checkRuns("demo", pr.headSha).length;
    const { status, body } = await post(query);
    expect(status).toBe(200);
    expect(body.data).toBeUndefined();
    expect(body.errors!.map((e) => e.message).join("\n")).toMatch(message);
    expect(sim.checkRuns("demo", pr.headSha)).toHaveLength(runs);
  });

  test("variables are checked against the input types", async () => {
    const { body } = await post(
      `mutation($i: CreateCheckRunInput!) { createCheckRun(input: $i) { clientMutationId } }`,
      { i: { repositoryId, headSha: pr.headSha, name: "n", conclusion: "success" } },
    );
    expect(body.errors![0]!.message).toMatch(/CheckConclusionState/);
  });

  test("CheckRun.databaseId is GitHub's 32-bit Int: run ids past 2^31 (as on GitHub) cannot be read through it", async () => {
    const runId = (await gh.checks.create({ ...repo, name: "big-id", head_sha: pr.headSha })).data.node_id;
    const { body } = await post(
      `mutation($i: UpdateCheckRunInput!) { u: updateCheckRun(input: $i) { checkRun { databaseId } } }`,
      { i: { repositoryId, checkRunId: runId, name: "big-id" } },
    );
    expect(body.errors![0]!.message).toMatch(/non 32-bit signed integer/);
  });

  test("valid GitHub GraphQL the simulator does not serve is a clear error, not a silent null", async () => {
    const { body } = await post(
      `query { repository(owner: "acme", name: "demo") { pullRequest(number: 1) { mergeable } } }`,
    );
    expect(body.errors).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/PullRequest\.mergeable .*not simulated/) }),
    ]);
  });

  test("GraphQL needs an installation token, like the REST routes", async () => {
    const anonymous = octokit(sim.apiUrl);
    await expect(anonymous.graphql(`query { viewer { login } }`)).rejects.toMatchObject({ status: 401 });
  });
});
