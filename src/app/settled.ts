import type { CommentInput } from "../core/actions.js";
import type { CheckRunSpec } from "../core/checks.js";
import type { ExistingRun } from "../github/checks.js";
import type { Snapshot } from "../github/snapshot.js";
import { planWrites } from "./write-plan.js";

/**
 * The round after a gate's pass is written reads everything again, to see what others recorded while this
 * reconcile decided and wrote (src/app/rounds.ts). When that read shows what the written decision's own read
 * showed, but for the app's writes in between, deciding again is deciding on the same facts: a reconcile is
 * idempotent, so it would find its decision written and write nothing. This tells that case apart without a
 * whole assessment — only for a decision whose every answer came with its one read (`readTogether`): one that
 * asked GitHub more, or used a remembered answer, is decided again in full.
 */

/** What a decision to pass read, kept so that the next round can recognise the same state. */
export interface ReadPrint {
  /** The snapshot as one string, without the runs the decision wants on the head and the app's comments. */
  readonly rest: string;
  /** The app's comments as they were. */
  readonly own: readonly OwnComment[];
}

/** One of the app's comments: what counts of it (an edited record is read as no record, src/core/actions.ts). */
interface OwnComment {
  readonly id: string;
  readonly body: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * The print of a read. The snapshot is taken whole but for what the decision writes: the head's runs of the
 * names it wants (compared with what it wanted instead), the app's comments (compared apart). Anything else
 * is in it — the app's other runs on the head (the radar's), its runs on the previous head, a field added to
 * the snapshot later — so a change there is a difference.
 */
export function printOf(
  snap: Snapshot,
  isOwn: (c: CommentInput) => boolean,
  wanted: readonly Pick<CheckRunSpec, "name">[],
): ReadPrint {
  const names = new Set(wanted.map((w) => w.name));
  const rest = JSON.stringify(
    { ...snap, runs: snap.runs.filter((r) => !names.has(r.name)), comments: snap.comments.filter((c) => !isOwn(c)) },
    plain,
  );
  const own = snap.comments
    .filter(isOwn)
    .map((c) => ({ id: String(c.id), body: c.body, createdAt: c.createdAt, updatedAt: c.updatedAt }));
  return { rest, own };
}

/** JSON for what JSON.stringify cannot write itself: ids as big integers, teams' member lists (maps, sets). */
function plain(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Map || value instanceof Set) return [...(value as Iterable<unknown>)]; // a map: its entries
  return value;
}

export interface Settling {
  /** The written decision's read. */
  readonly was: ReadPrint;
  /** What this round read. */
  readonly now: Snapshot;
  readonly isOwn: (c: CommentInput) => boolean;
  /** The bodies of the comments the written decision wrote (its records). */
  readonly wrote: readonly string[];
  /** The runs the written decision wanted, gate first. */
  readonly wanted: readonly CheckRunSpec[];
  /** Gate runs on the previous head that say success, as this round read them. */
  readonly superseded: readonly ExistingRun[];
}

// mutation-range: settled
/**
 * Does this round's read show the written decision's state, changed only by that decision's writes? Then
 * the decision stands as written. Everything others can write (reviews, comments, the pull request, the
 * table, the commits, the team lists) must read exactly as before; the app's earlier comments unchanged;
 * the app's new comments exactly the records written, unedited (another of its writes, or a record that failed, is
 * a difference); the head's runs of the names the decision wants showing exactly what it wanted (any twin
 * too), its other runs as they were.
 */
export function settled(s: Settling): boolean {
  const now = printOf(s.now, s.isOwn, s.wanted);
  if (now.rest !== s.was.rest) return false;
  const byId = new Map(now.own.map((c) => [c.id, c]));
  if (!s.was.own.every((c) => sameComment(byId.get(c.id), c))) return false;
  const before = new Set(s.was.own.map((c) => c.id));
  const added = now.own.filter((c) => !before.has(c.id));
  if (added.some((c) => c.updatedAt !== c.createdAt)) return false; // a record edited since it was written
  if (
    !sameBodies(
      added.map((c) => c.body),
      s.wrote,
    )
  )
    return false;
  const plan = planWrites({
    wanted: s.wanted,
    existing: s.now.runs,
    headSha: s.now.pull.headSha,
    superseded: s.superseded,
  });
  return plan.writes.length === 0;
}

/** The same comment: its body, and not edited since (or edited as before). */
function sameComment(a: OwnComment | undefined, b: OwnComment): boolean {
  return a !== undefined && a.body === b.body && a.createdAt === b.createdAt && a.updatedAt === b.updatedAt;
}

/** The same bodies, each as often. */
function sameBodies(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const x = [...a].sort();
  const y = [...b].sort();
  return x.every((body, i) => body === y[i]);
}
// mutation-range-end
