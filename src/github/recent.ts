import type { ChangedFile } from "../core/types.js";
import type { PullCommit } from "./contributors.js";

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
 * that is about to open the gate reads everything afresh, bypassing this cache (src/app/reconcile.ts).
 *
 * - `members`: team memberships, active or not. A member removed meanwhile still counts for at most the
 *   TTL in decisions that do not open the gate; someone just added to a team may wait as long for
 *   their approval to count (it fails closed: their next action or the next event after the TTL).
 * - `sharing`: the open pull requests with a given head commit, merged with every pull request the
 *   process has since reconciled on that head (so a second pull request on it is seen at once); a
 *   closed one is forgotten by the router. A stale entry can only add a blocker, never remove one,
 *   except for a pull request opened on another replica — which the pre-pass fresh read catches.
 * - `files`: a pull request's changed files for one head and base (lists of at most `MAX_CACHED_FILES`,
 *   so the cache stays small). They can change for one head only when the base branch is rewritten (a
 *   new merge base): caught by the fresh read before a pass.
 * - `commits`: a pull request's commits for one head and base (who contributed: the same argument).
 */
export const MAX_CACHED_FILES = 300;

export class ReadCache {
  readonly members: Recent<boolean>;
  readonly commits: Recent<readonly PullCommit[]>;
  readonly sharing: Recent<readonly number[]>;
  readonly files: Recent<readonly ChangedFile[]>;

  constructor(opts: { ttlMs?: number; clock?: () => number } = {}) {
    const ttl = opts.ttlMs ?? 60_000;
    this.members = new Recent(ttl, 20_000, opts.clock);
    this.sharing = new Recent(ttl, 5_000, opts.clock);
    this.files = new Recent(10 * ttl, 500, opts.clock);
    this.commits = new Recent(10 * ttl, 500, opts.clock);
  }
}
