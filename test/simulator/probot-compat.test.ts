/**
 * The simulator must work for a real Probot app pointed at it the way the demo does it
 * (GHE_HOST + GHE_PROTOCOL=http): JWT → installation token, signed webhooks, REST calls.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { createNodeMiddleware, createProbot, ProbotOctokit, type ApplicationFunction } from "probot";
import type { GitHubSimulator } from "../../src/simulator/index.js";
import { appKeys, SECRET, startSim } from "./helpers.js";

let sim: GitHubSimulator;
let server: Server;

/** A miniature review app: one check run with an action per PR, approved by clicking it. */
const appFn: ApplicationFunction = (app) => {
  app.on("pull_request.opened", async (context) => {
    const head = context.payload.pull_request.head.sha;
    const table = await context.octokit.rest.repos.getContent(context.repo({ path: "reviewers.yml", ref: head }));
    const content = "content" in table.data ? Buffer.from(table.data.content, "base64").toString() : "";
    await context.octokit.rest.checks.create(
      context.repo({
        name: "review/security",
        head_sha: head,
        status: "in_progress",
        output: { title: "Waiting", summary: content },
        actions: [{ label: "Approve", description: "Approve as security", identifier: "approve" }],
      }),
    );
    await context.octokit.rest.issues.createComment(context.issue({ body: "Reviews needed: security" }));
  });
  app.on("check_run.requested_action", async (context) => {
    await context.octokit.rest.checks.update(
      context.repo({
        check_run_id: context.payload.check_run.id,
        conclusion: "success",
        output: { title: "Approved", summary: `by ${context.payload.sender.login}` },
      }),
    );
  });
};

beforeAll(async () => {
  sim = await startSim();
  const pem = appKeys().privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const probot = createProbot({
    env: {
      APP_ID: "42",
      PRIVATE_KEY: pem,
      WEBHOOK_SECRET: SECRET,
      GHE_HOST: sim.host,
      GHE_PROTOCOL: "http",
      LOG_LEVEL: "fatal",
    },
    // The throttling plugin spaces writes ≥1 s apart (GitHub's content-creation guidance); not needed locally.
    overrides: {
      Octokit: ProbotOctokit.defaults((o: { throttle?: object }) => ({
        ...o,
        throttle: { ...o.throttle, enabled: false },
      })),
    },
  });
  const middleware = await createNodeMiddleware(appFn, { probot });
  server = createServer((req, res) => void middleware(req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  sim.configureApp({
    webhookUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`,
    webhookSecret: SECRET,
  });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await sim.stop();
});

test("a Probot app authenticates, verifies signatures and drives checks and comments", async () => {
  await sim.createBranch("demo", "feature", { files: { "a.ts": "a\n" }, author: "alice" });
  const pr = await sim.openPullRequest("demo", { title: "Add a", head: "feature", author: "alice" });
  expect(pr.deliveries.map((d) => d.status)).toEqual([200]);
  const [run] = sim.checkRuns("demo", pr.headSha);
  expect(run).toMatchObject({
    name: "review/security",
    status: "in_progress",
    output: { summary: "reviewers:\n  - security\n" },
  });
  expect(sim.comments("demo", pr.number)).toMatchObject([
    { user: "parallel-review[bot]", byApp: true, body: "Reviews needed: security" },
  ]);

  const click = await sim.clickCheckRunAction("demo", run!.id, "approve", "bob");
  expect(click.deliveries.map((d) => d.status)).toEqual([200]);
  expect(sim.checkRuns("demo", pr.headSha)[0]).toMatchObject({
    status: "completed",
    conclusion: "success",
    output: { summary: "by bob" },
  });
  // Probot used the GHE prefix and one installation token for everything.
  expect(sim.stats().byEndpoint["POST /app/installations/{installation_id}/access_tokens"]).toBe(1);
  expect(sim.validationErrors).toEqual([]);
  // A delivery with a wrong signature is refused by Probot, proving it really verifies.
  sim.configureApp({ webhookSecret: "not-the-secret" });
  expect((await sim.comment("demo", pr.number, { user: "bob", body: "x" })).deliveries[0]!.status).toBe(400);
});
