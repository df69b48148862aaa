import { intFrom } from "./config.js";

/**
 * The delivery queue's settings (REDIS_URL and the QUEUE_* variables), apart from the queue itself so
 * that a process without REDIS_URL never loads BullMQ and ioredis (src/service/serve.ts).
 */
export interface QueueSettings {
  readonly redisUrl: string;
  /** Key prefix in Redis (several deployments can share one Redis). Default parallel-review. */
  readonly prefix: string;
  readonly attempts: number;
  readonly backoffMs: number;
  /** How long a completed delivery is remembered for de-duplication. Default 24 hours. */
  readonly keepCompletedMs: number;
  /** How long the server waits for Redis to take a delivery before answering 503. Default 5000 ms. */
  readonly enqueueTimeoutMs: number;
}

export function queueSettings(env: NodeJS.ProcessEnv): QueueSettings | undefined {
  if (!env.REDIS_URL) return undefined;
  return {
    redisUrl: env.REDIS_URL,
    prefix: env.QUEUE_PREFIX || "parallel-review",
    attempts: intFrom(env, "QUEUE_ATTEMPTS", 6),
    backoffMs: intFrom(env, "QUEUE_BACKOFF_MS", 2_000),
    keepCompletedMs: intFrom(env, "QUEUE_KEEP_COMPLETED_MS", 24 * 3600_000),
    enqueueTimeoutMs: intFrom(env, "QUEUE_ENQUEUE_TIMEOUT_MS", 5_000),
  };
}
