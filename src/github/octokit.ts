import { Octokit } from "@octokit/core";
import { paginateRest } from "@octokit/plugin-paginate-rest";
import { createProbotAuth } from "octokit-auth-probot";
import { Probot, type ProbotOctokit } from "probot";
import { installationClients } from "./installation-clients.js";
import { pacing, WritePacer } from "./pacer.js";

/**
 * The Octokit class the app's processes run with: Octokit's core with pagination, Probot's authentication,
 * the app's own write pacer (src/github/pacer.ts) when given one, one client kept per installation
 * instead of one built per delivery (src/github/installation-clients.ts), and a request log that costs
 * nothing unless debug lines are written.
 *
 * Not Probot's Octokit class (`ProbotOctokit`), although Probot builds every client from this one, for
 * what its plugins cost on every request:
 * - its request logging parses each request's endpoint again (URL template, headers) to build a debug
 *   line, whether or not debug lines are written: about 2 % of the app's CPU in the burst
 *   (docs/performance.md);
 * - its retry plugin built a `Bottleneck` limiter per request (0.3 ms each, 40 % of the client's cost,
 *   src/bench/client-bench.ts) and its throttle ran every request through more (~0.5 ms) and queued GraphQL
 *   queries with the writes: both were already switched off here. Every request the app's handlers and
 *   sweeps make goes through `withRetries` (src/github/client.ts), which retries transient 5xx answers and
 *   failed connections (3 times, with back-off) and GitHub's rate limits within a bound; the pacer paces
 *   writes as GitHub asks. App-level calls outside the handlers (the redelivery sweep) are not retried
 *   within a sweep; the next sweep tries again;
 * - the REST method proxies (`octokit.rest.*`), the config plugin (`context.config`) and the compatibility
 *   shims for GitHub Enterprise Server 2.x are not used by the app (the adapter's client type,
 *   src/github/client.ts, leaves them out, so a call to one does not compile).
 */
export const AppOctokit = Octokit.plugin(
  paginateRest,
  requestLog,
  pacing as never,
  installationClients as never,
).defaults({
  authStrategy: createProbotAuth,
  // As Probot's own class said it, with the app's name in front.
  userAgent: `parallel-review probot/${Probot.version}`,
}) as unknown as typeof ProbotOctokit;

/**
 * One debug line per request, as Probot's Octokit wrote (the method, the URL and the status), the endpoint
 * parsed only when the logger writes debug lines.
 */
export function requestLog(octokit: Octokit): Record<string, never> {
  const line = (o: Parameters<Octokit["request"]["endpoint"]["parse"]>[0], status: unknown) => {
    // Probot's logger is pino's, which says whether it writes debug lines; another writes them all.
    const log = octokit.log as { isLevelEnabled?: (level: string) => boolean };
    if (log.isLevelEnabled?.("debug") === false) return;
    const { method, url } = octokit.request.endpoint.parse(o);
    octokit.log.debug(`GitHub request: ${method} ${url} - ${String(status)}`);
  };
  octokit.hook.after("request", (res, o) => line(o, res.status));
  octokit.hook.error("request", (err, o) => {
    if (typeof err === "object" && err !== null && "status" in err) line(o, err.status);
    throw err;
  });
  return {};
}

/**
 * The app's Octokit with writes paced (`pace: true`: in this process; a `WritePacer`: that one, e.g.
 * shared through Redis) or not (`false`: benchmarks against the simulator).
 */
export function appOctokit(opts: { pace: boolean | WritePacer }): typeof ProbotOctokit {
  if (opts.pace === false) return AppOctokit;
  const pacer = opts.pace === true ? new WritePacer() : opts.pace;
  return AppOctokit.defaults((o: object) => ({ ...o, pacer }));
}
