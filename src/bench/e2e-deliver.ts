/**
 * Webhook delivery for the end-to-end benchmark, timed.
 *
 * The simulator's dispatcher sends deliveries through one serial queue (one in flight at a time), which
 * keeps tests reproducible; and Probot answers a delivery only after its handlers ran, so through that
 * queue the app never sees two events at once. GitHub delivers concurrently. `ConcurrentDelivery` does
 * that: the simulator is left without a webhook URL (its dispatcher records and skips every delivery),
 * and each delivery the simulator built is signed and POSTed to the app here, at once, with the same
 * bytes and headers the simulator would send. `SerialDelivery` keeps the simulator's own queue.
 */
import { request } from "node:http";
import { performance } from "node:perf_hooks";
import type { DeliveryRecord } from "../simulator/index.js";
import { webhookHeaders } from "../simulator/webhooks.js";

export interface Timed {
  readonly event: string;
  readonly action?: string;
  /** When the event happened and its delivery was handed to the sender (performance.now()). */
  readonly sentAt: number;
  /** When the app answered (Probot answers after its handlers, i.e. after the reconcile). */
  readonly answeredAt: number;
  /** 0 = connection failed or not sent. */
  readonly status: number;
}

export interface Delivery {
  readonly kind: "concurrent" | "serial";
  /** Delivers the records an action produced; resolves when the app answered all of them. */
  deliver(records: readonly DeliveryRecord[]): Promise<Timed[]>;
}

export class ConcurrentDelivery implements Delivery {
  readonly kind = "concurrent";

  constructor(private readonly target: { url: string; secret: string; appId: number; timeoutMs?: number }) {}

  deliver(records: readonly DeliveryRecord[]): Promise<Timed[]> {
    return Promise.all(records.map((r) => this.send(r)));
  }

  private send(r: DeliveryRecord): Promise<Timed> {
    const t = this.target;
    const headers = webhookHeaders(r, { appId: t.appId, secret: t.secret }, "bench");
    const sentAt = performance.now();
    const base = { event: r.event, ...(r.action ? { action: r.action } : {}), sentAt };
    return new Promise((resolve) => {
      const req = request(t.url, { method: "POST", headers, agent: false, timeout: t.timeoutMs ?? 120_000 }, (res) => {
        res.resume();
        res.on("end", () => resolve({ ...base, answeredAt: performance.now(), status: res.statusCode ?? 0 }));
      });
      req.on("timeout", () => req.destroy(new Error("timed out")));
      req.on("error", () => resolve({ ...base, answeredAt: performance.now(), status: 0 }));
      req.end(r.body);
    });
  }
}

/** The simulator's own serial queue (webhookMode "queue"): `sentAt` is when the event was queued. */
export class SerialDelivery implements Delivery {
  readonly kind = "serial";

  async deliver(records: readonly DeliveryRecord[]): Promise<Timed[]> {
    const sentAt = performance.now();
    return Promise.all(
      records.map(async (r) => {
        const status = (await r.done) ?? 0;
        return {
          event: r.event,
          ...(r.action ? { action: r.action } : {}),
          sentAt,
          answeredAt: performance.now(),
          status,
        };
      }),
    );
  }
}
