import type { Probot } from "probot";
import type { Octokit, PullRef, RepoRef } from "../github/client.js";
import { installationRepos, lastOwnRunAt, openPulls } from "../github/sweep.js";
import { readTable } from "../github/table.js";
import type { Deps } from "./reconcile.js";

/**
 * Healing: no pull request is left without a right gate because an event never arrived.
 *
 * - An installation (or repositories added to it) reconciles the open pull requests of every added
 *   repository that has a table: before, they had no gate until someone pushed or commented, and once
 *   the gate is required they were stuck.
 * - A periodic resync (driven by src/service/heal-scheduler.ts) reconciles open pull requests whose head
 *   has no run of this app, or whose last activity is newer than the app's newest run on the head.
 *
 * Both are bounded (repositories, pull requests per repository) and paced (one reconcile at a time, a
 * pause between them), so a 500-repository organization does not trip GitHub's secondary rate limits.
 */
export interface HealOptions {
  /** Repositories swept per installation event or resync (default 1000). */
  readonly maxRepos?: number;
  /** Open pull requests reconciled per repository, the most recently updated first (default 100). */
  readonly maxPullsPerRepo?: number;
  /** Pause between two reconciles of a sweep (default 250 ms; Probot also spaces writes ≥ 1 s). */
  readonly paceMs?: number;
  /** Wait for an installation's sweep before answering the delivery (workers); default: sweep in the background (GitHub waits 10 s). */
  readonly awaitInstallSweep?: boolean;
  /** Receives the resync entry point once the app is loaded (src/service schedules it). */
  readonly attach?: (healer: Healer) => void;
  /** Counts healing work (metrics). */
  readonly observe?: (kind: "install" | "resync", reconciled: number) => void;
}

export interface Healer {
  /** One bounded resync of one installation; resolves with how many pull requests it reconciled. */
  resync(octokit: Octokit, log: Deps["log"]): Promise<number>;
}

type Run = (d: Deps, pr: PullRef) => Promise<unknown>;
type MakeDeps = (octokit: Octokit, log: Deps["log"]) => Deps;

interface InstallPayload {
  action: string;
  repositories?: { name: string; full_name: string }[];
  repositories_added?: { name: string; full_name: string }[];
}

export function registerHeal(app: Probot, run: Run, deps: MakeDeps, options: HealOptions = {}): void {
  const maxRepos = options.maxRepos ?? 1000;
  const maxPulls = options.maxPullsPerRepo ?? 100;
  const pace = options.paceMs ?? 250;
  /** Last activity seen per pull request at its resync: an unchanged one is not reconciled again. */
  const seen = new Map<string, string>();

  /** Which pull requests to reconcile, and what to remember once one was reconciled. */
  interface Filter {
    stale(pr: PullRef, updatedAt: string, head: string): Promise<boolean>;
    done?(pr: PullRef, updatedAt: string, head: string): void;
  }

  const sweepRepo = async (d: Deps, repo: RepoRef, filter: Filter) => {
    const pulls = await openPulls(d.octokit, repo, maxPulls);
    const tables = new Map<string, boolean>();
    let reconciled = 0;
    for (const p of pulls) {
      if (!tables.has(p.base)) tables.set(p.base, (await readTable(d.octokit, repo, p.base)).kind !== "absent");
      const pr = { ...repo, number: p.number };
      if (!tables.get(p.base) || !(await filter.stale(pr, p.updatedAt, p.headSha))) continue;
      try {
        await run(d, pr);
        filter.done?.(pr, p.updatedAt, p.headSha);
      } catch (err) {
        d.log.warn({ err, pr }, "healing reconcile failed");
      }
      reconciled++;
      if (pace > 0) await new Promise((r) => setTimeout(r, pace));
    }
    return reconciled;
  };

  const sweep = async (d: Deps, repos: RepoRef[], kind: "install" | "resync", filter: Filter) => {
    let reconciled = 0;
    for (const repo of repos.slice(0, maxRepos)) {
      try {
        reconciled += await sweepRepo(d, repo, filter);
      } catch (err) {
        d.log.warn({ err, repo }, `${kind === "install" ? "installation" : "resync"} sweep of a repository failed`);
      }
    }
    if (repos.length > maxRepos)
      d.log.warn({ repos: repos.length, max: maxRepos }, `${kind}: swept only the first ${maxRepos} repositories`);
    options.observe?.(kind, reconciled);
    d.log.info(
      { repos: Math.min(repos.length, maxRepos), reconciled },
      `${kind} sweep: ${reconciled} pull requests reconciled`,
    );
    return reconciled;
  };

  app.on(["installation.created", "installation_repositories.added"], async (ctx) => {
    const payload = ctx.payload as unknown as InstallPayload;
    const d = deps(ctx.octokit, ctx.log);
    const listed = payload.action === "created" ? payload.repositories : payload.repositories_added;
    const work = (async () => {
      const repos = listed
        ? listed.map((r) => ({ owner: r.full_name.split("/")[0]!, repo: r.name }))
        : await installationRepos(d.octokit, maxRepos + 1);
      return sweep(d, repos, "install", { stale: () => Promise.resolve(true) });
    })();
    if (options.awaitInstallSweep) await work;
    else work.catch((err: unknown) => d.log.warn({ err }, "installation sweep failed"));
  });

  // Nothing to reconcile when the app is removed or suspended, but handling the delivery lets Probot build its
  // client through the app's per-installation clients, which drop the one kept for that installation
  // (src/github/installation-clients.ts); unhandled, the delivery would be answered unparsed and the client
  // kept until it was the least recently used.
  app.on(["installation.deleted", "installation.suspend"], (ctx) =>
    ctx.log.info({ installation: ctx.payload.installation.id }, `installation ${ctx.payload.action}`),
  );

  options.attach?.({
    async resync(octokit, log) {
      const d = deps(octokit, log);
      const repos = await installationRepos(d.octokit, maxRepos + 1);
      const key = (pr: PullRef) => `${pr.owner}/${pr.repo}#${pr.number}`.toLowerCase();
      const remember = (pr: PullRef, updatedAt: string, head: string) => {
        seen.delete(key(pr));
        seen.set(key(pr), `${updatedAt}@${head}`);
        if (seen.size > 20_000) seen.delete(seen.keys().next().value!);
      };
      return sweep(d, repos, "resync", {
        async stale(pr, updatedAt, head) {
          if (seen.get(key(pr)) === `${updatedAt}@${head}`) return false;
          const last = await lastOwnRunAt(d.octokit, pr, head, d.appId);
          const stale = last === undefined || Date.parse(last) < Date.parse(updatedAt);
          if (!stale) remember(pr, updatedAt, head);
          return stale;
        },
        done: remember,
      });
    },
  });
}
