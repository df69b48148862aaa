/**
 * Fault injection, settable at runtime. Rates use a seeded PRNG so a failing scenario can be replayed;
 * one-shot faults (`inject`) give tests exact control ("the next POST to check-runs gets a 502").
 */
import { seededRandom } from "./util.js";

export interface RequestMatch {
  method?: string;
  /** Substring or RegExp tested against the request path without the /api/v3 prefix. */
  path?: string | RegExp;
}

export interface FaultSettings {
  /** Added to every matching API call. */
  latencyMs: number;
  /** Uniform extra latency in [0, jitterMs). */
  jitterMs: number;
  /** Probability (0..1) that a matching API call fails with `errorStatus`. */
  errorRate: number;
  errorStatus: 500 | 502 | 503 | 504;
  /** "before": nothing happens; "after": the write is applied, then the 5xx is returned (a ghost write). */
  errorPhase: "before" | "after";
  /** Probability of a 403 secondary rate limit with a retry-after header. */
  secondaryRateLimitRate: number;
  retryAfterSeconds: number;
  /** Restricts API faults to matching requests; all requests when omitted. */
  match?: RequestMatch;
  webhookDropRate: number;
  webhookDuplicateRate: number;
  /** Probability that a delivery swaps places with the next queued one. */
  webhookReorderRate: number;
}

export type OneShotFault =
  | { kind: "error"; status?: 500 | 502 | 503 | 504; phase?: "before" | "after"; match?: RequestMatch; times?: number }
  | { kind: "secondary-rate-limit"; retryAfterSeconds?: number; match?: RequestMatch; times?: number }
  | { kind: "drop-webhook" | "duplicate-webhook"; event?: string; times?: number }
  /** Matching API calls wait until `until` settles, then go on as usual (an answer a test lets go). In-process only. */
  | { kind: "hold"; until: Promise<unknown>; match?: RequestMatch; times?: number; onHeld?: () => void };

export interface RequestFault {
  latencyMs: number;
  /** Wait for this before anything else (a one-shot `hold`). */
  hold?: Promise<unknown>;
  error?: { status: number; phase: "before" | "after" };
  secondaryRateLimit?: { retryAfterSeconds: number };
}

export interface WebhookFault {
  drop: boolean;
  duplicate: boolean;
  reorder: boolean;
}

const DEFAULTS: FaultSettings = {
  latencyMs: 0,
  jitterMs: 0,
  errorRate: 0,
  errorStatus: 502,
  errorPhase: "before",
  secondaryRateLimitRate: 0,
  retryAfterSeconds: 1,
  webhookDropRate: 0,
  webhookDuplicateRate: 0,
  webhookReorderRate: 0,
};

export class Faults {
  private settings: FaultSettings = { ...DEFAULTS };
  private oneShots: Array<OneShotFault & { left: number }> = [];
  private random: () => number;

  constructor(seed = 1) {
    this.random = seededRandom(seed);
  }

  get current(): Readonly<FaultSettings> {
    return this.settings;
  }

  set(patch: Partial<FaultSettings>): void {
    this.settings = { ...this.settings, ...patch };
  }

  reset(seed?: number): void {
    this.settings = { ...DEFAULTS };
    this.oneShots = [];
    if (seed !== undefined) this.random = seededRandom(seed);
  }

  inject(fault: OneShotFault): void {
    this.oneShots.push({ ...fault, left: fault.times ?? 1 });
  }

  forRequest(method: string, path: string): RequestFault {
    const s = this.settings;
    const out: RequestFault = { latencyMs: 0 };
    const shot = this.take(
      (f) => (f.kind === "error" || f.kind === "secondary-rate-limit") && matches(f.match, method, path),
    );
    const hold = this.take((f) => f.kind === "hold" && matches(f.match, method, path));
    if (hold?.kind === "hold") {
      out.hold = hold.until;
      hold.onHeld?.();
    }
    if (shot?.kind === "error") out.error = { status: shot.status ?? 502, phase: shot.phase ?? "before" };
    if (shot?.kind === "secondary-rate-limit")
      out.secondaryRateLimit = { retryAfterSeconds: shot.retryAfterSeconds ?? s.retryAfterSeconds };
    if (!matches(s.match, method, path)) return out;
    out.latencyMs = s.latencyMs + (s.jitterMs > 0 ? Math.floor(this.random() * s.jitterMs) : 0);
    if (!shot && s.secondaryRateLimitRate > 0 && this.random() < s.secondaryRateLimitRate)
      out.secondaryRateLimit = { retryAfterSeconds: s.retryAfterSeconds };
    else if (!shot && s.errorRate > 0 && this.random() < s.errorRate)
      out.error = { status: s.errorStatus, phase: s.errorPhase };
    return out;
  }

  /**
   * A one-shot error fault aimed at a REST write (its `match.path` given and matching `path`), taken for the
   * GraphQL mutation field that makes the same write: `addComment` for POST …/issues/{n}/comments,
   * `createCheckRun` / `updateCheckRun` for POST …/check-runs and PATCH …/check-runs/{id}. A test's "the app
   * cannot write comments" then holds whichever API the app writes them with; GitHub answers the field with
   * an error at its path and runs the document's other fields. Latency, rates, and faults aimed at every
   * request (no path) stay the request's (`forRequest`).
   */
  forField(method: string, path: string): { status: number; phase: "before" | "after" } | undefined {
    const shot = this.take((f) => f.kind === "error" && f.match?.path !== undefined && matches(f.match, method, path));
    return shot?.kind === "error" ? { status: shot.status ?? 502, phase: shot.phase ?? "before" } : undefined;
  }

  forWebhook(event: string): WebhookFault {
    const s = this.settings;
    const shot = this.take(
      (f) => (f.kind === "drop-webhook" || f.kind === "duplicate-webhook") && (!f.event || f.event === event),
    );
    return {
      drop: shot?.kind === "drop-webhook" || (s.webhookDropRate > 0 && this.random() < s.webhookDropRate),
      duplicate:
        shot?.kind === "duplicate-webhook" || (s.webhookDuplicateRate > 0 && this.random() < s.webhookDuplicateRate),
      reorder: s.webhookReorderRate > 0 && this.random() < s.webhookReorderRate,
    };
  }

  private take(pred: (f: OneShotFault) => boolean): OneShotFault | undefined {
    const f = this.oneShots.find(pred);
    if (!f) return undefined;
    if (--f.left <= 0) this.oneShots.splice(this.oneShots.indexOf(f), 1);
    return f;
  }
}

function matches(m: RequestMatch | undefined, method: string, path: string): boolean {
  if (!m) return true;
  if (m.method && m.method.toUpperCase() !== method.toUpperCase()) return false;
  if (m.path === undefined) return true;
  return typeof m.path === "string" ? path.includes(m.path) : m.path.test(path);
}
