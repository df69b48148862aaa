import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import { startStack, type Stack } from "../../src/dev/stack.js";
import type { GitHubSimulator } from "../../src/simulator/index.js";
import { webhookHeaders, type DeliveryRecord } from "../../src/simulator/webhooks.js";
import { until } from "../helpers/until.js";

/**
 * Issue 7's attacks that involve deliveries and replicas, over real HTTP: the simulator holds, reorders
 * and redelivers webhooks, and two app servers (replicas, each with its own serializer) share it.
 */
const TABLE = `version: 1
personas:
  security: { name: Security Engineer, teams: [security] }
domains:
  auth:
    paths: ["src/auth/"]
    require: [security]
settings:
  request_reviews: false
`;

let stack: Stack;
let sim: GitHubSimulator;
let repoCount = 0;
let clockOffset = 0;
/** GitHub's timestamps are to the second: each step happens a couple of seconds after the last. */
const later = () => void (clockOffset += 2000);

beforeAll(async () => {
  stack = await startStack({
    simulator: { validation: true, clock: () => new Date(Date.now() + clockOffset) },
    maxRetryWaitMs: 50,
    replicas: 2,
  });
  sim = stack.sim;
  // More members than GitHub lists on one page (100, by id), sam and sue after them: their memberships are
  // asked over REST after the read that decides (the window the replicas test below needs).
  const earlier = Array.from({ length: 100 }, (_, i) => `member-${i}`);
  for (const login of [...earlier, "carol", "sam", "sue", "mallory"]) sim.createUser(login);
  sim.createTeam("security", { members: [...earlier, "sam", "sue"] });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

afterEach(async () => {
  sim.releaseWebhooks();
  await sim.idle();
  expect(sim.validationErrors).toEqual([]);
  sim.faults.reset();
});

async function openPr() {
  const repo = `vault-${++repoCount}`;
  sim.createRepo(repo, { files: { "reviewers.yml": TABLE } });
  await sim.createBranch(repo, "feature", { files: { "src/auth/login.ts": "v1\n" }, author: "carol" });
  const pr = await sim.openPullRequest(repo, { title: "auth", head: "feature", author: "carol" });
  await sim.idle();
  return { repo, n: pr.number };
}

/** Every run of a name on the head, oldest first. */
function all(repo: string, n: number, name: string) {
  const head = sim.pullRequest(repo, n).headSha;
  return sim
    .checkRuns(repo, head)
    .filter((r) => r.name === name)
    .sort((a, b) => a.id - b.id);
}
const newest = (repo: string, n: number, name: string) => all(repo, n, name).at(-1);
const passes = (r: { status: string; conclusion: string | null } | undefined) =>
  r?.status === "completed" && ["success", "neutral", "skipped"].includes(r.conclusion ?? "");

/** Sends a delivery the simulator recorded to one replica, as GitHub would (signed, same delivery id). */
async function sendTo(url: string, record: DeliveryRecord): Promise<number> {
  const headers = webhookHeaders(record, { appId: stack.appId, secret: stack.secret }, "test");
  const res = await fetch(url, { method: "POST", headers, body: record.body });
  return res.status;
}
const lastDelivery = (event: string) => [...sim.deliveries].reverse().find((d) => d.event === event)!;

describe("issue 7 over HTTP: deliveries and replicas", () => {
  test("M → S → M with the deliveries reordered: sam's /approve written on S does not approve M", async () => {
    const { repo, n } = await openPr();
    const m = sim.pullRequest(repo, n).headSha;
    sim.holdWebhooks();
    later();
    await sim.pushToPullRequest(repo, n, { files: { "src/auth/login.ts": "v2 (safe)\n" }, author: "carol" });
    later();
    await sim.comment(repo, n, { user: "sam", body: "/approve security" });
    later();
    await sim.forcePush(repo, "feature", m, "carol");
    expect(sim.pullRequest(repo, n).headSha).toBe(m);
    sim.releaseWebhooks("reverse"); // the app sees the comment after the head is M again
    await sim.idle();
    expect(passes(newest(repo, n, "review/security"))).toBe(false);
    expect(all(repo, n, "parallel-review").some(passes)).toBe(false);
  });

  test("a redelivered old Approve click does not overtake the reviewer's later change request", async () => {
    const { repo, n } = await openPr();
    const run = newest(repo, n, "review/security")!;
    // sue's click arrives while the app cannot write comments: the delivery fails.
    sim.faults.inject({ kind: "error", status: 500, match: { method: "POST", path: /\/comments$/ }, times: 20 });
    later();
    await sim.clickCheckRunAction(repo, run.id, "approve", "sue");
    const click = lastDelivery("check_run");
    sim.faults.reset();
    later();
    await sim.submitReview(repo, n, { user: "sue", state: "CHANGES_REQUESTED", body: "found a problem" });
    expect(newest(repo, n, "parallel-review")!.conclusion).toBe("failure");
    later();
    await sim.redeliver(click.id);
    await sim.idle();
    expect(newest(repo, n, "parallel-review")!.conclusion).toBe("failure");
    expect(all(repo, n, "parallel-review").some(passes)).toBe(false);
  });

  test("two replicas: a replica that decided before sue's change request does not leave the gate green", async () => {
    const { repo, n } = await openPr();
    const [replicaA, replicaB] = stack.webhookUrls;
    sim.holdWebhooks();
    later();
    await sim.submitReview(repo, n, { user: "sam", state: "APPROVED" });
    const samReview = lastDelivery("pull_request_review");
    // Replica A reads everything, then waits on sam's membership…
    sim.faults.set({ latencyMs: 1500, match: { path: /\/memberships\/sam$/ } });
    const asked = sim.requests.length;
    const slow = sendTo(replicaA!, samReview);
    // The latency goes (B's reads must not be slowed) once the simulator has matched A's request and given
    // it the latency, not after a sleep: on a loaded machine a sleep can end before A asks.
    const membership = () => sim.requests.slice(asked).find((r) => /\/memberships\/sam$/.test(r.path) && r.route);
    await until(
      () => membership() !== undefined,
      () => "replica A never asked for sam's membership",
    );
    sim.faults.reset();
    // …while replica B handles sue's change request to the end.
    later();
    await sim.comment(repo, n, { user: "sue", body: "/request-changes security tokens are logged" });
    expect(await sendTo(replicaB!, lastDelivery("issue_comment"))).toBeLessThan(300);
    expect(newest(repo, n, "parallel-review")!.conclusion).toBe("failure");
    expect(await slow).toBeLessThan(300);
    expect(newest(repo, n, "parallel-review")!.conclusion).toBe("failure");
    expect(all(repo, n, "parallel-review").some(passes)).toBe(false);
  });

  test("deleting sue's comment and the app's record over the API changes nothing", async () => {
    const { repo, n } = await openPr();
    later();
    await sim.submitReview(repo, n, { user: "sam", state: "APPROVED" });
    later();
    const { commentId } = await sim.comment(repo, n, { user: "sue", body: "/request-changes security no" });
    expect(newest(repo, n, "parallel-review")!.conclusion).toBe("failure");
    for (const c of sim.comments(repo, n)) await sim.deleteComment(repo, c.id, "carol");
    expect(sim.comments(repo, n).some((c) => c.id === commentId)).toBe(false);
    await sim.idle();
    expect(newest(repo, n, "parallel-review")!.conclusion).toBe("failure");
  });
});
