import type { Logger } from "pino";

/**
 * WEBHOOK_PROXY_URL (local development): Probot's smee.io client reads the channel and POSTs each
 * delivery to this server, so a laptop without a public address receives GitHub's webhooks. The client
 * is a development dependency, as in Probot; a production install (`npm ci --omit=dev`) says so.
 */
export interface WebhookProxy {
  stop(): Promise<void>;
}

export async function startWebhookProxy(
  source: string,
  target: string,
  log: Logger,
): Promise<WebhookProxy | undefined> {
  let SmeeClient: typeof import("smee-client").SmeeClient;
  try {
    ({ SmeeClient } = await import("smee-client"));
  } catch {
    log.warn(
      "WEBHOOK_PROXY_URL is set but smee-client is not installed (a production install): run `npm ci` to proxy webhooks to this server",
    );
    return undefined;
  }
  const client = new SmeeClient({
    source,
    target,
    logger: {
      info: (msg: unknown) => log.debug(String(msg)),
      error: (...a: unknown[]) => log.warn(a.map(String).join(" ")),
    },
  });
  await client.start();
  log.info(`forwarding webhooks from ${source} to ${target}`);
  return { stop: () => client.stop() };
}
