/**
 * A server or a worker process for `bench:e2e --workers`: the same `serve` / `work` as `npm start` and
 * `npm run worker`, with the app's write pacing off (against the simulator it would only measure the
 * pacing: one write per second per installation). Settings come from the environment.
 */
import { appOctokit } from "../github/octokit.js";
import { createLogger } from "../service/logger.js";
import { serve } from "../service/serve.js";
import { work } from "../service/work.js";

const Octokit = appOctokit({ pace: false });
const log = createLogger({ level: "warn", format: "json" });
const mode = process.argv[2];
(mode === "worker" ? work : serve)(process.env, log, { Octokit }).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
