/** A whole number from the environment, or `fallback` when unset; anything else is a clear error. */
export function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} is "${raw}": it must be a whole number`);
  return n;
}
