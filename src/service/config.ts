/** A whole number of at least 1 (how many at once), or the fallback when unset. */
export function countFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const n = intFrom(env, name, fallback);
  if (n < 1) throw new Error(`${name} is "${env[name]}": it must be at least 1 (how many at once)`);
  return n;
}

/** A whole number from the environment, or `fallback` when unset; anything else is a clear error. */
export function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} is "${raw}": it must be a whole number`);
  return n;
}
