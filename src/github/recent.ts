import type { TeamRef } from "./teams.js";

/**
 * A bounded map whose entries expire: answers GitHub gave recently, kept for a short, stated time.
 * The oldest entry goes first when it is full, so a stranger who causes many look-ups only evicts.
 */
export class Recent<V> {
  private readonly map = new Map<string, { at: number; value: V }>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    private readonly clock: () => number = Date.now,
  ) {}

  get(key: string): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    if (this.clock() - hit.at >= this.ttlMs) {
      this.map.delete(key);
      return undefined;
    }
    return hit.value;
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, { at: this.clock(), value });
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }
}

/**
 * What one app process remembers between reconciles to spare GitHub requests. Every entry can only be
 * stale in a direction that keeps the gate closed or is re-checked before the gate opens: a reconcile
 * that is about to open the gate reads everything afresh, bypassing this cache (src/app/reconcile.ts) but for
 * what can only add a blocker (`sharing`).
 *
 * - `members`: team memberships, active or not. A member removed meanwhile still counts for at most the
 *   TTL in decisions that do not open the gate; someone just added to a team may wait as long for
 *   their approval to count (it fails closed: their next action or the next event after the TTL).
 * - `sharing`: every pull request the process has reconciled on a given head commit in the last minute,
 *   added to GitHub's list of the open pull requests with that head (which can lag behind a pull request
 *   just opened), so a second pull request on it is seen at once; a closed one is forgotten by the
 *   router. An entry can only add a blocker, never remove one, so the pre-pass fresh read uses it too.
 * - `teams`: the teams the personas of a pull request's (and its repository's) last plan name.
 *   No answer: which teams' members the first read of a reconcile that may carry an approval lists in its
 *   query, so that a decision to pass can rest on memberships read by that very reconcile and need no
 *   second read. A wrong or stale choice costs that second read, nothing else.
 *
 * - `groups`: merge group commits whose gate this process closed (src/app/reconcile.ts closeGroup): written
 *   once a minute at most however many events the queued pull request gets. Forgetting one only costs
 *   the write again.
 *
 * Everything else a reconcile needs comes from one GraphQL request (src/github/snapshot.ts), which costs
 * no more for files and commits than without them: there is nothing more worth remembering.
 */
export class ReadCache {
  readonly members: Recent<boolean>;
  readonly sharing: Recent<readonly number[]>;
  readonly teams: Recent<readonly TeamRef[]>;
  readonly groups: Recent<true>;

  constructor(opts: { ttlMs?: number; clock?: () => number } = {}) {
    const ttl = opts.ttlMs ?? 60_000;
    this.members = new Recent(ttl, 20_000, opts.clock);
    this.sharing = new Recent(ttl, 5_000, opts.clock);
    // Names, not answers: kept longer (a table's teams change with the table).
    this.teams = new Recent(10 * ttl, 5_000, opts.clock);
    this.groups = new Recent(ttl, 1_000, opts.clock);
  }
}
