import type { Logger } from "pino";

/**
 * WEBHOOK_PROXY_URL (local development): Probot's smee.io client reads the channel and POSTs each
 * delivery to this server, so a laptop without a public address receives GitHub's webhooks. The client
 * is a development dependency, as in Probot; a production install (`npm ci --omit=dev`) says so.
 *
 * A channel that does not answer at start-up does not stop the server (its health, metrics and any
 * direct delivery still work): the error says what is wrong, and the client keeps reconnecting unless
 * the channel answered with an HTTP error, which says the URL itself is wrong.
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
      error: (...a: unknown[]) => log.warn(`WEBHOOK_PROXY_URL ${source}: ${a.map(describe).join(": ")}`),
    },
  });
  client.onopen = () => log.info(`forwarding webhooks from ${source} to ${target}`);
  try {
    await client.start();
  } catch (err) {
    log.error(unreachable(source, err));
  }
  return { stop: () => client.stop() };
}

/** What to do about a channel that did not connect; `code` is the HTTP status when it answered at all. */
function unreachable(source: string, err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const what = `WEBHOOK_PROXY_URL ${source} did not connect (${describe(err)})`;
  return typeof code === "number"
    ? `${what}: no delivery arrives through it; check the URL (a smee.io channel looks like https://smee.io/<id>), or unset WEBHOOK_PROXY_URL when GitHub reaches this server directly, and restart`
    : `${what}: retrying every few seconds; no delivery arrives through it until it connects (check the network, or unset WEBHOOK_PROXY_URL when GitHub reaches this server directly)`;
}

/** The EventSource rejects with an event, not an Error: its message (and status) is what a person needs. */
function describe(x: unknown): string {
  if (x instanceof Error) return x.message;
  if (x !== null && typeof x === "object") {
    const { message, type } = x as { message?: unknown; type?: unknown };
    if (typeof message === "string" && message) return message;
    if (typeof type === "string") return type;
  }
  return String(x);
}
