import { isStatus, type Octokit } from "./client.js";

/**
 * Does a team or user named in the table exist, as far as this app can see? Cached per process for a
 * few minutes: names rarely change, and a typo must be reported on every pull request, not looked up
 * on every event. A lookup that errors is not cached and fails the caller (the gate stays closed).
 */
const teams = new Map<string, { at: number; members: number | "invisible" }>();
const users = new Map<string, { at: number; exists: boolean }>();
const TTL_MS = 5 * 60_000;
const MAX_CACHED = 5_000;

/** Active members of `org/slug` (counted up to 100), or "invisible" when GitHub says the team does not exist for this app. */
export async function teamMembers(
  octokit: Octokit,
  org: string,
  slug: string,
  now = Date.now(),
): Promise<number | "invisible"> {
  const key = `${org}/${slug}`.toLowerCase();
  const hit = teams.get(key);
  if (hit && now - hit.at < TTL_MS) return hit.members;
  let members: number | "invisible";
  try {
    const { data } = await octokit.request("GET /orgs/{org}/teams/{team_slug}/members", {
      org,
      team_slug: slug,
      per_page: 100,
    });
    members = data.length;
  } catch (err) {
    if (!isStatus(err, 404, 403)) throw err;
    members = "invisible";
  }
  remember(teams, key, { at: now, members });
  return members;
}

export async function userExists(octokit: Octokit, login: string, now = Date.now()): Promise<boolean> {
  const key = login.toLowerCase();
  const hit = users.get(key);
  if (hit && now - hit.at < TTL_MS) return hit.exists;
  let exists: boolean;
  try {
    await octokit.request("GET /users/{username}", { username: login });
    exists = true;
  } catch (err) {
    if (!isStatus(err, 404)) throw err;
    exists = false;
  }
  remember(users, key, { at: now, exists });
  return exists;
}

/** Forgets every cached answer (tests start from a GitHub the app has not looked at). */
export function forgetDirectory(): void {
  teams.clear();
  users.clear();
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_CACHED) map.delete(map.keys().next().value!);
}
