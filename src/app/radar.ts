import { conflictsCheck, profile, radarOf, type Profile } from "../core/conflicts.js";
import { sameRun, writeRuns, type RunWrite } from "../github/checks.js";
import type { CheckRunSpec } from "../core/checks.js";
import type { RepoRef } from "../github/client.js";
import { EtagCache, FileCache, fileKey, filesOf, openPulls, pathsOf, type OpenPull } from "../github/radar.js";
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
  /** Pull requests whose conflicts check was written (created or updated). */
  readonly written: number[];
  /** Pull requests the changed one overlaps now. */
  readonly overlaps: number[];
}

/**
 * The conflict radar, run by the router after the reconcile of a pull request whose files or state
 * changed (opened, pushed, base changed, closed). It writes the `parallel-review/conflicts` check of
 * that pull request, and of the others whose radar names it now or named it before (bounded).
 * File lists are cached by head commit and the open list is read conditionally, so an event costs
 * a handful of requests (docs/performance.md).
 */
export class ConflictRadar {
  private readonly files = new FileCache();
  private readonly etags = new EtagCache();
  private readonly maxPulls: number;
  private readonly maxUpdates: number;

  constructor(opts: RadarOptions = {}) {
    this.maxPulls = Math.min(100, opts.maxPulls ?? 50);
    this.maxUpdates = opts.maxUpdates ?? 10;
  }

  async refresh(d: Deps, repo: RepoRef, ev: RadarEvent): Promise<RadarOutcome> {
    const none = { written: [], overlaps: [] };
    const load = ev.seen?.table ?? (await readTable(d.octokit, repo, ev.base));
    const table = load.kind === "loaded" ? load.result.table : undefined;
    if (!table || table.settings.conflicts === "off") return none;

    // One more than the cap besides the changed pull request: enough to tell whether some were left out.
    const listed = (await openPulls(d.octokit, repo, ev.base, this.maxPulls + 2, this.etags)).filter(
      (p) => p.number !== ev.number,
    );
    const cappedAt = listed.length > this.maxPulls ? this.maxPulls : undefined;
    const capped = listed.slice(0, this.maxPulls);
    // The changed pull request itself is always compared (the list may lag a moment behind the event).
    const self = { number: ev.number, title: ev.title, createdAt: ev.createdAt, headSha: ev.headSha };
    if (ev.seen?.files) this.files.set(fileKey(repo, ev.number, ev.headSha), pathsOf(ev.seen.files));
    const open = await filesOf(d.octokit, repo, ev.closed ? capped : [self, ...capped], this.files);
    const profiles = open.map((p) => profile(table, p));
    const me = ev.closed ? undefined : profiles[0];

    // Who names the changed pull request: overlaps of its files now, and of its files before the push
    // (or before it closed): those radars must drop or change their entry for it.
    const names = new Set<number>();
    const mark = (p: Profile) => radarOf(table, p, profiles).overlaps.forEach((o) => names.add(o.number));
    if (me) mark(me);
    const before = ev.closed ? ev.headSha : ev.previousHead;
    const old =
      before && (await filesOf(d.octokit, repo, [{ ...self, headSha: before }], this.files, ev.closed === true))[0];
    if (old) mark(profile(table, old));
    names.delete(ev.number);

    const targets = [...(me ? [open[0]!] : []), ...open.filter((p) => names.has(p.number)).slice(0, this.maxUpdates)];
    if (names.size > this.maxUpdates)
      d.log.warn(
        { repo, pr: ev.number, max: this.maxUpdates },
        "conflict radar: refreshed only the first pull requests it names",
      );
    const specs = targets.map((t) => {
      const others = profiles.filter((p) => p.pull.number !== t.number);
      const radar = radarOf(
        table,
        profiles.find((p) => p.pull.number === t.number)!,
        others,
        cappedAt,
      );
      const spec = conflictsCheck(radar, {
        base: ev.base,
        compared: others.length,
        block: table.settings.conflicts === "block",
      });
      return { pull: t, spec };
    });
    const written = await this.write(d, repo, specs);
    return { written, overlaps: me ? radarOf(table, me, profiles).overlaps.map((o) => o.number) : [] };
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
 * time. Advisory: a failure is logged and leaves the previous radar check as it was; it never fails the
 * event (the gate has already been written).
 */
export class RadarHook {
  private readonly serializer = new KeyedSerializer();
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
      return await this.serializer.run(`${repo.owner}/${repo.repo}`.toLowerCase(), () =>
        this.radar.refresh(d, repo, ev),
      );
    } catch (err) {
      d.log.warn({ err, pr: `${repo.owner}/${repo.repo}#${pr.number}` }, "conflict radar failed");
      return undefined;
    }
  }
}
