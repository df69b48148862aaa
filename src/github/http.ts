import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";

/**
 * A lean `fetch` for Octokit: `node:http`/`node:https` over one keep-alive agent per process, and the
 * response body decoded once with plain `JSON.parse`.
 *
 * Why: the app's CPU per event was mostly the per-request HTTP client (docs/performance.md): undici's
 * `fetch` with its web streams, and Octokit's JSON parser (`json-with-bigint`, a regular-expression pass
 * over every body before `JSON.parse`, for numbers beyond 2^53 that GitHub's ids and counts never reach).
 * This does what Octokit needs of a `fetch` and nothing else: status, headers (iterable, `get`), the body
 * (`text`, `arrayBuffer`, `json`, and `body` already decoded for `parseSuccessResponseBody: false`),
 * an `AbortSignal` (the per-request deadline of src/github/client.ts), same-origin redirects.
 * Network errors are `TypeError("fetch failed", { cause })` as with `fetch`, so Octokit reports them as
 * it does today (a 500, retried). nock intercepts `node:http` as it does `fetch`, so tests see every request.
 */
export type FetchLike = (input: string | URL, init?: LeanInit) => Promise<LeanResponse>;

export interface LeanInit {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Uint8Array | null;
  readonly signal?: AbortSignal | null;
  readonly redirect?: "follow" | "manual" | "error";
  /**
   * A deadline for the whole exchange, redirects included: past it the request is destroyed and rejects
   * with an `AbortError`, as with `signal: AbortSignal.timeout(ms)`. A timer of its own costs a fraction of
   * that signal (with a caller's signal, `AbortSignal.any` of both cost ~3 % of the app's CPU per request).
   */
  readonly timeoutMs?: number;
}

const agents = {
  "http:": new HttpAgent({ keepAlive: true, scheduling: "lifo" }),
  "https:": new HttpsAgent({ keepAlive: true, scheduling: "lifo" }),
};
const MAX_REDIRECTS = 20;

export const leanFetch: FetchLike = async (input, init = {}) => {
  let url = new URL(String(input));
  let method = (init.method ?? "GET").toUpperCase();
  // Bytes once, here: given a string, Node measures its UTF-8 length for the content-length header, then
  // encodes it again to write it (a slow pass each for check-run text that is not Latin-1, 26 µs per 20 KB).
  let body = typeof init.body === "string" ? Buffer.from(init.body) : (init.body ?? undefined);
  let headers = { ...init.headers };
  const deadline = init.timeoutMs === undefined ? undefined : { at: Date.now() + init.timeoutMs, ms: init.timeoutMs };
  for (let hops = 0; ; hops++) {
    const res = await exchange(url, method, headers, body, init.signal ?? undefined, deadline);
    const location = res.headers.get("location");
    if (![301, 302, 303, 307, 308].includes(res.status) || !location || init.redirect === "manual") return res;
    if (init.redirect === "error" || hops >= MAX_REDIRECTS)
      throw new TypeError("fetch failed", { cause: new Error(`redirect to ${location} refused`) });
    const next = new URL(location, url);
    // As `fetch` does: credentials are not sent to another origin, and 303 (301/302 after a POST) becomes a GET.
    if (next.origin !== url.origin) headers = withoutAuthorization(headers);
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
      if (method !== "HEAD") method = "GET";
      body = undefined;
      headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !/^content-/i.test(k)));
    }
    url = next;
  }
};

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== "authorization"));
}

function exchange(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | Uint8Array | undefined,
  signal: AbortSignal | undefined,
  deadline: { at: number; ms: number } | undefined,
): Promise<LeanResponse> {
  const protocol = url.protocol as keyof typeof agents;
  if (!(protocol in agents)) return Promise.reject(new TypeError(`fetch failed: unsupported protocol ${url.protocol}`));
  const send = protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    let timer: NodeJS.Timeout | undefined;
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(err.name === "AbortError" ? err : new TypeError("fetch failed", { cause: err }));
    };
    const req = send(url, { method, headers, agent: agents[protocol], ...(signal ? { signal } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", fail);
      res.on("end", () => {
        clearTimeout(timer);
        try {
          resolve(new LeanResponse(url.href, res, decode(res, Buffer.concat(chunks))));
        } catch (err) {
          fail(err as Error);
        }
      });
    });
    req.on("error", fail);
    if (deadline) {
      timer = setTimeout(
        () => {
          const late = Object.assign(new Error(`This operation was aborted: no answer within ${deadline.ms} ms`), {
            name: "AbortError",
          });
          fail(late);
          req.destroy(late);
        },
        Math.max(0, deadline.at - Date.now()),
      );
    }
    req.end(body);
  });
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === "AbortError") return reason;
  return Object.assign(new Error("This operation was aborted", { cause: reason }), { name: "AbortError" });
}

/** Undoes a content encoding (GitHub compresses only when asked, which this client does not). */
function decode(res: IncomingMessage, raw: Buffer): Buffer {
  const encoding = String(res.headers["content-encoding"] ?? "").toLowerCase();
  if (encoding === "gzip" || encoding === "x-gzip") return gunzipSync(raw);
  if (encoding === "deflate") return inflateSync(raw);
  if (encoding === "br") return brotliDecompressSync(raw);
  return raw;
}

class LeanHeaders implements Iterable<[string, string]> {
  constructor(private readonly raw: IncomingHttpHeaders) {}

  get(name: string): string | null {
    const v = this.raw[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(", ") : v;
  }

  has(name: string): boolean {
    return this.raw[name.toLowerCase()] !== undefined;
  }

  *[Symbol.iterator](): Iterator<[string, string]> {
    for (const [k, v] of Object.entries(this.raw)) if (v !== undefined) yield [k, Array.isArray(v) ? v.join(", ") : v];
  }
}

export class LeanResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: LeanHeaders;
  private decoded: { value: unknown } | undefined;

  constructor(
    readonly url: string,
    res: IncomingMessage,
    private readonly raw: Buffer,
  ) {
    this.status = res.statusCode ?? 0;
    this.statusText = res.statusMessage ?? "";
    this.headers = new LeanHeaders(res.headers);
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /**
   * The body decoded as Octokit decodes it (JSON, text, or bytes by content type), with `JSON.parse`:
   * what Octokit takes as the data when `parseSuccessResponseBody` is false (src/github/client.ts).
   */
  get body(): unknown {
    this.decoded ??= { value: this.decodeBody() };
    return this.decoded.value;
  }

  text(): Promise<string> {
    return Promise.resolve(this.raw.toString("utf8"));
  }

  json(): Promise<unknown> {
    return Promise.resolve(JSON.parse(this.raw.toString("utf8")) as unknown);
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return Promise.resolve(bytes(this.raw));
  }

  private decodeBody(): unknown {
    const type = (this.headers.get("content-type") ?? "").toLowerCase();
    const mime = type.split(";")[0]!.trim();
    const text = () => this.raw.toString("utf8");
    if (!type) return text();
    if (mime === "application/json" || mime === "application/scim+json") {
      const t = text();
      try {
        return JSON.parse(t) as unknown;
      } catch {
        return t;
      }
    }
    if (mime.startsWith("text/") || (/charset=\s*"?utf-8/.test(type) && mime !== "application/octet-stream"))
      return text();
    return bytes(this.raw);
  }
}

/** A copy of the bytes as an ArrayBuffer of its own (a Buffer may be a view into a shared pool). */
function bytes(raw: Buffer): ArrayBuffer {
  return new Uint8Array(raw).buffer;
}
