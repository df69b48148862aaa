import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import nock from "nock";
import { ProbotOctokit } from "probot";
import { withRetries } from "../../src/github/client.js";
import { leanFetch } from "../../src/github/http.js";

/**
 * The lean client Octokit talks through (src/github/http.ts): what Octokit needs of a `fetch`, over
 * keep-alive node:http, with bodies parsed by JSON.parse.
 */
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

async function listen(handler: Handler): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => handler(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const json = (res: ServerResponse, status: number, data: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
  res.end(JSON.stringify(data));
};

let a: { server: Server; url: string };
let b: { server: Server; url: string };
const seen: { path: string; method: string; auth?: string; body: string }[] = [];

beforeAll(async () => {
  b = await listen((req, res) => {
    seen.push({ path: req.url ?? "", method: req.method ?? "", auth: req.headers.authorization, body: "" });
    json(res, 200, { elsewhere: true });
  });
  a = await listen((req, res, body) => {
    seen.push({ path: req.url ?? "", method: req.method ?? "", auth: req.headers.authorization, body });
    const path = req.url ?? "";
    if (path === "/json") return json(res, 200, { id: 9007199254740000, name: "x" }, { etag: '"e1"' });
    if (path === "/echo") return json(res, 201, { got: JSON.parse(body) as unknown, method: req.method });
    if (path === "/graphql") return json(res, 200, { data: { echo: body, type: req.headers["content-type"] } });
    if (path === "/gzip") {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      return res.end(gzipSync(JSON.stringify({ zipped: true })));
    }
    if (path === "/raw") {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      return res.end("settings:\n  gate: g\n");
    }
    if (path === "/missing") return json(res, 404, { message: "Not Found" });
    if (path === "/moved") {
      res.writeHead(301, { location: "/json" });
      return res.end();
    }
    if (path === "/away") {
      res.writeHead(302, { location: `${b.url}/there` });
      return res.end();
    }
    if (path === "/hang") return; // never answers
    json(res, 500, { message: "boom" });
  });
});

afterAll(async () => {
  nock.restore(); // see test/helpers/fake-github.ts
  for (const s of [a, b]) {
    s.server.closeAllConnections();
    await new Promise((r) => s.server.close(r));
  }
});

describe("leanFetch", () => {
  test("status, headers as fetch gives them, the body parsed once with JSON.parse", async () => {
    const res = await leanFetch(`${a.url}/json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("ETag")).toBe('"e1"');
    expect(Object.fromEntries(res.headers)).toMatchObject({ etag: '"e1"' });
    expect(res.body).toEqual({ id: 9007199254740000, name: "x" });
    expect(await res.json()).toEqual({ id: 9007199254740000, name: "x" });
  });

  test("a body is sent, text stays text, a compressed answer is decompressed", async () => {
    const res = await leanFetch(`${a.url}/echo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ n: 1 }),
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ got: { n: 1 }, method: "POST" });
    expect((await leanFetch(`${a.url}/raw`)).body).toBe("settings:\n  gate: g\n");
    expect((await leanFetch(`${a.url}/gzip`)).body).toEqual({ zipped: true });
  });

  test("redirects: followed within the origin; to another origin without the credentials", async () => {
    const moved = await leanFetch(`${a.url}/moved`, { headers: { authorization: "token t" } });
    expect(moved.status).toBe(200);
    expect(moved.url).toBe(`${a.url}/json`);
    seen.length = 0;
    const away = await leanFetch(`${a.url}/away`, { headers: { authorization: "token t" } });
    expect(away.body).toEqual({ elsewhere: true });
    expect(seen.map((s) => [s.path, s.auth])).toEqual([
      ["/away", "token t"],
      ["/there", undefined],
    ]);
    expect((await leanFetch(`${a.url}/moved`, { redirect: "manual" })).status).toBe(301);
  });

  test("timeoutMs: no answer within it rejects with an AbortError (retried as a 5xx by Octokit); an answer in time stands", async () => {
    const started = Date.now();
    await expect(leanFetch(`${a.url}/hang`, { timeoutMs: 60 })).rejects.toMatchObject({
      name: "AbortError",
      message: "This operation was aborted: no answer within 60 ms",
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    // The deadline's timer goes with the answer: every timer of about a minute set meanwhile is cleared
    // (counting the process's active timers instead flaked: others end while the request runs).
    const deadlines = new Set<unknown>();
    let set = 0;
    const { setTimeout: realSet, clearTimeout: realClear } = globalThis;
    globalThis.setTimeout = ((fn: () => void, ms?: number) => {
      const t = realSet(fn, ms);
      if ((ms ?? 0) >= 59_000) {
        set++;
        deadlines.add(t);
      }
      return t;
    }) as typeof setTimeout;
    globalThis.clearTimeout = (t?: Parameters<typeof clearTimeout>[0]) => {
      deadlines.delete(t);
      realClear(t);
    };
    let res;
    try {
      res = await leanFetch(`${a.url}/json`, { timeoutMs: 60_000 });
    } finally {
      Object.assign(globalThis, { setTimeout: realSet, clearTimeout: realClear });
    }
    expect([set, deadlines.size]).toEqual([1, 0]);
    await new Promise((r) => setTimeout(r, 90));
    expect(res.body).toEqual({ id: 9007199254740000, name: "x" });
  });

  test("an aborted request rejects with an AbortError; a refused connection as fetch does", async () => {
    await expect(leanFetch(`${a.url}/hang`, { signal: AbortSignal.timeout(50) })).rejects.toMatchObject({
      name: expect.stringMatching(/AbortError|TimeoutError/) as unknown as string,
    });
    const closed = await listen(() => undefined);
    closed.server.close();
    await expect(leanFetch(`${closed.url}/x`)).rejects.toThrow(TypeError);
  });
});

describe("Octokit through withRetries uses the lean client", () => {
  const octokit = (timeoutMs = 10_000) =>
    withRetries(
      new ProbotOctokit({
        auth: { token: "t" },
        baseUrl: a.url,
        throttle: { enabled: false },
        retry: { enabled: false },
        log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
      }),
      { timeoutMs, maxWaitMs: 1 },
    );

  test("data parsed, errors as Octokit's RequestError with the parsed body", async () => {
    const { data, headers } = await octokit().request("GET /json");
    expect(data).toEqual({ id: 9007199254740000, name: "x" });
    expect(headers.etag).toBe('"e1"');
    const created = await octokit().request("POST /echo", { a: [1, 2] });
    expect(created.status).toBe(201);
    expect(created.data).toEqual({ got: { a: [1, 2] }, method: "POST" });
    await expect(octokit().request("GET /missing")).rejects.toMatchObject({
      status: 404,
      response: { data: { message: "Not Found" } },
    });
  });

  test("a GraphQL request's body is what Octokit would send: query, variables and operation name as JSON", async () => {
    const query = "query Q($n: Int!) { viewer { login } }";
    const data = await octokit().graphql<{ echo: string; type: string }>(query, { n: 2, operationName: "Q" });
    expect(JSON.parse(data.echo)).toEqual({ query, variables: { n: 2 }, operationName: "Q" });
    expect(data.type).toMatch(/^application\/json/);
    // A request that brings its own body keeps it.
    const own = await octokit().request("POST /graphql", { data: '{"query":"{ a }"}' });
    expect(JSON.parse((own.data as { data: { echo: string } }).data.echo)).toEqual({ query: "{ a }" });
  });

  test("the per-request deadline still holds: a request that never answers fails", async () => {
    seen.length = 0;
    await expect(octokit(100).request("GET /hang")).rejects.toMatchObject({ status: 500 });
    // Retried like a 5xx, each attempt cut at the deadline.
    expect(seen.filter((s) => s.path === "/hang").length).toBeGreaterThan(1);
  }, 10_000);

  test("nock still sees every request", async () => {
    const scope = nock("https://api.github.com").get("/repos/o/r").reply(200, { full_name: "o/r" });
    const o = withRetries(
      new ProbotOctokit({
        auth: { token: "t" },
        throttle: { enabled: false },
        log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
      }),
    );
    expect((await o.request("GET /repos/{owner}/{repo}", { owner: "o", repo: "r" })).data).toEqual({
      full_name: "o/r",
    });
    expect(scope.isDone()).toBe(true);
    nock.cleanAll();
  });
});
