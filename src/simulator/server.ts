/**
 * The HTTP side of the simulator. One pipeline for every call:
 * parse → route → authenticate → rate limit / faults → validate request → handle → validate response → ETag/304 → log.
 * Served both at / and under the GitHub Enterprise prefix /api/v3.
 */
import { createHash, randomBytes, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { authenticate } from "./auth.js";
import type { Faults } from "./faults.js";
import { HttpError, type ApiRequest, type ApiResponse } from "./http.js";
import type { OpenApi } from "./openapi.js";
import type { Router, RouteContext } from "./router.js";
import type { State } from "./state.js";
import { sleep } from "./util.js";

export interface RequestLogEntry {
  seq: number;
  method: string;
  /** Path as requested, without the /api/v3 prefix, with query string. */
  path: string;
  /** "METHOD /template" of the matched route, e.g. "GET /repos/{owner}/{repo}/pulls/{pull_number}". */
  route?: string;
  status: number;
  /** A conditional request (If-None-Match) answered with 304. */
  notModified: boolean;
  fault?: "error" | "secondary-rate-limit";
  /** For POST /graphql: mutation fields an injected fault failed (Faults.forField). */
  fieldFaults?: number;
  /** For POST /graphql: whether the document reads (a query) or writes (a mutation). */
  operation?: "query" | "mutation";
  /** For POST /graphql: the first operation's name, when it has one (`query PullSnapshot …`). */
  operationName?: string;
  /** Error message for 4xx/5xx answers, to make failing scenarios readable. */
  error?: string;
  durationMs: number;
}

/** A write to GitHub: anything but a GET or a GraphQL query (the log says which a document was). */
export function isWrite(e: RequestLogEntry): boolean {
  if (e.method === "GET" || e.method === "HEAD") return false;
  return e.operation !== "query";
}

export interface ServerDeps {
  state: State;
  router: Router;
  faults: Faults;
  context: RouteContext;
  publicKey: () => KeyObject | undefined;
  /** Resolved validator when validation is on. */
  openapi: () => OpenApi | undefined;
  validateRequests: () => boolean;
  validateResponses: () => boolean;
  onResponseInvalid: (message: string) => void;
  rateLimit: () => number;
  onRequest?: (entry: RequestLogEntry) => void;
}

const PREFIX = "/api/v3";
const GHES_GRAPHQL = "/api/graphql";
const SECONDARY_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits";

export class ApiServer {
  readonly log: RequestLogEntry[] = [];
  inFlight = 0;
  /** The requests being answered now (diagnostics: what a simulator that never goes idle waits for). */
  readonly open = new Set<RequestLogEntry>();
  /** Bumped on every request start/end; idle() uses it to detect a quiet period. */
  activity = 0;
  private server: Server | undefined;
  private origin = "";
  private readonly rate = new Map<number | string, { used: number; resetAt: number }>();

  constructor(private readonly deps: ServerDeps) {}

  async listen(): Promise<string> {
    const server = createServer((req, res) => {
      // Never let a broken socket become an unhandled rejection that kills the test process.
      this.handle(req, res).catch(() => res.destroy());
    });
    // Long enough for Node's fetch to reuse connections (it drops sockets whose server keep-alive is
    // under ~2 s, paying a new TCP connection per call); close() ends idle sockets itself.
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", resolve);
    });
    this.server = server;
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.origin;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    this.activity++;
    const started = Date.now();
    const url = new URL(req.url ?? "/", this.origin);
    const prefix = url.pathname === PREFIX || url.pathname.startsWith(`${PREFIX}/`) ? PREFIX : "";
    // GitHub Enterprise serves GraphQL beside the REST prefix, at /api/graphql.
    const path = url.pathname === GHES_GRAPHQL ? "/graphql" : url.pathname.slice(prefix.length) || "/";
    const entry: RequestLogEntry = {
      seq: this.log.length + 1,
      method: req.method ?? "GET",
      path: path + url.search,
      status: 0,
      notModified: false,
      durationMs: 0,
    };
    this.log.push(entry);
    this.open.add(entry);
    let response: ApiResponse;
    const meta: { installationId?: number } = {};
    const headers: Record<string, string> = {
      "x-github-request-id": randomBytes(8).toString("hex").toUpperCase(),
      "x-github-media-type": "github.v3; format=json",
    };
    try {
      try {
        response = await withDeadline(this.process(req, url, prefix, path, entry, headers, meta), HANDLER_DEADLINE_MS);
      } catch (err) {
        response = this.errorResponse(err, entry);
      }
      this.write(res, req, response, headers, entry, meta);
    } finally {
      entry.durationMs = Date.now() - started;
      this.open.delete(entry);
      this.inFlight--;
      this.activity++;
      this.deps.onRequest?.(entry);
    }
  }

  private async process(
    req: IncomingMessage,
    url: URL,
    prefix: string,
    path: string,
    entry: RequestLogEntry,
    headers: Record<string, string>,
    meta: { installationId?: number },
  ): Promise<ApiResponse> {
    const { state, router, faults } = this.deps;
    const raw = await readBody(req);
    const method = entry.method;
    const match = router.match(method, path);
    if (!match) throw new HttpError(404, "Not Found");
    entry.route = `${method} ${match.route.template}`;
    const nowMs = this.deps.context.nowMs();
    const auth = authenticate(req.headers.authorization, state, this.deps.publicKey(), nowMs);
    if (match.route.auth === "app" && auth.kind !== "app") {
      throw new HttpError(
        401,
        auth.kind === "none" && !req.headers.authorization
          ? "Requires authentication"
          : "A JSON web token could not be decoded",
      );
    }
    if (match.route.auth === "installation" && auth.kind !== "installation") {
      throw new HttpError(401, req.headers.authorization ? "Bad credentials" : "Requires authentication");
    }
    if (auth.kind === "installation") {
      meta.installationId = auth.installationId;
      this.applyRateLimit(auth.installationId, nowMs, headers, path === "/graphql" ? "graphql" : "core");
    }

    const fault = faults.forRequest(method, path);
    if (fault.hold) await fault.hold.catch(() => undefined);
    if (fault.latencyMs > 0) await sleep(fault.latencyMs);
    if (fault.secondaryRateLimit) {
      entry.fault = "secondary-rate-limit";
      throw new HttpError(
        403,
        `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${headers["x-github-request-id"]}.`,
        {
          documentation_url: SECONDARY_DOCS,
          headers: { "retry-after": String(fault.secondaryRateLimit.retryAfterSeconds) },
        },
      );
    }
    if (fault.error?.phase === "before") {
      entry.fault = "error";
      throw new HttpError(fault.error.status, "Server Error");
    }

    let body: unknown;
    if (raw.length) {
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch {
        throw new HttpError(400, "Problems parsing JSON");
      }
    }
    if (path === "/graphql") Object.assign(entry, operationOf(body));
    const openapi = this.deps.openapi();
    if (openapi && this.deps.validateRequests()) {
      const rejection = openapi.validateRequest(method, match.route.template, url.searchParams, body);
      if (rejection) throw rejection;
    }
    const apiReq: ApiRequest = {
      method,
      path,
      prefix,
      query: url.searchParams,
      params: match.params,
      body,
      headers: req.headers,
      auth,
      urls: { api: `${this.origin}${PREFIX}`, html: this.origin },
      origin: this.origin,
      fieldFault: (m, p) => {
        const hit = faults.forField(m, p);
        if (hit) entry.fieldFaults = (entry.fieldFaults ?? 0) + 1;
        return hit;
      },
    };
    const response = await match.route.handler(apiReq, this.deps.context);
    if (fault.error?.phase === "after") {
      entry.fault = "error";
      throw new HttpError(fault.error.status, "Server Error");
    }
    if (openapi && this.deps.validateResponses() && typeof response.body !== "string") {
      const problem = openapi.validateResponse(method, match.route.template, response.status, response.body);
      if (problem) {
        this.deps.onResponseInvalid(problem);
        throw new HttpError(500, `Simulator bug: response failed OpenAPI validation. ${problem}`);
      }
    }
    return response;
  }

  /**
   * Installation tokens get GitHub's hourly budget per resource (REST's `core`, and `graphql`, counted here
   * as one point per request, GitHub's minimum, not by its query-cost formula); 304s are free, as on GitHub.
   */
  private applyRateLimit(
    installationId: number,
    nowMs: number,
    headers: Record<string, string>,
    resource: "core" | "graphql",
  ): void {
    const limit = this.deps.rateLimit();
    const key = resource === "core" ? installationId : `${installationId}:${resource}`;
    let window = this.rate.get(key);
    if (!window || window.resetAt <= nowMs) this.rate.set(key, (window = { used: 0, resetAt: nowMs + 3_600_000 }));
    Object.assign(headers, {
      "x-ratelimit-limit": String(limit),
      "x-ratelimit-remaining": String(Math.max(0, limit - window.used - 1)),
      "x-ratelimit-used": String(window.used + 1),
      "x-ratelimit-reset": String(Math.floor(window.resetAt / 1000)),
      "x-ratelimit-resource": resource,
    });
    if (window.used >= limit) {
      headers["x-ratelimit-remaining"] = "0";
      throw new HttpError(403, `API rate limit exceeded for installation ID ${installationId}.`, {
        documentation_url: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
      });
    }
    window.used++;
  }

  private errorResponse(err: unknown, entry: RequestLogEntry): ApiResponse {
    if (err instanceof HttpError) {
      entry.error = err.message;
      return { status: err.status, body: err.toBody(), ...(err.extra.headers ? { headers: err.extra.headers } : {}) };
    }
    // A thrown non-HttpError is a simulator bug; surface it loudly instead of hiding it in a 500 body only.
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    entry.error = message;
    this.deps.onResponseInvalid(`internal error on ${entry.method} ${entry.path}: ${message}`);
    return { status: 500, body: { message: "Server Error", documentation_url: "https://docs.github.com/rest" } };
  }

  private write(
    res: ServerResponse,
    req: IncomingMessage,
    response: ApiResponse,
    headers: Record<string, string>,
    entry: RequestLogEntry,
    meta: { installationId?: number },
  ): void {
    const all: Record<string, string> = { ...headers, ...(response.headers ?? {}) };
    let payload = "";
    if (response.body !== undefined) {
      payload = typeof response.body === "string" ? response.body : JSON.stringify(response.body);
      all["content-type"] ??= "application/json; charset=utf-8";
    }
    if (entry.method === "GET" && response.status === 200) {
      // Weak ETag over the representation; a matching If-None-Match gets an empty 304 like GitHub.
      all.etag = `W/"${createHash("sha256").update(payload).digest("hex").slice(0, 40)}"`;
      const inm = req.headers["if-none-match"];
      if (
        inm &&
        inm
          .split(",")
          .map((s) => s.trim())
          .includes(all.etag)
      ) {
        entry.status = 304;
        entry.notModified = true;
        this.refund(meta.installationId, all);
        delete all["content-type"];
        res.writeHead(304, all).end();
        return;
      }
    }
    entry.status = response.status;
    all["content-length"] = String(Buffer.byteLength(payload));
    res.writeHead(response.status, all).end(payload);
  }

  private refund(installationId: number | undefined, headers: Record<string, string>): void {
    const window = installationId !== undefined ? this.rate.get(installationId) : undefined;
    if (!window) return;
    window.used = Math.max(0, window.used - 1);
    headers["x-ratelimit-remaining"] = String(this.deps.rateLimit() - window.used);
    headers["x-ratelimit-used"] = String(window.used);
  }
}

/**
 * No request is held forever: GitHub ends requests it takes more than 10 s to process, and a request the
 * simulator never finished (a client gone at the wrong moment) would otherwise keep it from going idle.
 */
const HANDLER_DEADLINE_MS = 30_000;

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HttpError(504, `the simulator did not finish this request within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The request's body; a client that goes away before sending all of it fails the request (never hangs it). */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
    req.on("close", () => {
      if (!req.complete) reject(new HttpError(400, "the client closed the connection before sending the whole body"));
    });
  });
}

/**
 * What a document's first operation is: a query (`query …` or the `{ … }` shorthand) or a mutation, and its
 * name when it has one (`query PullSnapshot(…)`, `mutation WriteChecksAndRecords(…)`).
 */
function operationOf(body: unknown): Pick<RequestLogEntry, "operation" | "operationName"> {
  const query = (body as { query?: unknown } | undefined)?.query;
  if (typeof query !== "string") return { operation: "mutation" };
  const name = /^\s*(?:query|mutation)\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(query)?.[1];
  return { operation: /^\s*(query\b|\{)/.test(query) ? "query" : "mutation", ...(name ? { operationName: name } : {}) };
}
