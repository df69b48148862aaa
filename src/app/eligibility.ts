import type { ReviewAction, Unrecorded } from "../core/actions.js";
import type { PlanPersona } from "../core/plan.js";
import type { ButtonClick, Eligible } from "./records.js";

/**
 * Who may review as which persona: a user the table lists, or a member of a team it lists. Only the
 * (persona, user) pairs some action is about are looked up, concurrently; anything not looked up is not
 * eligible. Pure but for the membership look-up it is given (src/github/teams.ts in the app).
 */

/** Someone who acted (or is acting) for some personas, or for every persona they can review. */
export interface Claim {
  readonly login: string;
  readonly personas: readonly string[] | "all";
}

/**
 * The claims of a reconcile: a review or `/approve` for all personas the user can review; a named persona
 * (Reviewed-for, a button, a command) for that persona alone.
 */
export function claimsOf(
  actions: readonly ReviewAction[],
  unrecorded: readonly Unrecorded[],
  click: ButtonClick | undefined,
): Claim[] {
  return [
    ...actions.map((a) => ({ login: a.user, personas: a.personas })),
    ...unrecorded.flatMap((u) => u.commands.map((c) => ({ login: u.comment.user!.login, personas: c.personas }))),
    ...(click ? [{ login: click.user.login, personas: [click.persona] }] : []),
  ];
}

export async function lookUpEligibility(
  personas: readonly PlanPersona[],
  claims: readonly Claim[],
  isMember: (team: string, login: string) => Promise<boolean>,
): Promise<Eligible> {
  const out = new Map<string, boolean>();
  const pairs = new Map<string, [PlanPersona, string]>();
  for (const c of claims)
    for (const p of personas)
      if (c.personas === "all" || c.personas.includes(p.id))
        pairs.set(`${p.id}:${c.login.toLowerCase()}`, [p, c.login]);
  await Promise.all(
    [...pairs].map(async ([key, [p, login]]) => {
      const listed = p.users.some((u) => u.toLowerCase() === login.toLowerCase());
      out.set(key, listed || (await Promise.all(p.teams.map((t) => isMember(t, login)))).some(Boolean));
    }),
  );
  return (p, login) => out.get(`${p.id}:${login.toLowerCase()}`) === true;
}
