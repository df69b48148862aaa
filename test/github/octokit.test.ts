import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { pino } from "pino";
import { Probot } from "probot";
import type { Octokit } from "../../src/github/client.js";
import { appOctokit } from "../../src/github/octokit.js";
import { keyPair } from "../helpers/app-process.js";

/** The app's Octokit class (src/github/octokit.ts) as Probot builds its clients from it. */
describe("the app's Octokit class", () => {
  let github: Server;
  const seen: { url: string; agent: string; authorization: string }[] = [];
  beforeAll(async () => {
    // A GitHub with installation tokens, a paginated list of three pages, and a 404.
    github = createServer((req, res) => {
      req.resume();
      const url = req.url ?? "";
      seen.push({ url, agent: String(req.headers["user-agent"]), authorization: String(req.headers.authorization) });
      const base = `http://127.0.0.1:${(github.address() as AddressInfo).port}`;
      if (/^\/app\/installations\/\d+\/access_tokens$/.test(url)) {
        res.writeHead(201, { "content-type": "application/json" });
        return res.end(JSON.stringify({ token: "t1", expires_at: "2099-01-01T00:00:00Z" }));
      }
      const page = /[?&]page=(\d)/.exec(url)?.[1] ?? "1";
      if (url.startsWith("/repos/acme/shop/pulls?")) {
        const next =
          page === "3" ? {} : { link: `<${base}/repos/acme/shop/pulls?per_page=1&page=${+page + 1}>; rel="next"` };
        res.writeHead(200, { "content-type": "application/json", ...next });
        return res.end(JSON.stringify([{ number: +page }]));
      }
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: "Not Found" }));
    });
    await new Promise<void>((r) => github.listen(0, "127.0.0.1", r));
  });
  afterAll(async () => {
    github.closeAllConnections();
    await new Promise((r) => github.close(r));
  });

  /** An installation's client of a Probot whose log keeps its lines, at `level`. */
  async function client(level: pino.Level) {
    const lines: { msg: string; name?: string }[] = [];
    const log = pino({ level }, { write: (l: string) => void lines.push(JSON.parse(l) as { msg: string }) });
    const probot = new Probot({
      appId: 7,
      privateKey: keyPair().privateKey,
      log,
      baseUrl: `http://127.0.0.1:${(github.address() as AddressInfo).port}`,
      Octokit: appOctokit({ pace: false }),
    });
    return { octokit: await probot.auth(1), lines };
  }

  test("has no REST method proxies, and the adapter's client type leaves them out so a call does not compile", async () => {
    const { octokit } = await client("info");
    const adapter: Octokit = octokit;
    // @ts-expect-error `rest` is not part of the adapter's type (src/github/client.ts): the app's class has none.
    expect(adapter.rest).toBeUndefined();
    expect(typeof adapter.request).toBe("function");
  });

  test("authenticates as the installation, paginates, and names the app and Probot in its user agent", async () => {
    seen.length = 0;
    const { octokit } = await client("info");
    const pulls = await octokit.paginate("GET /repos/{owner}/{repo}/pulls", {
      owner: "acme",
      repo: "shop",
      per_page: 1,
    });
    expect(pulls.map((p) => p.number)).toEqual([1, 2, 3]);
    const reads = seen.filter((s) => s.url.startsWith("/repos/"));
    expect(reads).toHaveLength(3);
    for (const r of reads) {
      expect(r.authorization).toBe("token t1");
      expect(r.agent).toMatch(/^parallel-review probot\/\d+\.\d+\.\d+ /);
    }
  });

  test("with debug lines on, every request is logged with its method, URL and status, failures too", async () => {
    const { octokit, lines } = await client("debug");
    await octokit.request("GET /repos/{owner}/{repo}/pulls", { owner: "acme", repo: "shop", per_page: 1, page: 3 });
    await expect(octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "gone" })).rejects.toMatchObject({
      status: 404,
    });
    const base = `http://127.0.0.1:${(github.address() as AddressInfo).port}`;
    // (The installation's token is asked for, and logged, first.)
    const requests = lines.map((l) => l.msg).filter((m) => m.startsWith("GitHub request: ") && m.includes("/repos/"));
    expect(requests).toEqual([
      `GitHub request: GET ${base}/repos/acme/shop/pulls?per_page=1&page=3 - 200`,
      `GitHub request: GET ${base}/repos/acme/gone - 404`,
    ]);
  });

  /** Two requests (one answered 404) of a client at `level`: the log lines, and the endpoints parsed. */
  async function twoRequests(level: pino.Level) {
    const { octokit, lines } = await client(level);
    await octokit.request("GET /repos/{owner}/{repo}/pulls", { owner: "acme", repo: "shop", per_page: 1 }); // the token first
    let parsed = 0;
    const parse = octokit.request.endpoint.parse;
    octokit.request.endpoint.parse = ((o: never) => (parsed++, parse(o))) as unknown as typeof parse;
    lines.length = 0;
    await octokit.request("GET /repos/{owner}/{repo}/pulls", { owner: "acme", repo: "shop", per_page: 1, page: 3 });
    await expect(octokit.request("GET /repos/{owner}/{repo}", { owner: "acme", repo: "gone" })).rejects.toMatchObject({
      status: 404,
    });
    return { logged: lines.filter((l) => l.msg.startsWith("GitHub request: ")).length, parsed };
  }

  test("with debug lines off, no request is logged or has its endpoint parsed but to be sent", async () => {
    // Each request's own parse (Octokit's request pipeline) and nothing more; with debug on, one more each.
    expect(await twoRequests("info")).toEqual({ logged: 0, parsed: 2 });
    expect(await twoRequests("debug")).toEqual({ logged: 2, parsed: 4 });
  });
});
