/**
 * The reconcile slots of one process: at most `limit` reconciles read, decide and write their checks at
 * once, and at most `perKey` of them for one key (an installation). The rest wait in arrival order, and a
 * pull request's deliveries that arrive while its reconcile waits share that reconcile (src/app/batch.ts):
 * with few slots, a busy installation's burst costs fewer reconciles, fewer requests and less CPU, and other
 * installations keep slots of their own (docs/performance.md, "Reconcile slots").
 *
 * A reconcile gives its slot back while it only waits on courtesy writes (answers to refused commands,
 * review requests: src/app/reconcile.ts `apply`), which GitHub's write pacing may keep waiting for seconds;
 * it takes a slot again before it reads for another round. So a stranger's refused commands on many pull
 * requests cannot hold every slot while their answers wait their turn, and delay the reconcile that closes
 * a gate. Slots decide only when work runs, never what it decides.
 */

/**
 * Reconciles of one installation at once (default): measured in the burst of 800 deliveries, 16 rather than
 * 128 batched each pull request's deliveries into 2.1 reconciles instead of 2.9, 7.5 requests instead of 9.2
 * and 11 % less CPU per event, and the gates closed sooner (docs/performance.md). One installation's writes
 * are paced a second apart anyway: more of its reconciles at once only wait longer in the pacer.
 */
export const RECONCILES_PER_INSTALLATION = 16;

/** A reconcile's claim on a slot. */
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
  /** Held a slot before and gave it back (see `take`). */
  readonly again: boolean;
  readonly since: number;
  readonly grant: () => void;
}

export class ReconcileSlots {
  private active = 0;
  private readonly perKeyActive = new Map<string, number>();
  private readonly queue: Waiter[] = [];

  constructor(
    private readonly limit: number,
    private readonly perKey: number = limit,
  ) {
    if (!(limit >= 1) || !(perKey >= 1)) throw new Error("reconcile slots need limits of at least 1");
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
        if (ended) return Promise.reject(new Error("a reconcile slot was asked for after its reconcile ended"));
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
    const oldest = Math.min(...this.queue.map((w) => w.since));
    return { running: this.active, waiting: this.queue.length, oldestWaitMs: this.queue.length ? now - oldest : 0 };
  }

  /** Slots held now, every key together. */
  get running(): number {
    return this.active;
  }

  /** Claims waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Keys holding a slot now: none once their reconciles are done (nothing kept per installation seen). */
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
      const w: Waiter = { key, again, since: Date.now(), grant: resolve };
      const firstNew = again ? this.queue.findIndex((q) => !q.again) : -1;
      if (firstNew >= 0) this.queue.splice(firstNew, 0, w);
      else this.queue.push(w);
    });
  }

  private give(key: string): void {
    this.count(key, -1);
    // In arrival order, every waiter that fits now: a full key's waiters are passed over, not in the way.
    // (The loop's `active < limit` only ends the scan early: `fits` says the same of each waiter.)
    for (let i = 0; i < this.queue.length && this.active < this.limit;) {
      const w = this.queue[i]!;
      if (!this.fits(w.key)) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      this.count(w.key, 1); // counted at the grant, before the waiter resumes, so no slot is granted twice
      w.grant();
    }
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
