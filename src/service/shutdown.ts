import type { Logger } from "pino";

/**
 * SIGTERM (Kubernetes, Docker, systemd) and SIGINT (Ctrl-C): stop once, within a bound, and exit 0.
 * `stop` is itself bounded (it hands unfinished work back: GitHub marks a cut-off delivery failed and
 * the redelivery sweep sends it again; a queued job returns to the queue); the timer here is the last
 * resort if something in `stop` hangs. A second signal exits at once.
 */
export function stopOnSignals(stop: () => Promise<void>, log: Logger, boundMs: number): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: stopping (at most ${Math.round(boundMs / 1000)} s)`);
    const hard = setTimeout(() => {
      log.error(`still stopping after ${boundMs} ms: exiting`);
      process.exit(1);
    }, boundMs + 5_000);
    stop().then(
      () => {
        clearTimeout(hard);
        log.info("stopped");
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, "error while stopping");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
