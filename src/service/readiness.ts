import type { Probot } from "probot";

/**
 * Readiness (GET /readyz): the replica can do its work. Liveness (GET /healthz) only says the process
 * answers. Readiness deliberately does not call GitHub: a GitHub outage would otherwise take every
 * replica out of the load balancer at once, and the deliveries GitHub does send would be refused.
 */
export type ReadinessCheck = () => Promise<{ ready: boolean; checks: Record<string, string> }>;

const CHECK_TIMEOUT_MS = 3_000;

export function readinessOf(checks: Record<string, () => Promise<unknown>>): ReadinessCheck {
  return async () => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), CHECK_TIMEOUT_MS, `${name} did not answer within ${CHECK_TIMEOUT_MS} ms`);
          return [name, "ok"] as const;
        } catch (err) {
          return [name, err instanceof Error ? err.message : String(err)] as const;
        }
      }),
    );
    return { ready: results.every(([, r]) => r === "ok"), checks: Object.fromEntries(results) };
  };
}

/** The private key signs an app token (a JWT): a missing, truncated or mistyped key fails here. */
export function keySigns(probot: Probot): () => Promise<void> {
  return async () => {
    const octokit = await probot.auth();
    const auth = (await octokit.auth({ type: "app" })) as { token?: string };
    if (!auth.token) throw new Error("the private key did not sign an app token");
  };
}

/** Redis answers PING (queue mode and the shared write pacer depend on it). */
export function redisAnswers(redis: { ping(): Promise<string> }): () => Promise<void> {
  return async () => {
    const answer = await redis.ping();
    if (answer !== "PONG") throw new Error(`Redis answered ${answer} to PING`);
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
