/** Webhook delivery to a tiny local HTTP server: signatures, payload shapes, delivery modes and faults. */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "@jest/globals";
import type { Octokit } from "@octokit/rest";
import type { GitHubSimulator } from "../../src/simulator/index.js";
import {
  installationOctokit,
  openFeaturePr,
  SECRET,
  startSim,
  validSignature,
  webhookSink,
  type Received,
} from "./helpers.js";

let sim: GitHubSimulator;
let gh: Octokit;
let sink: Awaited<ReturnType<typeof webhookSink>>;
let pr: { number: number; headSha: string };

beforeAll(async () => {
  sim = await startSim();
  gh = await installationOctokit(sim);
  sink = await webhookSink();
  sim.configureApp({ webhookUrl: sink.url, webhookSecret: SECRET });
  pr = await openFeaturePr(sim);
});
afterAll(async () => {
  await sink.close();
  await sim.stop();
});
beforeEach(() => {
  sink.received.length = 0;
  sim.setWebhookMode("await");
  sim.faults.reset();
});
afterEach(() => expect(sim.validationErrors).toEqual([]));

const kinds = (r: Received[]) =>
  r.map((x) => [x.headers["x-github-event"], x.payload.action].filter(Boolean).join("."));

describe("delivery", () => {
  test("each delivery is signed (HMAC-SHA256 of the exact body) and carries GitHub's headers", async () => {
    const res = await sim.comment("demo", pr.number, { user: "bob", body: "hello" });
    expect(res.deliveries.map((d) => d.status)).toEqual([200]);
    const [got] = sink.received;
    expect(validSignature(got!)).toBe(true);
    expect(validSignature(got!, "wrong-secret")).toBe(false);
    expect(got!.headers).toMatchObject({
      "x-github-event": "issue_comment",
      "content-type": "application/json",
      "x-github-delivery": res.deliveries[0]!.id,
    });
    expect(got!.headers["x-github-delivery"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(got!.payload).toMatchObject({
      action: "created",
      installation: { id: 1 },
      repository: { full_name: "acme/demo" },
      organization: { login: "acme" },
      sender: { login: "bob", type: "User" },
      comment: { body: "hello", user: { login: "bob" } },
      issue: { number: pr.number, pull_request: { url: `${sim.apiUrl}/repos/acme/demo/pulls/${pr.number}` } },
    });
  });

  test("pushing to a PR sends push (with per-commit file lists) then synchronize", async () => {
    const before = sim.pullRequest("demo", pr.number).headSha;
    const pushed = await sim.pushToPullRequest("demo", pr.number, {
      files: { "src/new.ts": "n\n", "README.md": "# changed\n", "src/a.ts": null },
    });
    expect(kinds(sink.received)).toEqual(["push", "check_suite.requested", "pull_request.synchronize"]);
    const push = sink.received[0]!.payload;
    expect(push).toMatchObject({ ref: "refs/heads/feature", before, after: pushed.sha, forced: false, created: false });
    expect(push.commits[0]).toMatchObject({
      id: pushed.sha,
      added: ["src/new.ts"],
      modified: ["README.md"],
      removed: ["src/a.ts"],
    });
    expect(sink.received[2]!.payload).toMatchObject({
      before,
      after: pushed.sha,
      number: pr.number,
      pull_request: { head: { sha: pushed.sha } },
    });
  });

  test("human actions arrive as the documented events", async () => {
    const run = await gh.checks.create({
      owner: "acme",
      repo: "demo",
      name: "review/security",
      head_sha: sim.pullRequest("demo", pr.number).headSha,
      output: { title: "t", summary: "s" },
      actions: [{ label: "Approve", description: "d", identifier: "approve" }],
    });
    const review = await sim.submitReview("demo", pr.number, { user: "bob", state: "APPROVED" });
    await sim.dismissReview("demo", pr.number, review.reviewId, "carol");
    await sim.clickCheckRunAction("demo", run.data.id, "approve", "bob");
    await expect(sim.clickCheckRunAction("demo", run.data.id, "nope", "bob")).rejects.toThrow(/no action "nope"/);
    await sim.rerequestCheckRun("demo", run.data.id, "bob");
    await sim.convertToDraft("demo", pr.number);
    await sim.markReadyForReview("demo", pr.number);
    await sim.createBranch("demo", "release");
    await sim.changeBase("demo", pr.number, "release");
    const c = await sim.comment("demo", pr.number, { user: "bob", body: "v1" });
    await sim.editComment("demo", c.commentId, "v2");
    await sim.deleteComment("demo", c.commentId);
    const group = await sim.startMergeGroup("demo", pr.number);
    expect(kinds(sink.received)).toEqual([
      "pull_request_review.submitted",
      "pull_request_review.dismissed",
      "check_run.requested_action",
      "check_run.rerequested",
      "pull_request.converted_to_draft",
      "pull_request.ready_for_review",
      "push",
      "pull_request.edited",
      "issue_comment.created",
      "issue_comment.edited",
      "issue_comment.deleted",
      "merge_group.checks_requested",
    ]);
    const by = (k: string) => sink.received.find((r) => kinds([r])[0] === k)!.payload;
    expect(by("pull_request_review.submitted").review).toMatchObject({
      state: "approved",
      user: { login: "bob" },
      commit_id: sim.pullRequest("demo", pr.number).headSha,
    });
    expect(by("pull_request_review.dismissed").review.state).toBe("dismissed");
    expect(by("check_run.requested_action")).toMatchObject({
      requested_action: { identifier: "approve" },
      sender: { login: "bob" },
      check_run: { id: run.data.id, app: { id: 42 } },
    });
    expect(by("check_run.requested_action").check_run.pull_requests[0].number).toBe(pr.number);
    expect(by("pull_request.edited").changes).toEqual({
      base: { ref: { from: "main" }, sha: { from: sim.branchSha("demo", "main") } },
    });
    expect(by("issue_comment.edited").changes).toEqual({ body: { from: "v1" } });
    expect(by("merge_group.checks_requested").merge_group).toMatchObject({
      head_sha: group.headSha,
      head_ref: `refs/heads/gh-readonly-queue/release/pr-${pr.number}-${sim.pullRequest("demo", pr.number).headSha}`,
      base_ref: "refs/heads/release",
      base_sha: sim.branchSha("demo", "release"),
    });
    // The merge-queue commit exists, so the app can put check runs on it.
    expect(
      (
        await gh.checks.create({
          owner: "acme",
          repo: "demo",
          name: "gate",
          head_sha: group.headSha,
          conclusion: "success",
          output: { title: "ok", summary: "ok" },
        })
      ).status,
    ).toBe(201);
    expect(sink.received.every((r) => validSignature(r))).toBe(true);
  });

  test("review requests name the requested user or team", async () => {
    sim.createTeam("docs", { members: ["carol"] });
    await sim.requestReviewers("demo", pr.number, { reviewers: ["carol"], teams: ["docs"] }, "alice");
    expect(kinds(sink.received)).toEqual(["pull_request.review_requested", "pull_request.review_requested"]);
    expect(sink.received.map((r) => r.payload.requested_reviewer?.login ?? r.payload.requested_team?.slug)).toEqual([
      "carol",
      "docs",
    ]);
    expect(sim.requestedReviewers("demo", pr.number)).toEqual({ users: ["carol"], teams: ["docs"] });
  });

  test("echoAppEvents: the app also hears about its own writes, as on GitHub", async () => {
    sim.setEchoAppEvents(true);
    try {
      const head = sim.pullRequest("demo", pr.number).headSha;
      await gh.issues.createComment({ owner: "acme", repo: "demo", issue_number: pr.number, body: "from the app" });
      await gh.checks.create({
        owner: "acme",
        repo: "demo",
        name: "echo",
        head_sha: head,
        conclusion: "neutral",
        output: { title: "t", summary: "s" },
      });
      await sim.idle();
      expect(kinds(sink.received)).toEqual(["issue_comment.created", "check_run.created", "check_run.completed"]);
      expect(sink.received[0]!.payload.sender).toMatchObject({ login: "parallel-review[bot]", type: "Bot" });
      expect(sink.received[0]!.payload.comment.performed_via_github_app).toMatchObject({
        id: 42,
        slug: "parallel-review",
      });
    } finally {
      sim.setEchoAppEvents(false);
    }
  });

  test("deliver() sends an arbitrary event and resolves with the app's status", async () => {
    expect(await sim.deliver("ping", { zen: "Keep it logically awesome.", hook_id: 1 })).toBe(200);
    expect(sink.received[0]!.headers["x-github-event"]).toBe("ping");
    expect(validSignature(sink.received[0]!)).toBe(true);
  });

  test("events the app did not subscribe to are not delivered", async () => {
    sim.configureApp({ events: ["pull_request"] });
    try {
      const res = await sim.push("demo", "main", { files: { "x.txt": "x\n" } });
      expect(res.deliveries).toEqual([]);
      expect(sink.received).toEqual([]);
    } finally {
      sim.configureApp({
        events: [
          "check_run",
          "check_suite",
          "issue_comment",
          "merge_group",
          "pull_request",
          "pull_request_review",
          "push",
        ],
      });
    }
  });
});

describe("modes and faults", () => {
  test("queue mode returns at once; idle() waits for answers and for the app's follow-up API calls", async () => {
    const slow = await webhookSink({ delayMs: 80 });
    // The "app" answers immediately but then reads the PR, slowed down by injected latency.
    slow.server.on("request", () => void gh.pulls.get({ owner: "acme", repo: "demo", pull_number: pr.number }));
    sim.configureApp({ webhookUrl: slow.url });
    sim.setWebhookMode("queue");
    sim.faults.set({ latencyMs: 150, match: { path: "/pulls/" } });
    try {
      const before = sim.requests.length;
      const res = await sim.comment("demo", pr.number, { user: "bob", body: "queued" });
      expect(res.deliveries[0]!.status).toBeUndefined();
      await sim.idle();
      expect(res.deliveries[0]!.status).toBe(200);
      expect(sim.requests.slice(before).map((r) => [r.route, r.status])).toEqual([
        ["GET /repos/{owner}/{repo}/pulls/{pull_number}", 200],
      ]);
    } finally {
      sim.configureApp({ webhookUrl: sink.url });
      await slow.close();
    }
  });

  test("drop and duplicate (same delivery id), and redelivery", async () => {
    sim.faults.inject({ kind: "drop-webhook", event: "issue_comment" });
    const dropped = await sim.comment("demo", pr.number, { user: "bob", body: "lost" });
    expect(dropped.deliveries[0]).toMatchObject({ dropped: true, attempts: 0 });
    expect(sink.received).toHaveLength(0);
    expect(await sim.redeliver(dropped.deliveries[0]!.id)).toBe(200);
    sim.faults.inject({ kind: "duplicate-webhook" });
    const dup = await sim.comment("demo", pr.number, { user: "bob", body: "twice" });
    expect(dup.deliveries[0]!.attempts).toBe(2);
    expect(sink.received.map((r) => r.headers["x-github-delivery"])).toEqual([
      dropped.deliveries[0]!.id,
      dup.deliveries[0]!.id,
      dup.deliveries[0]!.id,
    ]);
  });

  test("reordering: by rate, and by holding then releasing in reverse", async () => {
    sim.faults.set({ webhookReorderRate: 1 });
    const res = await sim.pushToPullRequest("demo", pr.number, { files: { "r.txt": "r\n" } });
    expect(res.deliveries.map((d) => d.event)).toEqual(["push", "check_suite", "pull_request"]);
    expect(kinds(sink.received)).toEqual(["check_suite.requested", "pull_request.synchronize", "push"]);
    sim.faults.reset();
    sink.received.length = 0;
    sim.holdWebhooks();
    await sim.comment("demo", pr.number, { user: "bob", body: "first" });
    await sim.comment("demo", pr.number, { user: "carol", body: "second" });
    expect(sink.received).toHaveLength(0);
    sim.releaseWebhooks("reverse");
    await sim.idle();
    expect(sink.received.map((r) => r.payload.comment.body)).toEqual(["second", "first"]);
  });

  test("the app's status is recorded: 5xx as given, unreachable as 0", async () => {
    const failing = await webhookSink({ status: 500 });
    sim.configureApp({ webhookUrl: failing.url });
    try {
      expect((await sim.comment("demo", pr.number, { user: "bob", body: "x" })).deliveries[0]!.status).toBe(500);
      await failing.close();
      const unreachable = await sim.comment("demo", pr.number, { user: "bob", body: "y" });
      expect(unreachable.deliveries[0]).toMatchObject({ status: 0 });
      expect(unreachable.deliveries[0]!.error).toBeDefined();
    } finally {
      sim.configureApp({ webhookUrl: sink.url });
    }
  });
});
