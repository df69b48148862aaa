import { Queue, type ConnectionOptions } from "bullmq";
import { Redis } from "ioredis";
import type { VerifiedDelivery } from "../server.js";
import type { QueueStats } from "./metrics.js";
import type { QueueSettings } from "./queue-settings.js";

/**
 * The durable delivery queue (BullMQ on Redis) between the webhook server and the workers. One job per
 * delivery, its id the delivery's `X-GitHub-Delivery`: a duplicate or a redelivery of a delivery still
 * known is not queued twice. A job that fails is retried with exponential back-off; one that fails
 * every attempt stays in the failed set: the dead letters (logged, counted, kept for inspection).
 */
export const DELIVERIES = "deliveries";

export { queueSettings, type QueueSettings } from "./queue-settings.js";

/** An ioredis connection as BullMQ wants it (blocking commands must not time out per request). */
export function redisConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableOfflineQueue: true });
}

export interface JobData extends VerifiedDelivery {
  readonly receivedAt: number;
}

export class DeliveryQueue {
  readonly queue: Queue<JobData>;

  constructor(
    private readonly settings: QueueSettings,
    connection: ConnectionOptions,
  ) {
    this.queue = new Queue<JobData>(DELIVERIES, { connection, prefix: settings.prefix });
  }

  /** Puts a verified delivery on the queue (once per delivery id); rejects if Redis does not take it in time. */
  async enqueue(delivery: VerifiedDelivery): Promise<void> {
    const add = this.queue.add(
      delivery.name,
      { ...delivery, receivedAt: Date.now() },
      {
        jobId: delivery.id.replace(/:/g, "_"), // BullMQ reserves ':' in ids
        attempts: this.settings.attempts,
        backoff: { type: "exponential", delay: this.settings.backoffMs },
        removeOnComplete: { age: Math.ceil(this.settings.keepCompletedMs / 1000) },
        removeOnFail: false,
      },
    );
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        add,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`Redis did not take the delivery within ${this.settings.enqueueTimeoutMs} ms`)),
            this.settings.enqueueTimeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stats(): Promise<Record<string, QueueStats>> {
    const counts = await this.queue.getJobCounts("wait", "active", "delayed", "failed", "prioritized");
    const [oldest] = await this.queue.getJobs(["wait"], 0, 0, true);
    return {
      [DELIVERIES]: {
        waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0),
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        failed: counts.failed ?? 0,
        oldestAgeSeconds: oldest ? Math.max(0, (Date.now() - oldest.timestamp) / 1000) : 0,
      },
    };
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
