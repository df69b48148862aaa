/** Small measuring helpers for the end-to-end benchmark: percentiles, a memory sampler, request rounds. */
import { performance } from "node:perf_hooks";

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summary(values: readonly number[]): {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
} {
  const n = values.length;
  return {
    n,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    max: n ? Math.max(...values) : NaN,
    mean: n ? values.reduce((a, b) => a + b, 0) / n : NaN,
  };
}

export const MiB = 1024 * 1024;

/** Samples process.memoryUsage() every `everyMs` and keeps the peaks. */
export class MemorySampler {
  peakRss = 0;
  peakHeapUsed = 0;
  peakExternal = 0;
  samples = 0;
  private timer: NodeJS.Timeout | undefined;

  start(everyMs = 20): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
    return this;
  }

  sample(): void {
    const m = process.memoryUsage();
    this.samples++;
    this.peakRss = Math.max(this.peakRss, m.rss);
    this.peakHeapUsed = Math.max(this.peakHeapUsed, m.heapUsed);
    this.peakExternal = Math.max(this.peakExternal, m.external + m.arrayBuffers);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.sample();
  }
}

/**
 * Counts the sequential rounds of API calls in one reconcile: request completions (seen through the
 * app's RequestCounter) that are more than `gapMs` apart start a new round. With a fixed latency per
 * call and one reconcile at a time, calls issued together complete together.
 */
export class RoundCounter {
  private times: number[] = [];

  count(): void {
    this.times.push(performance.now());
  }

  /** Rounds since the last `reset`, then resets. */
  take(gapMs: number): { rounds: number; requests: number } {
    let rounds = 0;
    let last = -Infinity;
    for (const t of this.times) {
      if (t - last > gapMs) rounds++;
      last = t;
    }
    const out = { rounds, requests: this.times.length };
    this.times = [];
    return out;
  }
}

export function fmtMs(ms: number): string {
  return Number.isFinite(ms) ? (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`) : "—";
}
