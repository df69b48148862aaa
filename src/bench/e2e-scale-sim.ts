/**
 * The simulator and the workload of `bench:e2e --workers`, in a process of their own (the app's
 * processes then compete with nothing of the driver's). Parent side: `startSimProcess`.
 *
 * The workload: every pull request is opened at once; once its checks are there, its three personas
 * approve together (a review, a comment, the button). Deliveries are POSTed concurrently, as GitHub
 * does. Measured: events per second until every gate passed, and approvals → passing gate per PR.
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { GitHubSimulator, type DeliveryRecord } from "../simulator/index.js";
import { forkChild, resultOf, runAsChild, type Answer } from "./e2e-child.js";
import { ConcurrentDelivery } from "./e2e-deliver.js";
import { PERSONAS, REPO } from "./e2e-people.js";
import { summary } from "./e2e-stats.js";

export interface SimConfig {
  readonly prs: number;
  readonly latencyMs: number;
  readonly appId: number;
  readonly publicKey: string;
  readonly secret: string;
}

export interface ScaleResult {
  readonly events: number;
  readonly seconds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly failedDeliveries: number;
}

type ToParent = { type: "ready"; host: string } | Answer<ScaleResult>;

export interface SimProcess {
  readonly host: string;
  run(webhookUrl: string): Promise<ScaleResult>;
  stop(): void;
}

export async function startSimProcess(config: SimConfig): Promise<SimProcess> {
  const child = forkChild<ToParent>(import.meta.url, "E2E_SIM_CONFIG", config);
  const ready = await child.next();
  if (ready.type !== "ready") throw new Error(`simulator process: ${JSON.stringify(ready)}`);
  return {
    host: ready.host,
    async run(webhookUrl) {
      child.process.send({ type: "run", webhookUrl });
      return resultOf<ScaleResult>(await child.next());
    },
    stop: child.stop,
  };
}

async function child(config: SimConfig): Promise<void> {
  const sim = new GitHubSimulator({
    webhookMode: "queue",
    rateLimit: 1_000_000_000,
    app: { id: config.appId, slug: "parallel-review", publicKey: config.publicKey, webhookSecret: config.secret },
  });
  await sim.start();
  const table = readFileSync(new URL("../../reviewers.yml", import.meta.url), "utf8");
  for (const u of ["carol", ...PERSONAS.map((p) => p.reviewer)]) sim.createUser(u);
  for (const p of PERSONAS) sim.createTeam(p.id, { members: [p.reviewer] });
  for (const t of ["platform", "devex", "frontend", "marketing", "design"]) sim.createTeam(t, { members: [] });
  sim.createRepo(REPO, { files: { ".github/reviewers.yml": table, "README.md": "# shop\n" } });
  for (let i = 0; i < config.prs; i++)
    await sim.createBranch(REPO, `pr-${i}`, { author: "carol", files: { [`src/payments/c-${i}.ts`]: `export {};\n` } });
  process.send!({ type: "ready", host: sim.host } satisfies ToParent);

  const { webhookUrl } = await new Promise<{ webhookUrl: string }>((r) =>
    process.once("message", (m) => r(m as { webhookUrl: string })),
  );
  const delivery = new ConcurrentDelivery({ url: webhookUrl, secret: config.secret, appId: config.appId });
  sim.faults.set({ latencyMs: config.latencyMs });
  let events = 0;
  let failed = 0;
  const send = async (records: readonly DeliveryRecord[]) => {
    events += records.length;
    failed += (await delivery.deliver(records)).filter((t) => t.status < 200 || t.status >= 300).length;
  };
  const gate = (n: number) =>
    sim.checkRuns(REPO, sim.pullRequest(REPO, n).headSha, { latest: true, name: "parallel-review" })[0];
  // One poller (every 25 ms) for every waiting pull request: the driver must not take much of the CPU
  // the app's processes are measured on.
  const waiting = new Set<{ ok: () => boolean; done: () => void }>();
  const poller = setInterval(() => {
    for (const w of waiting)
      if (w.ok()) {
        waiting.delete(w);
        w.done();
      }
  }, 25);
  const until = (ok: () => boolean, what: () => string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not within 120 s: ${what()}`)), 120_000);
      waiting.add({ ok, done: () => (clearTimeout(timer), resolve()) });
    });
  const requestsBefore = sim.requests.length;
  const started = performance.now();
  const latencies = await Promise.all(
    Array.from({ length: config.prs }, async (_, i) => {
      const pr = await sim.openPullRequest(REPO, { title: `change ${i}`, head: `pr-${i}`, author: "carol" });
      await send(pr.deliveries);
      await until(
        // The gate and the three persona checks (the conflict radar may add its own check beside them).
        () => {
          const names = new Set(sim.checkRuns(REPO, pr.headSha, { latest: true }).map((r) => r.name));
          return ["parallel-review", ...PERSONAS.map((p) => `review/${p.id}`)].every((n) => names.has(n));
        },
        () =>
          `#${pr.number} has checks ${sim
            .checkRuns(REPO, pr.headSha, { latest: true })
            .map((r) => r.name)
            .join(", ")}`,
      );
      const finance = sim.checkRuns(REPO, pr.headSha, { latest: true, name: "review/finance" })[0]!;
      const sentAt = performance.now();
      const approvals = [
        (await sim.submitReview(REPO, pr.number, { user: "bob", state: "APPROVED", body: "Reviewed-for: backend" }))
          .deliveries,
        (await sim.comment(REPO, pr.number, { user: "sam", body: "/approve security" })).deliveries,
        (await sim.clickCheckRunAction(REPO, finance.id, "approve", "fiona")).deliveries,
      ];
      await Promise.all(approvals.map(send));
      await until(
        () => gate(pr.number)?.conclusion === "success",
        () => `#${pr.number}'s gate: ${gate(pr.number)?.output.title}`,
      );
      return performance.now() - sentAt;
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  clearInterval(poller);
  const s = summary(latencies);
  process.send!({
    type: "result",
    result: {
      events,
      seconds,
      p50Ms: s.p50,
      p99Ms: s.p99,
      requests: sim.requests.length - requestsBefore,
      failedDeliveries: failed,
    },
  } satisfies ToParent);
}

runAsChild(import.meta.url, "E2E_SIM_CONFIG", child);
