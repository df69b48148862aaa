/** API fault injection, and validation against GitHub's OpenAPI description (requests, responses, webhooks). */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import type { Octokit } from "@octokit/rest";
import { GitHubSimulator } from "../../src/simulator/index.js";
import { loadOpenApi, toJsonSchema } from "../../src/simulator/openapi.js";
import { failure, featurePr, installationOctokit, openFeaturePr, SECRET, startSim, webhookSink } from "./helpers.js";

const repo = { owner: "acme", repo: "demo" };
let sim: GitHubSimulator;
let gh: Octokit;
let pr: { number: number; headSha: string };

beforeAll(async () => {
  ({ sim, gh, pr } = await featurePr());
});
afterAll(() => sim.stop());
afterEach(() => {
  sim.faults.reset();
  expect(sim.validationErrors).toEqual([]);
});

describe("API faults", () => {
  test("a one-shot 5xx hits only the matching request", async () => {
    sim.faults.inject({ kind: "error", status: 503, match: { method: "GET", path: "/pulls/" } });
    expect((await gh.issues.listComments({ ...repo, issue_number: pr.number })).status).toBe(200);
    expect((await failure(gh.pulls.get({ ...repo, pull_number: pr.number }))).status).toBe(503);
    expect(sim.requests.at(-1)).toMatchObject({ status: 503, fault: "error" });
    expect((await gh.pulls.get({ ...repo, pull_number: pr.number })).status).toBe(200);
  });

  test("a 5xx after the write leaves a ghost write behind", async () => {
    sim.faults.inject({ kind: "error", phase: "after", match: { method: "POST", path: "/check-runs" } });
    expect(
      (
        await failure(
          gh.checks.create({ ...repo, name: "ghost", head_sha: pr.headSha, output: { title: "t", summary: "s" } }),
        )
      ).status,
    ).toBe(502);
    expect(sim.checkRuns("demo", pr.headSha, { name: "ghost" })).toHaveLength(1);
  });

  test("secondary rate limit: 403 with GitHub's message and retry-after", async () => {
    sim.faults.inject({ kind: "secondary-rate-limit", retryAfterSeconds: 7 });
    const e = await failure(gh.pulls.listFiles({ ...repo, pull_number: pr.number }));
    expect(e.status).toBe(403);
    expect(e.headers["retry-after"]).toBe("7");
    expect(e.data.message).toMatch(/^You have exceeded a secondary rate limit/);
    expect(sim.stats().faults).toBeGreaterThan(0);
  });

  test("latency with jitter slows matching calls", async () => {
    // A latency far above what one local call takes on a loaded machine (CI: the whole suite on 2 cores), so
    // that "not slowed" can be told from "slowed" by the wall clock without a bound tight enough to flake.
    sim.faults.set({ latencyMs: 1_000, jitterMs: 30, match: { path: "/contents/" } });
    const t0 = Date.now();
    await gh.repos.getContent({ ...repo, path: "README.md" });
    const slow = Date.now() - t0;
    const t1 = Date.now();
    await gh.pulls.get({ ...repo, pull_number: pr.number });
    expect(slow).toBeGreaterThanOrEqual(995);
    expect(Date.now() - t1).toBeLessThan(1_000); // not matched: not given the latency
  });

  test("rate-based faults are reproducible from a seed", async () => {
    const statuses = async (): Promise<number[]> => {
      const s = new GitHubSimulator({ seed: 99 });
      await s.start();
      s.createRepo("r");
      const client = await installationOctokit(s);
      s.faults.set({ errorRate: 0.5, errorStatus: 500 });
      const out: number[] = [];
      for (let i = 0; i < 12; i++)
        out.push(
          await client.pulls.list({ owner: "acme", repo: "r" }).then(
            (r) => r.status,
            (e: { status: number }) => e.status,
          ),
        );
      await s.stop();
      return out;
    };
    const first = await statuses();
    expect(first).toContain(500);
    expect(first).toContain(200);
    expect(await statuses()).toEqual(first);
  });
});

describe("OpenAPI validation", () => {
  test("a request GitHub's schema rejects gets GitHub's 422 shape", async () => {
    const e = await failure(
      gh.request("POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", {
        ...repo,
        pull_number: pr.number,
        reviewers: "bob" as unknown as string[],
      }),
    );
    expect(e.status).toBe(422);
    expect(e.data.message).toMatch(/^Invalid request\.\n\n/);
    expect(e.data.errors[0]).toMatchObject({ field: "reviewers", code: "invalid" });
    expect(e.data.documentation_url).toMatch(/docs\.github\.com/);
    const query = await failure(
      gh.request("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", {
        ...repo,
        ref: pr.headSha,
        filter: "newest" as "latest",
      }),
    );
    expect(query.status).toBe(422);
    const missing = await failure(
      gh.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", { ...repo, issue_number: pr.number } as {
        owner: string;
        repo: string;
        issue_number: number;
        body: string;
      }),
    );
    expect(missing.status).toBe(422);
  });

  test("responses and webhooks are checked against the description", async () => {
    const api = await loadOpenApi();
    const { data } = await gh.pulls.get({ ...repo, pull_number: pr.number });
    expect(api.validateResponse("GET", "/repos/{owner}/{repo}/pulls/{pull_number}", 200, data)).toBeNull();
    const broken = { ...data, head: { ...data.head, sha: 42 } };
    expect(api.validateResponse("GET", "/repos/{owner}/{repo}/pulls/{pull_number}", 200, broken)).toMatch(
      /head\/sha must be string/,
    );
    expect(api.validateWebhook("pull_request", "opened", { action: "opened" })).toMatch(/must have required property/);
  });

  test("nullable is translated from OpenAPI 3.0 to JSON Schema", () => {
    expect(toJsonSchema({ type: "string", nullable: true, enum: ["a"] })).toEqual({
      type: ["string", "null"],
      enum: ["a", null],
    });
    expect(toJsonSchema({ nullable: true, allOf: [{ $ref: "#/components/schemas/simple-user" }] })).toEqual({
      anyOf: [{ type: "null" }, { allOf: [{ $ref: "gh#/definitions/simple-user" }] }],
    });
    // Property names that look like annotations are kept.
    expect(toJsonSchema({ type: "object", properties: { description: { type: "string", description: "x" } } })).toEqual(
      { type: "object", properties: { description: { type: "string" } } },
    );
  });

  test("a whole PR lifecycle yields only schema-valid responses and webhooks", async () => {
    const sink = await webhookSink();
    const s = await startSim();
    try {
      s.configureApp({ webhookUrl: sink.url, webhookSecret: SECRET });
      const client = await installationOctokit(s);
      s.createTeam("security", { members: ["carol"] });
      const p = await openFeaturePr(s);
      const o = { owner: "acme", repo: "demo" };
      const run = await client.checks.create({
        ...o,
        name: "review",
        head_sha: p.headSha,
        status: "in_progress",
        output: { title: "t", summary: "s" },
        actions: [{ label: "Approve", description: "d", identifier: "ok" }],
      });
      await client.checks.update({
        ...o,
        check_run_id: run.data.id,
        conclusion: "action_required",
        output: { title: "t", summary: "s2", text: "more" },
      });
      await client.checks.listForRef({ ...o, ref: p.headSha });
      await client.pulls.requestReviewers({
        ...o,
        pull_number: p.number,
        reviewers: ["bob"],
        team_reviewers: ["security"],
      });
      await client.pulls.listRequestedReviewers({ ...o, pull_number: p.number });
      await client.pulls.listCommits({ ...o, pull_number: p.number });
      await client.repos.listPullRequestsAssociatedWithCommit({ ...o, commit_sha: p.headSha });
      await s.submitReview("demo", p.number, { user: "bob", state: "APPROVED" });
      await client.pulls.listReviews({ ...o, pull_number: p.number });
      await s.clickCheckRunAction("demo", run.data.id, "ok", "carol");
      await s.rerequestCheckSuite("demo", p.headSha, "carol");
      await client.issues.createComment({ ...o, issue_number: p.number, body: "plan" });
      await s.editPullRequest("demo", p.number, { title: "Renamed", body: "details" });
      await s.closePullRequest("demo", p.number);
      await s.reopenPullRequest("demo", p.number);
      const group = await s.startMergeGroup("demo", p.number);
      await s.finishMergeGroup("demo", group.headRef, "merged");
      await s.idle();
      expect(s.pullRequest("demo", p.number)).toMatchObject({ state: "closed", merged: true });
      expect(
        [...new Set(sink.received.map((r) => `${r.headers["x-github-event"]}.${r.payload.action ?? ""}`))].sort(),
      ).toEqual([
        "check_run.requested_action",
        "check_suite.requested",
        "check_suite.rerequested",
        "merge_group.checks_requested",
        "merge_group.destroyed",
        "pull_request.closed",
        "pull_request.edited",
        "pull_request.opened",
        "pull_request.reopened",
        "pull_request_review.submitted",
        "push.",
      ]);
      expect(s.stats().byStatus[500]).toBeUndefined();
      expect(s.validationErrors).toEqual([]);
    } finally {
      await sink.close();
      await s.stop();
    }
  });
});
