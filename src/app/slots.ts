/**
 * Slots: at most `limit` jobs at once, and at most `perKey` of them for one key (an installation); the rest
 * wait, and a free slot goes to the waiting key holding the fewest (`next`), each key's in arrival order.
 * Two users:
 *
 * The reconcile slots (src/app/router.ts): reconciles read, decide and write their checks in a slot. A pull
 * request's deliveries that arrive while its reconcile waits share that reconcile (src/app/batch.ts): with
 * few slots, a busy installation's burst costs fewer reconciles, fewer requests and less CPU, and other
 * installations keep slots of their own (docs/performance.md, "Reconcile slots"). A reconcile gives its slot
 * back while it only waits on courtesy writes (answers to refused commands, review requests:
 * src/app/reconcile.ts `apply`), which GitHub's write pacing may keep waiting for seconds, and takes one
 * again before it reads for another round: a stranger's refused commands on many pull requests cannot hold
 * every slot while their answers wait their turn.
 *
 * Admission (src/server.ts): deliveries parsed and handled at once; a delivery waiting for its reconcile
 * slot holds its admission slot, so one installation may hold all but a reserve of them.
 *
 * Slots decide only when work runs, never what it decides.
 */

/**
 * Reconciles of one installation at once (default), and the admission slots kept back for the others: in the
 * burst of 800 deliveries, 16 rather than 128 batched each pull request's deliveries into 2.06 reconciles
 * instead of 2.79 and 7.4 requests instead of 8.9, and the gates opened sooner (docs/performance.md,
 * "Reconcile slots"; the CPU per event moved less than the machine's noise). One installation's writes are
 * paced a second apart anyway: more of its reconciles at once only wait longer in the pacer.
 */
export const RECONCILES_PER_INSTALLATION = 16;

/** A job's claim on a slot (a reconcile's, in the router). */
export interface Slot {
  /** Waits for a slot, unless this claim holds one. */
  acquire(): Promise<void>;
  /** Gives the slot back, if this claim holds one: what follows waits for nobody's turn. */
  release(): void;
}

/** A claim that always holds: reconciles run outside a router (tests, merge queues, library users). */
export const ALWAYS_HELD: Slot = { acquire: () => Promise.resolve(), release: () => undefined };

interface Waiter {
  readonly key: string;
  readonly since: number;
  /** Arrival order, for ties. */
  readonly order: number;
  readonly grant: () => void;
}

export class KeyedSlots {
  private active = 0;
  private readonly perKeyActive = new Map<string, number>();
  /** Claims asking again (see `take`), in arrival order. */
  private readonly again: Waiter[] = [];
  /** Claims that never had a slot, by key, each key's in arrival order. */
  private readonly fresh = new Map<string, Waiter[]>();
  private queued = 0;
  private arrivals = 0;

  constructor(
    private readonly limit: number,
    private readonly perKey: number = limit,
  ) {
    if (!(limit >= 1) || !(perKey >= 1)) throw new Error("slots need limits of at least 1");
  }

  /**
   * Runs `job` holding a slot of `key`. The job may give the slot back and ask again: a claim that held a
   * slot before goes ahead of every claim that never had one (see `take`). Whatever the job released is not
   * given back twice; a slot asked for and not awaited by a job that has ended is given back once granted.
   */
  async run<T>(key: string, job: (slot: Slot) => Promise<T>): Promise<T> {
    let held = false;
    let hadOne = false;
    let ended = false;
    let taking: Promise<void> | undefined;
    const slot: Slot = {
      acquire: () => {
        if (ended) return Promise.reject(new Error("a slot was asked for after its job ended"));
        if (held) return Promise.resolve();
        // Asks that overlap share one wait: a claim never holds two slots.
        taking ??= this.take(key, hadOne).then(() => {
          taking = undefined;
          hadOne = true;
          if (ended) this.give(key);
          else held = true;
        });
        return taking;
      },
      release: () => {
        if (!held) return;
        held = false;
        this.give(key);
      },
    };
    await slot.acquire();
    try {
      return await job(slot);
    } finally {
      ended = true;
      slot.release();
    }
  }

  /** Slots held and claims waiting now; how long the longest waiter has waited (metrics). */
  stats(now = Date.now()): { running: number; waiting: number; oldestWaitMs: number } {
    let oldest = this.again[0]?.since ?? Infinity;
    for (const q of this.fresh.values()) oldest = Math.min(oldest, q[0]!.since); // a key's first is its oldest
    return { running: this.active, waiting: this.queued, oldestWaitMs: this.queued > 0 ? now - oldest : 0 };
  }

  /** Slots held now, every key together. */
  get running(): number {
    return this.active;
  }

  /** Claims waiting for a slot. */
  get waiting(): number {
    return this.queued;
  }

  /** Keys holding a slot now: none once their jobs are done (nothing kept per installation seen). */
  get busyKeys(): number {
    return this.perKeyActive.size;
  }

  /** Slots of `key` held now. */
  runningOf(key: string): number {
    return this.perKeyActive.get(key) ?? 0;
  }

  /**
   * A slot now if one is free for the key, else in the queue. Every waiter that fits is granted as soon
   * as a slot is given back (`give`), so a waiter still queued does not fit: a newcomer that fits takes no
   * one's turn, and one of a full key queues behind that key's earlier waiters.
   * A claim asking again (`again`) queues ahead of the claims that never had a slot, behind others asking
   * again: its reconcile is under way and holds its pull request's turn, and its next round may be the
   * one that follows a refused review request. Only a reconcile that gave its slot back for courtesy writes
   * asks again, before each round after the first: twice at most.
   */
  private take(key: string, again: boolean): Promise<void> {
    if (this.fits(key)) {
      this.count(key, 1);
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const w: Waiter = { key, since: Date.now(), order: this.arrivals++, grant: resolve };
      this.queued++;
      if (again) return void this.again.push(w);
      const q = this.fresh.get(key);
      if (q) q.push(w);
      else this.fresh.set(key, [w]);
    });
  }

  private give(key: string): void {
    this.count(key, -1);
    for (let w = this.next(); w; w = this.next()) {
      this.count(w.key, 1); // counted at the grant, before the waiter resumes, so no slot is granted twice
      w.grant();
    }
  }

  /**
   * The waiter a free slot goes to, if one fits: a claim asking again, in arrival order; else the first
   * claim of the key holding the fewest slots (ties: the claim that came first). Fewest first, not first
   * come: two installations flooding the process leave the next free slot to a third, not to their backlog.
   */
  private next(): Waiter | undefined {
    const i = this.again.findIndex((w) => this.fits(w.key));
    if (i >= 0) return this.dequeued(this.again.splice(i, 1)[0]!);
    let best: Waiter[] | undefined;
    for (const [key, q] of this.fresh) {
      if (!this.fits(key)) continue;
      const fewer = best && this.runningOf(key) - this.runningOf(best[0]!.key);
      if (!best || fewer! < 0 || (fewer === 0 && q[0]!.order < best[0]!.order)) best = q;
    }
    if (!best) return undefined;
    const w = best.shift()!;
    if (best.length === 0) this.fresh.delete(w.key);
    return this.dequeued(w);
  }

  private dequeued(w: Waiter): Waiter {
    this.queued--;
    return w;
  }

  private fits(key: string): boolean {
    return this.active < this.limit && this.runningOf(key) < this.perKey;
  }

  private count(key: string, by: 1 | -1): void {
    this.active += by;
    const n = this.runningOf(key) + by;
    if (n > 0) this.perKeyActive.set(key, n);
    else this.perKeyActive.delete(key);
  }
}
