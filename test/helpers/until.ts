/**
 * Waits until `ok` holds, polling every `everyMs`: tests order concurrent work by what they can observe (a
 * Redis key, a request GitHub received, a count), since a sleep promises no order on a loaded machine (CI runs
 * the whole suite on 2 cores). Past `timeoutMs` it fails with `what()`, saying what never happened.
 */
export async function until(
  ok: () => boolean | Promise<boolean>,
  what: () => string = () => "the awaited state never came",
  { timeoutMs = 10_000, everyMs = 5 }: { timeoutMs?: number; everyMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`${what()} (waited ${timeoutMs} ms)`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
