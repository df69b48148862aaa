import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { parse } from "yaml";
import type { GitHubSimulator } from "../../src/simulator/index.js";
import { startRedis } from "../helpers/redis-server.js";
import { ROOT, appEnv, spawnServer, startSimulator, type RunningProcess } from "../helpers/app-process.js";

/**
 * The Docker image without Docker (these machines have no daemon): the Dockerfile's steps on a fresh
 * copy — the package as `npm pack` makes it, the lockfile, `npm ci --omit=dev` — then the image's CMD
 * and HEALTHCHECK, both read from the Dockerfile, with no development dependency present.
 */
let dir: string;
let sim: GitHubSimulator;
let server: RunningProcess | undefined;

const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
/** The exec-form JSON array of the final stage's instruction (`CMD [...]`, `HEALTHCHECK ... CMD [...]`). */
function execForm(instruction: "CMD" | "HEALTHCHECK"): string[] {
  const finalStage = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
  const line = finalStage.split("\n").find((l) => l.startsWith(`${instruction} `));
  if (!line) throw new Error(`the Dockerfile's final stage has no ${instruction}`);
  return JSON.parse(line.slice(line.indexOf("["))) as string[];
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pr-image-"));
  const pack = join(dir, "pack");
  mkdirSync(pack);
  execFileSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", pack], {
    cwd: ROOT,
    stdio: "pipe",
  });
  const app = join(dir, "app");
  mkdirSync(app);
  execFileSync("tar", ["-xzf", join(pack, readdirSync(pack)[0]!), "--strip-components=1", "-C", app]);
  copyFileSync(join(ROOT, "package-lock.json"), join(app, "package-lock.json"));
  const install = spawnSync(
    "npm",
    ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"],
    {
      cwd: app,
      encoding: "utf8",
      env: { ...process.env, NODE_ENV: "production" },
    },
  );
  if (install.status !== 0) throw new Error(`npm ci --omit=dev failed:\n${install.stderr}`);
  sim = await startSimulator();
}, 180_000);

afterAll(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill("SIGTERM");
    await server.exited;
  }
  await sim?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("the production install holds no development dependency, and no sources or tests", () => {
  const app = join(dir, "app");
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    devDependencies: Record<string, string>;
  };
  for (const dev of Object.keys(pkg.devDependencies))
    expect([dev, existsSync(join(app, "node_modules", dev))]).toEqual([dev, false]);
  expect(existsSync(join(app, "lib", "server.js"))).toBe(true);
  expect(existsSync(join(app, "src"))).toBe(false);
  expect(existsSync(join(app, "test"))).toBe(false);
});

test("the image's command starts the server, which answers /healthz, and the HEALTHCHECK passes", async () => {
  const [command, ...args] = execForm("CMD");
  server = await spawnServer([command!, ...args], appEnv(sim, { NODE_ENV: "production" }), { cwd: join(dir, "app") });
  const res = await fetch(`${server.url}/healthz`);
  expect(res.status).toBe(200);
  expect((await fetch(`${server.url}/readyz`)).status).toBe(200);

  const [hc, ...hcArgs] = execForm("HEALTHCHECK");
  const port = new URL(server.url).port;
  const check = spawnSync(hc!, hcArgs, {
    cwd: join(dir, "app"),
    env: { ...process.env, PORT: port },
    encoding: "utf8",
  });
  expect(check.status).toBe(0);

  server.child.kill("SIGTERM");
  expect((await server.exited).code).toBe(0);
}, 60_000);

test("docker-compose.yml's worker command runs from the production install and is ready with Redis", async () => {
  const compose = parse(readFileSync(join(ROOT, "docker-compose.yml"), "utf8")) as {
    services: Record<string, { command?: string[]; environment?: Record<string, string> }>;
  };
  const worker = compose.services.worker!;
  const redis = await startRedis();
  try {
    const [command, ...args] = worker.command!;
    const p = await spawnServer(
      [command!, ...args],
      appEnv(sim, {
        NODE_ENV: "production",
        REDIS_URL: redis.url,
        WORKER_PORT: "0",
        HEAL_REDELIVER_INTERVAL_MS: "0",
        HEAL_RESYNC_INTERVAL_MS: "0",
      }),
      { cwd: join(dir, "app"), ready: /ops on (http:\/\/\S+?:\d+)/ },
    );
    try {
      expect((await fetch(`${p.url}/healthz`)).status).toBe(200);
      expect(JSON.parse(await (await fetch(`${p.url}/readyz`)).text()).checks).toEqual({ key: "ok", redis: "ok" });
    } finally {
      p.child.kill("SIGTERM");
      expect((await p.exited).code).toBe(0);
    }
  } finally {
    await redis.dispose();
  }
}, 60_000);
