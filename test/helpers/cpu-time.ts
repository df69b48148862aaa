/**
 * The CPU time `fn` took in this process, in milliseconds, with its result. Guards against a hang or a
 * quadratic blow-up time the work, not the wall clock: under `npm test` the jest workers share the cores,
 * and a wall-clock limit would measure the wait for a core (a test that flakes, not one that guards).
 */
export function cpuTimed<T>(fn: () => T): { result: T; ms: number } {
  const before = process.cpuUsage();
  const result = fn();
  const used = process.cpuUsage(before);
  return { result, ms: (used.user + used.system) / 1000 };
}
