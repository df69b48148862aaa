import type { Octokit } from "./client.js";

/**
 * The app's recent webhook deliveries (GitHub keeps them for three days) and redelivery. A delivery is
 * one `guid` (X-GitHub-Delivery) with one or more attempts; it is worth redelivering when no attempt
 * succeeded and none was a redelivery already: GitHub's own list remembers what was redelivered, so
 * each delivery is redelivered at most once across restarts and replicas.
 */
export interface FailedDelivery {
  /** The newest attempt's id (what POST /app/hook/deliveries/{delivery_id}/attempts takes). */
  readonly attemptId: number;
  readonly guid: string;
  readonly event: string;
  readonly action: string | null;
  readonly deliveredAt: string;
  readonly statusCode: number;
}

interface Attempt {
  id: number;
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  status_code: number;
  event: string;
  action: string | null;
}

/** Failed deliveries newer than `sinceMs`, reading at most `maxPages` pages of 100 (newest first). */
export async function failedDeliveries(
  appOctokit: Octokit,
  sinceMs: number,
  maxPages: number,
): Promise<FailedDelivery[]> {
  const byGuid = new Map<string, Attempt[]>();
  let pages = 0;
  for await (const page of appOctokit.paginate.iterator("GET /app/hook/deliveries", { per_page: 100 })) {
    let older = false;
    for (const a of page.data as Attempt[]) {
      if (Date.parse(a.delivered_at) < sinceMs) older = true;
      else byGuid.set(a.guid, [...(byGuid.get(a.guid) ?? []), a]);
    }
    if (older || ++pages >= maxPages) break;
  }
  const failed: FailedDelivery[] = [];
  for (const [guid, attempts] of byGuid) {
    if (attempts.some((a) => a.redelivery || (a.status_code >= 200 && a.status_code < 300))) continue;
    const newest = attempts.reduce((a, b) => (b.id > a.id ? b : a));
    failed.push({
      attemptId: newest.id,
      guid,
      event: newest.event,
      action: newest.action,
      deliveredAt: newest.delivered_at,
      statusCode: newest.status_code,
    });
  }
  return failed.sort((a, b) => a.attemptId - b.attemptId); // oldest first: events in their order
}

export async function redeliver(appOctokit: Octokit, attemptId: number): Promise<void> {
  await appOctokit.request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: attemptId });
}
