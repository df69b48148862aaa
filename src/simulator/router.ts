/**
 * Route table keyed by the OpenAPI path templates, so a matched route doubles as the key for
 * request/response validation and per-endpoint counters.
 */
import type { EventBuilder, WebhookPayload } from "./events.js";
import { HttpError, notFound, type ApiRequest, type ApiResponse } from "./http.js";
import type { Repo, State } from "./state.js";
import type { DeliveryAttempt, DeliveryRecord } from "./webhooks.js";

export interface RouteContext {
  state: State;
  events: EventBuilder;
  /** ISO timestamp (second precision) from the simulator clock. */
  now(): string;
  nowMs(): number;
  /**
   * Webhooks GitHub sends back to the app about its own writes (its bot comment, its check run).
   * Only delivered when the simulator's `echoAppEvents` option is on.
   */
  echo(p: WebhookPayload): void;
  /** The app's webhook deliveries, for GET /app/hook/deliveries and redelivery. */
  deliveries?: {
    readonly log: readonly DeliveryRecord[];
    attempt(id: number): { record: DeliveryRecord; attempt: DeliveryAttempt } | undefined;
    redeliver(guid: string): Promise<number | undefined>;
  };
}

export type Handler = (req: ApiRequest, ctx: RouteContext) => ApiResponse | Promise<ApiResponse>;

export interface Route {
  method: string;
  /** OpenAPI template, e.g. /repos/{owner}/{repo}/pulls/{pull_number} */
  template: string;
  /** "app": RS256 JWT; "installation": installation token. */
  auth: "app" | "installation";
  handler: Handler;
}

/** Params that may span several path segments (file paths, base...head, refs with slashes). */
const GREEDY = new Set(["path", "basehead", "ref"]);

interface Compiled {
  route: Route;
  regex: RegExp;
  names: string[];
}

export class Router {
  private readonly compiled: Compiled[] = [];

  add(...routes: Route[]): void {
    for (const route of routes) {
      const names: string[] = [];
      const pattern = route.template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, (_, n: string) => {
        names.push(n);
        return GREEDY.has(n) ? "(.+?)" : "([^/]+)";
      });
      this.compiled.push({ route, regex: new RegExp(`^${pattern}/?$`), names });
    }
  }

  match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    for (const c of this.compiled) {
      if (c.route.method !== method) continue;
      const m = c.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      c.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
      return { route: c.route, params };
    }
    return undefined;
  }
}

/** The installation only covers repos of the simulated owner; anything else is a 404 like on GitHub. */
export function repoOf(req: ApiRequest, ctx: RouteContext): Repo {
  const repo = ctx.state.repo(req.params.owner ?? "", req.params.repo ?? "");
  if (!repo) throw notFound();
  return repo;
}

export function requireBody(req: ApiRequest): Record<string, unknown> {
  if (req.body === undefined || req.body === null || typeof req.body !== "object" || Array.isArray(req.body)) {
    throw new HttpError(400, "Problems parsing JSON");
  }
  return req.body as Record<string, unknown>;
}
