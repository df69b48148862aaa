import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { Probot, ProbotOctokit } from "probot";
import { createApp } from "../../src/app/router.js";
import { createRequire } from "node:module";
import { leadingAction, Subscriptions, trailingInstallation } from "../../src/app/subscriptions.js";
import {
  admissionPerInstallation,
  createWebhookServer,
  signatureMatches,
  WEBHOOK_PATH,
  type VerifiedDelivery,
  type WebhookServer,
} from "../../src/server.js";
import { withoutLinks } from "../../src/github/payload.js";
import { testLog } from "../helpers/test-log.js";
import { signature } from "../helpers/webhook-headers.js";

/**
 * Deliveries no handler wants are answered before they are parsed (src/app/subscriptions.ts): GitHub's
 * webhooks about the app's own check runs and review requests are most of what the app receives.
 */
const SECRET = "subscriptions-secret";
const examples = createRequire(import.meta.url)("@octokit/webhooks-examples/api.github.com/index.json") as {
  name: string;
  examples: Record<string, unknown>[];
}[];
const sign = (body: string, secret = SECRET) => signature(secret, body);

describe("what the app subscribes to, recorded from its handlers", () => {
  const subs = Subscriptions.of(createApp({ appId: 7 }));

  test("the router's and healing's handlers, by event and action", () => {
    const list = subs.list();
    for (const name of [
      "pull_request.opened",
      "pull_request.synchronize",
      "pull_request_review.submitted",
      "issue_comment.created",
      "check_run.requested_action",
      "check_run.rerequested",
      "check_suite.rerequested",
      "push",
      "merge_group.checks_requested",
      "installation.created",
      "installation.deleted",
      "installation.suspend",
      "installation_repositories.added",
    ])
      expect(list).toContain(name);
  });

  test("every event and action the app handles is in docs/github-app.md's table of events", () => {
    const doc = readFileSync(new URL("../../docs/github-app.md", import.meta.url), "utf8");
    const table = doc.slice(doc.indexOf("## Events"), doc.indexOf("## Permissions"));
    const rows = table
      .split("\n")
      .filter((l) => l.startsWith("| `"))
      .map((l) => {
        const [events, actions] = l.split("|").slice(1, 3);
        return { events: [...events!.matchAll(/`(\w+)`/g)].map((m) => m[1]!), actions: actions!.split(/[^a-z_]+/) };
      });
    for (const name of subs.list()) {
      const [event, action] = name.split(".");
      const row = rows.find((r) => r.events.includes(event!));
      expect({ name, documented: row !== undefined && (action === undefined || row.actions.includes(action)) }).toEqual(
        {
          name,
          documented: true,
        },
      );
    }
  });

  test("handled and unhandled deliveries", () => {
    expect(subs.handles("pull_request", "opened")).toBe(true);
    expect(subs.handles("push", undefined)).toBe(true);
    expect(subs.handles("check_run", "requested_action")).toBe(true);
    // The app's own writes come back as these: nothing handles them.
    expect(subs.handles("check_run", "created")).toBe(false);
    expect(subs.handles("check_run", "completed")).toBe(false);
    expect(subs.handles("check_suite", "completed")).toBe(false);
    expect(subs.handles("pull_request", "review_requested")).toBe(false);
    expect(subs.handles("pull_request", "labeled")).toBe(false);
    expect(subs.handles("status", undefined)).toBe(false);
    expect(subs.handles("installation", "unsuspend")).toBe(false);
  });

  test("an action that could not be read never drops an event some handler wants", () => {
    expect(subs.handles("pull_request", undefined)).toBe(true);
    expect(subs.handles("check_run", undefined)).toBe(true);
    expect(subs.handles("workflow_run", undefined)).toBe(false);
  });

  test("a handler for every event counts as subscribing to everything", () => {
    const any = Subscriptions.of((app) => app.onAny(() => undefined));
    expect(any.handles("anything", "at_all")).toBe(true);
  });
});

describe("the leading action of a body", () => {
  const action = (s: string) => leadingAction(Buffer.from(s));

  test("read from the first key, as GitHub writes it", () => {
    expect(action('{"action":"completed","check_run":{"id":1}}')).toBe("completed");
    expect(action('{\n  "action": "requested_action",\n  "x": 1}')).toBe("requested_action");
  });

  test("not guessed when action is not the first key, or not a plain word", () => {
    expect(action('{"zen":"x","action":"opened"}')).toBeUndefined();
    expect(action('{"check_run":{"action":"opened"}}')).toBeUndefined();
    expect(action('{"action":"op\\"ened"}')).toBeUndefined();
    expect(action('{"action":1}')).toBeUndefined();
    expect(action('[{"action":"opened"}]')).toBeUndefined();
  });
});

describe("the installation a delivery is admitted under, read from its last bytes", () => {
  const installation = (body: string) => trailingInstallation(Buffer.from(body));

  test("every example of GitHub's payloads, compact or indented: its installation's id, or none", () => {
    let found = 0;
    for (const { examples: payloads } of examples)
      for (const p of payloads) {
        const id = (p.installation as { id?: number } | undefined)?.id;
        if (id !== undefined) found++;
        expect(installation(JSON.stringify(p))).toBe(id);
        expect(installation(JSON.stringify(p, null, 2))).toBe(id);
      }
    expect(found).toBeGreaterThan(100);
  });

  test("a user's text cannot pose as the key, before or after it: quotes in strings are escaped", () => {
    const texts = ['"installation":{"id":7}', 'fix "installation', '"installation"', 'x \\"installation":{"id":7}'];
    for (const text of texts) {
      const before = { action: "created", comment: { body: text }, installation: { id: 42, node_id: "x" } };
      const after = { ref: "refs/heads/main", installation: { id: 42, node_id: "x" }, head_commit: { message: text } };
      expect(installation(JSON.stringify(before))).toBe(42);
      expect(installation(JSON.stringify(after))).toBe(42);
      expect(installation(JSON.stringify(after, null, 2))).toBe(42);
      expect(installation(JSON.stringify({ action: "created", comment: { body: text } }))).toBeUndefined();
    }
    expect(installation('{"installation":{"node_id":"x","id":3}}')).toBeUndefined(); // not GitHub's shape: no key
  });

  test("a reserve for other installations: at most 16, at most a quarter of the limit", () => {
    expect(admissionPerInstallation(128)).toBe(112);
    expect(admissionPerInstallation(128, 4)).toBe(124);
    expect(admissionPerInstallation(16)).toBe(12);
    expect(admissionPerInstallation(3)).toBe(3);
    expect(admissionPerInstallation(1)).toBe(1);
  });
});

describe("the server drops unhandled deliveries before parsing them", () => {
  let probot: Probot;
  let server: WebhookServer;
  let url: string;
  const seen: string[] = [];
  const queued: VerifiedDelivery[] = [];
  let queueServer: WebhookServer;
  let queueUrl: string;

  beforeAll(async () => {
    const { privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    probot = new Probot({ appId: 7, privateKey, secret: SECRET, log: testLog(), Octokit: ProbotOctokit });
    server = await createWebhookServer({ probot, secret: SECRET, app: { appId: 7 } });
    // Sees every delivery that reaches Probot (after the app's own handlers were recorded).
    probot.onAny((e) => void seen.push(`${e.name}.${(e.payload as { action?: string }).action ?? ""}`));
    queueServer = await createWebhookServer({
      probot,
      secret: SECRET,
      enqueue: (d) => Promise.resolve(void queued.push(d)),
    });
    for (const s of [server, queueServer]) await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${WEBHOOK_PATH}`;
    queueUrl = `http://127.0.0.1:${(queueServer.address() as AddressInfo).port}${WEBHOOK_PATH}`;
  });

  afterAll(async () => {
    for (const s of [server, queueServer]) await s.drain(1000);
  });

  const post = (to: string, event: string, body: string, signature = sign(body)) =>
    fetch(to, {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        "x-github-event": event,
        "x-github-delivery": `d-${Math.random()}`,
        "x-hub-signature-256": signature,
      },
    });

  // A comment on an issue (not a pull request): the handler runs and returns without calling GitHub.
  const issueComment = JSON.stringify({
    action: "created",
    issue: { number: 1 },
    comment: { id: 1, body: "hi", user: { login: "carol" } },
    repository: { name: "shop", owner: { login: "acme" } },
    sender: { login: "carol" },
    installation: { id: 1 },
  });

  test("an unhandled action is answered 200 without being parsed or reaching Probot", async () => {
    seen.length = 0;
    // Not JSON past its first key: had it been parsed, the answer would be 400.
    const body = '{"action":"completed","check_run": not json';
    const res = await post(url, "check_run", body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ignored: "check_run.completed: no handler" });
    expect((await post(url, "status", "not json at all")).status).toBe(200);
    expect(seen).toEqual([]);
  });

  test("a handled event is still parsed and handled", async () => {
    seen.length = 0;
    expect((await post(url, "check_run", '{"action":"requested_action", not json')).status).toBe(400);
    const res = await post(url, "issue_comment", issueComment);
    expect(res.status).toBe(200);
    expect(seen).toEqual(["issue_comment.created"]);
  });

  test("a handled delivery is answered 200 ok; a handler's failure with its status (else 500) and error, as Probot's middleware did", async () => {
    const ok = await post(url, "issue_comment", issueComment);
    expect([ok.status, await ok.text()]).toEqual([200, "ok\n"]);
    // The status a handler's error carries is in the comment's body here.
    probot.on("issue_comment.edited", (e) => {
      const status = Number(e.payload.comment.body);
      throw Object.assign(new Error(status ? `failed with ${status}` : "plain"), status ? { status } : {});
    });
    const edited = (body: string) =>
      JSON.stringify({
        ...JSON.parse(issueComment),
        action: "edited",
        changes: {},
        comment: { id: 1, body, user: { login: "carol" } },
      });
    const failed = await post(url, "issue_comment", edited("503"));
    expect([failed.status, await failed.json()]).toEqual([503, { error: "Error: failed with 503" }]);
    const plain = await post(url, "issue_comment", edited("no status"));
    expect([plain.status, await plain.json()]).toEqual([500, { error: "Error: plain" }]);
    // A status that is no error status (a 304 let through, say) is still answered as a failure.
    const odd = await post(url, "issue_comment", edited("304"));
    expect([odd.status, await odd.json()]).toEqual([500, { error: "Error: failed with 304" }]);
  });

  test("handlers get the payload without its REST API links, everything else as GitHub sent it", async () => {
    const got: unknown[] = [];
    probot.on("issue_comment.deleted", (e) => void got.push(e.payload));
    const sent = examples.find((e) => e.name === "issue_comment")!.examples.find((p) => p.action === "created")!;
    const body = JSON.stringify({ ...sent, action: "deleted" });
    expect((await post(url, "issue_comment", body)).status).toBe(200);
    expect(got).toEqual([withoutLinks(JSON.parse(body))]);
    const text = JSON.stringify(got[0]);
    expect(text).not.toMatch(/"(\w+_)?url":|"_links":/);
    expect(text).toContain(`"body":${JSON.stringify((sent.comment as { body: string }).body)}`);
  });

  test("an action that is not the first key is parsed, not dropped", async () => {
    seen.length = 0;
    const body = JSON.stringify({ zen: "x", ...JSON.parse(issueComment) });
    expect((await post(url, "issue_comment", body)).status).toBe(200);
    expect(seen).toEqual(["issue_comment.created"]);
  });

  test("the signature is verified first, handled or not", async () => {
    seen.length = 0;
    expect((await post(url, "issue_comment", issueComment, sign(issueComment, "wrong"))).status).toBe(401);
    expect((await post(url, "check_run", '{"action":"completed"}', sign("x"))).status).toBe(401);
    expect(seen).toEqual([]);
  });

  test("an empty secret is refused: anyone can sign with an empty key", async () => {
    await expect(createWebhookServer({ probot, secret: "", app: { appId: 7 } })).rejects.toThrow(
      "the webhook secret is empty: set WEBHOOK_SECRET to the GitHub App's webhook secret",
    );
    const body = "{}";
    expect(signatureMatches("", Buffer.from(body), sign(body, ""))).toBe(false);
    expect(signatureMatches(SECRET, Buffer.from(body), sign(body))).toBe(true);
  });

  test("queue mode: only handled deliveries are queued", async () => {
    queued.length = 0;
    expect((await post(queueUrl, "check_run", '{"action":"created","check_run":{}}')).status).toBe(200);
    expect((await post(queueUrl, "pull_request", '{"action":"review_requested"}')).status).toBe(200);
    expect(queued).toEqual([]);
    expect((await post(queueUrl, "issue_comment", issueComment)).status).toBe(202);
    expect(queued.map((d) => d.name)).toEqual(["issue_comment"]);
  });
});
