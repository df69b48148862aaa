import v8 from "node:v8";
import { intFrom } from "./config.js";

/**
 * How far V8 lets the old generation grow past what survived its last full collection before it collects
 * again. V8's own choice for a server is 3 to 4 times: in a burst of 800 deliveries the app's live heap is
 * about 30 MiB (what the 128 deliveries in flight hold) and V8 let it grow to 100–110 MiB of mostly dead
 * objects, the largest part of the process's peak. At 40 % the burst peaks at about 155 MiB instead of
 * 215–225 MiB, at the same CPU per event within the noise of the measurement (docs/performance.md,
 * "Memory"): the full collections it adds are of a small live heap.
 *
 * HEAP_GROWING_PERCENT sets it (0: V8's own heuristics); a `--heap-growing-percent` on Node's command line
 * wins (Node does not accept the flag in NODE_OPTIONS). Set at start-up through `v8.setFlagsFromString`:
 * V8 reads the flag each time it sets the next limit (test/service/heap.test.ts shows it takes effect).
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 40;

/**
 * The young generation: V8 fixes its size when the process starts, so this one is a Node flag, given by
 * `npm start`, `npm run worker` and the Docker image (NODE_OPTIONS; it is allowed there). 4 MiB per
 * semi-space instead of V8's 16: the burst of 800 peaks at 115–125 MiB, where at 16 it peaks at 140–148 (over
 * the memory target) but takes 15–20 % less CPU per event (docs/performance.md, "Thirteenth session";
 * deploy.md says when to choose 16); the benchmark's app process starts with it.
 */
export const YOUNG_GENERATION_FLAG = "--max-semi-space-size=4";

export function tuneHeap(env: NodeJS.ProcessEnv, execArgv: readonly string[] = process.execArgv): number | undefined {
  const percent = intFrom(env, "HEAP_GROWING_PERCENT", DEFAULT_HEAP_GROWING_PERCENT);
  if (execArgv.some((a) => /^--heap[-_]growing[-_]percent\b/.test(a))) return undefined;
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}
