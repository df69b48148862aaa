import { gateBlocked, personaIdOf, type CheckRunSpec } from "../core/checks.js";
import { decodeLedger, encodeLedger, mergeLedgers, type Ledger } from "../core/ledger.js";
import { sameRun, type ExistingRun, type RunWrite } from "../github/checks.js";

/**
 * Which check-run writes make GitHub show what a reconcile decided: pure, so that what decides whether a
 * green run is left standing is unit-tested (and mutation-tested) without a GitHub.
 */

/** What the writes are planned from: the decision and the app's runs GitHub showed. */
export interface WriteTarget {
  /** The runs wanted on the head, gate first. */
  readonly wanted: readonly CheckRunSpec[];
  /** The app's runs on the head, oldest first. */
  readonly existing: readonly ExistingRun[];
  readonly headSha: string;
  /** Gate runs on the previous head that still say success: a force-push back must not find them green. */
  readonly superseded?: readonly ExistingRun[];
}

export interface WritePlan {
  readonly writes: RunWrite[];
  readonly created: string[];
  readonly updated: string[];
  readonly unchanged: string[];
}

/** Conclusions branch protection accepts. */
const PASSING = new Set(["success", "neutral", "skipped"]);

export function passes(r: ExistingRun): boolean {
  return r.status === "completed" && PASSING.has(r.conclusion ?? "");
}

/** An older twin of a run that is waiting again: closed, keeping the ledger it carries. */
export function supersededTwin(spec: CheckRunSpec, runs: readonly ExistingRun[], id: number): CheckRunSpec {
  return {
    ...gateBlocked(spec.name, "Superseded by a newer run of this check", [
      `A newer \`${spec.name}\` run on this commit says: ${spec.title}.`,
    ]),
    conclusion: "cancelled",
    ...carriedLedger(runs.filter((r) => r.id === id)),
  };
}

/**
 * The check-run writes that make GitHub show `t.wanted`, in the order they must happen: per wanted run
 * (gate first) a new run before the twins it closes; then the previous head's green gates, closed.
 */
export function planWrites(t: WriteTarget): WritePlan {
  const writes: RunWrite[] = [];
  const created: string[] = [];
  const updated: string[] = [];
  const unchanged: string[] = [];
  const rewrite = (run: ExistingRun, spec: CheckRunSpec) => writes.push({ update: spec, run });
  const closeTwin = (spec: CheckRunSpec) => (r: ExistingRun) => rewrite(r, supersededTwin(spec, t.existing, r.id));
  for (const spec of t.wanted) {
    const have = t.existing.filter((r) => r.name === spec.name); // oldest first
    const newest = have.at(-1);
    // GitHub documents no rule for several runs of one name on a commit (the newest, or any failure,
    // or any success may be what branch protection reads), so every twin must agree with the newest:
    // when the wanted state does not pass, no older twin may still say it passes.
    const passingTwins = spec.status === "completed" ? [] : have.filter(passes);
    // A completed run cannot be reopened, so waiting again when the newest is completed means a new run.
    // A queued persona that becomes actionable gets a new run too: its start is when reviewers could
    // first act, the earliest moment a click on it can have happened (see clickTime).
    const unqueued = newest?.status === "queued" && spec.status !== "queued";
    if (!newest || (spec.status !== "completed" && newest.status === "completed") || unqueued) {
      writes.push({ create: spec, sha: t.headSha });
      [...passingTwins, ...(unqueued ? have.filter((r) => r.status === "queued") : [])].forEach(closeTwin(spec));
      created.push(spec.name);
      continue;
    }
    const targets = spec.status === "completed" ? have : have.filter((r) => r.status !== "completed");
    const stale = targets.filter((r) => !sameRun(r, spec));
    if (stale.length + passingTwins.length === 0) {
      unchanged.push(spec.name);
      continue;
    }
    stale.forEach((r) => rewrite(r, spec));
    passingTwins.forEach(closeTwin(spec));
    updated.push(spec.name);
  }
  const supersede = gateBlocked(t.wanted[0]?.name ?? "parallel-review", "Superseded by a newer commit", [
    `The pull request's head moved to ${t.headSha.slice(0, 7)}; this commit's reviews no longer apply to it.`,
  ]);
  for (const r of t.superseded ?? []) rewrite(r, { ...supersede, ...carriedLedger([r]) });
  return { writes, created, updated, unchanged };
}

/** Names of runs the app keeps beside the gate and persona checks (never taken for an old gate). */
export const AUX_PREFIX = "parallel-review/";

/** The gate-like runs the app has on a commit: everything but persona checks and auxiliary runs. */
export function gateNames(runs: readonly ExistingRun[]): string[] {
  return [...new Set(runs.map((r) => r.name))].filter((n) => personaIdOf(n) === undefined && !n.startsWith(AUX_PREFIX));
}

/** The ledger the runs already carry, to keep in any gate-like run rewritten without a fresh decision. */
export function carriedLedger(runs: readonly ExistingRun[]): { text?: string } {
  const found = runs.map((r) => decodeLedger(r.text)).filter((l): l is Ledger => l !== undefined);
  return found.length > 0 ? { text: encodeLedger(mergeLedgers(found)) } : {};
}

/**
 * Gates the table no longer names (`settings.gate` was renamed): branch protection may still require
 * the old name, so it is closed, never left green.
 */
export function renamedGates(existing: readonly ExistingRun[], gate: string): CheckRunSpec[] {
  return gateNames(existing)
    .filter((n) => n !== gate)
    .map((n) =>
      gateBlocked(n, `Renamed: this gate is now \`${gate}\``, [
        `The review table's \`settings.gate\` now names this pull request's gate \`${gate}\`; this check no longer passes.`,
        "",
        `Require \`${gate}\` in branch protection instead of \`${n}\`.`,
      ]),
    );
}

/**
 * A closed pull request's gates: a check run belongs to the commit, so a closed pull request's green gate
 * would pass any other pull request opened from the same head until that one is judged. Each gate-like run
 * is closed, keeping the ledger the runs carry (a reopen reads it back). A merged one keeps its gates.
 */
export function closedGates(pull: { readonly merged: boolean; readonly number: number }, runs: readonly ExistingRun[]) {
  if (pull.merged) return [];
  const carried = carriedLedger(runs);
  return gateNames(runs).map((name): CheckRunSpec => ({ ...closedGate(name, pull.number), ...carried }));
}

/** A closed (unmerged) pull request's gate: its reviews must not carry to another pull request from the commit. */
export function closedGate(name: string, number: number): CheckRunSpec {
  return {
    name,
    status: "completed",
    conclusion: "cancelled",
    title: "Pull request closed without merging",
    summary: `#${number} was closed without merging, so its reviews do not carry to another pull request from this commit. Reopen it to evaluate it again.`,
    actions: [],
  };
}
