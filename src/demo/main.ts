/**
 * `npm run demo`: the payments scenario end to end — the local GitHub simulator and the real app over
 * loopback HTTP, no network, no credentials. Exit 0 when the gate passed and the simulator found no
 * schema problem, 1 otherwise.
 */
import { playPaymentsScenario } from "./scenario.js";

const WATCHDOG_MS = 60_000;

async function main(): Promise<number> {
  const tty = process.stdout.isTTY === true;
  const watchdog = setTimeout(() => {
    process.stderr.write(`demo: did not finish within ${WATCHDOG_MS / 1000} s\n`);
    process.exit(1);
  }, WATCHDOG_MS);
  watchdog.unref();
  const result = await playPaymentsScenario({
    write: (s) => void process.stdout.write(s),
    tty,
    columns: process.stdout.columns ?? 100,
  });
  clearTimeout(watchdog);
  return result.ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
