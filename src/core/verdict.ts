import { UNKNOWN_SHA, type ReviewAction, type Via } from "./actions.js";
import { assign } from "./assignment.js";
import { listCriteria, missingCriteria } from "./criteria.js";
import { planReview, type PlanPersona, type ReviewPlan } from "./plan.js";
import type { ChangedFile, Persona, ReviewTable } from "./types.js";

/**
 * Approval evaluation: given the plan, every recorded action and the facts read from GitHub, decide
 * each persona's state and the gate. Pure: membership and history come in as data, so the same
 * answer comes out on any replica. Everything unknown fails closed.
 */

export interface VerdictInput {
  readonly table: ReviewTable;
  readonly plan: ReviewPlan;
  readonly actions: readonly ReviewAction[];
  readonly author: string;
  readonly headSha: string;
  /** Is `login` an eligible reviewer for the persona (listed user or active team member)? Bots and the author are handled here. */
  readonly isReviewer: (persona: Persona | PlanPersona, login: string) => boolean;
  /** Did `login` author, commit or push a commit of the pull request that changes the persona's files? */
  readonly contributed?: (persona: PlanPersona, login: string) => boolean;
  /** Files changed from an approved commit to the head; null when unknown (e.g. force-pushed away): such approvals reset. */
  readonly changedSince: ReadonlyMap<string, readonly ChangedFile[] | null>;
  /** Reasons the gate must fail whatever the approvals (invalid table, too many files, …). */
  readonly blockers: readonly string[];
}

export type PersonaState = "approved" | "waiting" | "changes_requested";

export interface Approval {
  readonly user: string;
  readonly via: Via;
  readonly sha: string;
  readonly at: string;
  /** Set when the approval was given on an earlier commit and still counts. */
  readonly carriedFrom?: string;
  /** The criteria it acknowledges (digests, see criteria.ts). */
  readonly criteria?: readonly string[];
}

export interface ChangeRequest {
  readonly user: string;
  readonly via: Via;
  readonly at: string;
  readonly reason?: string;
}

export interface Notice {
  readonly user: string;
  readonly via: Via;
  readonly message: string;
}

export interface PersonaVerdict {
  readonly persona: PlanPersona;
  readonly state: PersonaState;
  readonly approvals: readonly Approval[];
  readonly changeRequests: readonly ChangeRequest[];
  /** Attempts that did not count, and approvals a push made stale, with why. */
  readonly notices: readonly Notice[];
  /**
   * Criterion digest → who acknowledged it, in approvals that still stand on this head (counted or
   * not counted for want of a criterion). Absent when nobody acknowledged any.
   */
  readonly acknowledged?: Readonly<Record<string, readonly string[]>>;
}

export interface Verdict {
  readonly state: "pass" | "waiting" | "fail";
  readonly personas: readonly PersonaVerdict[];
  readonly reasons: readonly string[];
}

const LABEL: Record<Via, string> = { review: "a review", button: "the check's button", comment: "a comment" };

export function evaluate(input: VerdictInput): Verdict {
  const { table, plan, author, headSha } = input;
  const selfOk = table.settings.self_approval;
  const staleCache = new Map<string, { stale: boolean; why: string }>();

  const perPersona = plan.personas.map((persona) => {
    const notices: Notice[] = [];
    const eligible = (login: string, isBot: boolean): string | undefined => {
      if (isBot) return "bots cannot approve";
      if (login === author && !selfOk)
        return "the pull request's author cannot review it (settings.self_approval is off)";
      if (!table.settings.contributor_approval && input.contributed?.(persona, login))
        return `@${login} pushed or authored commits that change ${persona.name}'s files (settings.contributor_approval is off)`;
      if (!input.isReviewer(persona, login)) return `@${login} is not a ${persona.name} reviewer`;
      return undefined;
    };

    // The latest action per user for this persona wins.
    const latest = new Map<string, ReviewAction>();
    for (const a of byTimeChangeRequestsLast(input.actions)) {
      const named = a.personas !== "all" && a.personas.includes(persona.id);
      if (a.personas !== "all" && !named) continue;
      const why = eligible(a.user, a.isBot);
      if (why) {
        // An all-personas review from someone outside this persona is simply not about it; a named attempt
        // is answered, and so is a contributor's (they are in the persona, just not for these files).
        if (a.kind !== "withdraw" && (named || why.includes("(settings.contributor_approval is off)")))
          notices.push({
            user: a.user,
            via: a.via,
            message: `@${a.user} ${verb(a)} via ${LABEL[a.via]} but ${why.startsWith("@") ? why.replace(`@${a.user} `, "") : why}: not counted`,
          });
        continue;
      }
      latest.set(a.user, a);
    }

    const approvals: Approval[] = [];
    const changeRequests: ChangeRequest[] = [];
    const acknowledged: Record<string, string[]> = {};
    const withheld: string[] = [];
    // An approval that stands on this head; with require_criteria, only once it acknowledges every criterion.
    const standing = (a: ReviewAction, carriedFrom: string | undefined) => {
      for (const key of a.criteria ?? []) (acknowledged[key] ??= []).push(a.user);
      const missing = persona.requireCriteria ? missingCriteria(persona.criteria, a.criteria) : [];
      if (missing.length > 0) {
        notices.push({ user: a.user, via: a.via, message: criteriaNotice(persona, a, missing) });
        withheld.push(a.user);
        return;
      }
      approvals.push({
        user: a.user,
        via: a.via,
        sha: a.sha,
        at: a.at,
        ...(carriedFrom !== undefined ? { carriedFrom } : {}),
        ...(a.criteria ? { criteria: a.criteria } : {}),
      });
    };
    for (const a of latest.values()) {
      if (a.kind === "withdraw") continue; // dismissed: this user neither approves nor blocks
      if (a.kind === "request_changes") {
        changeRequests.push({ user: a.user, via: a.via, at: a.at, ...(a.reason ? { reason: a.reason } : {}) });
        continue;
      }
      if (a.sha === headSha || table.settings.on_push === "keep") {
        standing(a, a.sha !== headSha ? a.sha : undefined);
        continue;
      }
      const s = staleness(input, staleCache, persona, a.sha);
      if (s.stale)
        notices.push({
          user: a.user,
          via: a.via,
          message: `@${a.user}'s approval${a.sha === UNKNOWN_SHA ? "" : ` on ${short(a.sha)}`} no longer counts: ${s.why}`,
        });
      else standing(a, a.sha);
    }
    return { persona, approvals, changeRequests, notices, acknowledged, withheld };
  });

  // With distinct_reviewers one human may satisfy only one persona: find an assignment if one exists.
  const counted = table.settings.distinct_reviewers
    ? assign(
        perPersona.map((p) => ({
          slots: p.changeRequests.length > 0 ? 0 : p.persona.approvals,
          candidates: p.approvals.map((a) => a.user),
        })),
      )
    : perPersona.map((p) => p.approvals.map((a) => a.user));

  const countedAnywhere = new Set(counted.flat());
  const personas: PersonaVerdict[] = perPersona.map((p, i) => {
    const users = new Set(counted[i]);
    const approvals = table.settings.distinct_reviewers ? p.approvals.filter((a) => users.has(a.user)) : p.approvals;
    const notices = [...p.notices];
    if (table.settings.distinct_reviewers) {
      for (const a of p.approvals)
        if (!users.has(a.user) && countedAnywhere.has(a.user))
          notices.push({
            user: a.user,
            via: a.via,
            message: `@${a.user}'s approval is counted for another persona (settings.distinct_reviewers: one person may satisfy only one persona)`,
          });
    }
    const state: PersonaState =
      p.changeRequests.length > 0
        ? "changes_requested"
        : approvals.length >= p.persona.approvals
          ? "approved"
          : "waiting";
    return {
      persona: p.persona,
      state,
      approvals: sortByTime(approvals),
      changeRequests: sortByTime(p.changeRequests),
      notices,
      ...(Object.keys(p.acknowledged).length > 0 ? { acknowledged: p.acknowledged } : {}),
    };
  });

  const reasons = [...input.blockers];
  const blocked = personas.filter((p) => p.state === "changes_requested");
  for (const p of blocked)
    reasons.push(`${p.persona.name}: changes requested by ${p.changeRequests.map((c) => `@${c.user}`).join(", ")}`);
  if (reasons.length > 0) return { state: "fail", personas, reasons };
  const waiting = personas.filter((p) => p.state === "waiting");
  if (waiting.length > 0)
    return {
      state: "waiting",
      personas,
      reasons: waiting.map((p) => {
        const withheld = perPersona.find((x) => x.persona.id === p.persona.id)!.withheld;
        return `${p.persona.name}: ${approvedCount(p)} of ${p.persona.approvals} approvals${withheld.length > 0 ? ` (${withheld.map((u) => `@${u}`).join(", ")} approved without acknowledging every criterion: see its check)` : ""}`;
      }),
    };
  return { state: "pass", personas, reasons: [] };
}

/** Why an approval does not count under `require_criteria`, and how to make it count. */
function criteriaNotice(persona: PlanPersona, a: ReviewAction, missing: readonly string[]): string {
  const how =
    a.via === "comment"
      ? `comment \`/approve ${persona.id}\` again with every criterion ticked`
      : `a ${a.via === "review" ? "review" : "click"} cannot acknowledge criteria: comment \`/approve ${persona.id}\` with every criterion ticked`;
  return `@${a.user}'s approval does not count yet: ${persona.name} requires every criterion to be acknowledged (require_criteria); not acknowledged: ${listCriteria(missing)}. To count, ${how} (the checklist on this check shows how)`;
}

function staleness(
  input: VerdictInput,
  cache: Map<string, { stale: boolean; why: string }>,
  persona: PlanPersona,
  sha: string,
): { stale: boolean; why: string } {
  const key = `${persona.id}@${sha}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let result: { stale: boolean; why: string };
  if (sha === UNKNOWN_SHA)
    result = {
      stale: true,
      why: "it was recorded after new commits were pushed, so it cannot be tied to a commit: approve again",
    };
  else if (input.table.settings.on_push === "dismiss")
    result = { stale: true, why: `new commits were pushed (settings.on_push: dismiss)` };
  else {
    const files = input.changedSince.get(sha);
    if (!files)
      result = { stale: true, why: `${short(sha)} cannot be compared with the head (force-pushed or unknown)` };
    else {
      const again = planReview(input.table, files).personas.find((p) => p.id === persona.id);
      result = again
        ? {
            stale: true,
            why: `files it reviews changed since: ${again.files.slice(0, 5).join(", ")}${again.files.length > 5 ? ` and ${again.files.length - 5} more` : ""}`,
          }
        : { stale: false, why: "" };
    }
  }
  cache.set(key, result);
  return result;
}

export function approvedCount(p: PersonaVerdict): number {
  return Math.min(p.approvals.length, p.persona.approvals);
}

function verb(a: ReviewAction): string {
  return a.kind === "approve"
    ? a.via === "button"
      ? "clicked Approve"
      : "approved"
    : a.via === "button"
      ? "clicked Request changes"
      : "requested changes";
}

/**
 * The actions in the order they happened. GitHub's timestamps are to the second: when one user's
 * approval and change request share an instant, the change request is taken as the later one (fail closed).
 */
function byTimeChangeRequestsLast(actions: readonly ReviewAction[]): ReviewAction[] {
  const rank = (a: ReviewAction) => (a.kind === "approve" ? 0 : 1); // withdraw and change requests sort after an approval
  return [...actions].sort((a, b) => instant(a.at) - instant(b.at) || rank(a) - rank(b));
}

/** By instant, not by text: GitHub's `…00Z` and a pending record's `…00.400Z` must compare as times. */
function sortByTime<T extends { at: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => instant(a.at) - instant(b.at));
}

function instant(at: string): number {
  return Date.parse(at) || 0;
}

export function short(sha: string): string {
  return sha.slice(0, 7);
}
