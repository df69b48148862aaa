import type { Clock } from "../../src/github/pacer.js";

/**
 * A clock that moves only when a test says so: `sleep`s resolve in time order as `advance` passes
 * them, and everything they set off runs before the clock moves on. Timing is asserted exactly,
 * without real waits.
 */
export class FakeClock implements Clock {
  private t = 0;
  private timers: { at: number; wake: () => void }[] = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => this.timers.push({ at: this.t + Math.max(0, ms), wake }));
  }

  /** Moves the clock `ms` forward, waking each sleeper at its time. */
  async advance(ms: number): Promise<void> {
    const until = this.t + ms;
    await settle();
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > until) break;
      this.timers.shift();
      this.t = next.at;
      next.wake();
      await settle();
    }
    this.t = until;
    await settle();
  }
}

/** Lets every pending promise reaction (and what it starts, on loopback sockets too) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
