/** App-level endpoints, authenticated with the app's JWT. */
import { issueToken } from "../auth.js";
import { json, notFound, type ApiRequest } from "../http.js";
import { installation, integration, repository } from "../render.js";
import { repoOf, type Route, type RouteContext } from "../router.js";
import { isoSeconds } from "../util.js";

function createToken(req: ApiRequest, ctx: RouteContext) {
  if (Number(req.params.installation_id) !== ctx.state.installationId) throw notFound();
  const t = issueToken(ctx.state, ctx.nowMs());
  const body = (req.body ?? {}) as {
    repositories?: string[];
    repository_ids?: number[];
    permissions?: Record<string, string>;
  };
  const selected = [...ctx.state.repos.values()].filter(
    (r) => body.repositories?.includes(r.name) || body.repository_ids?.includes(r.id),
  );
  const narrowed = body.repositories !== undefined || body.repository_ids !== undefined;
  return json(201, {
    token: t.token,
    expires_at: isoSeconds(new Date(t.expiresAt)),
    permissions: body.permissions ?? ctx.state.app.permissions,
    repository_selection: narrowed ? "selected" : "all",
    ...(narrowed ? { repositories: selected.map((r) => repository(req.urls, ctx.state, r)) } : {}),
  });
}

export const appRoutes: Route[] = [
  { method: "POST", template: "/app/installations/{installation_id}/access_tokens", auth: "app", handler: createToken },
  {
    method: "GET",
    template: "/app",
    auth: "app",
    handler: (req, ctx) => json(200, integration(req.urls, ctx.state, ctx.state.app)),
  },
  {
    method: "GET",
    template: "/repos/{owner}/{repo}/installation",
    auth: "app",
    handler: (req, ctx) => {
      repoOf(req, ctx);
      return json(200, installation(req.urls, ctx.state));
    },
  },
];
