import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Worker, type Job } from "bullmq";
import type { Logger } from "pino";
import type { EmitterWebhookEventName } from "@octokit/webhooks";
import { createApp } from "../app/router.js";
import { appOctokit } from "../github/octokit.js";
import { opsRoute, reply } from "../server.js";
import { intFrom } from "./config.js";
import { HealScheduler, healSettings } from "./heal-scheduler.js";
import { withLogContext } from "./logger.js";
import { Metrics, slotStats } from "./metrics.js";
import { ObservedRunner } from "./observed.js";
import { DELIVERIES, DeliveryQueue, queueSettings, redisConnection, type JobData } from "./queue.js";
import { keySigns, readinessOf, redisAnswers } from "./readiness.js";
import { RedisKeyedRunner } from "./redis-keyed.js";
import { writePacerFrom } from "./redis-slots.js";
import { probotFrom, serviceConfig, type ServiceOptions } from "./serve.js";
import { KeyedSlots } from "../app/slots.js";
import { withoutLinks } from "../github/payload.js";
import { stopOnSignals } from "./shutdown.js";

/**
 * `npm run worker`: takes deliveries from the Redis queue and reconciles, as many processes on as many
 * machines as needed. The app's write pacer is shared through the same Redis (REDIS_URL), so all
 * workers together still run an installation's writes one at a time, ≥ 1 s apart. Serves /healthz, /readyz and /metrics
 * on WORKER_PORT. Also runs the healing sweeps (one worker per interval, through a Redis claim).
 */
export async function work(env: NodeJS.ProcessEnv, log: Logger, opts: ServiceOptions = {}): Promise<void> {
  const queueConfig = queueSettings(env);
  if (!queueConfig)
    throw new Error("REDIS_URL is not set: a worker takes its deliveries from Redis (redis://host:6379)");
  const config = serviceConfig(env, { secret: false });
  const port = intFrom(env, "WORKER_PORT", 3001);
  const concurrency = intFrom(env, "WORKER_CONCURRENCY", 16);
  const lockMs = intFrom(env, "QUEUE_LOCK_MS", 30_000);
  const metrics = new Metrics();
  const writes = opts.Octokit
    ? undefined
    : writePacerFrom(queueConfig.redisUrl, {
        prefix: queueConfig.prefix,
        onStart: (_installation, waitedMs) => metrics.pacingWait.observe(waitedMs / 1000),
      });
  const probot = probotFrom(env, log, opts.Octokit ?? appOctokit({ pace: writes!.pacer }));
  const redis = redisConnection(queueConfig.redisUrl);
  const prefix = queueConfig.prefix;
  const serializer = new ObservedRunner(
    new RedisKeyedRunner(redis, { prefix, leaseMs: intFrom(env, "PR_LEASE_MS", 30_000) }),
    log,
    metrics,
  );
  const heal = healSettings(env);
  const healer = new HealScheduler(
    probot,
    log,
    heal,
    metrics,
    async (sweep, ttlMs) =>
      (await redis.set(`${prefix}:heal:${sweep}`, "1", "PX", Math.max(1, ttlMs - 1000), "NX")) === "OK",
    async (guid) =>
      (await redis.set(`${prefix}:redelivered:${guid}`, "1", "PX", heal.redeliverWindowMs + 3600_000, "NX")) === "OK",
  );
  // Reconciles at once: WORKER_CONCURRENCY deliveries bound them too.
  const slots = new KeyedSlots(config.maxConcurrentReconciles, config.maxReconcilesPerInstallation);
  await probot.load(
    createApp({
      appId: config.appId,
      serializer,
      slots,
      counter: metrics.requestCounter(),
      heal: {
        paceMs: heal.paceMs,
        awaitInstallSweep: true, // a job has no 10 s limit, and a killed worker's job is retried
        attach: healer.attach,
        observe: (kind, n) => metrics.heals.inc({ kind }, n),
      },
    }),
  );
  const queue = new DeliveryQueue(queueConfig, redis);
  metrics.addQueue(() => queue.stats());
  metrics.addQueue(() => Promise.resolve({ slots: slotStats(slots) })); // reported even when Redis does not answer

  const worker = new Worker<JobData>(DELIVERIES, (job) => handle(job), {
    connection: redisConnection(queueConfig.redisUrl),
    prefix,
    concurrency,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    maxStalledCount: 3,
    autorun: false,
  });
  const handle = (job: Job<JobData>) =>
    withLogContext(
      {
        delivery: job.data.id,
        event: job.data.name,
        ...(job.data.installation !== undefined ? { installation: job.data.installation } : {}),
      },
      () =>
        probot.receive({
          id: job.data.id,
          name: job.data.name as EmitterWebhookEventName,
          payload: withoutLinks(JSON.parse(job.data.body)),
        } as Parameters<typeof probot.receive>[0]),
    );
  worker.on("failed", (job, err) => {
    metrics.failures.inc({ kind: "delivery" });
    if (!job) return;
    const context = { delivery: job.data.id, event: job.data.name, installation: job.data.installation, err };
    if (job.attemptsMade >= (job.opts.attempts ?? 1)) {
      metrics.deadLetters.inc();
      log.error(context, `delivery failed ${job.attemptsMade} times: moved to the dead-letter set`);
    } else log.warn(context, `delivery failed (attempt ${job.attemptsMade}); retried with back-off`);
  });
  worker.on("error", (err) => log.warn({ err }, "queue connection error"));

  const readiness = readinessOf({ key: keySigns(probot), redis: redisAnswers(redis) });
  const ops = createServer((req, res) => {
    void opsRoute(req, res, { metrics, readiness }).then((handled) => {
      if (!handled) reply(res, 404, { error: "not found" });
    });
  });
  stopOnSignals(
    async () => {
      healer.stop();
      // Finish the jobs in hand; past the bound, hand them back (BullMQ gives them to another worker).
      const closed = await Promise.race([
        worker.close().then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), config.shutdownTimeoutMs)),
      ]);
      if (!closed) {
        log.warn("jobs still running at the shutdown bound: handed back to the queue");
        await worker.close(true);
      }
      ops.closeAllConnections();
      ops.close();
      await queue.close();
      redis.disconnect();
      writes?.close();
    },
    log,
    config.shutdownTimeoutMs,
  );
  await new Promise<void>((resolve, reject) => {
    ops.once("error", reject);
    ops.listen(port, config.host, resolve);
  });
  void worker.run();
  healer.start();
  log.info(
    { appId: config.appId, mode: "worker", concurrency, logLevel: log.level },
    `parallel-review worker taking deliveries from ${prefix}:${DELIVERIES}; ops on http://${config.host}:${(ops.address() as AddressInfo).port} (/healthz, /readyz, /metrics)`,
  );
}
