import { pino, type Logger } from "pino";

declare global {
  /** This test's app log lines, set by log-environment.cjs at each test's start. */
  var __appLogs: string[] | undefined;
}

/**
 * A logger for an app under test: its lines are kept for the running test and printed only if it fails
 * (log-environment.cjs), or printed at once with TEST_LOGS=1.
 */
export function testLog(level: pino.LevelWithSilent = "warn"): Logger {
  if (process.env.TEST_LOGS) return pino({ level }, process.stderr);
  return pino({ level }, { write: (line: string) => void (globalThis.__appLogs ??= []).push(line) });
}
