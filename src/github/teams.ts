import { isStatus, type Octokit } from "./client.js";

/**
 * Team membership lookups for one reconcile. `GET /orgs/{org}/teams/{team}/memberships/{user}` counts
 * members of child teams too, and reports `pending` invitations, which do not count: only `active`
 * members are reviewers. Lookups are memoised per reconcile only, so a removed member loses the right
 * to approve at the next event, never later.
 */
export class Memberships {
  private readonly memo = new Map<string, Promise<boolean>>();

  constructor(
    private readonly octokit: Octokit,
    /** The organization `slug` teams belong to: the repository's owner. */
    private readonly defaultOrg: string,
    private readonly ownerIsOrg: boolean,
  ) {}

  /** Is `login` an active member of `team` (`slug` or `org/slug`)? */
  isMember(team: string, login: string): Promise<boolean> {
    const [org, slug] = team.includes("/") ? (team.split("/", 2) as [string, string]) : [this.defaultOrg, team];
    // A user-owned repository has no teams; a bare slug there can name nobody.
    if (!team.includes("/") && !this.ownerIsOrg) return Promise.resolve(false);
    const key = `${org.toLowerCase()}/${slug.toLowerCase()}:${login.toLowerCase()}`;
    let p = this.memo.get(key);
    if (!p) {
      p = this.lookup(org, slug, login);
      this.memo.set(key, p);
    }
    return p;
  }

  private async lookup(org: string, team_slug: string, username: string): Promise<boolean> {
    try {
      const { data } = await this.octokit.request("GET /orgs/{org}/teams/{team_slug}/memberships/{username}", {
        org,
        team_slug,
        username,
      });
      return data.state === "active";
    } catch (err) {
      if (isStatus(err, 404)) return false;
      throw err;
    }
  }
}
