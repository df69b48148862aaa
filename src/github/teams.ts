import { isStatus, type Octokit } from "./client.js";
import type { Recent } from "./recent.js";

/**
 * Team membership lookups for one reconcile. `GET /orgs/{org}/teams/{team}/memberships/{user}` counts
 * members of child teams too, and reports `pending` invitations, which do not count: only `active`
 * members are reviewers. Lookups are memoised per reconcile. With `recent` (src/github/recent.ts), the
 * answer is also remembered between reconciles for a short time, unless `fresh` is set: the reconcile
 * that may open the gate asks afresh, so a removed member never opens it — or it says that it used a
 * remembered answer (`usedRemembered`), and its decision to pass is read again.
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
  /** Teams whose members a read of this reconcile already listed (`org/slug` → logins, lower case). */
  private readonly preloaded = new Map<string, ReadonlySet<string>>();
  /** Every team asked about (`org/slug` as the table names it), for a later read to list at once. */
  private readonly teams = new Map<string, TeamRef>();
  private remembered = false;

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
    const ref = teamRefOf(team, this.defaultOrg, this.ownerIsOrg);
    if (!ref) return Promise.resolve(false);
    const { org, slug } = ref;
    const teamKey = keyOf(ref);
    if (!this.teams.has(teamKey)) this.teams.set(teamKey, { org, slug });
    const key = `${teamKey}:${login.toLowerCase()}`;
    let p = this.memo.get(key);
    if (!p) {
      // A login a list of this reconcile's read names is a member, without asking the cache: an answer of
      // this reconcile (a concurrent one may remember a newer "no": the same race as any read, which the
      // round after a gate's write closes).
      const listed = this.preloaded.get(teamKey)?.has(login.toLowerCase()) === true;
      const known = listed || this.fresh ? undefined : this.recent?.get(key);
      if (known !== undefined) this.remembered = true;
      p = known !== undefined ? Promise.resolve(known) : this.fromListOrAsk({ org, slug, login, key }, teamKey);
      this.memo.set(key, p);
    }
    return p;
  }

  /**
   * Did an answer come from the cache rather than from GitHub in this reconcile? A decision to pass that
   * rested on one is read again, bypassing the cache, before it is written (src/app/rounds.ts).
   */
  get usedRemembered(): boolean {
    return this.remembered;
  }

  /**
   * Teams' members as a read of this reconcile listed them (src/github/snapshot.ts: the first read of a
   * reconcile that may carry an approval, or the confirming one), asked before anything remembered:
   * a login listed there is a member without another request; one not listed is asked over REST, as after
   * the members query — a list never decides that someone is not a member.
   */
  preload(listed: ReadonlyMap<TeamRef, ReadonlySet<string>>): void {
    for (const [team, logins] of listed) this.preloaded.set(keyOf(team), logins);
  }

  /** The teams asked about so far (each once). */
  teamsAsked(): TeamRef[] {
    return [...this.teams.values()];
  }

  /** Lookups after this are not answered from the lists: those were read before what follows (the gate's write). */
  forgetListed(): void {
    this.preloaded.clear();
  }

  private fromListOrAsk(l: Omit<Lookup, "settle">, teamKey: string): Promise<boolean> {
    const logins = this.preloaded.get(teamKey);
    if (!logins) return this.ask(l);
    if (!logins.has(l.login.toLowerCase())) return this.lookup(l.org, l.slug, l.login, l.key);
    this.recent?.set(l.key, true);
    return Promise.resolve(true);
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
      const key = keyOf(l);
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
  private async members<T extends TeamRef>(teams: readonly T[]): Promise<Map<T, Set<string>>> {
    try {
      // A transient failure is retried once, not three times: the REST lookups are the fallback.
      const data = await this.octokit.graphql<TeamsData>(membersQuery(teams.length), {
        ...teamVariables(teams),
        request: { fallback: true },
      });
      return listedMembers(teams, data);
    } catch {
      // Any failure (an organization GraphQL cannot see, a rate limit…): REST asks each, and fails as it fails.
      return new Map();
    }
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
  return `query TeamMembers(${teamParameters(n).join(", ")}) { ${teamFields(n)} }`;
}

/** A team as the table names it: its organization and slug. */
export interface TeamRef {
  readonly org: string;
  readonly slug: string;
}

/** A team's key in every map here: `org/slug`, lower case (GitHub compares both ignoring case). */
/**
 * The team a table names (`slug`, of the repository's owner, or `org/slug`), or undefined in a user-owned
 * repository for a bare slug: only organizations have teams, so it names nobody.
 */
export function teamRefOf(team: string, owner: string, ownerIsOrg: boolean): TeamRef | undefined {
  if (!team.includes("/")) return ownerIsOrg ? { org: owner, slug: team } : undefined;
  const [org, slug] = team.split("/", 2) as [string, string];
  return { org, slug };
}

/** A team's key: `org/slug`, lower case (GitHub's names are case-insensitive). */
export function keyOf(t: TeamRef): string {
  return `${t.org}/${t.slug}`.toLowerCase();
}

/** The variables `$o<i>` and `$s<i>` of `n` teams, as a query declares them. */
export function teamParameters(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `$o${i}: String!, $s${i}: String!`);
}

/** Fields `m<i>` listing the members of team i (`$o<i>`/`$s<i>`): active members, child teams' included. */
export function teamFields(n: number): string {
  return Array.from(
    { length: n },
    (_, i) =>
      `m${i}: organization(login: $o${i}) { team(slug: $s${i}) { slug members(membership: ALL, first: 100) { nodes { login } } } }`,
  ).join(" ");
}

export function teamVariables(teams: readonly TeamRef[]): Record<string, string> {
  const vars: Record<string, string> = {};
  teams.forEach((t, i) => {
    vars[`o${i}`] = t.org;
    vars[`s${i}`] = t.slug;
  });
  return vars;
}

/** The answer to `teamFields`: per alias, the organization's team or null. */
export type TeamsData = Partial<Record<`m${number}`, MembersData>>;

/**
 * Each team's listed members (lower case), for the teams GitHub answered as asked: a team found by its
 * name (GitHub's `team(slug:)` also finds one by name) is another team's, and is left out, as is one GitHub
 * did not answer.
 */
export function listedMembers<T extends TeamRef>(teams: readonly T[], data: TeamsData): Map<T, Set<string>> {
  const out = new Map<T, Set<string>>();
  teams.forEach((t, i) => {
    const team = data[`m${i}`]?.team;
    if (typeof team?.slug !== "string" || team.slug.toLowerCase() !== t.slug.toLowerCase()) return;
    // GitHub's schema lets the list itself be null (with an error beside it): then the team is not listed.
    const nodes = team.members?.nodes;
    if (!Array.isArray(nodes)) return;
    const logins = new Set<string>();
    for (const n of nodes) if (typeof n?.login === "string") logins.add(n.login.toLowerCase());
    out.set(t, logins);
  });
  return out;
}

/** As GitHub's schema types it (a nullable list of nullable users); read defensively: it may come with errors. */
type MembersData = {
  team: { slug?: unknown; members?: { nodes?: ({ login?: unknown } | null)[] | null } | null } | null;
} | null;
