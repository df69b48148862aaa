import { execFileSync } from "node:child_process";
import { expect, test } from "@jest/globals";

/**
 * BullMQ and ioredis are about 17 MiB of a process's memory at start: `npm start` without REDIS_URL
 * (one process, the default) must not load them (src/service/serve.ts `redisParts`).
 */
const hook = `data:text/javascript,${encodeURIComponent(`
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (/\\/node_modules\\/(bullmq|ioredis)\\//.test(resolved.url)) throw new Error("loaded " + resolved.url);
  return resolved;
}`)}`;

const load = (modules: string[]) =>
  execFileSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `import { register } from "node:module";
       register(${JSON.stringify(hook)});
       for (const m of ${JSON.stringify(modules)}) await import(m);
       console.log("ok");`,
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  ).trim();

test("the server without REDIS_URL loads neither BullMQ nor ioredis; the worker does (the hook sees it)", () => {
  expect(load(["./lib/server.js", "./lib/service/serve.js"])).toBe("ok");
  expect(() => load(["./lib/service/queue.js"])).toThrow(/loaded file:.*node_modules\/(bullmq|ioredis)\//);
});
