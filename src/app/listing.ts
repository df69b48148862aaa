import type { PlanPersona } from "../core/plan.js";
import type { PullRef } from "../github/client.js";
import type { Recent } from "../github/recent.js";
import { keyOf, MAX_TEAMS_PER_QUERY, teamRefOf, type TeamRef } from "../github/teams.js";
import type { ButtonClick } from "./records.js";
import type { Hints } from "./reconcile.js";

/**
 * Which teams' members the first read of a reconcile lists in its own query (src/github/snapshot.ts): those
 * the personas of the pull request's last plan name, else its repository's last plan's, when the reconcile may
 * carry an approval. Then a decision to pass whose every membership came from those lists needs no
 * confirming read (src/app/rounds.ts `readTogether`). Names only, never an answer: a wrong or stale choice
 * costs that confirming read, nothing else; a comment of chatter lists nothing (it would only cost bytes).
 */
export function teamsToList(
  remembered: Recent<readonly TeamRef[]> | undefined,
  ref: PullRef,
  click: ButtonClick | undefined,
  hints: Hints,
): readonly TeamRef[] {
  if (!remembered || !approving(click, hints)) return [];
  const [pull, repo] = keysOf(ref);
  return remembered.get(pull) ?? remembered.get(repo) ?? [];
}

/** Keeps a plan's teams for the pull request and its repository (none: what was kept stays). */
export function rememberTeams(
  remembered: Recent<readonly TeamRef[]> | undefined,
  ref: PullRef,
  asked: readonly TeamRef[],
): void {
  if (asked.length === 0) return;
  for (const key of keysOf(ref)) remembered?.set(key, asked);
}

/**
 * The teams the plan's personas name, as the membership look-ups name them (`org/slug`, or a bare slug of
 * the repository's owner; none in a user-owned repository, where a bare slug names nobody): whoever approves
 * next is asked about these. At most the teams one query lists.
 */
export function teamsOf(
  personas: readonly Pick<PlanPersona, "teams">[],
  owner: string,
  ownerIsOrg: boolean,
): readonly TeamRef[] {
  const teams = new Map<string, TeamRef>();
  for (const p of personas)
    for (const team of p.teams) {
      const ref = teamRefOf(team, owner, ownerIsOrg);
      if (ref && !teams.has(keyOf(ref))) teams.set(keyOf(ref), ref);
    }
  return [...teams.values()].slice(0, MAX_TEAMS_PER_QUERY);
}

/** May the reconcile carry an approval: a click, a review, a comment with an `/approve` line? */
export function approving(click: ButtonClick | undefined, hints: Hints): boolean {
  if (click !== undefined || (hints.reviewBodies?.size ?? 0) > 0) return true;
  const comments = hints.commentBodies;
  return comments !== undefined && [...comments.values()].some((c) => APPROVE_LINE.test(c.body));
}

const APPROVE_LINE = /^\s*\/approve(?=\s|$)/im;

function keysOf(ref: PullRef): [string, string] {
  const repo = `${ref.owner}/${ref.repo}`.toLowerCase();
  return [`${repo}#${ref.number}`, repo];
}
