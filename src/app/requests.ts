import type { ReviewInput } from "../core/actions.js";
import { queuedFor } from "../core/sequence.js";
import type { Verdict } from "../core/verdict.js";
import type { PullRequest } from "../github/pulls.js";

/**
 * Whom to ask for review: the teams and users of every persona still waiting and not queued, once. Skipped: the
 * author, anyone already requested or who already reviewed, teams already requested, and a team one of
 * whose members already reviewed (GitHub drops the team's request then; asking again would nag).
 * Teams of another organization cannot be requested on this repository and are left to their members.
 */
export async function reviewRequests(opts: {
  pull: PullRequest;
  verdict: Verdict;
  reviews: readonly ReviewInput[];
  org: string;
  isTeamMember: (team: string, login: string) => Promise<boolean>;
}): Promise<{ users: string[]; teams: string[] }> {
  const { pull } = opts;
  const lower = (s: string) => s.toLowerCase();
  const reviewed = new Set(opts.reviews.flatMap((r) => (r.user ? [lower(r.user.login)] : [])));
  const requestedUsers = new Set(pull.requestedUsers.map(lower));
  const requestedTeams = new Set(pull.requestedTeams.map(lower));
  const users = new Set<string>();
  const teams = new Set<string>();

  for (const p of opts.verdict.personas) {
    // A queued persona (`after:`) is asked only once its prerequisites approved: asking early wastes its time.
    if (p.state !== "waiting" || queuedFor(p).length > 0) continue;
    for (const u of p.persona.users) {
      const l = lower(u);
      if (l !== lower(pull.author.login) && !reviewed.has(l) && !requestedUsers.has(l)) users.add(u);
    }
    for (const t of p.persona.teams) {
      const slug = t.includes("/") ? (lower(t.split("/")[0]!) === lower(opts.org) ? t.split("/")[1]! : undefined) : t;
      if (slug && !requestedTeams.has(lower(slug))) teams.add(slug);
    }
  }
  // Drop teams one of whose members already reviewed.
  const keep = await Promise.all(
    [...teams].map(async (t) => !(await anyAsync([...reviewed], (login) => opts.isTeamMember(t, login)))),
  );
  return { users: [...users].sort(), teams: [...teams].filter((_, i) => keep[i]).sort() };
}

async function anyAsync<T>(items: readonly T[], test: (t: T) => Promise<boolean>): Promise<boolean> {
  return (await Promise.all(items.map(test))).some(Boolean);
}
