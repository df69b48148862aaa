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
 * two or more: each team's members matching the login (`Team.members(query:, membership: ALL)`: active
 * members, child teams' included; invitations are another connection). A login found there, compared
 * exactly, is a member. Anything else — not found (GitHub's search may match differently, or list more
 * than a page), an organization or team GraphQL cannot see, any error — is asked over REST as before, so
 * the query can only save requests, never decide that someone is not a member.
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
    return new Promise<boolean>((resolve, reject) => {
      this.asked.push({
        ...l,
        settle: (p) => {
          p.then(resolve, reject);
        },
      });
      if (this.asked.length === 1) queueMicrotask(() => void this.send());
    });
  }

  /** Sends the lookups asked together: one over REST, several in one query with REST for the rest. */
  private async send(): Promise<void> {
    const batch = this.asked;
    this.asked = [];
    const listed = new Set<number>();
    if (batch.length > 1) {
      // At most MAX_LOOKUPS_PER_QUERY aliases a query (claims by many commenters make many pairs), at once.
      const chunks = [];
      for (let at = 0; at < batch.length; at += MAX_LOOKUPS_PER_QUERY)
        chunks.push(this.listed(batch.slice(at, at + MAX_LOOKUPS_PER_QUERY)).then((found) => ({ at, found })));
      for (const { at, found } of await Promise.all(chunks)) for (const i of found) listed.add(at + i);
    }
    for (const [i, l] of batch.entries()) {
      if (!listed.has(i)) {
        l.settle(this.lookup(l.org, l.slug, l.login, l.key));
        continue;
      }
      this.recent?.set(l.key, true);
      l.settle(Promise.resolve(true));
    }
  }

  /** Which of `batch` GitHub lists as their team's members (indexes); none when the query fails. */
  private async listed(batch: readonly Lookup[]): Promise<Set<number>> {
    const found = new Set<number>();
    try {
      const data = await this.octokit.graphql<Record<string, MembersData>>(
        membersQuery(batch.length),
        membersVariables(batch),
      );
      batch.forEach((l, i) => {
        const nodes = data[`m${i}`]?.team?.members.nodes ?? [];
        if (nodes.some((n) => n?.login.toLowerCase() === l.login.toLowerCase())) found.add(i);
      });
    } catch {
      // Any failure (an organization GraphQL cannot see, a rate limit…): REST asks each, and fails as it fails.
      return new Set();
    }
    return found;
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
 * Lookups in one query: each alias may list up to 100 members, and GitHub bounds a query's nodes (500,000)
 * and its cost; 50 keeps a query far inside both.
 */
export const MAX_LOOKUPS_PER_QUERY = 50;

interface Lookup {
  readonly org: string;
  readonly slug: string;
  readonly login: string;
  /** The cache key (organization, team and login, lower case). */
  readonly key: string;
  /** Settles the caller's promise as the given one does. */
  readonly settle: (p: Promise<boolean>) => void;
}

/** One alias per lookup; the documents differ only by how many (a query per size, not per login). */
export function membersQuery(n: number): string {
  const vars = Array.from({ length: n }, (_, i) => `$o${i}: String!, $s${i}: String!, $l${i}: String!`).join(", ");
  const fields = Array.from(
    { length: n },
    (_, i) =>
      `m${i}: organization(login: $o${i}) { team(slug: $s${i}) { members(query: $l${i}, membership: ALL, first: 100) { nodes { login } } } }`,
  ).join(" ");
  return `query TeamMembers(${vars}) { ${fields} }`;
}

function membersVariables(batch: readonly Lookup[]): Record<string, string> {
  const out: Record<string, string> = {};
  batch.forEach((l, i) => {
    out[`o${i}`] = l.org;
    out[`s${i}`] = l.slug;
    out[`l${i}`] = l.login;
  });
  return out;
}

type MembersData = { team: { members: { nodes: ({ login: string } | null)[] } } | null } | null;
