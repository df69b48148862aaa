/**
 * POST /graphql (and GitHub Enterprise's /api/graphql): documents are validated against GitHub's published
 * schema; `createCheckRun` / `updateCheckRun` take effect through the REST check-run code (routes/checks.ts),
 * with the same checks and webhooks. A document GitHub would reject is answered as GitHub does: HTTP 200
 * with `errors`.
 */
import { loadGraphQL, type CheckRunBackend, type RestCheckRun } from "../graphql.js";
import { json, notFound, type ApiRequest } from "../http.js";
import { checkRun } from "../render-checks.js";
import type { Route, RouteContext } from "../router.js";
import type { Repo } from "../state.js";
import { parseNodeId } from "../util.js";
import { createCheckRun, updateCheckRun } from "./checks.js";

function backend(req: ApiRequest, ctx: RouteContext): CheckRunBackend {
  const repoOf = (id: string): Repo => {
    const node = parseNodeId(id);
    const repo = node?.type === "Repository" ? [...ctx.state.repos.values()].find((r) => r.id === node.id) : undefined;
    if (!repo) throw notFound();
    return repo;
  };
  const runId = (id: string): number => {
    const node = parseNodeId(id);
    if (node?.type !== "CheckRun") throw notFound();
    return node.id;
  };
  const rendered = (run: Parameters<typeof checkRun>[2]) =>
    checkRun(req.urls, ctx.state, run) as unknown as RestCheckRun;
  return {
    createCheckRun: (repositoryId, body) => rendered(createCheckRun(ctx, repoOf(repositoryId), body)),
    updateCheckRun: (repositoryId, checkRunId, body) =>
      rendered(updateCheckRun(ctx, repoOf(repositoryId), runId(checkRunId), body)),
  };
}

export const graphqlRoutes: Route[] = [
  {
    method: "POST",
    template: "/graphql",
    auth: "installation",
    handler: async (req, ctx) => json(200, (await loadGraphQL()).execute(req.body, backend(req, ctx))),
  },
];
