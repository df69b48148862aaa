import { generateKeyPairSync } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, test } from "@jest/globals";
import { pino } from "pino";
import { Probot } from "probot";
import { appOctokit } from "../../src/github/octokit.js";
import { createWebhookServer, WEBHOOK_PATH, type WebhookServer } from "../../src/server.js";
import { testLog } from "../helpers/test-log.js";
import { webhookHeaders } from "../helpers/webhook-headers.js";
import { until } from "../helpers/until.js";

/**
 * Admission (src/server.ts): at most `maxConcurrentDeliveries` deliveries are parsed and in Probot at
 * once, the rest wait as bytes; a delivery not answered in time is answered 202 and still handled.
 */
const SECRET = "admission-secret";
let github: Server;
let app: WebhookServer;
let url: string;
const requests: string[] = [];
const serverLog: { level: number; msg: string; delivery?: string }[] = [];
/** A read GitHub answers only once the test opens `until`: the delivery making it keeps its slot till then. */
let held: { url: string; until: Promise<void> } | undefined;

beforeAll(async () => {
  // A GitHub that answers everything slowly, 404 but for the installation token: each answer takes longer
  // than `answerWithinMs`, so every delivery is still being handled when its answer is due. (Until the
  // app's own pacer, the class below left Probot's throttle on, whose queueing made the handling slow.)
  github = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    const release = held && req.url?.endsWith(held.url) ? held.until : Promise.resolve();
    setTimeout(() => {
      void release.then(() => {
        const token = req.url?.endsWith("/access_tokens");
        res.writeHead(token ? 201 : 404, { "content-type": "application/json" });
        res.end(JSON.stringify(token ? { token: "t", expires_at: "2099-01-01T00:00:00Z" } : { message: "Not Found" }));
      });
    }, 200);
  });
  await new Promise<void>((r) => github.listen(0, "127.0.0.1", r));
  const probot = probotFor();
  app = await createWebhookServer({
    probot,
    secret: SECRET,
    app: { appId: 7, maxRetryWaitMs: 1 },
    maxConcurrentDeliveries: 1,
    answerWithinMs: 150,
    log: pino({ level: "warn" }, { write: (line: string) => void serverLog.push(JSON.parse(line)) }),
  });
  await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(app.address() as AddressInfo).port}${WEBHOOK_PATH}`;
});

/** A Probot of app 7 talking to the slow GitHub above (one key per file: generating one is slow). */
let privateKey: string | undefined;
function probotFor(): Probot {
  privateKey ??= generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  }).privateKey;
  return new Probot({
    appId: 7,
    privateKey,
    secret: SECRET,
    log: testLog("fatal"),
    baseUrl: `http://127.0.0.1:${(github.address() as AddressInfo).port}`,
    Octokit: appOctokit({ pace: false }),
  });
}

afterAll(async () => {
  await app.drain(5000);
  github.closeAllConnections();
  await new Promise((r) => github.close(r));
});

const opened = (number: number, installation = 1) =>
  JSON.stringify({
    action: "opened",
    number,
    pull_request: { number, head: { sha: "a".repeat(40) }, base: { ref: "main" } },
    repository: { name: "shop", owner: { login: "acme" } },
    sender: { login: "carol" },
    installation: { id: installation, node_id: `MDIz${installation}` },
  });

/** A signed `pull_request` delivery. */
const post = (body: string, id: string) =>
  fetch(url, { method: "POST", body, headers: webhookHeaders(SECRET, body, "pull_request", id) });

test("one delivery in Probot at a time; late ones answered 202 and still handled in turn", async () => {
  const answers = await Promise.all([post(opened(1), "d-1"), post(opened(2), "d-2")]);
  expect(answers.map((r) => r.status)).toEqual([202, 202]);
  // Both are handled all the same: each reads its pull request (a 404 here, so the reconcile fails).
  const pulls = () => requests.filter((r) => /\/pulls\/\d+$/.test(r));
  await until(
    () => pulls().some((r) => r.endsWith("/pulls/1")) && pulls().some((r) => r.endsWith("/pulls/2")),
    () => `not both handled: ${requests.join(", ")}`,
  );
  // The second entered Probot only after the first's handling was over: no request of #1 after #2's first.
  const about = (n: number) => requests.map((r, i) => (r.includes(`/pulls/${n}`) ? i : -1)).filter((i) => i >= 0);
  const [first, second] = requests.some((r) => r.endsWith("/pulls/1")) && about(1)[0]! < about(2)[0]! ? [1, 2] : [2, 1];
  expect(Math.max(...about(first))).toBeLessThan(Math.min(...about(second)));
}, 20_000);

test("a body that is not JSON, parsed once admitted after it was answered 202, is logged with its delivery", async () => {
  // The first holds the one slot past `answerWithinMs`: it is in Probot once it asks for its pull request,
  // whose answer is held until the second, waiting for the slot as raw bytes, was answered. (A sleep between
  // the two posts promises no order on a loaded machine, and a second admitted within `answerWithinMs` is
  // answered 400 at once.)
  let open!: () => void;
  held = { url: "/pulls/3", until: new Promise<void>((r) => (open = r)) };
  const slow = post(opened(3), "d-3");
  await until(
    () => requests.some((r) => r.endsWith("/pulls/3")),
    () => `d-3 not admitted: ${requests.join(", ")}`,
  );
  const broken = await post('{"action":"opened", not json', "d-broken");
  open();
  expect(broken.status).toBe(202);
  await slow;
  await until(
    () => serverLog.some((l) => l.delivery === "d-broken"),
    () => `not logged: ${JSON.stringify(serverLog)}`,
  );
  expect(serverLog.find((l) => l.delivery === "d-broken")).toMatchObject({
    level: 40,
    msg: "missing X-GitHub-Event or X-GitHub-Delivery, or a body that is not JSON",
  });
}, 20_000);

test("one installation's deliveries take at most their share: another installation's is admitted beside them", async () => {
  const probot = probotFor();
  const shared = await createWebhookServer({
    probot,
    secret: SECRET,
    app: { appId: 7, maxRetryWaitMs: 1 },
    maxConcurrentDeliveries: 2,
    maxDeliveriesPerInstallation: 1,
  });
  await new Promise<void>((r) => shared.listen(0, "127.0.0.1", r));
  const to = `http://127.0.0.1:${(shared.address() as AddressInfo).port}${WEBHOOK_PATH}`;
  const send = (body: string, id: string) =>
    fetch(to, { method: "POST", body, headers: webhookHeaders(SECRET, body, "pull_request", id) });
  try {
    let open!: () => void;
    held = { url: "/pulls/11", until: new Promise<void>((r) => (open = r)) };
    const first = send(opened(11, 1), "i1-a"); // installation 1's share, held at GitHub
    await until(
      () => requests.some((r) => r.endsWith("/pulls/11")),
      () => `#11 not admitted: ${requests.join(", ")}`,
    );
    const second = send(opened(12, 1), "i1-b"); // installation 1's next waits for its share…
    const other = send(opened(21, 2), "i2-a"); // …installation 2's does not
    await until(
      () => requests.some((r) => r.endsWith("/pulls/21")),
      () => `installation 2's delivery was not admitted beside installation 1's: ${requests.join(", ")}`,
    );
    expect(requests.some((r) => r.endsWith("/pulls/12"))).toBe(false);
    open();
    await Promise.all([first, second, other]);
    expect(requests.some((r) => r.endsWith("/pulls/12"))).toBe(true);
  } finally {
    held = undefined;
    await shared.drain(5000);
  }
}, 20_000);
