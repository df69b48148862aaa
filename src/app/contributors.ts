import type { ReviewAction } from "../core/actions.js";
import type { Push } from "../core/ledger.js";
import { planReview, type PlanPersona, type ReviewPlan } from "../core/plan.js";
import type { ReviewTable } from "../core/types.js";
import { MAX_PR_COMMITS, type Contribution, type PullCommit } from "../github/contributors.js";

/**
 * Who contributed to which persona's files, for `settings.contributor_approval: false` (a contributor's
 * approval does not count for the files they changed). Pure but for the look-up of contributions it is
 * given (src/github/contributors.ts in the app).
 */

/** Who pushed a head the pull request had is unknown when its `synchronize` delivery never came. */
export const UNKNOWN_PUSHER = "*";

/**
 * The pushes in the ledger, plus one by an unknown pusher for every head after the first that no
 * recorded push leads to: anyone may have pushed it, so nobody's approval counts for the files it
 * changed until the delivery is redelivered.
 */
export function withUnknownPushers(heads: readonly { sha: string; pr: number }[], pushes: readonly Push[]): Push[] {
  const out = [...pushes];
  for (let i = 1; i < heads.length; i++)
    if (!pushes.some((p) => p.after === heads[i]!.sha))
      out.push({ user: UNKNOWN_PUSHER, before: heads[i - 1]!.sha, after: heads[i]!.sha, pr: heads[i]!.pr });
  return out;
}

export interface ContributorsInput {
  readonly table: ReviewTable;
  readonly plan: ReviewPlan;
  readonly actions: readonly ReviewAction[];
  /** The pushes, unknown pushers included (withUnknownPushers). */
  readonly pushes: readonly Push[];
  readonly commits: readonly PullCommit[];
  /** What these people contributed (their commits' files, their pushes' differences). */
  readonly contributions: (logins: readonly string[]) => Promise<readonly Contribution[]>;
}

/** Did `login` contribute to `p`'s files? Blockers found on the way (unknowable contributors) are returned. */
export interface Contributors {
  readonly contributed: (p: PlanPersona, login: string) => boolean;
  readonly blockers: string[];
}

/** Only approvers are looked up, from the pull request's commits (authors, committers) and the pushes. */
export async function contributorsOf(i: ContributorsInput): Promise<Contributors> {
  const none = { contributed: () => false, blockers: [] };
  if (i.table.settings.contributor_approval) return none;
  const approvers = [...new Set(i.actions.filter((a) => a.kind === "approve" && !a.isBot).map((a) => a.user))];
  if (approvers.length === 0) return none;
  if (i.commits.length >= MAX_PR_COMMITS)
    return {
      contributed: () => false,
      blockers: [
        `This pull request has ${MAX_PR_COMMITS} or more commits, more than GitHub lists: who contributed which files cannot be established (settings.contributor_approval). Squash or split it.`,
      ],
    };
  const people = new Set(
    [...i.commits.flatMap((c) => c.people), ...i.pushes.map((p) => p.user)].map((l) => l.toLowerCase()),
  );
  const suspects = approvers.filter((a) => people.has(a.toLowerCase()));
  if (people.has(UNKNOWN_PUSHER)) suspects.push(UNKNOWN_PUSHER);
  if (suspects.length === 0) return none;
  const touched = new Set<string>();
  for (const c of await i.contributions(suspects)) {
    const ids =
      c.files === null ? i.plan.personas.map((p) => p.id) : planReview(i.table, c.files).personas.map((p) => p.id);
    for (const id of ids) touched.add(`${id}:${c.login.toLowerCase()}`);
  }
  const unknown = i.plan.personas.filter((p) => touched.has(`${p.id}:${UNKNOWN_PUSHER}`));
  const blockers =
    unknown.length > 0
      ? [
          `Who pushed some commits of this pull request is not known (a push's delivery never reached the app), and they change files of ${unknown.map((p) => p.name).join(", ")}: approvals for them wait until GitHub redelivers the push's \`synchronize\` event, or a new push is made.`,
        ]
      : [];
  return {
    contributed: (p, login) =>
      touched.has(`${p.id}:${login.toLowerCase()}`) || touched.has(`${p.id}:${UNKNOWN_PUSHER}`),
    blockers,
  };
}
