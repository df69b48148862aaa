import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { Redis } from "ioredis";
import { DeliveryQueue, queueSettings } from "../../src/service/queue.js";
import type { GitHubSimulator } from "../../src/simulator/index.js";
import { SECRET, appEnv, spawnServer, startSimulator, type RunningProcess } from "../helpers/app-process.js";
import { startRedis, type TestRedis } from "../helpers/redis-server.js";
import { webhookHeaders } from "../helpers/webhook-headers.js";

/**
 * Scale-out on Redis with real processes: the webhook server queues, workers reconcile. A worker is
 * killed with SIGKILL in the middle of a burst and Redis is restarted; every pull request still ends
 * with the right gate, one gate per head (no two workers reconciled one pull request at once).
 */
const ONE_PERSONA = `version: 1
personas:
  security: { name: Security Engineer, teams: [security] }
domains:
  code:
    paths: ["src/"]
    require: [security]
`;

let redis: TestRedis;
let sim: GitHubSimulator;
const processes: RunningProcess[] = [];
const prefix = `pr-test-${randomUUID().slice(0, 8)}`;

function env(extra: Record<string, string> = {}) {
  return appEnv(sim, {
    REDIS_URL: redis.url,
    QUEUE_PREFIX: prefix,
    // Leases outlast the Redis restart below (they are renewed every third of their time); a SIGKILLed
    // worker's jobs are taken over within about two lock times.
    QUEUE_LOCK_MS: "8000",
    QUEUE_BACKOFF_MS: "500",
    PR_LEASE_MS: "8000",
    WORKER_PORT: "0",
    HEAL_RESYNC_INTERVAL_MS: "0",
    HEAL_REDELIVER_INTERVAL_MS: "3000",
    HEAL_REDELIVER_WINDOW_MS: "600000",
    ...extra,
  });
}

async function worker(extra: Record<string, string> = {}): Promise<RunningProcess> {
  const p = await spawnServer(["node", "lib/worker.js"], env(extra), { ready: /ops on (http:\/\/\S+?:\d+)/ });
  processes.push(p);
  return p;
}

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator({ webhookMode: "queue" });
  for (const login of ["carol", "sam"]) sim.createUser(login);
  sim.createTeam("security", { members: ["sam"] });
}, 30_000);

afterAll(async () => {
  for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  await Promise.all(processes.map((p) => p.exited));
  await sim?.stop();
  await redis?.dispose();
});

const gates = (repo: string) =>
  sim.checkRuns(repo, sim.pullRequest(repo, 1).headSha).filter((r) => r.name === "parallel-review");

async function until(ok: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("with REDIS_URL", () => {
  test("a delivery is queued once per X-GitHub-Delivery", async () => {
    const settings = queueSettings({ REDIS_URL: redis.url, QUEUE_PREFIX: `${prefix}-dedupe` })!;
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new DeliveryQueue(settings, connection);
    try {
      const delivery = { id: randomUUID(), name: "ping", body: "{}" };
      await queue.enqueue(delivery);
      await queue.enqueue(delivery); // GitHub's redelivery, or a duplicate
      expect((await queue.stats()).deliveries!.waiting).toBe(1);
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });

  test("server + workers: a worker killed mid-burst and a Redis restart lose nothing", async () => {
    const server = await spawnServer(["node", "lib/server.js"], env());
    processes.push(server);
    expect(server.logs.find((l) => /listening on/.test(l.msg))).toMatchObject({ mode: "queue" });
    expect(JSON.parse(await (await fetch(`${server.url}/readyz`)).text())).toEqual({
      status: "ready",
      checks: { key: "ok", redis: "ok" },
    });
    sim.configureApp({ webhookUrl: `${server.url}/api/github/webhooks` });
    const a = await worker();
    await worker();
    // The workers pace their writes through this Redis (src/service/redis-slots.ts): an installation's
    // slot key lives for a second after each write, so a sampler sees it while the burst is written.
    const check = new Redis(redis.url);
    const paced = new Set<string>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const k of await check.keys(`${prefix}:pace:*`)) paced.add(k.replace(/\{\d+\}/, "{installation}"));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const repos = ["q-1", "q-2", "q-3"];
    for (const repo of repos) {
      sim.createRepo(repo, { files: { ".github/reviewers.yml": ONE_PERSONA } });
      await sim.createBranch(repo, "feature", { files: { "src/a.ts": `// ${repo}\n` }, author: "carol" });
    }
    for (const repo of repos) await sim.openPullRequest(repo, { title: "a", head: "feature", author: "carol" });
    // Kill a worker while the burst is being reconciled (its jobs are in hand or waiting).
    await until(() => repos.some((r) => gates(r).length > 0), 30_000, "the first gate");
    a.child.kill("SIGKILL");
    await a.exited;
    await worker();
    for (const repo of repos) await sim.submitReview(repo, 1, { user: "sam", state: "APPROVED" });
    await until(() => paced.has(`${prefix}:pace:{installation}:next`), 30_000, "a write paced through Redis");
    sampling = false;
    await sampler;
    check.disconnect();
    // An installation's lane, or the app's own (writes with the app's JWT: the redelivery sweep's, when the
    // killed worker left a delivery unanswered while the sampler ran).
    for (const key of paced)
      expect(key).toMatch(new RegExp(`^${prefix}:pace:\\{(installation|app)\\}:(next|running)$`));

    // Redis restarts in the middle: a delivery that arrives while it is down is answered 503, and the
    // workers' redelivery sweep asks GitHub to send it again.
    await redis.stop();
    const during = sim.submitReview("q-1", 1, { user: "sam", state: "COMMENTED", body: "looks fine" });
    await new Promise((r) => setTimeout(r, 1500));
    await redis.start();
    await during;

    await until(
      () => repos.every((r) => gates(r).some((g) => g.conclusion === "success")),
      90_000,
      "every gate to pass",
    ).catch((e) => {
      for (const r of repos)
        console.log(r, JSON.stringify(gates(r).map((g) => [g.status, g.conclusion, g.output?.title])));
      throw e;
    });
    await sim.idle({ timeoutMs: 30_000, quietMs: 500 });
    for (const repo of repos) {
      expect(gates(repo)).toHaveLength(1); // one gate per head: never two reconciles of a PR at once
      expect(gates(repo)[0]).toMatchObject({ status: "completed", conclusion: "success" });
    }
    // Every delivery was eventually answered 2xx (first time, or when the sweep had it redelivered).
    const answered = (d: (typeof sim.deliveries)[number]) =>
      d.history.some((h) => h.statusCode >= 200 && h.statusCode < 300);
    await until(() => sim.deliveries.every(answered), 30_000, "every delivery to be answered 2xx");
    for (const d of sim.deliveries)
      expect([d.id, d.history.some((h) => h.statusCode >= 200 && h.statusCode < 300)]).toEqual([d.id, true]);

    // Probot's throttle is off: it keeps nothing in Redis (Bottleneck's keys).
    const after = new Redis(redis.url);
    try {
      expect(await after.keys("b_*")).toEqual([]);
    } finally {
      after.disconnect();
    }

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/parallel_review_queue_depth\{queue="deliveries"\} 0/);

    // SIGTERM: a worker finishes what it holds and exits 0.
    const last = processes[processes.length - 1]!;
    last.child.kill("SIGTERM");
    expect((await last.exited).code).toBe(0);
    server.child.kill("SIGTERM");
    expect((await server.exited).code).toBe(0);
  }, 150_000);

  test("a delivery that fails every attempt ends in the dead-letter set, logged and counted", async () => {
    const deadPrefix = `${prefix}-dead`;
    // Attempts and back-off are the job's: the server sets them when it queues the delivery.
    const retries = { QUEUE_PREFIX: deadPrefix, QUEUE_ATTEMPTS: "2", QUEUE_BACKOFF_MS: "100" };
    const server = await spawnServer(["node", "lib/server.js"], env(retries));
    processes.push(server);
    const w = await worker(retries);
    // A pull request of a repository GitHub does not know: every reconcile fails with 404.
    const body = JSON.stringify({
      action: "opened",
      number: 1,
      pull_request: { number: 1 },
      repository: { name: "ghost", owner: { login: "acme" } },
      installation: { id: 1 },
      sender: { login: "carol" },
    });
    const id = randomUUID();
    const res = await fetch(`${server.url}/api/github/webhooks`, {
      method: "POST",
      body,
      headers: webhookHeaders(SECRET, body, "pull_request", id),
    });
    expect(res.status).toBe(202);
    const line = await w.waitForLog((l) => /moved to the dead-letter set/.test(l.msg), 30_000);
    expect(line).toMatchObject({
      level: 50,
      delivery: id,
      event: "pull_request",
      msg: expect.stringMatching(/failed 2 times/),
    });
    const metrics = await (await fetch(`${w.url}/metrics`)).text();
    expect(metrics).toMatch(/parallel_review_dead_letters_total 1/);
    expect(metrics).toMatch(/parallel_review_dead_letters\{queue="deliveries"\} 1/);
    expect(metrics).toMatch(/parallel_review_reconciles_total\{result="error"\} 2\n/);
    expect(metrics).toMatch(/parallel_review_queue_depth\{queue="slots"\} 0/); // its reconcile slots, none waiting
    for (const p of [w, server]) {
      p.child.kill("SIGTERM");
      expect((await p.exited).code).toBe(0);
    }
  }, 60_000);
});
