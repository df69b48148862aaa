/**
 * `node lib/bench/client-bench.js [--requests N] [--concurrency C]`: the client-side CPU of one GitHub
 * request, by client. A plain HTTP server in a child process answers every request with a pull request
 * as GitHub renders it (from @octokit/webhooks-examples); this process sends N GET requests, C at a time,
 * after a warm-up, and reports its own CPU time (user + system) per request:
 *
 * - Probot's Octokit through `withRetries` (src/github/client.ts) with Node's `fetch` and Octokit's JSON
 *   parser (the app before the lean client), Probot's throttle off and on;
 * - the app's Octokit now (src/github/octokit.ts: no retry plugin) with the lean client (src/github/http.ts:
 *   keep-alive node:http, JSON.parse);
 * - without Octokit: `fetch` + `res.json()`, and the lean client + JSON.parse, for the floor.
 *
 * A benchmark: it prints figures and asserts nothing.
 */
import { fork } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ProbotOctokit } from "probot";
import { withRetries, type Octokit } from "../github/client.js";
import { leanFetch } from "../github/http.js";
import { AppOctokit } from "../github/octokit.js";

type Send = () => Promise<unknown>;

/** Before: Probot's Octokit (its retry plugin on) with Node's fetch; now: the app's (src/github/octokit.ts), lean client. */
function octokit(baseUrl: string, opts: { throttle: boolean; platformFetch: boolean }): Octokit {
  const Class = opts.platformFetch ? ProbotOctokit : AppOctokit;
  const o = new Class({
    auth: { token: "bench-token" },
    baseUrl,
    throttle: { enabled: opts.throttle },
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    ...(opts.platformFetch ? { request: { fetch: globalThis.fetch } } : {}),
  });
  return withRetries(o);
}

/** One Octokit for all the requests of a variant, as Probot keeps one per delivery (~15 requests). */
function viaOctokit(o: Octokit, path: string): Send {
  return () => o.request(`GET ${path}`);
}

async function measure(send: Send, n: number, concurrency: number): Promise<number> {
  const run = async (count: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next++ < count) await send();
      }),
    );
  };
  await run(Math.min(500, n));
  globalThis.gc?.();
  const before = process.cpuUsage();
  await run(n);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n / 1000;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string, dflt: number) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const n = arg("requests", 3000);
  const concurrency = arg("concurrency", 8);
  const server = fork(fileURLToPath(import.meta.url), ["--serve"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const base = await new Promise<string>((r) => server.once("message", (m) => r(m as string)));
  const path = "/repos/acme/shop/pulls/1";
  try {
    const variants: [string, Send][] = [
      [
        "Probot's Octokit + withRetries, fetch, json-with-bigint, throttle off (before)",
        viaOctokit(octokit(base, { throttle: false, platformFetch: true }), path),
      ],
      [
        "Probot's Octokit + withRetries, fetch, json-with-bigint, throttle on (before)",
        viaOctokit(octokit(base, { throttle: true, platformFetch: true }), path),
      ],
      [
        "app's Octokit (no retry plugin) + withRetries, lean client, JSON.parse, throttle off (now)",
        viaOctokit(octokit(base, { throttle: false, platformFetch: false }), path),
      ],
      [
        "app's Octokit (no retry plugin) + withRetries, lean client, JSON.parse, throttle on (now)",
        viaOctokit(octokit(base, { throttle: true, platformFetch: false }), path),
      ],
      ["fetch + res.json() (no Octokit)", async (): Promise<unknown> => (await fetch(base + path)).json()],
      ["lean client + JSON.parse (no Octokit)", async () => (await leanFetch(base + path)).body],
    ];
    console.log(`client CPU per request: ${n} GET ${path} (${concurrency} at a time), Node ${process.version}`);
    for (const [label, send] of variants)
      console.log(`  ${(await measure(send, n, concurrency)).toFixed(3).padStart(7)} ms  ${label}`);
  } finally {
    server.kill();
  }
}

/** The body of every answer: a pull request as GitHub sends it. */
function serve(): void {
  const require = createRequire(import.meta.url);
  const examples = require("@octokit/webhooks-examples") as {
    name: string;
    examples: { action?: string; pull_request?: unknown }[];
  }[];
  const pull = examples.find((e) => e.name === "pull_request")?.examples.find((x) => x.pull_request)?.pull_request;
  const body = JSON.stringify(pull ?? {});
  const srv = createServer((req, res) => {
    req.resume();
    res.writeHead(200, {
      "content-type": "application/json; charset=utf-8",
      "x-ratelimit-remaining": "4999",
      "x-ratelimit-resource": "core",
      etag: '"bench"',
    });
    res.end(body);
  });
  srv.keepAliveTimeout = 10_000;
  srv.listen(0, "127.0.0.1", () => process.send!(`http://127.0.0.1:${(srv.address() as AddressInfo).port}`));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  if (process.argv.includes("--serve")) serve();
  else
    main().catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
