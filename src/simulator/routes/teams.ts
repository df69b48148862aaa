/** Team membership: members of child teams count as members of the parent, as on GitHub. */
import { json, notFound, paginate, type ApiRequest } from "../http.js";
import { user } from "../render.js";
import type { Route, RouteContext } from "../router.js";
import type { Account, State, Team } from "../state.js";

function teamOf(req: ApiRequest, ctx: RouteContext): Team {
  if ((req.params.org ?? "").toLowerCase() !== ctx.state.org.toLowerCase()) throw notFound();
  const team = ctx.state.teams.get((req.params.team_slug ?? "").toLowerCase());
  if (!team) throw notFound();
  return team;
}

function membership(req: ApiRequest, ctx: RouteContext) {
  const team = teamOf(req, ctx);
  const login = (req.params.username ?? "").toLowerCase();
  const m = [...ctx.state.teamMembers(team.slug)].find(([l]) => l.toLowerCase() === login)?.[1];
  if (!m) throw notFound();
  const org = ctx.state.account(ctx.state.org)!;
  return json(200, {
    url: `${req.urls.api}/organizations/${org.id}/team/${team.id}/memberships/${req.params.username}`,
    role: m.role,
    state: m.state,
  });
}

/** A team's active members (pending invitations are not members yet), child teams' included, by id. */
export function activeMembers(state: State, slug: string, role = "all"): Account[] {
  return [...state.teamMembers(slug)]
    .filter(([, m]) => m.state === "active" && (role === "all" || m.role === role))
    .map(([login]) => state.account(login)!)
    .sort((a, b) => a.id - b.id);
}

/** Lists active members only; pending invitations are not members yet. */
function members(req: ApiRequest, ctx: RouteContext) {
  const team = teamOf(req, ctx);
  const list = activeMembers(ctx.state, team.slug, req.query.get("role") ?? "all");
  const { page, headers } = paginate(req, list);
  return json(
    200,
    page.map((a) => user(req.urls, a)),
    headers,
  );
}

/** A user's public profile: 404 for a login GitHub does not know. */
function getUser(req: ApiRequest, ctx: RouteContext) {
  const a = ctx.state.account(req.params.username ?? "");
  if (!a) throw notFound();
  return json(200, {
    ...user(req.urls, a),
    name: a.name,
    company: null,
    blog: "",
    location: null,
    email: a.email,
    hireable: null,
    bio: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: "2020-01-01T00:00:00Z",
    updated_at: "2020-01-01T00:00:00Z",
  });
}

export const teamRoutes: Route[] = [
  { method: "GET", template: "/users/{username}", auth: "installation", handler: getUser },
  {
    method: "GET",
    template: "/orgs/{org}/teams/{team_slug}/memberships/{username}",
    auth: "installation",
    handler: membership,
  },
  { method: "GET", template: "/orgs/{org}/teams/{team_slug}/members", auth: "installation", handler: members },
];
