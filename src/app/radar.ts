import { conflictsCheck, profile, radarOf, type Radar } from "../core/conflicts.js";
import { sameRun, writeRuns, type RunWrite } from "../github/checks.js";
import type { CheckRunSpec } from "../core/checks.js";
import type { RepoRef } from "../github/client.js";
import { FileCache, fileKey, filesOf, openPulls, pathsOf, type OpenPull } from "../github/radar.js";
import { readConflictRuns } from "../github/radar-runs.js";
import { readTable } from "../github/table.js";
import type { Deps, Seen } from "./reconcile.js";
import { KeyedSerializer } from "./serialize.js";

/** What an event tells the radar about the pull request that changed. */
export interface RadarEvent {
  readonly number: number;
  readonly base: string;
  readonly headSha: string;
  readonly title: string;
  readonly createdAt: string;
  /** The head before a push: the radar of pull requests that overlapped the old files is refreshed too. */
  readonly previousHead?: string;
  /** Closed or merged: it leaves every radar that named it. */
  readonly closed?: boolean;
  /** What the reconcile of this event read at this head and base: not read again. */
  readonly seen?: Seen;
}

export interface RadarOptions {
  /** Open pull requests into one base the radar compares, most recently updated first (≤ 100). */
  readonly maxPulls?: number;
  /** Other pull requests whose radar one event may rewrite. */
  readonly maxUpdates?: number;
}

export interface RadarOutcome {
  /** Pull requests whose conflicts check was written (created or updated) by the refresh. */
  readonly written: number[];
  /** Pull requests the changed one overlaps now. */
  readonly overlaps: number[];
}

/** Changed pull requests one refresh takes at most; more wait for the next (src/app/radar.ts RadarHook). */
const MAX_BATCH = 32;

/** A head whose files before a push or a close decide which radars named the pull request. */
interface Before {
  readonly pull: Omit<OpenPull, "files">;
  /** Closed: GitHub still lists the files of its head. A push's old head is known from the cache or not at all. */
  readonly fetch: boolean;
}

/**
 * The conflict radar, run by the router after the reconcile of a pull request whose files or state
 * changed (opened, pushed, base changed, closed). It writes the `parallel-review/conflicts` check of
 * that pull request, and of the others whose radar names it now or named it before (bounded).
 * File lists are cached by head commit, and those not seen yet are read together, so an event costs
 * a handful of requests (docs/performance.md). Events waiting for a repository's running refresh are
 * refreshed together (`refreshAll`): one open list, one read of the runs and one write for all of them.
 */
export class ConflictRadar {
  private readonly files = new FileCache();
  private readonly maxPulls: number;
  private readonly maxUpdates: number;
  /**
   * Changed pull requests one refresh takes: as many as the open list's one page can hold beside the
   * compared ones and the one more that tells whether some were left out.
   */
  readonly maxBatch: number;

  constructor(opts: RadarOptions = {}) {
    this.maxPulls = Math.min(100, opts.maxPulls ?? 50);
    this.maxUpdates = opts.maxUpdates ?? 10;
    this.maxBatch = Math.max(1, Math.min(MAX_BATCH, 99 - this.maxPulls));
  }

  async refresh(d: Deps, repo: RepoRef, ev: RadarEvent): Promise<RadarOutcome> {
    return (await this.refreshAll(d, repo, [ev])).get(ev.number)!;
  }

  /**
   * One refresh for events on one base, in the order they happened (at most `maxBatch` pull requests):
   * what refreshing after each in turn would leave, for the cost of one. Each pull request's newest event
   * says what it is now; its earlier heads, and the heads before a push or a close, say which radars
   * named it before. The outcome of each pull request that changed, by number.
   */
  async refreshAll(d: Deps, repo: RepoRef, evs: readonly RadarEvent[]): Promise<Map<number, RadarOutcome>> {
    const changed = new Map<number, RadarEvent>();
    for (const ev of evs) changed.set(ev.number, ev); // the newest event of each pull request
    const base = evs[0]!.base;
    if (changed.size > this.maxBatch || evs.some((ev) => ev.base !== base))
      throw new Error(`a radar refresh takes at most ${this.maxBatch} pull requests, on one base`);
    const outcomes = (written: number[], overlaps: ReadonlyMap<number, number[]>) =>
      new Map([...changed.keys()].map((n) => [n, { written, overlaps: overlaps.get(n) ?? [] }]));
    // The newest table read by a reconcile at its event's head and base, or read now.
    const seen = [...evs].reverse().find((ev) => ev.seen)?.seen;
    const load = seen?.table ?? (await readTable(d.octokit, repo, base));
    const table = load.kind === "loaded" ? load.result.table : undefined;
    if (!table || table.settings.conflicts === "off") return outcomes([], new Map());

    // One more than the cap besides the changed pull requests: enough to tell whether some were left out.
    const perPage = Math.min(100, this.maxPulls + 1 + this.maxBatch);
    const listed = (await openPulls(d.octokit, repo, base, perPage)).filter((p) => !changed.has(p.number));
    const cappedAt = listed.length > this.maxPulls ? this.maxPulls : undefined;
    const capped = listed.slice(0, this.maxPulls);
    // The changed pull requests themselves are always compared (the list may lag a moment behind the event).
    const selves = [...changed.values()]
      .filter((ev) => !ev.closed)
      .map((ev) => ({ number: ev.number, title: ev.title, createdAt: ev.createdAt, headSha: ev.headSha }));
    for (const ev of evs)
      if (ev.seen?.files) this.files.set(fileKey(repo, ev.number, ev.headSha), pathsOf(ev.seen.files));
    const open = await filesOf(d.octokit, repo, [...selves, ...capped], this.files);
    const profiles = open.map((p) => profile(table, p));
    const mine = profiles.slice(0, selves.length); // filesOf keeps the order, and every pull it may fetch
    // Each pull request's radar is made once: a changed one's says whom it names now and is its check's text.
    const byNumber = new Map(profiles.map((p) => [p.pull.number, p]));
    const radars = new Map<number, Radar>();
    const radarFor = (n: number) => {
      let r = radars.get(n);
      if (!r) radars.set(n, (r = radarOf(table, byNumber.get(n)!, profiles, cappedAt)));
      return r;
    };

    // Who names a changed pull request: overlaps of its files now, and of its files before (an earlier head,
    // the head before a push, the head it closed at): those radars must drop or change their entry for it.
    const names = new Set<number>();
    const overlapsOf = (r: Radar) => r.overlaps.map((o) => o.number);
    const now = new Map(mine.map((me) => [me.pull.number, overlapsOf(radarFor(me.pull.number))]));
    for (const numbers of now.values()) numbers.forEach((n) => names.add(n));
    for (const old of await this.before(d, repo, evs, changed))
      overlapsOf(radarOf(table, profile(table, old), profiles)).forEach((n) => names.add(n));
    for (const n of changed.keys()) names.delete(n);

    const most = this.maxUpdates * changed.size;
    const targets = [...open.slice(0, mine.length), ...open.filter((p) => names.has(p.number)).slice(0, most)];
    if (names.size > most)
      d.log.warn(
        { repo, pr: [...changed.keys()].join(","), max: most },
        "conflict radar: refreshed only the first pull requests it names",
      );
    const block = table.settings.conflicts === "block";
    // Every target is one of `profiles` (numbers are distinct there): compared with all the others.
    const specs = targets.map((t) => ({
      pull: t,
      spec: conflictsCheck(radarFor(t.number), { base, compared: profiles.length - 1, block }),
    }));
    return outcomes(await this.write(d, repo, specs), now); // a closed one overlaps nothing
  }

  /** The files of the heads the changed pull requests had before (each once; none that is a head now). */
  private async before(
    d: Deps,
    repo: RepoRef,
    evs: readonly RadarEvent[],
    changed: ReadonlyMap<number, RadarEvent>,
  ): Promise<OpenPull[]> {
    const heads = new Map<string, Before>();
    const add = (ev: RadarEvent, headSha: string, fetch: boolean) => {
      const now = changed.get(ev.number)!;
      if (!now.closed && now.headSha === headSha) return; // compared as it is now
      const key = `${ev.number}@${headSha}`;
      const known = heads.get(key);
      heads.set(key, {
        pull: { number: ev.number, title: ev.title, createdAt: ev.createdAt, headSha },
        fetch: fetch || known?.fetch === true,
      });
    };
    for (const ev of evs) {
      const now = changed.get(ev.number)!;
      // GitHub lists a pull request's files at its current head only: fetched for a close that is the newest
      // event at that head, from the cache otherwise (an earlier head, a push's old head, a close reopened since).
      add(ev, ev.headSha, ev.closed === true && now.closed === true && now.headSha === ev.headSha);
      if (ev.previousHead) add(ev, ev.previousHead, false);
    }
    // The heads to fetch (one per closed pull request) in one query; from the cache, the others. If the
    // batch fails, each alone, so that one unreadable head (a 404, a 5xx after retries) leaves only itself
    // unknown and the rest refreshed.
    const one = async (b: Before) => {
      try {
        return (await filesOf(d.octokit, repo, [b.pull], this.files, b.fetch))[0];
      } catch (err) {
        d.log.warn({ err, pr: b.pull.number }, "conflict radar: the files of an earlier head could not be read");
        return undefined;
      }
    };
    const batch = async (list: readonly Before[], fetch: boolean): Promise<(OpenPull | undefined)[]> => {
      if (list.length <= 1) return Promise.all(list.map(one));
      const pulls = list.map((b) => b.pull);
      return filesOf(d.octokit, repo, pulls, this.files, fetch).catch(() => Promise.all(list.map(one)));
    };
    const all = [...heads.values()];
    const fetched = all.filter((b) => b.fetch);
    const cached = all.filter((b) => !b.fetch);
    const olds = (await Promise.all([batch(fetched, true), batch(cached, false)])).flat();
    return olds.filter((p): p is OpenPull => p !== undefined);
  }

  /**
   * Writes the conflicts check of each pull request whose radar differs from its run on GitHub: the app's own
   * runs of the check on every head in one GraphQL query, then every create and update in one GraphQL
   * mutation. Returns the pull requests whose check was written. What this process wrote before is no
   * guide: another replica's radar, or a reconcile retiring the app's runs, may have rewritten the check.
   */
  private async write(d: Deps, repo: RepoRef, due: readonly { pull: OpenPull; spec: CheckRunSpec }[]) {
    if (due.length === 0) return [];
    // The app's own runs only: a run of another app is never overwritten with the radar. Listed now, just
    // before the writes, not taken from the reconcile's earlier read: another pull request's radar may have
    // rewritten this check since (test/security/read-path-attacks.test.ts).
    const { repositoryId, runs } = await readConflictRuns(
      d.octokit,
      repo,
      d.appId,
      due.map((s) => s.pull.headSha) as [string, ...string[]], // not empty: returned above
    );
    const writes: RunWrite[] = [];
    const written: number[] = [];
    for (const [i, { pull, spec }] of due.entries()) {
      // Pull requests sharing a head share its check: the last one's radar is what GitHub shows, as when
      // they were written one after another.
      if (due.slice(i + 1).some((s) => s.pull.headSha === pull.headSha)) continue;
      const existing = runs.get(pull.headSha) ?? [];
      // Nothing to say and nothing said before: no check at all, so pull requests without overlap stay quiet.
      if (existing.length === 0 && spec.conclusion === "success") continue;
      // Every run of the name says the same, as for the gate: twins (two replicas that both found none)
      // must not leave an older one saying something else ("Several runs of one name", docs/security.md).
      const stale = existing.filter((run) => !sameRun(run, spec));
      if (existing.length > 0 && stale.length === 0) continue;
      if (existing.length === 0) writes.push({ create: spec, sha: pull.headSha });
      else writes.push(...stale.map((run) => ({ update: spec, run })));
      written.push(pull.number);
    }
    // A run that vanished meanwhile (NOT_FOUND) is skipped, as a REST 404 was: the next change recreates it.
    if (writes.length > 0) await writeRuns(d.octokit, repositoryId, writes, () => d.now?.() ?? new Date());
    return written;
  }
}

/** The payload fields of a pull_request event the radar reads. */
export interface PullEventPayload {
  readonly repository: { readonly name: string; readonly owner: { readonly login: string } };
  readonly pull_request: {
    readonly number: number;
    readonly title: string;
    readonly created_at: string;
    readonly state: string;
    readonly base: { readonly ref: string };
    readonly head: { readonly sha: string };
  };
}

/**
 * The router's hook: refresh the radar after a pull request's reconcile, one refresh per repository at a
 * time. Events that arrive while a refresh of their repository runs wait together and share the next
 * refresh of their base (`ConflictRadar.refreshAll`): a burst of pull requests costs a refresh per batch,
 * not per event, and nobody waits behind a queue of refreshes. Advisory: a failure is logged and leaves the
 * previous radar check as it was; it never fails the event (the gate has already been written).
 */
export class RadarHook {
  private readonly serializer = new KeyedSerializer();
  /** The refresh not started yet of each repository and base, which later events join. */
  private readonly waiting = new Map<string, RadarBatch>();
  constructor(readonly radar = new ConflictRadar()) {}

  async after(
    d: Deps,
    payload: PullEventPayload,
    previousHead?: string,
    seen?: Seen,
  ): Promise<RadarOutcome | undefined> {
    const repo = { owner: payload.repository.owner.login, repo: payload.repository.name };
    const pr = payload.pull_request;
    const ev: RadarEvent = {
      number: pr.number,
      base: pr.base.ref,
      headSha: pr.head.sha,
      title: pr.title,
      createdAt: pr.created_at,
      ...(previousHead && previousHead !== pr.head.sha ? { previousHead } : {}),
      ...(pr.state === "closed" ? { closed: true } : {}),
      // The reconcile's reads stand in for the radar's only when they were made at the event's head and base.
      ...(seen && seen.headSha === pr.head.sha && seen.baseRef === pr.base.ref ? { seen } : {}),
    };
    try {
      return (await this.join(d, repo, ev)).get(ev.number);
    } catch (err) {
      d.log.warn({ err, pr: `${repo.owner}/${repo.repo}#${pr.number}` }, "conflict radar failed");
      return undefined;
    }
  }

  /** Adds the event to its base's waiting refresh, or queues a new one behind the repository's running one. */
  private join(d: Deps, repo: RepoRef, ev: RadarEvent): Promise<Map<number, RadarOutcome>> {
    const key = `${repo.owner}/${repo.repo}`.toLowerCase();
    const slot = `${key}:${ev.base}`;
    let batch = this.waiting.get(slot);
    if (!batch || !batch.takes(ev, this.radar.maxBatch)) {
      const next = new RadarBatch();
      next.done = this.serializer.run(key, () => {
        if (this.waiting.get(slot) === next) this.waiting.delete(slot); // started: later events wait for the next
        return this.radar.refreshAll(next.deps, repo, next.events);
      });
      this.waiting.set(slot, next);
      batch = next;
    }
    batch.add(d, ev);
    return batch.done;
  }
}

/** Events waiting for one refresh of a repository's base. */
class RadarBatch {
  readonly events: RadarEvent[] = [];
  done!: Promise<Map<number, RadarOutcome>>;
  /** Set by `add`, before the refresh starts. */
  deps!: Deps;
  private readonly numbers = new Set<number>();

  /** Room for the event: its pull request is in the batch already, or one more fits. */
  takes(ev: RadarEvent, max: number): boolean {
    return this.numbers.has(ev.number) || this.numbers.size < max;
  }

  /** The newest event's client and log do the refresh: its installation token is the freshest. */
  add(d: Deps, ev: RadarEvent): void {
    this.events.push(ev);
    this.numbers.add(ev.number);
    this.deps = d;
  }
}
