import type { ProbotOctokit } from "probot";
import { leanFetch, type FetchLike } from "./http.js";

/**
 * What the adapter uses of a GitHub client: Probot's per-installation client (the app's own class,
 * src/github/octokit.ts) or any compatible one. Not the whole of Probot's client type: the app's class
 * has no REST method proxies (`octokit.rest.*`) nor a config plugin, so a call to them would type-check
 * and fail at run time; typed as this (as every function of the adapter and the app's `Deps` are), it does
 * not compile. A handler's `ctx.octokit` is still typed by Probot: handlers hand it on through `deps`.
 */
export type Octokit = Pick<
  InstanceType<typeof ProbotOctokit>,
  "request" | "graphql" | "paginate" | "hook" | "auth" | "log"
>;

export interface RepoRef {
  readonly owner: string;
  readonly repo: string;
}

export interface PullRef extends RepoRef {
  readonly number: number;
}

/** Counts requests per route, so tests and the docs can report the API cost of each event. */
export interface RequestCounter {
  count(method: string, route: string, status: number): void;
  /** GitHub's `x-ratelimit-remaining` of an answer, by `x-ratelimit-resource` (metrics). */
  rateLimit?(resource: string, remaining: number): void;
}

const wrapped = new WeakSet<object>();
const RETRIES = 3;

/**
 * Retries what Probot's client leaves to the caller: secondary rate limits (403/429 with `retry-after`
 * or GitHub's "secondary rate limit" message — the request was refused), an exhausted primary rate limit
 * that resets within the bound (`x-ratelimit-remaining: 0`; one that resets later fails at once: the
 * reconcile is retried later, where Probot's throttle held the request for up to an hour) and transient
 * 5xx. Waits never exceed `maxWaitMs`. A POST that
 * failed with a 5xx may still have been applied; every write this app makes is safe to repeat (a second
 * check run of a name is updated with the first and GitHub shows the newest; a repeated record states
 * the same action; a repeated review request changes nothing), so repeating converges either way.
 */
export function withRetries(
  octokit: Octokit,
  opts: { maxWaitMs?: number; timeoutMs?: number; counter?: RequestCounter } = {},
): Octokit {
  if (wrapped.has(octokit)) return octokit;
  wrapped.add(octokit);
  const maxWait = opts.maxWaitMs ?? 60_000;
  const timeout = opts.timeoutMs ?? 10_000;
  octokit.hook.wrap("request", async (request, options) => {
    const given = options.request as
      { fetch?: FetchLike; parseSuccessResponseBody?: boolean; fallback?: boolean } | undefined;
    // A caller with another way to the same answer (`request: { fallback: true }`) retries a transient
    // failure once, then takes it, rather than wait out three retries here (a blip costs one request more,
    // not the fallback's several); a rate limit is still waited out: the fallback would meet it too.
    const transient = given?.fallback === true ? 1 : RETRIES;
    // The process's keep-alive client, its bodies decoded with JSON.parse (src/github/http.ts), unless the
    // caller brought a fetch of its own or wants the raw body.
    const lean = given?.fetch === undefined && given?.parseSuccessResponseBody !== false;
    const timed: FetchLike = given?.fetch
      ? (input, init) => given.fetch!(input, { ...init, signal: deadline(init?.signal ?? undefined, timeout) })
      : (input, init) => leanFetch(input, { ...init, timeoutMs: timeout });
    serializeGraphql(options);
    for (let attempt = 0; ; attempt++) {
      try {
        // Every request has a deadline: one that never answers fails (and is retried like a 5xx)
        // instead of holding the pull request's reconcile, and so its gate, forever.
        // The deadline starts when the HTTP exchange does, not while the write pacer holds the request
        // back (writes are paced a second apart, so a burst may legitimately wait longer).
        options.request = {
          ...options.request,
          fetch: timed,
          ...(lean ? { parseSuccessResponseBody: false } : {}),
        };
        const res = await request(options);
        opts.counter?.count(options.method, routeOf(options.url), res.status);
        reportRateLimit(opts.counter, res.headers);
        return res;
      } catch (err) {
        const e = err as {
          status?: number;
          response?: { headers?: Record<string, string | undefined>; data?: unknown };
        };
        const status = e.status ?? 0;
        opts.counter?.count(options.method, routeOf(options.url), status);
        reportRateLimit(opts.counter, e.response?.headers);
        // Probot's retry plugin (on in production) already retried a 5xx when it set retryCount; retrying
        // its final answer again would multiply the attempts.
        const pluginRetried = ((options.request as { retryCount?: number } | undefined)?.retryCount ?? 0) > 0;
        const wait = pluginRetried && status >= 500 ? undefined : retryDelay(status, e.response, attempt);
        const limit = status >= 500 ? transient : RETRIES;
        if (wait === undefined || attempt >= limit || (wait > maxWait && primaryLimit(status, e.response))) throw err;
        await new Promise((r) => setTimeout(r, Math.min(wait, maxWait)));
      }
    }
  });
  return octokit;
}

/**
 * A GraphQL request's body as JSON, made here with `JSON.stringify` and handed to Octokit as `data`:
 * Octokit would serialize it with `json-with-bigint` (a regular-expression pass over the whole text, for
 * BigInt values this app never sends), ~3 % of the app's CPU with check-run outputs in every mutation.
 * The body is what Octokit's endpoint would send: every option but those it keeps out of a body
 * (`/graphql` has no URL parameters). `query` stays in the options, so the write pacer still tells a
 * query from a mutation (src/github/writes.ts).
 */
function serializeGraphql(options: Record<string, unknown>): void {
  if (options.method !== "POST" || routeOf(options.url) !== "/graphql" || options.data !== undefined) return;
  const { method: _m, baseUrl: _b, url: _u, headers: _h, request: _r, mediaType: _t, ...body } = options;
  options.data = JSON.stringify(body);
}

/** A request's route for the counters: GraphQL's URL is absolute on GitHub Enterprise (`…/api/graphql`). */
function routeOf(url: unknown): string {
  const route = String(url);
  return /^https?:\/\/.*\/graphql$/.test(route) ? "/graphql" : route;
}

function reportRateLimit(counter: RequestCounter | undefined, headers: Record<string, unknown> | undefined): void {
  const remaining = Number(headers?.["x-ratelimit-remaining"]);
  if (!counter?.rateLimit || headers?.["x-ratelimit-remaining"] === undefined || !Number.isFinite(remaining)) return;
  const resource = headers["x-ratelimit-resource"];
  counter.rateLimit(typeof resource === "string" ? resource : "core", remaining);
}

function retryDelay(
  status: number,
  response: { headers?: Record<string, string | undefined>; data?: unknown } | undefined,
  attempt: number,
): number | undefined {
  const headers = response?.headers ?? {};
  const message = JSON.stringify(response?.data ?? "").toLowerCase();
  const secondary =
    (status === 403 || status === 429) &&
    (headers["retry-after"] !== undefined || message.includes("secondary rate limit"));
  if (secondary) {
    const after = Number(headers["retry-after"]);
    return Number.isFinite(after) && after >= 0 ? after * 1000 : 60_000 * (attempt + 1);
  }
  if (primaryLimit(status, response)) {
    // GitHub: do not retry before `x-ratelimit-reset` (epoch seconds); a second more for clock skew.
    const reset = Number(headers["x-ratelimit-reset"]);
    return Number.isFinite(reset) ? Math.max(0, reset * 1000 - Date.now()) + 1000 : 60_000 * (attempt + 1);
  }
  if (status >= 500) return 200 * 2 ** attempt;
  return undefined;
}

/** GitHub's primary rate limit is spent: a 403 or 429 with `x-ratelimit-remaining: 0` (and no `retry-after`). */
function primaryLimit(status: number, response: { headers?: Record<string, string | undefined> } | undefined): boolean {
  return (status === 403 || status === 429) && response?.headers?.["x-ratelimit-remaining"] === "0";
}

function deadline(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const timer = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, timer]) : timer;
}

/** One error of a GraphQL answer: its `path` names the field it is about (aliases included). */
export interface GraphqlFieldError {
  readonly type?: string;
  readonly path?: readonly unknown[];
  readonly message: string;
}

/**
 * A GraphQL answer with field errors (Octokit throws it as a GraphqlResponseError): the errors, and the data
 * GitHub answered beside them. Undefined for any other failure (no answer, an HTTP status): nothing to keep.
 */
export function graphqlFailure<T>(err: unknown): { errors: readonly GraphqlFieldError[]; data?: T } | undefined {
  const e = (err ?? {}) as { name?: string; errors?: unknown; data?: T | null };
  if (e.name !== "GraphqlResponseError" || !Array.isArray(e.errors)) return undefined;
  return { errors: e.errors as GraphqlFieldError[], ...(e.data ? { data: e.data } : {}) };
}

/**
 * The data beside field errors that are each about a part the caller can do without (`expected(path)`); undefined
 * when there are none such, or any other error: then nothing of the answer is kept.
 */
export function partialData<T>(err: unknown, expected: (path: readonly unknown[]) => boolean): T | undefined {
  const failure = graphqlFailure<T>(err);
  if (!failure || failure.errors.length === 0) return undefined;
  return failure.errors.every((e) => Array.isArray(e.path) && expected(e.path)) ? failure.data : undefined;
}

export function isStatus(err: unknown, ...statuses: number[]): boolean {
  return statuses.includes((err as { status?: number }).status ?? -1);
}

/**
 * The client, counting the requests made through it (each call of `request`, `graphql` or `paginate`, of
 * their own function-valued properties such as `paginate.iterator`, and of a function one of them returns,
 * such as `request.defaults(…)`): a reconcile tells by it whether its decision rested on its one read alone,
 * or on answers asked after it (src/app/reconcile.ts). Counting a call that sends nothing
 * (`request.endpoint`) only makes a decision read again. What holds the client from before it was wrapped
 * is not counted: a reconcile hands on only the wrapped one.
 */
// mutation-range: counting
export function counting(octokit: Octokit): { readonly octokit: Octokit; readonly calls: () => number } {
  type Fn = (...args: unknown[]) => unknown;
  let calls = 0;
  const proxies = new WeakMap<object, WeakMap<Fn, Fn>>(); // `this` → function → its counting proxy
  const counted = (fn: Fn, self: object): Fn => {
    let bySelf = proxies.get(self);
    if (!bySelf) proxies.set(self, (bySelf = new WeakMap()));
    let proxy = bySelf.get(fn);
    if (!proxy) {
      proxy = new Proxy(fn, {
        apply(target, _this, args) {
          calls++;
          const out = Reflect.apply(target, self, args);
          return typeof out === "function" ? counted(out as Fn, self) : out;
        },
        get(target, key) {
          const value: unknown = Reflect.get(target, key);
          // Own properties only: `call`, `apply` and `bind` (Function.prototype's) used on the proxy reach
          // its `apply` above. A proxy must give a fixed property (a class's `prototype`) as it is.
          const own = Reflect.getOwnPropertyDescriptor(target, key);
          if (typeof value !== "function" || !own || (!own.configurable && !own.writable)) return value;
          return counted(value as Fn, target);
        },
      });
      bySelf.set(fn, proxy);
    }
    return proxy;
  };
  const wrapped = new Proxy(octokit, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key);
      if (typeof value !== "function" || !["request", "graphql", "paginate"].includes(String(key))) return value;
      return counted(value as Fn, target);
    },
  });
  return { octokit: wrapped, calls: () => calls };
}
// mutation-range-end
