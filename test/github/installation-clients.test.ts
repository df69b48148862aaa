import { execFileSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { Probot } from "probot";
import { installationClients } from "../../src/github/installation-clients.js";
import { appOctokit } from "../../src/github/octokit.js";
import { withLogContext } from "../../src/service/logger.js";
import { keyPair } from "../helpers/app-process.js";
import { testLog } from "../helpers/test-log.js";

/** One Octokit kept per installation (src/github/installation-clients.ts) instead of one per delivery. */
describe("installationClients (unit)", () => {
  const event = (id: unknown, name = "pull_request", action: unknown = "opened") => ({
    type: "event-octokit",
    event: { name, payload: { action, ...(id === undefined ? {} : { installation: { id } }) } },
  });
  function plugin(max?: number, fail = new Set<number>()) {
    const built: unknown[] = [];
    const auth = (o?: unknown) => {
      built.push(o);
      const id = (o as ReturnType<typeof event> | undefined)?.event?.payload.installation?.id as number;
      const client = { client: built.length, o, hook: { before: () => undefined } };
      return fail.has(id) ? Promise.reject(new Error(`no token for ${id}`)) : Promise.resolve(client);
    };
    return { built, auth: installationClients({ auth }, undefined, max).auth };
  }

  test("without Probot's mark to find (another Probot), nothing is kept: one client per delivery", async () => {
    let built = 0;
    const auth = () => Promise.resolve({ client: ++built });
    const noMark = installationClients({ auth }, undefined, 10, null).auth;
    expect(await noMark(event(1))).not.toBe(await noMark(event(1)));
    expect(built).toBe(2);
  });

  test("a delivery of a known installation gets the client built for its first one; another installation its own", async () => {
    const { built, auth } = plugin();
    const a = await auth(event(1));
    expect(await auth(event(1, "pull_request_review", "submitted"))).toBe(a);
    const b = await auth(event(2));
    expect(b).not.toBe(a);
    expect(await auth(event(2))).toBe(b);
    expect(built).toHaveLength(2);
  });

  test("other kinds of authentication, and a delivery without an installation id, pass through every time", async () => {
    const { built, auth } = plugin();
    await auth({ type: "app" });
    await auth({ type: "app" });
    await auth(event(undefined));
    await auth(event(undefined));
    await auth(event("1"));
    await auth(undefined);
    expect(built).toHaveLength(6);
  });

  test("a delivery that revokes the app drops the kept client and gets Probot's own answer", async () => {
    for (const action of ["deleted", "suspend"]) {
      const { built, auth } = plugin();
      const kept = await auth(event(1));
      const revoking = await auth(event(1, "installation", action));
      expect(revoking).not.toBe(kept);
      expect(built).toHaveLength(2);
      // The next delivery builds a new client (the one built for the revoking delivery is not kept).
      const next = await auth(event(1));
      expect(next).not.toBe(kept);
      expect(next).not.toBe(revoking);
      expect(built).toHaveLength(3);
    }
    // Other installation events keep it; so does the same action on another event.
    const { built, auth } = plugin();
    const kept = await auth(event(1));
    expect(await auth(event(1, "installation", "created"))).toBe(kept);
    expect(await auth(event(1, "pull_request", "deleted"))).toBe(kept);
    expect(built).toHaveLength(1);
  });

  test("a client that could not be built is not kept: the next delivery asks again", async () => {
    const fail = new Set([3]);
    const { built, auth } = plugin(undefined, fail);
    await expect(auth(event(3))).rejects.toThrow("no token for 3");
    await new Promise((r) => setImmediate(r));
    fail.clear();
    const ok = await auth(event(3));
    expect(ok).toMatchObject({ client: 2 });
    expect(await auth(event(3))).toBe(ok);
    expect(built).toHaveLength(2);
  });

  test("at most `max` clients are kept, the least recently used dropped first", async () => {
    const { built, auth } = plugin(2);
    const one = await auth(event(1));
    await auth(event(2));
    expect(await auth(event(1))).toBe(one); // 1 is now the most recently used
    await auth(event(3)); // drops 2
    expect(built).toHaveLength(3);
    expect(await auth(event(1))).toBe(one);
    await auth(event(2));
    expect(built).toHaveLength(4);
    // 3 was the least recently used when 2 came back.
    await auth(event(3));
    expect(built).toHaveLength(5);
  });
});

describe("installationClients in Probot (the app's Octokit class)", () => {
  let github: Server;
  const seen: { path: string; authorization: string; delivery?: string }[] = [];
  beforeAll(async () => {
    // A GitHub whose installation tokens name their installation, and which records who asks what.
    github = createServer((req, res) => {
      req.resume();
      const token = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(req.url ?? "");
      const delivery = req.headers["x-github-delivery"];
      seen.push({
        path: req.url ?? "",
        authorization: String(req.headers.authorization),
        ...(typeof delivery === "string" ? { delivery } : {}),
      });
      res.writeHead(token ? 201 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify(token ? { token: `t${token[1]}`, expires_at: "2099-01-01T00:00:00Z" } : {}));
    });
    await new Promise<void>((r) => github.listen(0, "127.0.0.1", r));
  });
  afterAll(async () => {
    github.closeAllConnections();
    await new Promise((r) => github.close(r));
  });

  test("each delivery's client is its installation's, the same one for every delivery of that installation", async () => {
    const { privateKey } = keyPair();
    const probot = new Probot({
      appId: 7,
      privateKey,
      log: testLog("fatal"),
      baseUrl: `http://127.0.0.1:${(github.address() as AddressInfo).port}`,
      Octokit: appOctokit({ pace: false }),
    });
    const clients: { installation: number; octokit: unknown }[] = [];
    await probot.load((app) => {
      app.on("issues", async (ctx) => {
        clients.push({ installation: ctx.payload.installation!.id, octokit: ctx.octokit });
        await ctx.octokit.request("GET /repos/{owner}/{repo}", {
          owner: "acme",
          repo: `r${ctx.payload.installation!.id}`,
        });
      });
    });
    // As the server hands a delivery to Probot: inside its log context.
    const deliver = (installation: number, n: number) =>
      withLogContext({ delivery: `d-${installation}-${n}` }, () =>
        probot.receive({
          id: `d-${installation}-${n}`,
          name: "issues",
          payload: { action: "opened", installation: { id: installation }, issue: {}, repository: {} },
        } as never),
      );
    for (const [installation, n] of [
      [1, 1],
      [2, 1],
      [1, 2],
      [2, 2],
      [1, 3],
    ] as const)
      await deliver(installation, n);

    const of = (i: number) => clients.filter((c) => c.installation === i).map((c) => c.octokit);
    expect(new Set(of(1)).size).toBe(1);
    expect(new Set(of(2)).size).toBe(1);
    expect(of(1)[0]).not.toBe(of(2)[0]);
    // Every request of a delivery went with its own installation's token.
    const reads = seen.filter((s) => s.path.startsWith("/repos/"));
    expect(reads).toHaveLength(5);
    for (const r of reads) expect(r.authorization).toBe(`token t${r.path.slice("/repos/acme/r".length)}`);
    // Each request names its own delivery for GitHub Support, not the first delivery of its client.
    expect(reads.map((r) => r.delivery)).toEqual(["d-1-1", "d-2-1", "d-1-2", "d-2-2", "d-1-3"]);
  });

  test("a kept client does not keep its first delivery's payload alive", () => {
    // In a process of its own, to collect garbage (--expose-gc) and see what is left.
    const script = `
      import { generateKeyPairSync } from "node:crypto";
      import { createServer } from "node:http";
      import { Probot } from "probot";
      import { appOctokit } from "./lib/github/octokit.js";
      import { withLogContext } from "./lib/service/logger.js";
      const gh = createServer((req, res) => {
        req.resume();
        const token = /access_tokens$/.test(req.url);
        res.writeHead(token ? 201 : 200, { "content-type": "application/json" });
        res.end(JSON.stringify(token ? { token: "t", expires_at: "2099-01-01T00:00:00Z" } : {}));
      });
      await new Promise((r) => gh.listen(0, "127.0.0.1", r));
      const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048,
        privateKeyEncoding: { type: "pkcs8", format: "pem" }, publicKeyEncoding: { type: "spki", format: "pem" } });
      const probot = new Probot({ appId: 7, privateKey, logLevel: "fatal", Octokit: appOctokit({ pace: false }),
        baseUrl: "http://127.0.0.1:" + gh.address().port });
      const clients = new Set();
      await probot.load((app) => app.on("issues", async (ctx) => { clients.add(ctx.octokit); await ctx.octokit.request("GET /x"); }));
      const payloads = [];
      for (const n of [1, 2, 3]) {
        const payload = { action: "opened", installation: { id: 1 }, issue: {}, repository: {}, big: "x".repeat(100000) };
        payloads.push(new WeakRef(payload));
        await withLogContext({ delivery: "d" + n }, () => probot.receive({ id: "d" + n, name: "issues", payload }));
      }
      for (let i = 0; i < 3; i++) { await new Promise((r) => setTimeout(r, 10)); globalThis.gc(); }
      console.log(JSON.stringify({ clients: clients.size, alive: payloads.filter((p) => p.deref() !== undefined).length }));
      gh.close();
      process.exit(0);`;
    const out = execFileSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], {
      encoding: "utf8",
    });
    expect(JSON.parse(out)).toEqual({ clients: 1, alive: 0 });
  });
});
