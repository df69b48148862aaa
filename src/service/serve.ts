import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { createProbot, type ProbotOctokit } from "probot";
import { KeyedSerializer } from "../app/serialize.js";
import { KeyedSlots, RECONCILES_PER_INSTALLATION } from "../app/slots.js";
import { appOctokit } from "../github/octokit.js";
import { WritePacer, type PacerOptions } from "../github/pacer.js";
import { admissionPerInstallation, createWebhookServer, WEBHOOK_PATH, type VerifiedDelivery } from "../server.js";
import { countFrom, intFrom } from "./config.js";
import { HealScheduler, healSettings } from "./heal-scheduler.js";
import { Metrics, slotStats } from "./metrics.js";
import { ObservedRunner } from "./observed.js";
import { queueSettings, type QueueSettings } from "./queue-settings.js";
import { keySigns, readinessOf, redisAnswers } from "./readiness.js";
import { stopOnSignals } from "./shutdown.js";
import { startWebhookProxy, type WebhookProxy } from "./webhook-proxy.js";

/** For the benchmark against the simulator: an Octokit without the app's write pacing. */
export interface ServiceOptions {
  readonly Octokit?: typeof ProbotOctokit;
}

/** Settings read from the environment by `npm start` (.env.example documents each). */
export interface ServiceConfig {
  readonly appId: number;
  readonly secret: string;
  readonly host: string;
  readonly port: number;
  readonly shutdownTimeoutMs: number;
  readonly webhookProxyUrl?: string;
  /** Deliveries parsed and handled at once; the rest wait as raw bytes (memory against throughput). */
  readonly maxConcurrentDeliveries: number;
  /** Reconciles run at once, across installations. */
  readonly maxConcurrentReconciles: number;
  /** Of those, reconciles of one installation at once (src/app/slots.ts). */
  readonly maxReconcilesPerInstallation: number;
}

export function serviceConfig(env: NodeJS.ProcessEnv, _need: { secret?: boolean } = {}): ServiceConfig {
  const appId = Number(env.APP_ID);
  if (!Number.isInteger(appId) || appId <= 0)
    throw new Error(`APP_ID is "${env.APP_ID}": it must be the app's id (a number)`);
  if (!env.WEBHOOK_SECRET)
    throw new Error("WEBHOOK_SECRET is not set: it must be the webhook secret of the GitHub App");
  if (!env.PRIVATE_KEY && !env.PRIVATE_KEY_PATH)
    throw new Error(
      "PRIVATE_KEY or PRIVATE_KEY_PATH must be set: the app's private key (a .pem file from the app's settings)",
    );
  return {
    appId,
    secret: env.WEBHOOK_SECRET ?? "",
    host: env.HOST || "localhost",
    port: intFrom(env, "PORT", 3000),
    shutdownTimeoutMs: intFrom(env, "SHUTDOWN_TIMEOUT_MS", 25_000),
    maxConcurrentDeliveries: countFrom(env, "MAX_CONCURRENT_DELIVERIES", 128),
    maxConcurrentReconciles: countFrom(env, "MAX_CONCURRENT_RECONCILES", 128),
    maxReconcilesPerInstallation: countFrom(env, "MAX_RECONCILES_PER_INSTALLATION", RECONCILES_PER_INSTALLATION),
    ...(env.WEBHOOK_PROXY_URL ? { webhookProxyUrl: env.WEBHOOK_PROXY_URL } : {}),
  };
}

/**
 * Probot configured from the environment, with this process's logger and Octokit class; a key that is no
 * PEM key says so. Probot's own use of REDIS_URL (its throttle's Bottleneck connection) is turned off:
 * the app paces its writes itself (src/github/pacer.ts, shared through Redis by `writePacerFrom`).
 */
export function probotFrom(env: NodeJS.ProcessEnv, log: Logger, Octokit: typeof ProbotOctokit) {
  try {
    return createProbot({ env, overrides: { log, Octokit, redisConfig: undefined } });
  } catch (err) {
    if (err instanceof Error && /privateKey/.test(err.message))
      throw new Error(
        "PRIVATE_KEY (or the file PRIVATE_KEY_PATH names) is not a PEM private key: download one from the app's settings page",
        { cause: err },
      );
    throw err;
  }
}

/** `npm start` with APP_ID set: the webhook server, until SIGTERM or SIGINT. */
export async function serve(env: NodeJS.ProcessEnv, log: Logger, opts: ServiceOptions = {}): Promise<void> {
  const config = serviceConfig(env);
  const metrics = new Metrics();
  const queueConfig = queueSettings(env);
  const withRedis = queueConfig ? await redisParts(queueConfig) : undefined;
  const onStart: PacerOptions["onStart"] = (_installation, waitedMs) => metrics.pacingWait.observe(waitedMs / 1000);
  const writes = opts.Octokit
    ? undefined
    : (withRedis?.pacer(onStart) ?? { pacer: new WritePacer({ onStart }), close: () => undefined });
  const probot = probotFrom(env, log, opts.Octokit ?? appOctokit({ pace: writes!.pacer }));
  // With REDIS_URL the server only verifies and queues; workers reconcile and run the healing sweeps.
  const redis = withRedis?.redis;
  const queue = withRedis?.queue;
  if (queue) metrics.addQueue(() => queue.stats());
  const serializer = new ObservedRunner(new KeyedSerializer(), log, metrics);
  const slots = new KeyedSlots(config.maxConcurrentReconciles, config.maxReconcilesPerInstallation);
  if (!queue) metrics.addQueue(() => Promise.resolve({ reconcile: serializer.stats(), slots: slotStats(slots) }));
  const heal = healSettings(env);
  const healer = new HealScheduler(probot, log, heal, metrics);
  const server = await createWebhookServer({
    probot,
    secret: config.secret,
    log,
    metrics,
    maxConcurrentDeliveries: config.maxConcurrentDeliveries,
    maxDeliveriesPerInstallation: admissionPerInstallation(
      config.maxConcurrentDeliveries,
      config.maxReconcilesPerInstallation,
    ),
    readiness: readinessOf({
      key: keySigns(probot),
      ...(redis ? { redis: redisAnswers(redis) } : {}),
    }),
    ...(queue ? { enqueue: (d: VerifiedDelivery) => queue.enqueue(d) } : {}),
    app: {
      appId: config.appId,
      serializer,
      slots,
      counter: metrics.requestCounter(),
      heal: {
        paceMs: heal.paceMs,
        attach: healer.attach,
        observe: (kind, n) => metrics.heals.inc({ kind }, n),
      },
    },
  });
  // Signals are handled from here on: a stop during start-up must not kill the process with code 143.
  let proxy: WebhookProxy | undefined;
  stopOnSignals(
    async () => {
      healer.stop();
      await proxy?.stop();
      const cut = await server.drain(config.shutdownTimeoutMs);
      await queue?.close();
      redis?.disconnect();
      writes?.close();
      if (cut > 0)
        log.warn(
          { cut },
          `${cut} deliveries were still running: GitHub records them as failed and they are redelivered`,
        );
    },
    log,
    config.shutdownTimeoutMs,
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  log.info(
    { appId: config.appId, mode: queue ? "queue" : "embedded", logLevel: log.level },
    `parallel-review listening on http://${config.host}:${port}${WEBHOOK_PATH} (health: /healthz, /readyz; metrics: /metrics)`,
  );
  if (!queue) healer.start();
  proxy = config.webhookProxyUrl
    ? await startWebhookProxy(config.webhookProxyUrl, `http://${config.host}:${port}${WEBHOOK_PATH}`, log)
    : undefined;
}

/**
 * With REDIS_URL: the queue, its connection and the write pacer shared through Redis. BullMQ and ioredis
 * are loaded only then: one process without Redis never needs them (about 17 MiB of its memory at start).
 */
async function redisParts(queueConfig: QueueSettings) {
  const [{ DeliveryQueue, redisConnection }, { writePacerFrom }] = await Promise.all([
    import("./queue.js"),
    import("./redis-slots.js"),
  ]);
  const redis = redisConnection(queueConfig.redisUrl);
  return {
    redis,
    queue: new DeliveryQueue(queueConfig, redis),
    pacer: (onStart: PacerOptions["onStart"]) =>
      writePacerFrom(queueConfig.redisUrl, { prefix: queueConfig.prefix, onStart }),
  };
}
