import type { CommentInput } from "../core/actions.js";
import { MAX_RECORDS_PER_RECONCILE } from "./standing.js";
import type { ButtonClick } from "./records.js";
import type { Hints, Outcome } from "./reconcile.js";

/**
 * The facts of deliveries for one pull request that wait for its next reconcile, gathered into one
 * batch: three approvals arriving together (a review, a comment, a click) need one reconcile after the
 * running one, not three in series, so long as each delivery's own facts reach it.
 *
 * A batch carries at most one click (a reconcile records one click), at most one body per review and
 * per comment (a second body of the same review or comment, an edit's, narrows what the first said: it
 * gets a reconcile of its own rather than be merged away), and at most as many comment bodies as one
 * reconcile records. A delivery whose facts cannot join the open batch is reconciled on its own, as before.
 * A push (`synchronize`) is never batched: its pusher and previous head are the push's alone.
 *
 * The batch is closed (`take`) immediately before the reconcile that consumes it starts reading, so that
 * reconcile reads GitHub after every delivery in it arrived. Every delivery in a batch gets that
 * reconcile's outcome or error (`done`).
 */
export interface Batch {
  click?: ButtonClick;
  readonly reviewBodies: Map<number, string | null>;
  readonly commentBodies: Map<number, CommentInput>;
  /** Closed: a reconcile took it (or is about to), nothing joins any more. */
  taken: boolean;
  /** The outcome of the reconcile that took this batch. */
  readonly done: Promise<Outcome | undefined>;
  /** Settles `done` with the reconcile's result (called once, by whoever took the batch). */
  readonly settle: (result: Promise<Outcome | undefined>) => void;
}

/** Facts a delivery brings besides "look again": what a batch may carry. */
export interface Facts {
  readonly click?: ButtonClick;
  readonly hints?: Hints;
}

export class PendingFacts {
  private readonly open = new Map<string, Batch>();

  /**
   * Adds a delivery's facts to the key's open batch (opened if there is none) and returns that batch, or
   * undefined when they cannot share it (a second click, another body of the same review or comment, a
   * push): the caller reconciles them on their own.
   */
  join(key: string, facts: Facts): Batch | undefined {
    const { click, hints = {} } = facts;
    if (hints.push || hints.previousHead !== undefined) return undefined;
    const batch = this.open.get(key) ?? newBatch();
    if (click && batch.click) return undefined;
    if (collides(batch.reviewBodies, hints.reviewBodies) || collides(batch.commentBodies, hints.commentBodies))
      return undefined;
    // At most as many comment bodies as one reconcile records: a body whose words GitHub no longer shows is
    // recorded by the reconcile that carries it, or not at all (src/app/standing.ts lostWords).
    const added = [...(hints.commentBodies?.keys() ?? [])].filter((id) => !batch.commentBodies.has(id));
    if (batch.commentBodies.size + added.length > MAX_RECORDS_PER_RECONCILE) return undefined;
    if (click) batch.click = click;
    for (const [id, body] of hints.reviewBodies ?? []) batch.reviewBodies.set(id, body);
    for (const [id, c] of hints.commentBodies ?? []) batch.commentBodies.set(id, c);
    this.open.set(key, batch);
    return batch;
  }

  /** Closes and returns the key's open batch, if any: a reconcile is about to read for it. */
  take(key: string): Batch | undefined {
    const batch = this.open.get(key);
    if (!batch) return undefined;
    this.open.delete(key);
    batch.taken = true;
    return batch;
  }

  /** Takes this very batch if no reconcile took it yet (its runner skipped the job: src/service/redis-keyed.ts). */
  claim(key: string, batch: Batch): boolean {
    if (batch.taken) return false;
    if (this.open.get(key) === batch) this.open.delete(key);
    batch.taken = true;
    return true;
  }

  /** Keys with an open batch (tests). */
  get size(): number {
    return this.open.size;
  }
}

/** The hints a batch gives its reconcile. */
export function hintsOf(batch: Batch): Hints {
  return {
    ...(batch.reviewBodies.size > 0 ? { reviewBodies: batch.reviewBodies } : {}),
    ...(batch.commentBodies.size > 0 ? { commentBodies: batch.commentBodies } : {}),
  };
}

/** Does the batch carry anything but "look again"? */
export function carriesFacts(batch: Batch): boolean {
  return batch.click !== undefined || batch.reviewBodies.size > 0 || batch.commentBodies.size > 0;
}

function newBatch(): Batch {
  let settle!: Batch["settle"];
  const done = new Promise<Outcome | undefined>((resolve, reject) => {
    settle = (result) => void result.then(resolve, reject);
  });
  // Every delivery of the batch awaits `done`; this keeps a batch whose deliveries all left from
  // becoming an unhandled rejection.
  done.catch(() => undefined);
  return { reviewBodies: new Map(), commentBodies: new Map(), taken: false, done, settle };
}

/** A second entry for the same id with other content: the two must not be merged into one map. */
function collides<V>(have: ReadonlyMap<number, V>, adding: ReadonlyMap<number, V> | undefined): boolean {
  for (const [id, v] of adding ?? [])
    if (have.has(id) && JSON.stringify(have.get(id)) !== JSON.stringify(v)) return true;
  return false;
}
