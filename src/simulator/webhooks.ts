/**
 * Webhook delivery: signs the exact body like GitHub (X-Hub-Signature-256), POSTs it to the app,
 * and records the app's status. Deliveries go through one serial queue so order, drops, duplicates
 * and reordering are observable and reproducible.
 */
import { createHmac, randomUUID } from "node:crypto";
import { request } from "node:http";
import type { WebhookPayload } from "./events.js";
import type { Faults } from "./faults.js";

/** One attempt to send a delivery, as GitHub lists it (GET /app/hook/deliveries). */
export interface DeliveryAttempt {
  /** GitHub's numeric id of this attempt (POST /app/hook/deliveries/{id}/attempts takes it). */
  id: number;
  at: string;
  /** The app's HTTP status; 0 = no answer (connection refused, timed out, or the delivery was lost). */
  statusCode: number;
  redelivery: boolean;
  durationMs: number;
}

export interface DeliveryRecord {
  /** X-GitHub-Delivery; a duplicate or redelivery reuses it, as GitHub does. */
  id: string;
  event: string;
  action?: string;
  payload: Record<string, unknown>;
  /** The exact bytes that were signed and sent. */
  body: string;
  /** The app's HTTP status of the last attempt; 0 = connection failed; undefined = not sent (yet). */
  status?: number;
  error?: string;
  dropped: boolean;
  /** Not sent because no webhook URL was configured. */
  skipped: boolean;
  attempts: number;
  /** Every attempt, first one and redeliveries; a dropped delivery is an attempt with no answer. */
  history: DeliveryAttempt[];
  /** Resolves with the app's status once the delivery is answered (undefined when dropped or skipped). */
  done: Promise<number | undefined>;
}

export interface WebhookTarget {
  url?: string;
  secret?: string;
  appId: number;
  timeoutMs: number;
}

let nextAttemptId = 1;

interface Queued {
  record: DeliveryRecord;
  resolve: (status: number | undefined) => void;
}

export class WebhookDispatcher {
  readonly log: DeliveryRecord[] = [];
  private queue: Queued[] = [];
  private inFlight = 0;
  private pumping = false;
  private held = false;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly target: () => WebhookTarget,
    private readonly faults: Faults,
    private readonly onPayload: (p: WebhookPayload) => void = () => {},
    private readonly now: () => string = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
  ) {}

  enqueue(p: WebhookPayload): DeliveryRecord {
    this.onPayload(p);
    let resolve!: (s: number | undefined) => void;
    const done = new Promise<number | undefined>((r) => (resolve = r));
    const record: DeliveryRecord = {
      id: randomUUID(),
      event: p.event,
      ...(p.action ? { action: p.action } : {}),
      payload: p.body,
      body: JSON.stringify(p.body),
      dropped: false,
      skipped: false,
      attempts: 0,
      history: [],
      done,
    };
    this.log.push(record);
    this.queue.push({ record, resolve });
    this.schedule();
    return record;
  }

  /** Sends a recorded delivery again with the same delivery id (GitHub's "Redeliver" button). */
  redeliver(id: string): Promise<number | undefined> {
    const record = this.log.find((r) => r.id === id);
    if (!record) throw new Error(`unknown delivery ${id}`);
    return this.track(() => this.send(record, true));
  }

  /** The attempt with GitHub's numeric id, and its delivery. */
  attempt(attemptId: number): { record: DeliveryRecord; attempt: DeliveryAttempt } | undefined {
    for (const record of this.log) {
      const attempt = record.history.find((a) => a.id === attemptId);
      if (attempt) return { record, attempt };
    }
    return undefined;
  }

  /** While held, deliveries accumulate; `release` sends them in the given order. */
  hold(): void {
    this.held = true;
  }

  release(order: "fifo" | "reverse" = "fifo"): void {
    this.held = false;
    if (order === "reverse") this.queue.reverse();
    this.schedule();
  }

  get isHeld(): boolean {
    return this.held;
  }

  get pending(): number {
    return (this.held ? 0 : this.queue.length) + this.inFlight;
  }

  /** Resolves when nothing is queued (held deliveries don't count) and nothing is in flight. */
  drained(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  private schedule(): void {
    if (this.pumping || this.held) return;
    this.pumping = true;
    // setImmediate lets one control action enqueue all its deliveries before the first is sent.
    setImmediate(() => void this.pump());
  }

  private async pump(): Promise<void> {
    while (this.queue.length && !this.held) {
      const fault = this.faults.forWebhook(this.queue[0]!.record.event);
      if (fault.reorder && this.queue.length > 1) [this.queue[0], this.queue[1]] = [this.queue[1]!, this.queue[0]!];
      const { record, resolve } = this.queue.shift()!;
      const t = this.target();
      if (!t.url) {
        record.skipped = true;
        resolve(undefined);
        continue;
      }
      if (fault.drop) {
        record.dropped = true;
        // GitHub lists a lost delivery as a failed attempt (it got no answer): redeliverable.
        record.history.push({ id: nextAttemptId++, at: this.now(), statusCode: 0, redelivery: false, durationMs: 0 });
        resolve(undefined);
        continue;
      }
      let status = await this.track(() => this.send(record));
      if (fault.duplicate) status = await this.track(() => this.send(record));
      resolve(status);
    }
    this.pumping = false;
    this.notify();
  }

  private async track<T>(fn: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await fn();
    } finally {
      this.inFlight--;
      this.notify();
    }
  }

  private notify(): void {
    if (this.pending !== 0) return;
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }

  private send(record: DeliveryRecord, redelivery = false): Promise<number> {
    const t = this.target();
    record.attempts++;
    const attempt: DeliveryAttempt = { id: nextAttemptId++, at: this.now(), statusCode: 0, redelivery, durationMs: 0 };
    record.history.push(attempt);
    const started = Date.now();
    const headers = webhookHeaders(record, { appId: t.appId, ...(t.secret ? { secret: t.secret } : {}) }, "simulator");
    return new Promise((resolve) => {
      const fail = (err: Error) => {
        record.status = 0;
        record.error = err.message;
        attempt.durationMs = Date.now() - started;
        resolve(0);
      };
      let req: ReturnType<typeof request>;
      try {
        // agent:false → one connection per delivery, so nothing keeps the process alive after stop().
        req = request(t.url!, { method: "POST", headers, agent: false, timeout: t.timeoutMs }, (res) => {
          res.resume();
          res.on("end", () => {
            record.status = res.statusCode ?? 0;
            attempt.statusCode = record.status;
            attempt.durationMs = Date.now() - started;
            resolve(record.status);
          });
        });
      } catch (err) {
        fail(err as Error);
        return;
      }
      req.on("timeout", () => req.destroy(new Error(`timed out after ${t.timeoutMs} ms`)));
      req.on("error", fail);
      req.end(record.body);
    });
  }
}

/** The headers GitHub sends with a delivery, signed with the app's secret when it has one. */
export function webhookHeaders(
  record: { event: string; id: string; body: string },
  target: { appId: number; secret?: string },
  agent: string,
): Record<string, string> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(record.body)),
    "user-agent": `GitHub-Hookshot/${agent}`,
    "x-github-event": record.event,
    "x-github-delivery": record.id,
    "x-github-hook-id": "1",
    "x-github-hook-installation-target-type": "integration",
    "x-github-hook-installation-target-id": String(target.appId),
  };
  if (target.secret) {
    headers["x-hub-signature-256"] = `sha256=${createHmac("sha256", target.secret).update(record.body).digest("hex")}`;
    headers["x-hub-signature"] = `sha1=${createHmac("sha1", target.secret).update(record.body).digest("hex")}`;
  }
  return headers;
}
