import { createHmac } from "node:crypto";

/** The headers GitHub sends with a delivery of `event`, its body signed with `secret`. */
export function webhookHeaders(secret: string, body: string, event: string, id: string): Record<string, string> {
  return {
    "content-type": "application/json",
    "x-github-event": event,
    "x-github-delivery": id,
    "x-hub-signature-256": `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
  };
}
