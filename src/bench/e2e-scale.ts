/**
 * `npm run bench:e2e -- --workers 1,2,4 [--prs N] [--latency MS]`: the scale-out figures. The simulator
 * and the workload run in a process of their own (src/bench/e2e-scale-sim.ts); the app runs as real
 * processes: without Redis one embedded server, with Redis (E2E_REDIS_URL, default the local
 * redis://127.0.0.1:6379, under a fresh key prefix) one queueing server and N workers. Probot's write
 * pacing is off in these processes, so the figures show the app's own capacity.
 */
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { freePort } from "../dev/ports.js";
import { startSimProcess, type ScaleResult } from "./e2e-scale-sim.js";

const NODE = fileURLToPath(new URL("./e2e-scale-node.js", import.meta.url));
const APP_ID = 4545;

async function healthy(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`${url} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Run {
  readonly label: string;
  readonly redis: boolean;
  readonly workers: number;
}

async function measure(run: Run, opts: { prs: number; latencyMs: number; redisUrl: string }): Promise<ScaleResult> {
  const keys = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const secret = "bench-secret";
  const sim = await startSimProcess({
    prs: opts.prs,
    latencyMs: opts.latencyMs,
    appId: APP_ID,
    publicKey: keys.publicKey,
    secret,
  });
  const children: ChildProcess[] = [];
  try {
    const port = await freePort();
    const env = {
      ...process.env,
      APP_ID: String(APP_ID),
      PRIVATE_KEY: keys.privateKey,
      WEBHOOK_SECRET: secret,
      GHE_HOST: sim.host,
      GHE_PROTOCOL: "http",
      HOST: "127.0.0.1",
      HEAL_REDELIVER_INTERVAL_MS: "0",
      HEAL_RESYNC_INTERVAL_MS: "0",
      ...(run.redis ? { REDIS_URL: opts.redisUrl, QUEUE_PREFIX: `bench-${randomUUID().slice(0, 8)}` } : {}),
    };
    const start = (mode: string, extra: Record<string, string>) => {
      const c = spawn(process.execPath, [NODE, mode], {
        env: { ...env, ...extra },
        stdio: ["ignore", "ignore", "inherit"],
      });
      children.push(c);
    };
    start("server", { PORT: String(port) });
    for (let i = 0; i < (run.redis ? run.workers : 0); i++) start("worker", { WORKER_PORT: "0" });
    await healthy(`http://127.0.0.1:${port}`);
    return await sim.run(`http://127.0.0.1:${port}/api/github/webhooks`);
  } finally {
    for (const c of children) c.kill("SIGTERM");
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(0) : c.once("exit", r)))));
    sim.stop();
  }
}

export async function scaleBench(argv: readonly string[]): Promise<number> {
  const arg = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const counts = (arg("workers") ?? "1,2,4").split(",").map(Number);
  const prs = Number(arg("prs") ?? 100);
  const latencyMs = Number(arg("latency") ?? 50);
  const redisUrl = process.env.E2E_REDIS_URL ?? "redis://127.0.0.1:6379";
  const runs: Run[] = [
    { label: "no Redis: 1 process (server reconciles)", redis: false, workers: 1 },
    ...counts.map((n) => ({ label: `Redis: 1 server + ${n} worker${n > 1 ? "s" : ""}`, redis: true, workers: n })),
  ];
  console.log(
    `parallel-review scale-out: ${prs} pull requests × 4 events (opened + 3 approvals at once), ${latencyMs} ms per API call, ` +
      `${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), Node ${process.version}; simulator and workload in their own process`,
  );
  console.log(
    `  ${"mode".padEnd(42)} ${"events/s".padStart(9)} ${"p50 gate".padStart(9)} ${"p99 gate".padStart(9)} ${"req/PR".padStart(7)}`,
  );
  for (const run of runs) {
    const r = await measure(run, { prs, latencyMs, redisUrl });
    console.log(
      `  ${run.label.padEnd(42)} ${(r.events / r.seconds).toFixed(1).padStart(9)} ${`${Math.round(r.p50Ms)} ms`.padStart(9)} ${`${Math.round(r.p99Ms)} ms`.padStart(9)} ${(r.requests / prs).toFixed(1).padStart(7)}` +
        (r.failedDeliveries ? `  (${r.failedDeliveries} deliveries not answered 2xx)` : ""),
    );
  }
  return 0;
}
