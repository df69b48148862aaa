import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import { ConcurrentDelivery } from "../../src/bench/e2e-deliver.js";
import { startStack, type Stack } from "../../src/dev/stack.js";
import type { GitHubSimulator } from "../../src/simulator/index.js";
import type { DeliveryRecord } from "../../src/simulator/webhooks.js";
import { until } from "../helpers/until.js";

/**
 * The router's reconcile slots over real HTTP (src/app/slots.ts): an installation's reconciles run at most
 * `maxReconcilesPerInstallation` at once, and a reconcile gives its slot back while its courtesy writes wait
 * (here: review requests GitHub is slow to answer, as the write pacer would keep them waiting behind other
 * writes). Deliveries are handed to the app concurrently, as GitHub sends them.
 */
const TABLE = `version: 1
personas:
  security: { name: Security, teams: [security] }
domains:
  auth:
    paths: [src/auth/]
    require: [security]
`;

let stack: Stack;
let sim: GitHubSimulator;
let delivery: ConcurrentDelivery;
const queued: DeliveryRecord[] = [];

beforeAll(async () => {
  stack = await startStack({
    simulator: { validation: true, onDelivery: (r) => queued.push(r) },
    maxRetryWaitMs: 50,
    app: { maxReconcilesPerInstallation: 2 },
  });
  sim = stack.sim;
  sim.holdWebhooks(); // the simulator sends nothing itself: the test hands each delivery over, concurrently
  for (const login of ["carol", "sam"]) sim.createUser(login);
  sim.createTeam("security", { members: ["sam"] });
  sim.createRepo("shop", { files: { "reviewers.yml": TABLE, "README.md": "shop\n" } });
  delivery = new ConcurrentDelivery({ url: stack.webhookUrl, secret: stack.secret, appId: stack.appId });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

afterEach(() => {
  expect(sim.validationErrors).toEqual([]);
});

/** Opens a pull request and hands its `opened` delivery to the app, not waiting for the answer. */
async function open(branch: string) {
  await sim.createBranch("shop", branch, { files: { [`src/auth/${branch}.ts`]: "x\n" }, author: "carol" });
  const from = queued.length;
  const { number } = await sim.openPullRequest("shop", { title: branch, head: branch, author: "carol" });
  const opened = queued.slice(from).filter((r) => r.event === "pull_request" && r.action === "opened");
  return { number, answered: delivery.deliver(opened) };
}

const gate = (n: number) =>
  sim.checkRuns("shop", sim.pullRequest("shop", n).headSha).find((r) => r.name === "parallel-review");

describe("reconcile slots", () => {
  test("two reconciles whose review requests GitHub holds do not keep a third pull request's gate waiting", async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let held = 0;
    sim.faults.inject({
      kind: "hold",
      until: released,
      match: { method: "POST", path: /\/requested_reviewers$/ },
      times: 2,
      onHeld: () => held++,
    });
    const first = await open("one");
    const second = await open("two");
    // Both reconciles wrote their checks and now wait on their review requests: every slot of the
    // installation would be taken, were they still holding them.
    await until(
      () => held === 2,
      () => `the review requests held: ${held} of 2`,
    );
    const third = await open("three");
    await until(
      () => gate(third.number) !== undefined,
      () => "the third pull request's gate was never written while the others' review requests waited",
    );
    expect(sim.requestedReviewers("shop", first.number).teams).toEqual([]); // still waiting
    release();
    const answers = await Promise.all([first.answered, second.answered, third.answered]);
    expect(answers.flat().map((a) => a.status)).toEqual([200, 200, 200]);
    for (const pr of [first, second, third]) {
      expect(gate(pr.number)?.status).toBe("in_progress");
      expect(sim.requestedReviewers("shop", pr.number).teams).toEqual(["security"]);
    }
  });
});
