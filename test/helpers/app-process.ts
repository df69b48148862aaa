import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { fileURLToPath } from "node:url";
import { GitHubSimulator, type SimulatorOptions } from "../../src/simulator/index.js";

/**
 * The real server as `npm start` runs it (`node lib/server.js`, built by `npm test` first), in its own
 * process, against the local GitHub simulator. Its JSON log lines are collected for assertions.
 */
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const APP_ID = 4343;
export const SECRET = "process-webhook-secret";

let keys: { privateKey: string; publicKey: string } | undefined;
export function keyPair(): { privateKey: string; publicKey: string } {
  keys ??= generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return keys;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<GitHubSimulator> {
  const sim = new GitHubSimulator({
    ...opts,
    app: { id: APP_ID, slug: "parallel-review", publicKey: keyPair().publicKey, webhookSecret: SECRET, ...opts.app },
  });
  await sim.start();
  return sim;
}

/** The environment `npm start` reads, pointed at the simulator (as GitHub Enterprise Server). */
export function appEnv(sim: GitHubSimulator, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { LOG_LEVEL: _l, LOG_FORMAT: _f, REDIS_URL: _r, NODE_OPTIONS: _n, ...base } = process.env;
  return {
    ...base,
    APP_ID: String(APP_ID),
    PRIVATE_KEY: keyPair().privateKey,
    WEBHOOK_SECRET: SECRET,
    GHE_HOST: sim.host,
    GHE_PROTOCOL: "http",
    HOST: "127.0.0.1",
    PORT: "0",
    ...extra,
  };
}

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly logs: LogLine[];
  /** Everything written to stdout/stderr that was not a JSON log line. */
  readonly other: string[];
  /** The server's base URL, from its start-up line. */
  readonly url: string;
  waitForLog(test: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `command` and waits for the start-up line ("listening on http://…"). */
export async function spawnServer(
  command: string[],
  env: NodeJS.ProcessEnv,
  opts: { cwd?: string; readyTimeoutMs?: number; ready?: RegExp } = {},
): Promise<RunningProcess> {
  const child = spawn(command[0]!, command.slice(1), { cwd: opts.cwd ?? ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  const logs: LogLine[] = [];
  const other: string[] = [];
  const listeners = new Set<() => void>();
  const onLine = (line: string) => {
    if (!line.trim()) return;
    try {
      const parsed = JSON.parse(line) as LogLine;
      if (typeof parsed === "object" && parsed && "level" in parsed) logs.push(parsed);
      else other.push(line);
    } catch {
      other.push(line);
    }
    for (const l of [...listeners]) l();
  };
  for (const stream of [child.stdout, child.stderr]) {
    let buffered = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      lines.forEach(onLine);
    });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      resolve({ code, signal });
      for (const l of [...listeners]) l();
    }),
  );
  const waitForLog = (test: (l: LogLine) => boolean, timeoutMs = 15_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const found = logs.find(test);
        if (found) {
          done();
          resolve(found);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(new Error(`process exited (${child.exitCode ?? child.signalCode}); output:\n${dump()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching log line within ${timeoutMs} ms; output:\n${dump()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  const dump = () => [...logs.map((l) => JSON.stringify(l)), ...other].join("\n");
  const ready = opts.ready ?? /listening on (http:\/\/\S+?:\d+)/;
  const line = await waitForLog((l) => ready.test(l.msg), opts.readyTimeoutMs ?? 20_000);
  const url = ready.exec(line.msg)?.[1] ?? "";
  return { child, logs, other, url: new URL(url).origin, waitForLog, exited };
}
