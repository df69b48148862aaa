import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import v8 from "node:v8";
import vm from "node:vm";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { Probot } from "probot";
import { createApp } from "../../src/app/router.js";
import { installationClients, probotHookMark } from "../../src/github/installation-clients.js";
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

  test("Probot's mark is the one symbol its Context sets to true on a new client; anything else is no mark", () => {
    expect(probotHookMark()?.description).toBe("octokit request hook added");
    const mark = Symbol("m");
    const other = Symbol("o");
    const contextSetting = (set: (client: Record<symbol, unknown>) => void) =>
      class {
        constructor(_event: never, client: never) {
          set(client);
        }
      };
    expect(probotHookMark(contextSetting((c) => (c[mark] = true)))).toBe(mark);
    expect(probotHookMark(contextSetting(() => undefined))).toBeNull();
    expect(probotHookMark(contextSetting((c) => ((c[mark] = true), (c[other] = true))))).toBeNull();
    expect(probotHookMark(contextSetting((c) => (c[mark] = "yes")))).toBeNull();
  });

  test("a failed client given up on is not dropped in place of the one built after it", async () => {
    // Each build waits until the test settles it.
    const builds: { resolve: (c: unknown) => void; reject: (e: Error) => void }[] = [];
    const auth = () => new Promise((resolve, reject) => builds.push({ resolve, reject })).then((c) => c);
    const kept = installationClients({ auth }, undefined, 1).auth;
    const first = kept(event(1));
    void kept(event(2)); // drops installation 1's pending client (one kept at most)
    const second = kept(event(1)); // built again, and kept
    expect(builds).toHaveLength(3);
    builds[0]!.reject(new Error("no token"));
    builds[2]!.resolve({ hook: { before: () => undefined } });
    await expect(first).rejects.toThrow("no token");
    await second;
    expect(kept(event(1))).toBe(second);
    expect(builds).toHaveLength(3);
  });

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

  /** A Probot on that GitHub, its clients of the app's Octokit class. */
  const probotOnGithub = () =>
    new Probot({
      appId: 7,
      privateKey: keyPair().privateKey,
      log: testLog("fatal"),
      baseUrl: `http://127.0.0.1:${(github.address() as AddressInfo).port}`,
      Octokit: appOctokit({ pace: false }),
    });

  test("each delivery's client is its installation's, the same one for every delivery of that installation", async () => {
    const probot = probotOnGithub();
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
    // Outside a delivery's log context (a sweep), a kept client's request names no delivery, and goes.
    seen.length = 0;
    await probot.receive({
      id: "no-context",
      name: "issues",
      payload: { action: "opened", installation: { id: 1 }, issue: {}, repository: {} },
    } as never);
    expect(seen.filter((s) => s.path.startsWith("/repos/"))).toEqual([
      { path: "/repos/acme/r1", authorization: "token t1" },
    ]);
  });

  test("the app handles a removal or suspension, so its installation's kept client is dropped then", async () => {
    const probot = probotOnGithub();
    const clients: unknown[] = [];
    await probot.load(createApp({ appId: 7 }));
    await probot.load((app) => app.on("issues", async (ctx) => void clients.push(ctx.octokit)));
    const issue = (n: number) =>
      probot.receive({
        id: `i${n}`,
        name: "issues",
        payload: { action: "opened", installation: { id: 5 }, issue: {}, repository: {} },
      } as never);
    const installation = (action: string) =>
      probot.receive({
        id: `inst-${action}`,
        name: "installation",
        payload: { action, installation: { id: 5, account: { login: "acme" } }, sender: { login: "o" } },
      } as never);
    await issue(1);
    await issue(2);
    expect(clients[1]).toBe(clients[0]);
    await installation("suspend");
    await issue(3);
    expect(clients[2]).not.toBe(clients[1]);
    await installation("deleted");
    await issue(4);
    expect(clients[3]).not.toBe(clients[2]);
    await issue(5);
    expect(clients[4]).toBe(clients[3]);
  });

  test("a kept client does not keep its first delivery's payload alive", async () => {
    // V8's collector, reached at run time (--expose-gc set now; `gc` is then defined in a new context).
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const probot = probotOnGithub();
    const clients = new Set<unknown>();
    await probot.load((app) => {
      app.on("issues", async (ctx) => {
        clients.add(ctx.octokit);
        await ctx.octokit.request("GET /x");
      });
    });
    const payloads: WeakRef<object>[] = [];
    for (const n of [1, 2, 3]) {
      const payload = { action: "opened", installation: { id: 9 }, issue: {}, repository: {}, big: "x".repeat(1e5) };
      payloads.push(new WeakRef(payload));
      await withLogContext({ delivery: `p${n}` }, () =>
        probot.receive({ id: `p${n}`, name: "issues", payload } as never),
      );
    }
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 10));
      gc();
    }
    expect(clients.size).toBe(1);
    expect(payloads.filter((p) => p.deref() !== undefined)).toHaveLength(0);
  });
});
