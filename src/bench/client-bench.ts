/**
 * `node lib/bench/client-bench.js [--requests N] [--concurrency C]`: the client-side CPU of one GitHub
 * request, by client. A plain HTTP server in a child process answers every request with a pull request
 * as GitHub renders it (from @octokit/webhooks-examples); this process sends N requests, C at a time
 * (GETs unless said) after a warm-up, and reports its own CPU time (user + system) per request:
 *
 * - Probot's Octokit through `withRetries` (src/github/client.ts) with Node's `fetch` and Octokit's JSON
 *   parser (the app before the lean client), Probot's throttle off and on;
 * - Probot's Octokit without its retry plugin, with the lean client (src/github/http.ts: keep-alive
 *   node:http, JSON.parse) and Probot's throttle on (the app before its own write pacer);
 * - the app's Octokit now (src/github/octokit.ts: no retry plugin, no throttle) with the lean client,
 *   pacing off and with the app's write pacer (src/github/pacer.ts) on: GETs and GraphQL queries (not
 *   paced: the pacer's cost is its test), and POSTs through a pacer with a 0 s gap (its queue's cost);
 * - without Octokit: `fetch` + `res.json()`, and the lean client + JSON.parse, for the floor;
 * - Octokit's pipeline alone, each request answered at once in the process (no HTTP, the same answer
 *   for both): Probot's class with its retry and throttle off, against the app's class (which leaves out
 *   Probot's request logging: it parsed every request's endpoint again for a debug line).
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
import { appOctokit } from "../github/octokit.js";
import { LocalSlots, realClock, WritePacer } from "../github/pacer.js";

type Send = () => Promise<unknown>;

/** As Probot's logger at its default level (info): nothing written, and it says it writes no debug lines. */
const quietLog = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  isLevelEnabled: (level: string) => level !== "debug" && level !== "trace",
};

type Client = "platform fetch" | "lean, Probot's throttle" | "app";

/**
 * Before: Probot's Octokit (its retry plugin on) with Node's fetch, or without the retry plugin on the
 * lean client with Probot's throttle; now: the app's (src/github/octokit.ts), paced or not.
 */
function octokit(baseUrl: string, client: Client, opts: { throttle?: boolean; pacer?: WritePacer } = {}): Octokit {
  const common = {
    auth: { token: "bench-token" },
    baseUrl,
    log: quietLog,
  };
  if (client === "app") return withRetries(new (appOctokit({ pace: opts.pacer ?? false }))(common));
  const o = new ProbotOctokit({
    ...common,
    throttle: { enabled: opts.throttle === true },
    ...(client === "platform fetch" ? { request: { fetch: globalThis.fetch } } : { retry: { enabled: false } }),
  });
  return withRetries(o);
}

/** An Octokit whose requests are answered at once in this process: what remains is Octokit's pipeline. */
function inProcess(client: "probot" | "app"): Octokit {
  const body = JSON.stringify({ number: 1 });
  const fetch = () =>
    Promise.resolve(new Response(body, { status: 200, headers: { "content-type": "application/json" } }));
  const options = {
    auth: { token: "bench-token" },
    baseUrl: "http://127.0.0.1:9",
    log: quietLog,
    request: { fetch },
  };
  if (client === "app") return withRetries(new (appOctokit({ pace: false }))(options));
  return withRetries(new ProbotOctokit({ ...options, throttle: { enabled: false }, retry: { enabled: false } }));
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
    const post =
      (o: Octokit): Send =>
      () =>
        o.request(`POST ${path}/reviews`, { event: "COMMENT" });
    const query =
      (o: Octokit): Send =>
      () =>
        o.graphql(
          'query Pull($n: Int!) { repository(owner: "acme", name: "shop") { pullRequest(number: $n) { id } } }',
          {
            n: 1,
          },
        );
    // A write gap of 0: the pacer's queue and promise per write, without the second a real gap adds.
    const noGap = () => new WritePacer({ slots: new LocalSlots(realClock, 0) });
    const variants: [string, Send][] = [
      [
        "Probot's Octokit + withRetries, fetch, json-with-bigint, throttle off (before)",
        viaOctokit(octokit(base, "platform fetch"), path),
      ],
      [
        "Probot's Octokit + withRetries, fetch, json-with-bigint, throttle on (before)",
        viaOctokit(octokit(base, "platform fetch", { throttle: true }), path),
      ],
      [
        "Probot's Octokit (no retry plugin) + withRetries, lean client, Probot's throttle on (before the pacer)",
        viaOctokit(octokit(base, "lean, Probot's throttle", { throttle: true }), path),
      ],
      ["app's Octokit + withRetries, lean client, pacing off", viaOctokit(octokit(base, "app"), path)],
      [
        "app's Octokit + withRetries, lean client, own write pacer on (now)",
        viaOctokit(octokit(base, "app", { pacer: new WritePacer() }), path),
      ],
      ["  GraphQL query, pacing off", query(octokit(base, "app"))],
      [
        "  GraphQL query, own write pacer on (not paced: classified)",
        query(octokit(base, "app", { pacer: new WritePacer() })),
      ],
      ["  POST, pacing off", post(octokit(base, "app"))],
      ["  POST, own write pacer on with a 0 s gap (queued, serial)", post(octokit(base, "app", { pacer: noGap() }))],
      ["fetch + res.json() (no Octokit)", async (): Promise<unknown> => (await fetch(base + path)).json()],
      ["lean client + JSON.parse (no Octokit)", async () => (await leanFetch(base + path)).body],
      [
        "Octokit's pipeline alone (no HTTP): Probot's class, retry and throttle off",
        viaOctokit(inProcess("probot"), path),
      ],
      ["Octokit's pipeline alone (no HTTP): the app's class", viaOctokit(inProcess("app"), path)],
    ];
    console.log(
      `client CPU per request: ${n} requests per client to ${path} (${concurrency} at a time), Node ${process.version}`,
    );
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
