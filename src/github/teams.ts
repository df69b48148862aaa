import { isStatus, type Octokit } from "./client.js";
import type { Recent } from "./recent.js";

/**
 * Team membership lookups for one reconcile. `GET /orgs/{org}/teams/{team}/memberships/{user}` counts
 * members of child teams too, and reports `pending` invitations, which do not count: only `active`
 * members are reviewers. Lookups are memoised per reconcile. With `recent` (src/github/recent.ts), the
 * answer is also remembered between reconciles for a short time, unless `fresh` is set: the reconcile
 * that may open the gate asks afresh, so a removed member never opens it.
 */
export class Memberships {
  private readonly memo = new Map<string, Promise<boolean>>();

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
      p = known !== undefined ? Promise.resolve(known) : this.lookup(org, slug, login, key);
      this.memo.set(key, p);
    }
    return p;
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
