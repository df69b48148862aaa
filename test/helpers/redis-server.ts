import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "@jest/globals";
import { Redis, type RedisOptions } from "ioredis";
import { freePort } from "../../src/dev/ports.js";

/**
 * A private redis-server for one test file (the machine's shared one at 6379 is left alone: other test
 * runs use it, and this file restarts its server). Append-only persistence, as production needs for a
 * durable queue, so a restart keeps the queue.
 */
export interface TestRedis {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "pr-redis-"));
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "always"],
      { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    const deadline = Date.now() + 10_000;
    while (!/Ready to accept connections/.test(out)) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`redis-server did not start (is it installed? apt-get install redis-server):\n${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGTERM");
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    start,
    stop,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A private redis-server for the calling test file (started before its tests, removed after them) and
 * `connect`, a connection to it that is closed with it: each stands for one worker process's.
 */
export function redisForFile(): { connect(options?: RedisOptions): Redis; readonly url: string } {
  let redis: TestRedis | undefined;
  const connections: Redis[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);
  afterAll(async () => {
    for (const c of connections) c.disconnect();
    await redis?.dispose();
  });
  return {
    get url() {
      return redis!.url;
    },
    connect(options: RedisOptions = { maxRetriesPerRequest: null }) {
      const c = new Redis(redis!.url, options);
      connections.push(c);
      return c;
    },
  };
}
