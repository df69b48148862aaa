import { ProbotOctokit } from "probot";
import { installationClients } from "./installation-clients.js";
import { pacing, WritePacer } from "./pacer.js";

/**
 * The Octokit class the app's processes run with: Probot's, without Probot's retry plugin and without
 * Probot's throttle, with the app's own write pacer (src/github/pacer.ts) when given one, and one client
 * kept per installation instead of one built per delivery (src/github/installation-clients.ts).
 *
 * Every request the app's handlers and sweeps make goes through `withRetries` (src/github/client.ts),
 * which retries transient 5xx answers and failed connections (3 times, with back-off) and GitHub's
 * rate limits within a bound; the retry plugin did the same first, at the cost of a `Bottleneck` limiter
 * built for every request: about 0.3 ms of CPU per request, 40 % of the client's cost
 * (src/bench/client-bench.ts). The throttle ran every request through `Bottleneck` limiters too (another
 * ~0.5 ms) and queued GraphQL queries with the writes; the pacer costs a test per read.
 * App-level calls outside the handlers (the redelivery sweep) are not retried within a sweep; the next
 * sweep tries again.
 */
export const AppOctokit: typeof ProbotOctokit = ProbotOctokit.plugin(
  pacing as never,
  installationClients as never,
).defaults(
  // A defaults function, not an object: Probot merges its own throttle options over the class defaults,
  // and a function sees the merged options last.
  (o: { throttle?: object }) => ({ ...o, retry: { enabled: false }, throttle: { ...o.throttle, enabled: false } }),
);

/**
 * The app's Octokit with writes paced (`pace: true`: in this process; a `WritePacer`: that one, e.g.
 * shared through Redis) or not (`false`: benchmarks against the simulator).
 */
export function appOctokit(opts: { pace: boolean | WritePacer }): typeof ProbotOctokit {
  if (opts.pace === false) return AppOctokit;
  const pacer = opts.pace === true ? new WritePacer() : opts.pace;
  return AppOctokit.defaults((o: object) => ({ ...o, pacer }));
}
