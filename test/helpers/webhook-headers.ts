import { createHmac } from "node:crypto";

/** GitHub's `X-Hub-Signature-256` of a delivery's body signed with `secret`. */
export function signature(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** The headers GitHub sends with a delivery of `event`, its body signed with `secret`. */
export function webhookHeaders(secret: string, body: string, event: string, id: string): Record<string, string> {
  return {
    "content-type": "application/json",
    "x-github-event": event,
    "x-github-delivery": id,
    "x-hub-signature-256": signature(secret, body),
  };
}
