import { request, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { Probot } from "probot";
import { appOctokit } from "../../src/github/octokit.js";
import { createWebhookServer, WEBHOOK_PATH, type WebhookServer } from "../../src/server.js";
import { keyPair } from "../helpers/app-process.js";
import { testLog } from "../helpers/test-log.js";

/**
 * Anyone can post to the webhook URL: what a stranger's unsigned or forged bodies can make the server hold
 * is bounded (src/server.ts `ByteBudget`, docs/security.md "Input a stranger controls").
 */
const BUDGET = 1_000;
let app: WebhookServer;
let port: number;

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
  const first = upload({ ...signed, "content-length": "600" });
  first.req.write("x".repeat(10)); // and holds the rest
  await new Promise((r) => setTimeout(r, 50));
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
