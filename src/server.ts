import { createHmac, timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { pathToFileURL } from "node:url";
import type { Logger } from "pino";
import { run, type Probot } from "probot";
import { createApp, type AppOptions } from "./app/router.js";
import { KeyedSlots, RECONCILES_PER_INSTALLATION } from "./app/slots.js";
import { leadingAction, Subscriptions, trailingInstallation } from "./app/subscriptions.js";
import { tuneHeap } from "./service/heap.js";
import { createLogger, logFormatFrom, logLevelFrom, withLogContext } from "./service/logger.js";
import { slotStats, type Metrics } from "./service/metrics.js";
import { withoutLinks } from "./github/payload.js";
import type { ReadinessCheck } from "./service/readiness.js";

/**
 * The app's HTTP server: a signature check that answers 401 (not Probot's 400) to a delivery whose
 * `X-Hub-Signature-256` does not match, before anything is parsed, then the delivery handed to Probot
 * (`probot.receive`, as the queue's workers do: parsed once, its signature checked once);
 * a delivery no handler wants answered 200 unparsed (src/app/subscriptions.ts); at most
 * `maxConcurrentDeliveries` deliveries parsed and handled at once;
 * `GET /healthz` (alive), `GET /readyz` (ready to work) and `GET /metrics` (Prometheus). `npm start`
 * runs it (src/service/serve.ts); the demo and the end-to-end tests run the same code.
 */
export const WEBHOOK_PATH = "/api/github/webhooks";
const MAX_BODY = 25 * 1024 * 1024; // GitHub caps webhook payloads at 25 MB
/** GitHub gives up on a delivery after 10 s: answer before, "still processing", and carry on. */
const ANSWER_WITHIN_MS = 9_000;

/**
 * Deliveries of one installation admitted at once, of `limit`: all but a reserve for the others — what one
 * installation needs to fill its reconcile slots (`reserve`), at most a quarter of the limit.
 */
export function admissionPerInstallation(limit: number, reserve = RECONCILES_PER_INSTALLATION): number {
  return limit - Math.min(reserve, Math.floor(limit / 4));
}

/** A verified delivery, as the queue keeps it (queue mode). */
export interface VerifiedDelivery {
  readonly id: string;
  readonly name: string;
  readonly body: string;
  readonly installation?: number;
}

export interface WebhookServerOptions {
  readonly probot: Probot;
  readonly secret: string;
  readonly app?: AppOptions;
  readonly metrics?: Metrics;
  readonly readiness?: ReadinessCheck;
  /**
   * Deliveries parsed and handed to Probot at once (default 128); the rest wait as raw bytes. A burst
   * would otherwise parse every payload and build its context at once: memory grows with the burst
   * while throughput, bound by the CPU and GitHub's latency, does not.
   */
  readonly maxConcurrentDeliveries?: number;
  /**
   * Of those, deliveries of one installation at once (default `admissionPerInstallation`: all but 16, at most
   * a quarter kept back): one installation's flood, whose deliveries wait for its reconcile slots
   * (src/app/slots.ts), leaves room for another installation's.
   */
  readonly maxDeliveriesPerInstallation?: number;
  /** A delivery not answered this long after it arrived is answered 202 "still processing" (default 9 s; GitHub waits 10). */
  readonly answerWithinMs?: number;
  /**
   * Bytes of bodies not yet verified that the server reads at once (default 100 MiB: four of GitHub's
   * largest payloads, thousands of usual ones). Anyone can post to the webhook URL: beyond this a request
   * is answered 503 unread instead of growing the process without bound (docs/security.md).
   */
  readonly maxUnverifiedBytes?: number;
  /** Queue mode: a verified delivery is put on the queue (answered 202) instead of handled here. */
  readonly enqueue?: (delivery: VerifiedDelivery) => Promise<void>;
  readonly log?: Logger;
}

export interface WebhookServer extends Server {
  /** Deliveries being handled now. */
  readonly inFlight: number;
  /**
   * Stops accepting connections, lets the deliveries in flight finish for at most `timeoutMs`, then
   * closes every connection. Resolves with how many were cut short (0 = all finished).
   */
  drain(timeoutMs: number): Promise<number>;
}

export async function createWebhookServer(opts: WebhookServerOptions): Promise<WebhookServer> {
  // Anyone can sign with an empty key: without a secret no delivery could be told from a forged one.
  if (!opts.secret)
    throw new Error("the webhook secret is empty: set WEBHOOK_SECRET to the GitHub App's webhook secret");
  // What the app handles, from the handlers it registers: recorded as it loads here, or (queue mode:
  // the workers load it) from a stand-in load of the same app function.
  const subscriptions = opts.enqueue ? Subscriptions.of(createApp({ appId: 1 })) : new Subscriptions();
  const receive = opts.enqueue ? undefined : await loaded(opts.probot, subscriptions.record(createApp(opts.app)));
  const limit = opts.maxConcurrentDeliveries ?? 128;
  const admission = new KeyedSlots(limit, opts.maxDeliveriesPerInstallation ?? admissionPerInstallation(limit));
  if (!opts.enqueue) opts.metrics?.addQueue(() => Promise.resolve({ admission: slotStats(admission) }));
  const unverified = new ByteBudget(opts.maxUnverifiedBytes ?? 100 * 1024 * 1024);
  let inFlight = 0;
  let draining = false;
  const server = createServer((req, res) => {
    if (draining) {
      res.setHeader("connection", "close");
      return reply(res, 503, { error: "shutting down: retry on another replica" });
    }
    inFlight++;
    res.once("close", () => inFlight--);
    void handle(req, res, opts, { subscriptions, admission, unverified }, receive).catch((err: unknown) => {
      opts.log?.error({ err }, "request failed");
      if (!res.headersSent) reply(res, 500, { error: err instanceof Error ? err.message : String(err) });
    });
  });
  // GitHub gives up on a delivery after 10 s: a request still arriving after 30 s is a client holding a
  // connection (and its share of the budget above), answered 408 by Node and closed.
  server.requestTimeout = 30_000;
  server.headersTimeout = 20_000;
  // defineProperty, not Object.assign: assign would copy the getter's value at this moment (0), not the getter.
  Object.defineProperty(server, "inFlight", { get: () => inFlight, enumerable: true });
  return Object.assign(server as Server & { readonly inFlight: number }, {
    async drain(timeoutMs: number): Promise<number> {
      draining = true;
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeIdleConnections();
      const deadline = Date.now() + timeoutMs;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      const cut = inFlight;
      server.closeAllConnections();
      await closed;
      return cut;
    },
  });
}

type Receive = (delivery: { id: string; name: string; payload: unknown }) => Promise<void>;

/** The app loaded into Probot; deliveries go to its handlers through `probot.receive`. */
async function loaded(probot: Probot, appFn: Parameters<Probot["load"]>[0]): Promise<Receive> {
  await probot.load(appFn, { cwd: process.cwd(), addHandler: () => undefined });
  return (delivery) => probot.receive(delivery as Parameters<Probot["receive"]>[0]);
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  opts: WebhookServerOptions,
  {
    subscriptions,
    admission,
    unverified,
  }: { subscriptions: Subscriptions; admission: KeyedSlots; unverified: ByteBudget },
  receive: Receive | undefined,
): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (await opsRoute(req, res, opts)) return;
  // Probot's registration page points the app's webhook at the server's root URL: accept it there too.
  if ((path !== WEBHOOK_PATH && path !== "/") || req.method !== "POST") return reply(res, 404, { error: "not found" });

  const signature = req.headers["x-hub-signature-256"];
  if (typeof signature !== "string" || !signature.startsWith("sha256=")) return reply(res, 401, UNSIGNED);
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > MAX_BODY) return refuse(res, 413, { error: `payload larger than ${MAX_BODY} bytes` });
  const body = await readBody(req, unverified, Number.isInteger(declared) ? declared : undefined);
  if (body === "busy") return refuse(res, 503, BUSY);
  if (body === undefined) return refuse(res, 413, { error: `payload larger than ${MAX_BODY} bytes` });
  if (!signatureMatches(opts.secret, body, signature)) {
    return reply(res, 401, {
      error: "signature does not match: check that WEBHOOK_SECRET is the app's webhook secret",
    });
  }
  // A delivery no handler wants is answered before it is parsed (GitHub's echoes of the app's own
  // writes are most of them); the signature was checked all the same, so a wrong secret still shows.
  const event = req.headers["x-github-event"];
  const action = typeof event === "string" ? leadingAction(body) : undefined;
  if (typeof event === "string" && event && !subscriptions.handles(event, action)) {
    opts.metrics?.deliveries.inc({ event, action: action ?? "" });
    return reply(res, 200, { ignored: `${event}${action ? `.${action}` : ""}: no handler` });
  }
  if (opts.enqueue) return enqueued(req, res, body, opts, opts.enqueue);
  // Returned, not awaited: this frame (and its `body`) ends here; the handling holds the bytes in
  // `waiting` only until it parses them.
  return handled(req, res, { body }, opts, admission, receive!);
}

/**
 * Handles a verified delivery here once admitted. Only the raw bytes wait for a slot, and only until
 * parsed: in a burst hundreds of deliveries wait, and a parsed payload is several times its bytes.
 */
async function handled(
  req: IncomingMessage,
  res: ServerResponse,
  waiting: { body?: Buffer },
  opts: WebhookServerOptions,
  admission: KeyedSlots,
  receive: Receive,
): Promise<void> {
  // Admitted by installation: what one installation cannot take is left for the others.
  const installation = String(trailingInstallation(waiting.body!) ?? "");
  await admitted(res, admission, installation, opts.answerWithinMs ?? ANSWER_WITHIN_MS, async (answer) => {
    const delivery = describe(req, waiting.body!, true);
    waiting.body = undefined;
    if (!delivery) {
      // Answered 202 already if it waited past GitHub's patience: then the log is all that says so.
      if (answer.headersSent) opts.log?.warn({ delivery: req.headers["x-github-delivery"] }, NOT_A_DELIVERY.error);
      return void reply(answer, 400, NOT_A_DELIVERY);
    }
    opts.metrics?.deliveries.inc({ event: delivery.name, action: delivery.action ?? "" });
    await withLogContext(logContext(delivery), async () => {
      try {
        await receive({ id: delivery.id, name: delivery.name, payload: delivery.payload });
        answer.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      } catch (err) {
        // As Probot's middleware answered: the first handler's error, its status if it has one (GitHub
        // records the delivery as failed; the redelivery sweep sends it again).
        opts.probot.log.error(err);
        const first = firstError(err);
        reply(answer, first.status ?? 500, { error: `${first.name}: ${first.message}` });
      }
    });
  });
  if (res.statusCode >= 500) opts.metrics?.failures.inc({ kind: "delivery" });
}

const NOT_A_DELIVERY = { error: "missing X-GitHub-Event or X-GitHub-Delivery, or a body that is not JSON" };

type ParsedDelivery = VerifiedDelivery & { action?: string; payload: unknown };

function logContext(delivery: ParsedDelivery) {
  return {
    delivery: delivery.id,
    event: delivery.action ? `${delivery.name}.${delivery.action}` : delivery.name,
    ...(delivery.installation !== undefined ? { installation: delivery.installation } : {}),
  };
}

/** Queue mode: the verified delivery is put on the queue (answered 202); a worker handles it. */
async function enqueued(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  opts: WebhookServerOptions,
  enqueue: (delivery: VerifiedDelivery) => Promise<void>,
): Promise<void> {
  const delivery = describe(req, body, false);
  if (!delivery) return reply(res, 400, NOT_A_DELIVERY);
  opts.metrics?.deliveries.inc({ event: delivery.name, action: delivery.action ?? "" });
  const { action: _action, payload: _payload, ...queued } = delivery;
  await withLogContext(logContext(delivery), async () => {
    try {
      await enqueue({ ...queued, body: body.toString("utf8") });
    } catch (err) {
      // GitHub records the delivery as failed; the redelivery sweep sends it again once Redis is back.
      opts.log?.warn({ err }, "could not queue the delivery");
      return reply(res, 503, { error: "the queue is unavailable: the delivery will be redelivered" });
    }
    reply(res, 202, { queued: delivery.id });
  });
}

/**
 * Runs a delivery's handling once the process has a free slot for its installation (`admission`). A
 * delivery not answered within `withinMs` of its arrival, waiting or running, is answered 202 "still
 * processing" (as Probot does after 9 s) and carries on; whatever its handling writes afterwards goes nowhere.
 */
async function admitted(
  res: ServerResponse,
  admission: KeyedSlots,
  installation: string,
  withinMs: number,
  run: (answer: ServerResponse) => Promise<void>,
): Promise<void> {
  let late = false;
  const timer = setTimeout(() => {
    if (res.headersSent) return;
    late = true;
    res.writeHead(202, { "content-type": "text/plain" }).end("still processing\n");
  }, withinMs);
  // What Probot and @octokit/webhooks use of a response: writeHead(...).end(...).
  const answer = {
    get headersSent() {
      return late || res.headersSent;
    },
    get statusCode() {
      return res.statusCode;
    },
    setHeader(name: string, value: string) {
      if (!late && !res.headersSent) res.setHeader(name, value);
      return answer;
    },
    writeHead(status: number, headers?: Record<string, string>) {
      if (!late && !res.headersSent) res.writeHead(status, headers);
      return answer;
    },
    end(chunk?: string) {
      if (!late) res.end(chunk);
      return answer;
    },
  } as unknown as ServerResponse;
  try {
    await admission.run(installation, () => run(answer));
  } finally {
    clearTimeout(timer);
  }
}

/** GET /healthz, /readyz and /metrics (the server's and the workers'); false for anything else. */
export async function opsRoute(
  req: IncomingMessage,
  res: ServerResponse,
  opts: { metrics?: Metrics; readiness?: ReadinessCheck },
): Promise<boolean> {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method !== "GET") return false;
  if (path === "/" || path === "/healthz") reply(res, 200, { status: "ok" });
  else if (path === "/readyz") await readyz(res, opts.readiness);
  else if (path === "/metrics" && opts.metrics) {
    const { contentType, body } = await opts.metrics.text();
    res.writeHead(200, { "content-type": contentType });
    res.end(body);
  } else return false;
  return true;
}

/** The first of the handlers' errors (Probot's receive rejects with an AggregateError of them). */
function firstError(err: unknown): { name: string; message: string; status?: number } {
  const errors = (err as { errors?: unknown } | null | undefined)?.errors;
  const first = (Array.isArray(errors) && errors.length > 0 ? errors[0] : err) as {
    name?: unknown;
    message?: unknown;
    status?: unknown;
  };
  return {
    name: typeof first?.name === "string" ? first.name : "Error",
    message: typeof first?.message === "string" && first.message ? first.message : "An unspecified error occurred",
    // A failure is answered as one: a status only when it is an error status (GitHub's 404 for a gone pull request, say).
    ...(typeof first?.status === "number" && first.status >= 400 && first.status <= 599
      ? { status: first.status }
      : {}),
  };
}

/**
 * The delivery's id, event, action and installation, and its payload — without its links (src/github/payload.ts)
 * when it is handled here (`forApp`); queue mode reads only the rest and queues the bytes.
 */
function describe(req: IncomingMessage, body: Buffer, forApp: boolean): ParsedDelivery | undefined {
  const id = req.headers["x-github-delivery"];
  const name = req.headers["x-github-event"];
  if (typeof id !== "string" || typeof name !== "string" || !id || !name) return undefined;
  let payload: { action?: unknown; installation?: { id?: unknown } };
  try {
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    payload = (forApp ? withoutLinks(parsed) : parsed) as typeof payload;
  } catch {
    return undefined;
  }
  const installation = payload?.installation?.id;
  return {
    id,
    name,
    body: "",
    payload,
    ...(typeof payload?.action === "string" ? { action: payload.action } : {}),
    ...(typeof installation === "number" ? { installation } : {}),
  };
}

async function readyz(res: ServerResponse, readiness: ReadinessCheck | undefined): Promise<void> {
  if (!readiness) return reply(res, 200, { status: "ready", checks: {} });
  const report = await readiness();
  reply(res, report.ready ? 200 : 503, { status: report.ready ? "ready" : "not ready", checks: report.checks });
}

export function signatureMatches(secret: string, body: Buffer, header: string | string[] | undefined): boolean {
  if (!secret || typeof header !== "string" || !header.startsWith("sha256=")) return false;
  const expected = Buffer.from("sha256=" + createHmac("sha256", secret).update(body).digest("hex"));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const UNSIGNED = { error: "no X-Hub-Signature-256: set the app's webhook secret on GitHub to WEBHOOK_SECRET" };
const BUSY = { error: "too many deliveries arriving at once: GitHub redelivers this one" };

/** Answers without reading the rest of the body, and closes the connection (its unread bytes with it). */
function refuse(res: ServerResponse, status: number, body: object): void {
  res.setHeader("connection", "close");
  reply(res, status, body);
}

/** Bytes reserved at once out of a total; what is given back can be reserved again. */
export class ByteBudget {
  private used = 0;
  constructor(readonly total: number) {}
  take(bytes: number): boolean {
    if (this.used + bytes > this.total) return false;
    this.used += bytes;
    return true;
  }
  give(bytes: number): void {
    this.used -= bytes;
  }
  get inUse(): number {
    return this.used;
  }
}

/**
 * The body, read within `budget`: its declared length reserved before the first byte (a body without one
 * reserves as it arrives), given back once read. "busy" when the budget cannot take it (nothing kept);
 * undefined when it is larger than GitHub sends.
 */
function readBody(req: IncomingMessage, budget: ByteBudget, declared?: number): Promise<Buffer | undefined | "busy"> {
  let reserved = 0;
  const reserve = (bytes: number) => budget.take(bytes) && ((reserved += bytes), true);
  if (declared !== undefined && !reserve(declared)) return Promise.resolve("busy");
  // The request lives as long as its handling: listeners left on it would keep every chunk (and the
  // promise's result) alive that long, so they go once the body is read.
  return new Promise<Buffer | undefined | "busy">((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    const data = (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) return settle(() => resolve(undefined));
      if (size > reserved && !reserve(size - reserved)) return settle(() => resolve("busy"));
      chunks.push(c);
    };
    const settle = (then: () => void) => {
      req.off("data", data).off("end", end).off("error", fail);
      budget.give(reserved);
      reserved = 0;
      then();
      chunks = [];
    };
    const end = () => settle(() => resolve(Buffer.concat(chunks, size)));
    const fail = (err: Error) => settle(() => reject(err));
    req.on("data", data).once("end", end).once("error", fail);
  });
}

export function reply(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body) + "\n");
}

/** `npm start`: with APP_ID set, serve the app; without, Probot's setup page registers it from app.yml. */
async function main(): Promise<void> {
  if (existsSync(".env")) process.loadEnvFile(".env");
  tuneHeap(process.env);
  const log = createLogger({
    level: logLevelFrom(process.env),
    format: logFormatFrom(process.env, process.stdout.isTTY === true),
  });
  if (!process.env.APP_ID) {
    // Setup mode: Probot serves its registration page, whose webhook URL is WEBHOOK_PROXY_URL when set.
    // Nothing is delivered before registration, so the channel is not opened here: an unreachable
    // channel would otherwise end the setup page (Probot lets the connection error end start-up).
    const { WEBHOOK_PROXY_URL: channel, ...env } = process.env;
    if (channel)
      log.info(`setup mode: ${channel} is the webhook URL to register; restart after registering to forward it`);
    await run(createApp(), { log, env });
    return;
  }
  const { serve } = await import("./service/serve.js");
  await serve(process.env, log);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((err: unknown) => {
    console.error(`parallel-review: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
