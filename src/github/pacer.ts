import { isCheckWrite, isPacedWrite, type RequestShape } from "./writes.js";

/**
 * The app's write pacer (instead of Probot's throttle, @octokit/plugin-throttling): per installation,
 * writes run one at a time, each starting ≥ `gapMs` (1 s) after the previous one started and only once it
 * finished, as GitHub asks of integrators. Reads are not paced: a GraphQL query or a REST GET never
 * waits for a write's turn (the throttle queued every `/graphql` request, queries included, with the
 * writes). No Bottleneck: a read costs an `isPacedWrite` test and a counter; a write, a queue entry too.
 *
 * Within a process a FIFO lane per installation orders the writes; where the next write may start is the
 * `WriteSlots`' decision: in memory (one process) or in Redis (every replica shares the pacing:
 * src/service/redis-slots.ts). A write that has not started `maxWaitMs` after it was queued fails (the
 * reconcile fails and is retried: fail closed, and a backlog that deep is stale work), as does a write
 * whose slot cannot be asked for (Redis unreachable).
 *
 * Every request, read or write, also counts against `maxConcurrent` in flight per installation in this
 * process (GitHub: "No more than 100 concurrent requests", REST and GraphQL together); the throttle
 * capped its requests at 10 per installation too. A counter: a request waits only when the cap is full.
 */
export interface WriteSlots {
  /**
   * Asks whether a write of `key` may start now. Yes: it is recorded as started (at `startedAt`, the
   * slots' clock) and `release` is called once it finished. No: ask again after `waitMs`.
   */
  begin(key: string): Promise<{ startedAt: number; release: () => Promise<void> } | { waitMs: number }>;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** GitHub's "at least one second between each request" for writes. */
export const WRITE_GAP_MS = 1000;
/** Longest a write waits for its turn before failing (Probot's throttle, clustered, expired jobs after 60 s). */
export const MAX_PACING_WAIT_MS = 60_000;
/** Requests of one installation in flight from one process (Probot's throttle: 10). */
export const MAX_CONCURRENT_REQUESTS = 10;

export class PacingTimeout extends Error {
  constructor(key: string, waitedMs: number) {
    super(`write pacing: installation ${key}'s write did not get its turn within ${waitedMs} ms`);
    this.name = "PacingTimeout";
  }
}

interface Waiter {
  /** Ahead of the others in its lane (check-run writes: src/github/writes.ts isCheckWrite). */
  readonly urgent: boolean;
  readonly write: () => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
  readonly queuedAt: number;
}

export interface PacerOptions {
  readonly slots?: WriteSlots;
  readonly clock?: Clock;
  readonly maxWaitMs?: number;
  readonly maxConcurrent?: number;
  /** Called as each write starts (metrics, tests): how long it waited, and its start on the slots' clock. */
  readonly onStart?: (key: string, waitedMs: number, startedAt: number) => void;
}

export class WritePacer {
  private readonly lanes = new Map<string, Waiter[]>();
  private readonly slots: WriteSlots;
  private readonly clock: Clock;
  private readonly maxWaitMs: number;
  private readonly inFlight: InFlightCap;

  constructor(private readonly options: PacerOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.slots = options.slots ?? new LocalSlots(this.clock);
    this.maxWaitMs = options.maxWaitMs ?? MAX_PACING_WAIT_MS;
    this.inFlight = new InFlightCap(options.maxConcurrent ?? MAX_CONCURRENT_REQUESTS);
  }

  /** Sends one request of `key`: a write in its lane, any request within the in-flight cap. */
  send<T>(key: string, write: boolean, request: () => Promise<T>, urgent = false): Promise<T> {
    return write ? this.run(key, () => this.inFlight.run(key, request), urgent) : this.inFlight.run(key, request);
  }

  /**
   * Runs `write` in `key`'s lane when the slots allow: in the order asked, except that an urgent write
   * goes ahead of every waiting write that is not (never ahead of the one at the head, which may be running).
   */
  run<T>(key: string, write: () => Promise<T>, urgent = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        urgent,
        write,
        resolve: resolve as (v: unknown) => void,
        reject,
        queuedAt: this.clock.now(),
      };
      const lane = this.lanes.get(key);
      if (lane) {
        const behind = urgent ? lane.findIndex((w, i) => i > 0 && !w.urgent) : -1;
        if (behind > 0) lane.splice(behind, 0, waiter);
        else lane.push(waiter);
      } else {
        this.lanes.set(key, [waiter]);
        void this.drain(key);
      }
    });
  }

  /** Writes waiting or running, all installations together (tests, metrics). */
  get pending(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.length;
    return n;
  }

  private async drain(key: string): Promise<void> {
    const lane = this.lanes.get(key)!;
    while (lane.length > 0) {
      const head = lane[0]!;
      let release: (() => Promise<void>) | undefined;
      try {
        release = await this.turn(key, head.queuedAt);
        const result = await head.write();
        head.resolve(result);
      } catch (err) {
        head.reject(err);
      } finally {
        lane.shift();
        // A release that fails leaves Redis' marker to expire: later writes wait longer, never overlap.
        if (release) await release().catch(() => undefined);
      }
    }
    this.lanes.delete(key);
  }

  /** Waits until the slots let `key`'s next write start; throws when that would be past `maxWaitMs`. */
  private async turn(key: string, queuedAt: number): Promise<() => Promise<void>> {
    for (;;) {
      const slot = await this.slots.begin(key);
      if ("startedAt" in slot) {
        this.options.onStart?.(key, this.clock.now() - queuedAt, slot.startedAt);
        return slot.release;
      }
      const waited = this.clock.now() - queuedAt;
      if (waited + slot.waitMs > this.maxWaitMs) throw new PacingTimeout(key, waited);
      await this.clock.sleep(slot.waitMs);
    }
  }
}

/** At most `max` requests per key in flight; the rest wait in order for one to finish. */
class InFlightCap {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(private readonly max: number) {}

  run<T>(key: string, request: () => Promise<T>): Promise<T> {
    const n = this.active.get(key) ?? 0;
    if (n < this.max) {
      this.active.set(key, n + 1);
      return this.sent(key, request);
    }
    const queue = this.waiting.get(key) ?? [];
    this.waiting.set(key, queue);
    return new Promise<void>((resolve) => queue.push(resolve)).then(() => this.sent(key, request));
  }

  private async sent<T>(key: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } finally {
      this.release(key);
    }
  }

  /** A finished request hands its place to the next waiting one, if any. */
  private release(key: string): void {
    const queue = this.waiting.get(key);
    const next = queue?.shift();
    if (queue?.length === 0) this.waiting.delete(key);
    if (next) return next();
    const n = this.active.get(key)! - 1;
    if (n === 0) this.active.delete(key);
    else this.active.set(key, n);
  }
}

const done = () => Promise.resolve();

/** One process's slots: the lane already runs a key's writes one at a time; the gap is kept here. */
export class LocalSlots implements WriteSlots {
  private readonly lastStart = new Map<string, number>();

  constructor(
    private readonly clock: Clock = realClock,
    private readonly gapMs = WRITE_GAP_MS,
  ) {}

  begin(key: string): Promise<{ startedAt: number; release: () => Promise<void> } | { waitMs: number }> {
    const now = this.clock.now();
    const last = this.lastStart.get(key);
    if (last !== undefined && now < last + this.gapMs) return Promise.resolve({ waitMs: last + this.gapMs - now });
    this.lastStart.set(key, now);
    // Forget a key once its gap has passed: the map holds only installations written to within a second.
    if (this.lastStart.size > 1024)
      for (const [k, t] of this.lastStart) if (t + this.gapMs <= now) this.lastStart.delete(k);
    return Promise.resolve({ startedAt: now, release: done });
  }
}

/** Octokit's options as the pacing plugin reads them. */
interface PacedOctokitOptions {
  readonly pacer?: WritePacer;
  readonly throttle?: { readonly id?: unknown };
  readonly auth?: { readonly installationId?: unknown };
}

/**
 * The Octokit plugin: with a `pacer` option, the instance's writes go through it, keyed by the
 * installation the instance is authenticated as (Probot's per-installation clients), else by "app" (the
 * app's own JWT client). Without one, requests pass untouched (benchmarks with pacing off).
 */
export function pacing(
  octokit: { hook: { wrap(name: "request", fn: (request: Send, options: RequestShape) => Promise<unknown>): void } },
  options: PacedOctokitOptions,
): Record<string, never> {
  const pacer = options.pacer;
  if (!pacer) return {};
  const key = pacingKey(options);
  // Whether a write goes ahead is asked of writes only: it reads a GraphQL document, and reads are not paced.
  octokit.hook.wrap("request", (request, req) => {
    const write = isPacedWrite(req);
    return pacer.send(key, write, () => request(req), write && isCheckWrite(req));
  });
  return {};
}

type Send = (options: RequestShape) => Promise<unknown>;

export function pacingKey(options: PacedOctokitOptions): string {
  const id = options.throttle?.id ?? options.auth?.installationId;
  return typeof id === "string" || typeof id === "number" ? String(id) : "app";
}
