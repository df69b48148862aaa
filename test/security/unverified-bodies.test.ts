import { request, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { Probot } from "probot";
import { appOctokit } from "../../src/github/octokit.js";
import { createWebhookServer, WEBHOOK_PATH, type WebhookServer } from "../../src/server.js";
import { keyPair } from "../helpers/app-process.js";
import { testLog } from "../helpers/test-log.js";
import { until } from "../helpers/until.js";

/**
 * Anyone can post to the webhook URL: what a stranger's unsigned or forged bodies can make the server hold
 * is bounded (src/server.ts `ByteBudget`, docs/security.md "Input a stranger controls").
 */
const BUDGET = 1_000;
let app: WebhookServer;
let port: number;
/** Requests the server has received: counted by a `request` listener that runs after the server's own. */
let arrived = 0;

beforeAll(async () => {
  const probot = new Probot({
    appId: 7,
    privateKey: keyPair().privateKey,
    secret: "s",
    log: testLog("fatal"),
    Octokit: appOctokit({ pace: false }),
  });
  app = await createWebhookServer({ probot, secret: "s", app: { appId: 7 }, maxUnverifiedBytes: BUDGET });
  await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
  port = (app.address() as AddressInfo).port;
  app.on("request", () => arrived++);
});

afterAll(async () => {
  await app.drain(1000);
});

/** A POST whose headers go out at once and whose body is written by the test, or not at all. */
function upload(headers: Record<string, string>) {
  const req = request({ host: "127.0.0.1", port, path: WEBHOOK_PATH, method: "POST", headers });
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on("response", (res: IncomingMessage) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
  });
  req.flushHeaders();
  return { req, answered };
}

const signed = { "x-github-event": "ping", "x-github-delivery": "d", "x-hub-signature-256": "sha256=00" };

/**
 * Waits until the server has received `n` requests in all. Its handler reserves a request's declared length
 * without waiting on I/O, before it reads a byte: a request seen here (from a later turn) holds its share.
 */
async function received(n: number): Promise<void> {
  await until(
    () => arrived >= n,
    () => `the server received ${arrived} requests, not ${n}`,
  );
}

test("a body without a signature is answered 401 before it is read", async () => {
  const { req, answered } = upload({ "x-github-event": "ping", "content-length": "500" });
  expect(await answered).toMatchObject({ status: 401 });
  req.destroy();
});

test("a body declared larger than GitHub sends is answered 413 before it is read", async () => {
  const { req, answered } = upload({ ...signed, "content-length": String(26 * 1024 * 1024) });
  expect(await answered).toMatchObject({ status: 413 });
  req.destroy();
});

test("bodies being received share the budget: one that does not fit is answered 503 unread; the budget comes back", async () => {
  const before = arrived;
  const first = upload({ ...signed, "content-length": "600" });
  first.req.write("x".repeat(10)); // and holds the rest
  // Its 600 bytes are reserved before the second asks (a sleep promises no order on a loaded machine).
  await received(before + 1);
  const second = upload({ ...signed, "content-length": "600" });
  expect(await second.answered).toMatchObject({ status: 503 });
  expect((await second.answered).body).toMatch(/GitHub redelivers/);
  second.req.destroy();
  // The first one ends: read, its signature checked (forged here: 401), its share given back.
  first.req.end("x".repeat(590));
  expect(await first.answered).toMatchObject({ status: 401 });
  const third = upload({ ...signed, "content-length": "900" });
  third.req.end("x".repeat(900));
  expect(await third.answered).toMatchObject({ status: 401 });
});

test("a body without a declared length takes the budget as it arrives, and is answered 503 past it", async () => {
  const { req, answered } = upload({ ...signed, "transfer-encoding": "chunked" });
  req.write("x".repeat(800));
  // Most likely two chunks, the second past the 800 bytes already taken; one chunk of 1,600 is past the
  // budget as well: the answer does not depend on how long this pause really is.
  await new Promise((r) => setTimeout(r, 50));
  req.write("x".repeat(800));
  expect(await answered).toMatchObject({ status: 503 });
  req.destroy();
  // Nothing of it is still held.
  const next = upload({ ...signed, "content-length": String(BUDGET) });
  next.req.end("x".repeat(BUDGET));
  expect(await next.answered).toMatchObject({ status: 401 });
});

test("a client that stops sending is cut off by Node's request timeout (30 s), not held for the default 5 minutes", () => {
  expect(app.requestTimeout).toBe(30_000);
  expect(app.headersTimeout).toBe(20_000);
});

test("a request being received counts as in flight until it is answered (what a drain waits for)", async () => {
  const before = arrived;
  expect(app.inFlight).toBe(0);
  const held = upload({ ...signed, "content-length": "100" });
  held.req.write("x");
  await received(before + 1);
  expect(app.inFlight).toBe(1);
  held.req.end("x".repeat(99));
  expect(await held.answered).toMatchObject({ status: 401 });
  await until(
    () => app.inFlight === 0,
    () => `${app.inFlight} still in flight`,
  ); // "close" follows the answer
  expect(app.inFlight).toBe(0);
});
