import { ProbotOctokit } from "probot";

/**
 * The Octokit class the app's processes run with: Probot's, without Probot's retry plugin.
 *
 * Every request the app's handlers and sweeps make goes through `withRetries` (src/github/client.ts),
 * which retries transient 5xx answers and failed connections (3 times, with back-off) and GitHub's
 * secondary rate limits; the plugin did the same first, at the cost of a `Bottleneck` limiter built for
 * every request: about 0.3 ms of CPU per request, 40 % of the client's cost (src/bench/client-bench.ts).
 * App-level calls outside the handlers (the redelivery sweep) are not retried within a sweep; the next
 * sweep tries again. Probot's throttle (write pacing, primary and secondary rate limits) stays on.
 */
export const AppOctokit: typeof ProbotOctokit = ProbotOctokit.defaults({ retry: { enabled: false } });

/** The same, with Probot's write pacing on (production) or off (benchmarks against the simulator). */
export function appOctokit(opts: { throttle: boolean }): typeof ProbotOctokit {
  if (opts.throttle) return AppOctokit;
  return AppOctokit.defaults((o: { throttle?: object }) => ({ ...o, throttle: { ...o.throttle, enabled: false } }));
}
