/**
 * The app's webhook deliveries (GET /app/hook/deliveries, POST …/attempts: GitHub's "Recent
 * Deliveries" and "Redeliver"), and what the installation covers (GET /app/installations,
 * GET /installation/repositories): what a healing sweep reads.
 */
import { HttpError, intParam, json, notFound, paginate, type ApiRequest } from "../http.js";
import { installation, repository } from "../render.js";
import type { Route, RouteContext } from "../router.js";

function deliveries(req: ApiRequest, ctx: RouteContext) {
  const log = ctx.deliveries?.log ?? [];
  const wanted = req.query.get("status"); // "success" | "failure"
  const items = log
    .flatMap((record) =>
      record.history.map((a) => {
        const ok = a.statusCode >= 200 && a.statusCode < 300;
        const payload = record.payload as { repository?: { id?: number }; installation?: { id?: number } };
        return {
          ok,
          item: {
            id: a.id,
            guid: record.id,
            delivered_at: a.at,
            redelivery: a.redelivery,
            duration: a.durationMs / 1000,
            status: ok ? "OK" : a.statusCode === 0 ? "Timed out" : "Invalid HTTP Response: " + a.statusCode,
            status_code: a.statusCode,
            event: record.event,
            action: record.action ?? null,
            installation_id: payload.installation?.id ?? null,
            repository_id: payload.repository?.id ?? null,
          },
        };
      }),
    )
    .filter((d) => !wanted || (wanted === "success") === d.ok)
    .map((d) => d.item)
    .sort((a, b) => b.id - a.id); // newest first, as GitHub lists them
  // Cursor pagination: the cursor is the id to continue below.
  const perPage = Math.min(100, Math.max(1, Number(req.query.get("per_page") ?? 30) || 30));
  const cursor = Number(req.query.get("cursor") ?? Infinity);
  const rest = items.filter((i) => i.id < cursor);
  const page = rest.slice(0, perPage);
  const headers: Record<string, string> = {};
  if (rest.length > perPage) {
    const q = new URLSearchParams(req.query);
    q.set("per_page", String(perPage));
    q.set("cursor", String(page[page.length - 1]!.id));
    headers.link = `<${req.origin}${req.prefix}${req.path}?${q.toString()}>; rel="next"`;
  }
  return json(200, page, headers);
}

function redeliver(req: ApiRequest, ctx: RouteContext) {
  const found = ctx.deliveries?.attempt(intParam(req, "delivery_id"));
  if (!found) throw notFound();
  void ctx.deliveries!.redeliver(found.record.id);
  return json(202, {});
}

export const hookRoutes: Route[] = [
  { method: "GET", template: "/app/hook/deliveries", auth: "app", handler: deliveries },
  { method: "POST", template: "/app/hook/deliveries/{delivery_id}/attempts", auth: "app", handler: redeliver },
  {
    method: "GET",
    template: "/app/installations",
    auth: "app",
    handler: (req, ctx) => json(200, [installation(req.urls, ctx.state)]),
  },
  {
    method: "GET",
    template: "/installation/repositories",
    auth: "installation",
    handler: (req, ctx) => {
      if (req.auth.kind !== "installation") throw new HttpError(403, "Requires an installation token");
      const repos = [...ctx.state.repos.values()].sort((a, b) => a.id - b.id);
      const { page, headers } = paginate(req, repos);
      return json(
        200,
        {
          total_count: repos.length,
          repository_selection: "all",
          repositories: page.map((r) => repository(req.urls, ctx.state, r)),
        },
        headers,
      );
    },
  },
];
