import { existsSync } from "node:fs";
import { tuneHeap } from "./service/heap.js";
import { createLogger, logFormatFrom, logLevelFrom } from "./service/logger.js";
import { work } from "./service/work.js";

/** `npm run worker` (`node lib/worker.js`): a queue worker; needs REDIS_URL (docs/deploy.md). */
async function main(): Promise<void> {
  if (existsSync(".env")) process.loadEnvFile(".env");
  tuneHeap(process.env);
  const log = createLogger({
    level: logLevelFrom(process.env),
    format: logFormatFrom(process.env, process.stdout.isTTY === true),
  });
  await work(process.env, log);
}

main().catch((err: unknown) => {
  console.error(`parallel-review worker: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
