import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import type { GitHubSimulator } from "../../src/simulator/index.js";
import { freePort } from "../../src/dev/ports.js";
import { TABLE } from "../helpers/tables.js";
import { webhookHeaders } from "../helpers/webhook-headers.js";
import {
  APP_ID,
  ROOT,
  SECRET,
  appEnv,
  spawnServer,
  startSimulator,
  type RunningProcess,
} from "../helpers/app-process.js";

/**
 * `npm start` as a platform team runs it: a real process, real signals, the simulator as GitHub.
 */
let sim: GitHubSimulator;
const started: RunningProcess[] = [];
let repoCount = 0;

beforeAll(async () => {
  sim = await startSimulator();
  for (const login of ["carol", "sam", "bob", "fiona"]) sim.createUser(login);
  sim.createTeam("security", { members: ["sam"] });
  sim.createTeam("backend", { members: ["bob"] });
});

afterEach(async () => {
  for (const p of started.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
    await p.exited;
  }
  sim.faults.reset();
});

afterAll(async () => {
  await sim?.stop();
});

async function server(extra: Record<string, string> = {}): Promise<RunningProcess> {
  const p = await spawnServer(["node", "lib/server.js"], appEnv(sim, extra));
  started.push(p);
  sim.configureApp({ webhookUrl: `${p.url}/api/github/webhooks` });
  return p;
}

async function openPr(): Promise<{ repo: string; number: number }> {
  const repo = `svc-${++repoCount}`;
  sim.createRepo(repo, { files: { ".github/reviewers.yml": TABLE, "README.md": "x\n" } });
  await sim.createBranch(repo, "feature", { files: { "src/payments/charge.ts": "export {};\n" }, author: "carol" });
  const pr = await sim.openPullRequest(repo, { title: "charge", head: "feature", author: "carol" });
  return { repo, number: pr.number };
}

const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
};

describe("npm start", () => {
  test("logs its start-up line at the default level, answers health, readiness and metrics, logs each reconcile with its context", async () => {
    const p = await server();
    const startup = p.logs.find((l) => /listening on/.test(l.msg))!;
    expect(startup).toMatchObject({ level: 30, appId: APP_ID, mode: "embedded" });

    expect(await get(`${p.url}/healthz`)).toMatchObject({ status: 200 });
    // The registration page points the webhook at the root URL: a delivery there is handled too.
    const body = JSON.stringify({ zen: "Design for failure.", hook_id: 1 });
    const ping = await fetch(`${p.url}/`, {
      method: "POST",
      body,
      headers: webhookHeaders(SECRET, body, "ping", "root-1"),
    });
    expect(ping.status).toBe(200);
    const forged = await fetch(`${p.url}/`, {
      method: "POST",
      body,
      headers: { "x-github-event": "ping", "x-github-delivery": "root-2", "x-hub-signature-256": "sha256=00" },
    });
    expect(forged.status).toBe(401);
    const ready = await get(`${p.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toEqual({ status: "ready", checks: { key: "ok" } });

    const { repo, number } = await openPr();
    const line = await p.waitForLog((l) => /^reconciled /.test(l.msg) && l.repository === `acme/${repo}`);
    const delivery = sim.deliveries.find(
      (d) => d.event === "pull_request" && (d.payload as any).repository.name === repo,
    )!;
    expect(line).toMatchObject({
      level: 30,
      pr: number,
      installation: 1,
      delivery: delivery.id,
      event: "pull_request.opened",
      state: "waiting",
    });
    expect(sim.checkRuns(repo, sim.pullRequest(repo, number).headSha).map((r) => r.name)).toContain("parallel-review");

    const metrics = (await get(`${p.url}/metrics`)).text;
    expect(metrics).toMatch(/parallel_review_deliveries_total\{event="pull_request",action="opened"\} 1/);
    // One per reconcile: the delivery's, and any the periodic resync ran meanwhile (each logged).
    const reconciles = p.logs.filter((l) => l.msg === `reconciled acme/${repo}#${number}: waiting`).length;
    expect(reconciles).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(new RegExp(`parallel_review_gate_outcomes_total\\{state="waiting"\\} ${reconciles}\n`));
    expect(metrics).toMatch(
      new RegExp(`parallel_review_reconcile_duration_seconds_count\\{result="ok"\\} ${reconciles}\n`),
    );
    expect(metrics).toMatch(
      /parallel_review_github_requests_total\{method="POST",route="\/graphql",status="200"\} \d+/, // the check runs, in one request
    );
    expect(metrics).toMatch(/parallel_review_queue_depth\{queue="reconcile"\} 0/);
    expect(metrics).toMatch(/parallel_review_queue_depth\{queue="slots"\} 0/);
    expect(metrics).toMatch(/parallel_review_queue_active\{queue="slots"\} 0/);
    expect(metrics).toMatch(/parallel_review_queue_depth\{queue="admission"\} 0/); // deliveries waiting to be parsed
    // docs/operations.md is a claim: every metric it names (alert rules included) is served.
    const served = new Set([...metrics.matchAll(/^# HELP (\S+)/gm)].map((m) => m[1]));
    const documented = readFileSync(join(ROOT, "docs/operations.md"), "utf8").match(/parallel_review_[a-z_]+/g)!;
    for (const name of documented)
      expect([name, served.has(name.replace(/_(bucket|sum|count)$/, ""))]).toEqual([name, true]);

    // Parallel effectiveness (issue 9): a passed gate's figures reach /metrics, once per head.
    for (const user of ["bob", "sam", "fiona"]) await sim.submitReview(repo, number, { user, state: "APPROVED" });
    await p.waitForLog((l) => l.msg === `reconciled acme/${repo}#${number}: pass`);
    const after = (await get(`${p.url}/metrics`)).text;
    for (const persona of ["backend", "security", "finance"])
      expect(after).toMatch(
        new RegExp(`parallel_review_persona_time_to_approve_seconds_count\\{persona="${persona}"\\} 1\n`),
      );
  }, 60_000);

  test("SIGTERM lets the delivery in flight finish, then exits 0", async () => {
    // A drain bound well above the reconcile's few seconds of slow calls, which a loaded machine stretches.
    const p = await server({ SHUTDOWN_TIMEOUT_MS: "30000" });
    sim.faults.set({ latencyMs: 400 }); // every GitHub call is slow: the reconcile is in flight for seconds
    const repo = `svc-${++repoCount}`;
    sim.createRepo(repo, { files: { ".github/reviewers.yml": TABLE } });
    await sim.createBranch(repo, "feature", { files: { "src/payments/a.ts": "x\n" }, author: "carol" });
    const opening = sim.openPullRequest(repo, { title: "a", head: "feature", author: "carol" });
    while (!sim.requests.some((r) => r.path.includes(`/${repo}/`))) await new Promise((r) => setTimeout(r, 20));
    const signalled = Date.now();
    p.child.kill("SIGTERM");
    const { code } = await p.exited;
    expect(code).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(30_000); // it exited once the delivery was done, not at the bound
    await opening;
    const delivery = sim.deliveries.find((d) => (d.payload as any).repository?.name === repo)!;
    expect(delivery.status).toBe(200);
    expect(sim.checkRuns(repo, sim.pullRequest(repo, 1).headSha).map((r) => r.name)).toContain("parallel-review");
    expect(p.logs.some((l) => /^SIGTERM: stopping/.test(l.msg))).toBe(true);
    expect(p.logs.some((l) => l.msg === "stopped")).toBe(true);
  }, 60_000);

  test("SIGINT stops an idle server at once with exit code 0", async () => {
    const p = await server();
    const signalled = Date.now();
    p.child.kill("SIGINT");
    expect((await p.exited).code).toBe(0);
    // Not the 25 s drain bound (SHUTDOWN_TIMEOUT_MS's default); a loaded machine can take seconds to exit.
    expect(Date.now() - signalled).toBeLessThan(10_000);
  });

  test("a key that cannot sign makes the server not ready (503) but alive", async () => {
    const p = await server({
      PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n",
    });
    expect((await get(`${p.url}/healthz`)).status).toBe(200);
    const ready = await get(`${p.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text).checks.key).not.toBe("ok");
  });

  test("a private key that is no key stops start-up with a message that says so", async () => {
    const child = spawn("node", ["lib/server.js"], { cwd: ROOT, env: appEnv(sim, { PRIVATE_KEY: "not a key" }) });
    let err = "";
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    expect(await new Promise((r) => child.once("exit", r))).toBe(1);
    expect(err).toMatch(/is not a PEM private key/);
  });

  test("a missing setting stops start-up with a message that says what to set", async () => {
    const child = spawn("node", ["lib/server.js"], { cwd: ROOT, env: appEnv(sim, { WEBHOOK_SECRET: "" }) });
    let err = "";
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    const code = await new Promise((r) => child.once("exit", r));
    expect(code).toBe(1);
    expect(err).toMatch(/WEBHOOK_SECRET is not set/);
  });

  test("stopping `npm start` stops the server too (no orphaned node process)", async () => {
    const npm = await spawnServer(["npm", "start", "--silent"], appEnv(sim));
    started.push(npm);
    const children = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(npm.child.pid)], { encoding: "utf8" });
    const node = /^\s*(\d+)\s+node (?:--\S+ )*lib\/server\.js/m.exec(children);
    expect(node).not.toBeNull(); // npm's child is node itself (exec), not a shell in between
    npm.child.kill("SIGTERM");
    await npm.exited;
    const pid = Number(node![1]);
    const deadline = Date.now() + 5_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pid)).toBe(false);
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("registration from app.yml (Probot's setup page)", () => {
  /** A directory with the project's app.yml and package.json and no .env, as after a fresh clone. */
  function freshDir(): string {
    const dir = mkdtempSync(join(tmpdir(), "pr-setup-"));
    for (const f of ["app.yml", "package.json"]) copyFileSync(join(ROOT, f), join(dir, f));
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
    return dir;
  }

  async function manifest(extra: Record<string, string>): Promise<Record<string, any>> {
    const dir = freshDir();
    try {
      const {
        APP_ID: _a,
        PRIVATE_KEY: _k,
        WEBHOOK_SECRET: _s,
        ...env
      } = appEnv(sim, { NO_SMEE_SETUP: "true", ...extra });
      const p = await spawnServer(["node", join(ROOT, "lib/server.js")], env, {
        cwd: dir,
        ready: /^Listening on (http:\/\/\S+?:\d+)/,
      });
      started.push(p);
      const page = (await get(`${p.url}/probot`)).text;
      const value = /name="manifest"[^>]*value='([^']*)'/.exec(page);
      expect(value).not.toBeNull();
      const json = value![1]!
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&amp;/g, "&");
      return { ...(JSON.parse(json) as Record<string, any>), base: p.url };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test("the webhook URL is the smee channel when WEBHOOK_PROXY_URL is set, with app.yml's events and permissions; the channel is not opened before registration", async () => {
    const channel = await sseChannel();
    try {
      // Probot's setup mode treats PORT=0 as 3000: give it a port that is free now.
      const m = await manifest({ WEBHOOK_PROXY_URL: channel.source, PORT: String(await freePort()) });
      expect(m.hook_attributes).toEqual({ url: channel.source });
      expect(m.default_events).toContain("pull_request");
      expect(m.default_permissions).toMatchObject({ checks: "write" });
      expect(m.public).toBe(false);
      // Nothing is delivered in setup mode: an unreachable channel (smee.io offline) cannot end the page.
      expect(channel.connections()).toBe(0);
    } finally {
      await channel.close();
    }
  });

  test("without a proxy the webhook URL is the server's own address, where the server accepts deliveries", async () => {
    const m = await manifest({ PORT: String(await freePort()) });
    expect(m.hook_attributes.url).toBe(`${m.base}/`);
    expect(JSON.stringify(m)).not.toMatch(/example\.invalid/);
  });
});

/** A stand-in for smee.io: a server-sent-events channel on `port` (a free one by default). */
async function sseChannel(port = 0, status = 200) {
  const clients: ServerResponse[] = [];
  let connections = 0;
  const channel = createServer((_req, res) => {
    connections++;
    if (status !== 200) return void res.writeHead(status).end();
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    res.write("event: ready\ndata: {}\n\n");
    clients.push(res);
  });
  await new Promise<void>((r) => channel.listen(port, "127.0.0.1", r));
  return {
    source: `http://127.0.0.1:${(channel.address() as AddressInfo).port}/channel`,
    connections: () => connections,
    /** Publishes one signed ping delivery to every connected client. */
    ping(id: string) {
      const body = { zen: "Keep it logically awesome.", hook_id: 1 };
      const { "content-type": _type, ...headers } = webhookHeaders(SECRET, JSON.stringify(body), "ping", id);
      const event = { ...headers, body };
      for (const c of clients) c.write(`data: ${JSON.stringify(event)}\n\n`);
    },
    async close() {
      for (const c of clients) c.end();
      channel.closeAllConnections();
      await new Promise((r) => channel.close(r));
    },
  };
}

/** Waits until the server counted one ping delivery. */
async function pingCounted(p: RunningProcess): Promise<string> {
  const deadline = Date.now() + 10_000;
  let metrics = "";
  while (Date.now() < deadline && !/deliveries_total\{event="ping"/.test(metrics)) {
    metrics = (await get(`${p.url}/metrics`)).text;
    await new Promise((r) => setTimeout(r, 100));
  }
  return metrics;
}

describe("WEBHOOK_PROXY_URL", () => {
  test("npm start forwards the channel's deliveries to the server (Probot's smee client)", async () => {
    const channel = await sseChannel();
    try {
      const p = await server({ WEBHOOK_PROXY_URL: channel.source });
      await p.waitForLog((l) => /forwarding webhooks from/.test(l.msg));
      channel.ping("proxy-1");
      expect(await pingCounted(p)).toMatch(/parallel_review_deliveries_total\{event="ping",action=""\} 1/);
    } finally {
      await channel.close();
    }
  });

  test("a channel that does not answer yet leaves the server up, says so, and forwards once it answers", async () => {
    const port = await freePort();
    const source = `http://127.0.0.1:${port}/channel`;
    const p = await server({ WEBHOOK_PROXY_URL: source });
    const said = await p.waitForLog((l) => /did not connect/.test(l.msg));
    expect(said).toMatchObject({ level: 50 });
    expect(said.msg).toContain(`WEBHOOK_PROXY_URL ${source} did not connect (`);
    expect(said.msg).toMatch(/retrying/);
    expect(said.msg).not.toMatch(/\[object /);
    expect((await get(`${p.url}/healthz`)).status).toBe(200);
    const channel = await sseChannel(port);
    try {
      await p.waitForLog((l) => /forwarding webhooks from/.test(l.msg));
      channel.ping("proxy-late-1");
      expect(await pingCounted(p)).toMatch(/parallel_review_deliveries_total\{event="ping",action=""\} 1/);
    } finally {
      await channel.close();
    }
  });

  test("a channel that answers with an HTTP error is named with what to check", async () => {
    const channel = await sseChannel(0, 404);
    try {
      const p = await server({ WEBHOOK_PROXY_URL: channel.source });
      const said = await p.waitForLog((l) => /did not connect/.test(l.msg));
      expect(said.msg).toMatch(/404/);
      expect(said.msg).toMatch(/check the URL/);
      expect((await get(`${p.url}/healthz`)).status).toBe(200);
    } finally {
      await channel.close();
    }
  });
});
