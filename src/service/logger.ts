import { AsyncLocalStorage } from "node:async_hooks";
import { pino, type Logger } from "pino";
import pretty from "pino-pretty";

/**
 * The process's logger. Every line written while a delivery (or a queued job) is handled carries that
 * delivery's id, event, installation and — once known — repository and pull request, without the
 * router passing them around: they live in an AsyncLocalStorage that the server and the worker set.
 */
export interface LogContext {
  delivery?: string;
  event?: string;
  installation?: number;
  repository?: string;
  pr?: number;
}

const context = new AsyncLocalStorage<LogContext>();

/** The fields of the delivery (or job) being handled here, if any. */
export function currentLogContext(): LogContext | undefined {
  return context.getStore();
}

/** Runs `fn` with `fields` added to every log line written inside it (also after awaits). */
export function withLogContext<T>(fields: LogContext, fn: () => T): T {
  return context.run({ ...context.getStore(), ...fields }, fn);
}

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = "json" | "pretty";

/**
 * JSON when the output is collected (not a terminal, or NODE_ENV=production), readable lines in a
 * terminal; LOG_FORMAT overrides either way.
 */
export function logFormatFrom(env: NodeJS.ProcessEnv, isTty: boolean): LogFormat {
  const given: string | undefined = env.LOG_FORMAT;
  if (given !== undefined && given !== "") {
    if (given !== "json" && given !== "pretty") throw new Error(`LOG_FORMAT is "${given}": use json or pretty`);
    return given;
  }
  return env.NODE_ENV === "production" || !isTty ? "json" : "pretty";
}

export function logLevelFrom(env: NodeJS.ProcessEnv): LogLevel {
  const given: string | undefined = env.LOG_LEVEL;
  if (given === undefined || given === "") return "info";
  if (!(LOG_LEVELS as readonly string[]).includes(given))
    throw new Error(`LOG_LEVEL is "${given}": use one of ${LOG_LEVELS.join(", ")}`);
  return given as LogLevel;
}

export function createLogger(opts: { level: LogLevel; format: LogFormat; name?: string }): Logger {
  const options = {
    level: opts.level,
    name: opts.name ?? "parallel-review",
    mixin: () => ({ ...context.getStore() }),
  };
  if (opts.format === "json") return pino(options, pino.destination({ fd: 1, sync: true }));
  return pino(options, pretty({ sync: true, ignore: "pid,hostname", translateTime: "SYS:HH:MM:ss.l" }));
}
