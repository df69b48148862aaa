import { randomUUID } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";
import { WRITE_GAP_MS, WritePacer, type PacerOptions, type WriteSlots } from "../github/pacer.js";
import { RELEASE } from "./redis-keyed.js";

/**
 * Write slots shared by every replica through Redis: an installation's writes, from whichever process,
 * run one at a time and start ≥ `gapMs` apart. One script call per attempt, atomic in Redis, on Redis'
 * clock (replicas' clocks may differ; Redis' is one):
 *
 * - a write of the installation is running (its marker, with the holder's token, expires after
 *   `runningTtlMs` should its process die): wait until the gap has passed, at least `pollMs`, and ask again;
 * - the gap since the last start has not passed: wait for the rest of it;
 * - else: mark the write running, the next start ≥ now + gap; go.
 *
 * A process asks only for the head of its own lane (src/github/pacer.ts), so at most one poller per
 * installation and process. The marker is removed when the write finished (only by its holder).
 */
const BEGIN = `
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nextAt = tonumber(redis.call("GET", KEYS[1]) or "0")
if redis.call("EXISTS", KEYS[2]) == 1 then return {0, math.max(nextAt - now, tonumber(ARGV[4]))} end
if now < nextAt then return {0, nextAt - now} end
redis.call("SET", KEYS[2], ARGV[1], "PX", ARGV[3])
redis.call("SET", KEYS[1], now + tonumber(ARGV[2]), "PX", ARGV[2])
return {1, now}
`;

export interface RedisSlotsOptions {
  readonly prefix: string;
  readonly gapMs?: number;
  /** How long a running write's marker outlives a process that died holding it. Default 20 s. */
  readonly runningTtlMs?: number;
  /** How often a process asks again while another replica's write runs past its gap. Default 50 ms. */
  readonly pollMs?: number;
}

export class RedisSlots implements WriteSlots {
  private readonly gapMs: number;
  private readonly runningTtlMs: number;
  private readonly pollMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisSlotsOptions,
  ) {
    this.gapMs = options.gapMs ?? WRITE_GAP_MS;
    // Above the request deadline (withRetries: 10 s), so a live write never loses its marker.
    this.runningTtlMs = options.runningTtlMs ?? 20_000;
    this.pollMs = options.pollMs ?? 50;
  }

  async begin(key: string): Promise<{ startedAt: number; release: () => Promise<void> } | { waitMs: number }> {
    const base = `${this.options.prefix}:pace:{${key}}`; // one hash slot for both keys (Redis Cluster)
    const running = `${base}:running`;
    const token = randomUUID();
    const [go, at] = (await this.redis.eval(
      BEGIN,
      2,
      `${base}:next`,
      running,
      token,
      this.gapMs,
      this.runningTtlMs,
      this.pollMs,
    )) as [number, number];
    if (go !== 1) return { waitMs: at };
    return { startedAt: at, release: async () => void (await this.redis.eval(RELEASE, 1, running, token)) };
  }
}

/**
 * The process's write pacer shared through Redis (REDIS_URL: several replicas or workers; without it the
 * server paces in memory, src/service/serve.ts). The pacer's connection is its own, with a command deadline: while Redis does not answer, a
 * write fails after `commandTimeoutMs` instead of waiting (the reconcile fails and is retried; the gate
 * is never opened by a failure), where the queue's connection waits for Redis to come back.
 */
export function writePacerFrom(
  redisUrl: string,
  opts: { prefix: string; commandTimeoutMs?: number; onStart?: PacerOptions["onStart"] },
): { pacer: WritePacer; close: () => void } {
  const onStart = opts.onStart ? { onStart: opts.onStart } : {};
  const redis = new Redis(redisUrl, pacerConnection(opts.commandTimeoutMs ?? 2_000));
  redis.on("error", () => undefined); // each failed write reports its own error; ioredis reconnects
  return {
    pacer: new WritePacer({ slots: new RedisSlots(redis, { prefix: opts.prefix }), ...onStart }),
    close: () => redis.disconnect(),
  };
}

/** A command that Redis does not answer within `commandTimeoutMs`, connected or not, is rejected. */
export function pacerConnection(commandTimeoutMs: number): RedisOptions {
  return { commandTimeout: commandTimeoutMs, maxRetriesPerRequest: 1 };
}
