import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { KeyedSerializer, type KeyedRunner } from "../app/serialize.js";

/**
 * The router's per-pull-request runner across worker processes: no two workers reconcile one pull
 * request at the same time, and a "look again" request joins one that is still waiting.
 *
 * - Exclusion: a lease in Redis per pull request (SET NX PX with a random token, renewed while the
 *   reconcile runs, released only by its holder). A worker killed with SIGKILL stops renewing; its
 *   lease expires after `leaseMs` and its delivery job is handed to another worker by BullMQ's stalled
 *   job check, which then reconciles from GitHub's current state.
 * - Coalescing: a "waiting" marker per pull request, set by the first request that waits for the lease
 *   and cleared when it gets it. A later request that finds the marker joins: the waiting reconcile
 *   has not read anything yet and will see what that request saw. If the waiter dies, the marker
 *   expires and its own job is retried.
 * - Within one process the in-process KeyedSerializer comes first, so local requests queue in memory
 *   instead of polling Redis.
 */
export interface RedisKeyedOptions {
  readonly prefix: string;
  /** Lease duration; renewed every third of it. Default 30 s. */
  readonly leaseMs?: number;
  /** Longest wait for a lease before the job fails (and is retried by the queue). Default 120 s. */
  readonly maxWaitMs?: number;
}

export const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;
const RENEW = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end`;

export class RedisKeyedRunner implements KeyedRunner {
  private readonly local = new KeyedSerializer();
  private readonly leaseMs: number;
  private readonly maxWaitMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisKeyedOptions,
  ) {
    this.leaseMs = options.leaseMs ?? 30_000;
    this.maxWaitMs = options.maxWaitMs ?? 120_000;
  }

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    return this.local.run(key, () => this.exclusive(key, job));
  }

  coalesce<T>(key: string, job: () => Promise<T>): Promise<T> {
    return this.local.coalesce(key, async () => {
      const marker = `${this.options.prefix}:pr-waiting:${key}`;
      const token = randomUUID();
      const first = await this.redis.set(marker, token, "PX", this.maxWaitMs + this.leaseMs, "NX");
      // Another worker's reconcile of this pull request has not started yet: it will read what we would.
      if (first !== "OK") return undefined as T;
      const release = () => this.redis.eval(RELEASE, 1, marker, token).catch(() => undefined);
      try {
        return await this.exclusive(key, job, async () => void (await release()));
      } finally {
        await release(); // a wait that failed must not leave a marker that makes later requests skip their work
      }
    });
  }

  private async exclusive<T>(key: string, job: () => Promise<T>, onAcquired?: () => Promise<void>): Promise<T> {
    const lease = `${this.options.prefix}:pr-lease:${key}`;
    const token = randomUUID();
    const deadline = Date.now() + this.maxWaitMs;
    for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
      if ((await this.redis.set(lease, token, "PX", this.leaseMs, "NX")) === "OK") break;
      if (Date.now() > deadline) throw new Error(`${key} stayed busy on another worker for ${this.maxWaitMs} ms`);
      await new Promise((r) => setTimeout(r, wait));
    }
    const renew = setInterval(
      () => void this.redis.eval(RENEW, 1, lease, token, this.leaseMs).catch(() => undefined),
      this.leaseMs / 3,
    );
    try {
      await onAcquired?.();
      return await job();
    } finally {
      clearInterval(renew);
      await this.redis.eval(RELEASE, 1, lease, token).catch(() => undefined);
    }
  }
}
