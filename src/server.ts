import { createHmac, timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { pathToFileURL } from "node:url";
import { createNodeMiddleware, createProbot, run, type Probot } from "probot";
import { createApp, type AppOptions } from "./app/router.js";

/**
 * The app's HTTP server: Probot's webhook middleware behind a signature check that answers 401 (not
 * Probot's 400) to a delivery whose `X-Hub-Signature-256` does not match, before anything is parsed,
 * plus a health check. `npm start` runs it; the demo and the end-to-end tests run the same code.
 */
export const WEBHOOK_PATH = "/api/github/webhooks";
const MAX_BODY = 25 * 1024 * 1024; // GitHub caps webhook payloads at 25 MB

export interface WebhookServerOptions {
  readonly probot: Probot;
  readonly secret: string;
  readonly app?: AppOptions;
}

export async function createWebhookServer(opts: WebhookServerOptions): Promise<Server> {
  const middleware = await createNodeMiddleware(createApp(opts.app), {
    probot: opts.probot,
    webhooksPath: WEBHOOK_PATH,
  });
  return createServer((req, res) => {
    void handle(req, res, opts.secret, middleware).catch((err: unknown) => {
      if (!res.headersSent) reply(res, 500, { error: err instanceof Error ? err.message : String(err) });
    });
  });
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  secret: string,
  middleware: (req: IncomingMessage, res: ServerResponse, next?: () => void) => unknown,
): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method === "GET" && (path === "/" || path === "/healthz")) return reply(res, 200, { status: "ok" });
  if (path !== WEBHOOK_PATH || req.method !== "POST") return reply(res, 404, { error: "not found" });

  const body = await readBody(req);
  if (body === undefined) return reply(res, 413, { error: `payload larger than ${MAX_BODY} bytes` });
  if (!signatureMatches(secret, body, req.headers["x-hub-signature-256"])) {
    return reply(res, 401, {
      error: "signature does not match: check that WEBHOOK_SECRET is the app's webhook secret",
    });
  }
  // @octokit/webhooks reads a string `body` instead of the (already consumed) stream.
  (req as IncomingMessage & { body?: string }).body = body.toString("utf8");
  await middleware(req, res, () => reply(res, 404, { error: "not found" }));
}

export function signatureMatches(secret: string, body: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== "string" || !header.startsWith("sha256=")) return false;
  const expected = Buffer.from("sha256=" + createHmac("sha256", secret).update(body).digest("hex"));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on("end", () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function reply(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body) + "\n");
}

/** `npm start`: with APP_ID set, serve the app; without, Probot's setup page registers it from app.yml. */
async function main(): Promise<void> {
  if (existsSync(".env")) process.loadEnvFile(".env");
  if (!process.env.APP_ID) {
    await run(createApp()); // setup mode: Probot serves its registration page and does not load the app yet
    return;
  }
  const secret = process.env.WEBHOOK_SECRET;
  if (!secret) throw new Error("WEBHOOK_SECRET is not set: it must be the webhook secret of the GitHub App");
  const probot = createProbot();
  const server = await createWebhookServer({ probot, secret });
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? "localhost";
  server.listen(port, host, () =>
    probot.log.info(`parallel-review listening on http://${host}:${port}${WEBHOOK_PATH}`),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((err: unknown) => {
    console.error(`parallel-review: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
