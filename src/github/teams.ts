import { isStatus, type Octokit } from "./client.js";
import type { Recent } from "./recent.js";

/**
 * Team membership lookups for one reconcile. `GET /orgs/{org}/teams/{team}/memberships/{user}` counts
 * members of child teams too, and reports `pending` invitations, which do not count: only `active`
 * members are reviewers. Lookups are memoised per reconcile. With `recent` (src/github/recent.ts), the
 * answer is also remembered between reconciles for a short time, unless `fresh` is set: the reconcile
 * that may open the gate asks afresh, so a removed member never opens it.
 *
 * Lookups asked together (a reconcile asks for every claim at once) go in one GraphQL query when there are
 * two or more: each team's members listed once (`Team.members(membership: ALL)`: active members, child
 * teams' included; invitations are another connection), not searched. A login listed there, compared
 * exactly, under the team whose slug is the one asked (GitHub's `team(slug:)` also finds a team by its
 * name), is a member. Anything else — not listed (or not in the first 100), a team or organization GraphQL
 * cannot see, any error — is asked over REST as before, so the query can only save requests, never decide
 * that someone is not a member.
 */
export class Memberships {
  private readonly memo = new Map<string, Promise<boolean>>();
  /** Lookups asked in this turn of the event loop, sent together at its end. */
  private asked: Lookup[] = [];

  constructor(
    private readonly octokit: Octokit,
    /** The organization `slug` teams belong to: the repository's owner. */
    private readonly defaultOrg: string,
    private readonly ownerIsOrg: boolean,
    private readonly recent?: Recent<boolean>,
    private readonly fresh = false,
  ) {}

  /** Is `login` an active member of `team` (`slug` or `org/slug`)? */
  isMember(team: string, login: string): Promise<boolean> {
    const [org, slug] = team.includes("/") ? (team.split("/", 2) as [string, string]) : [this.defaultOrg, team];
    // A user-owned repository has no teams; a bare slug there can name nobody.
    if (!team.includes("/") && !this.ownerIsOrg) return Promise.resolve(false);
    const key = `${org.toLowerCase()}/${slug.toLowerCase()}:${login.toLowerCase()}`;
    let p = this.memo.get(key);
    if (!p) {
      const known = this.fresh ? undefined : this.recent?.get(key);
      p = known !== undefined ? Promise.resolve(known) : this.ask({ org, slug, login, key });
      this.memo.set(key, p);
    }
    return p;
  }

  private ask(l: Omit<Lookup, "settle">): Promise<boolean> {
    return new Promise<boolean>((settle) => {
      this.asked.push({ ...l, settle });
      if (this.asked.length === 1) queueMicrotask(() => void this.send());
    });
  }

  /** Sends the lookups asked together: one over REST, several in one query with REST for the rest. */
  private async send(): Promise<void> {
    const batch = this.asked;
    this.asked = [];
    const listed = batch.length > 1 ? await this.listed(batch) : new Set<number>();
    for (const [i, l] of batch.entries()) {
      if (!listed.has(i)) {
        l.settle(this.lookup(l.org, l.slug, l.login, l.key));
        continue;
      }
      this.recent?.set(l.key, true);
      l.settle(true);
    }
  }

  /** Which of `batch` GitHub lists as their team's members (indexes): each team once, 50 teams a query. */
  private async listed(batch: readonly Lookup[]): Promise<Set<number>> {
    const teams = new Map<string, { org: string; slug: string; lookups: number[] }>();
    batch.forEach((l, i) => {
      const key = `${l.org}/${l.slug}`.toLowerCase();
      const team = teams.get(key) ?? { org: l.org, slug: l.slug, lookups: [] };
      team.lookups.push(i);
      teams.set(key, team);
    });
    const all = [...teams.values()];
    const chunks = [];
    for (let at = 0; at < all.length; at += MAX_TEAMS_PER_QUERY)
      chunks.push(this.members(all.slice(at, at + MAX_TEAMS_PER_QUERY)));
    const found = new Set<number>();
    for (const listedTeams of await Promise.all(chunks))
      for (const [team, logins] of listedTeams)
        for (const i of team.lookups) if (logins.has(batch[i]!.login.toLowerCase())) found.add(i);
    return found;
  }

  /** Each team's listed members (lower case), for the teams GitHub answered as asked; none when the query fails. */
  private async members<T extends { org: string; slug: string }>(teams: readonly T[]): Promise<Map<T, Set<string>>> {
    const out = new Map<T, Set<string>>();
    try {
      const vars: Record<string, string> = {};
      teams.forEach((t, i) => {
        vars[`o${i}`] = t.org;
        vars[`s${i}`] = t.slug;
      });
      // A transient failure is retried once, not three times: the REST lookups are the fallback.
      const data = await this.octokit.graphql<Record<string, MembersData>>(membersQuery(teams.length), {
        ...vars,
        request: { fallback: true },
      });
      teams.forEach((t, i) => {
        const team = data[`m${i}`]?.team;
        // Found by its name, another team's: not the one the table names.
        if (team?.slug.toLowerCase() !== t.slug.toLowerCase()) return;
        const logins = new Set<string>();
        for (const n of team.members.nodes) if (n) logins.add(n.login.toLowerCase());
        out.set(t, logins);
      });
    } catch {
      // Any failure (an organization GraphQL cannot see, a rate limit…): REST asks each, and fails as it fails.
      return new Map();
    }
    return out;
  }

  private async lookup(org: string, team_slug: string, username: string, key: string): Promise<boolean> {
    try {
      const { data } = await this.octokit.request("GET /orgs/{org}/teams/{team_slug}/memberships/{username}", {
        org,
        team_slug,
        username,
      });
      const active = data.state === "active";
      this.recent?.set(key, active);
      return active;
    } catch (err) {
      if (isStatus(err, 404)) {
        this.recent?.set(key, false);
        return false;
      }
      throw err;
    }
  }
}

/**
 * Teams in one query: each lists up to 100 members, and GitHub bounds a query's nodes (500,000) and its
 * cost; 50 keeps a query far inside both.
 */
export const MAX_TEAMS_PER_QUERY = 50;

interface Lookup {
  readonly org: string;
  readonly slug: string;
  readonly login: string;
  /** The cache key (organization, team and login, lower case). */
  readonly key: string;
  /** Resolves the caller's promise: with an answer, or as the REST lookup settles (rejections included). */
  readonly settle: (answer: boolean | Promise<boolean>) => void;
}

/** One alias per team; the documents differ only by how many (a query per size, not per team). */
export function membersQuery(n: number): string {
  const vars = Array.from({ length: n }, (_, i) => `$o${i}: String!, $s${i}: String!`).join(", ");
  const fields = Array.from(
    { length: n },
    (_, i) =>
      `m${i}: organization(login: $o${i}) { team(slug: $s${i}) { slug members(membership: ALL, first: 100) { nodes { login } } } }`,
  ).join(" ");
  return `query TeamMembers(${vars}) { ${fields} }`;
}

type MembersData = { team: { slug: string; members: { nodes: ({ login: string } | null)[] } } | null } | null;
