import { generateKeyPairSync } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Probot, type Logger } from "probot";
import { appOctokit } from "../github/octokit.js";
import type { Outcome } from "../app/reconcile.js";
import type { AppOptions } from "../app/router.js";
import type { PullRef, RequestCounter } from "../github/client.js";
import { createWebhookServer, WEBHOOK_PATH } from "../server.js";
import { GitHubSimulator, type SimulatorOptions } from "../simulator/index.js";

/**
 * The whole system on one machine: the local GitHub simulator and the real app server (the same
 * `createWebhookServer` that `npm start` runs) talking to each other over loopback HTTP, with signed
 * webhooks one way and authenticated REST calls the other. Used by the demo, the end-to-end tests and
 * the load benchmark; no network, no credentials.
 */
export interface StackOptions {
  readonly simulator?: SimulatorOptions;
  /** The app's client spaces writes ≥ 1 s apart per installation (GitHub's guidance for real traffic); off against the simulator by default. */
  readonly pace?: boolean;
  readonly logLevel?: "fatal" | "error" | "warn" | "info" | "debug";
  /** A logger of one's own (tests keep the lines and print them when a test fails); replaces logLevel. */
  readonly log?: Logger;
  readonly onOutcome?: (pr: PullRef, outcome: Outcome) => void;
  readonly counter?: RequestCounter;
  readonly maxRetryWaitMs?: number;
  /** App servers (replicas) sharing the simulator; the simulator delivers to the first. Default 1. */
  readonly replicas?: number;
  /** More app options (healing, a shared serializer, …). */
  readonly app?: Partial<AppOptions>;
}

export interface Stack {
  readonly sim: GitHubSimulator;
  readonly appId: number;
  readonly webhookUrl: string;
  /** Every replica's webhook URL (the first is `webhookUrl`). */
  readonly webhookUrls: readonly string[];
  readonly secret: string;
  /** The first replica's Probot. */
  readonly probot: Probot;
  stop(): Promise<void>;
}

export const STACK_APP_ID = 4242;
let keys: { privateKey: string; publicKey: string } | undefined;

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  keys ??= generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const secret = "local-webhook-secret";
  const sim = new GitHubSimulator({
    ...opts.simulator,
    app: {
      id: STACK_APP_ID,
      slug: "parallel-review",
      publicKey: keys.publicKey,
      webhookSecret: secret,
      ...opts.simulator?.app,
    },
  });
  await sim.start();

  const Octokit = appOctokit({ pace: opts.pace ?? false });
  // Each replica is a whole app process's worth: its own Probot, serializer and caches.
  const servers: Server[] = [];
  const probots: Probot[] = [];
  for (let i = 0; i < (opts.replicas ?? 1); i++) {
    const probot = new Probot({
      appId: STACK_APP_ID,
      privateKey: keys.privateKey,
      secret,
      baseUrl: sim.apiUrl,
      ...(opts.log ? { log: opts.log } : { logLevel: opts.logLevel ?? "fatal" }),
      Octokit,
    });
    const server: Server = await createWebhookServer({
      probot,
      secret,
      app: {
        appId: STACK_APP_ID,
        ...(opts.onOutcome ? { onOutcome: opts.onOutcome } : {}),
        ...(opts.counter ? { counter: opts.counter } : {}),
        maxRetryWaitMs: opts.maxRetryWaitMs ?? 2_000,
        ...opts.app,
      },
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push(server);
    probots.push(probot);
  }
  const webhookUrls = servers.map((srv) => `http://127.0.0.1:${(srv.address() as AddressInfo).port}${WEBHOOK_PATH}`);
  const webhookUrl = webhookUrls[0]!;
  sim.configureApp({ webhookUrl });

  return {
    sim,
    appId: STACK_APP_ID,
    webhookUrl,
    webhookUrls,
    secret,
    probot: probots[0]!,
    async stop() {
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
      await sim.stop();
    },
  };
}
