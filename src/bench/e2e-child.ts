/**
 * The benchmark's child processes (the simulator's side of `bench:e2e` and of its scale-out mode): the
 * parent forks a module with its configuration in the environment and talks to it over IPC, one message
 * answering each request; the child reports a crash as an `error` message before it exits.
 */
import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";

/** What a child answers: a result, or the error that stopped it. */
export type Answer<R> = { type: "result"; result: R } | { type: "error"; message: string };

export interface BenchChild<M> {
  readonly process: ChildProcess;
  /** The child's next message; rejected if it exits first. */
  readonly next: () => Promise<M>;
  readonly stop: () => void;
}

/** Forks `moduleUrl` with `config` (JSON) in the environment variable `configVar`. */
export function forkChild<M>(moduleUrl: string, configVar: string, config: unknown): BenchChild<M> {
  const child = fork(fileURLToPath(moduleUrl), [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, [configVar]: JSON.stringify(config) },
  });
  const next = () =>
    new Promise<M>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the simulator process exited (${code})`));
      child.once("exit", onExit);
      child.once("message", (m) => {
        child.off("exit", onExit);
        resolve(m as M);
      });
    });
  return { process: child, next, stop: () => void child.kill("SIGTERM") };
}

/** The result in a child's answer, or its error thrown here. */
export function resultOf<R>(m: { type: string }): R {
  const a = m as Answer<R>;
  if (a.type === "result") return a.result;
  throw new Error(`simulator process: ${a.type === "error" ? a.message : JSON.stringify(m)}`);
}

export function describeError(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

/**
 * In a child module: when the process was started with it (not when the parent imports it), runs `main`
 * on the configuration; a crash is sent to the parent as an `error` answer.
 */
export function runAsChild<C>(moduleUrl: string, configVar: string, main: (config: C) => Promise<void>): void {
  if (moduleUrl !== pathToFileURL(process.argv[1] ?? "").href) return;
  main(JSON.parse(process.env[configVar] ?? "{}") as C).catch((err: unknown) => {
    process.send?.({ type: "error", message: describeError(err) });
    process.exit(1);
  });
}
