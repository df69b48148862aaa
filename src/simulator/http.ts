/** Request/response types shared by the server and route handlers, plus GitHub-style errors and pagination. */
import type { IncomingHttpHeaders } from "node:http";
import type { Urls } from "./render.js";

export const DOCS = "https://docs.github.com/rest";

export interface ApiRequest {
  method: string;
  /** Path with any /api/v3 prefix removed. */
  path: string;
  /** "" or "/api/v3": kept so Link headers point back at the same base the client used. */
  prefix: string;
  query: URLSearchParams;
  params: Record<string, string>;
  body: unknown;
  headers: IncomingHttpHeaders;
  /** Installation id for token auth, app id for JWT auth. */
  auth: { kind: "installation"; installationId: number } | { kind: "app"; appId: number } | { kind: "none" };
  urls: Urls;
  /** Origin the client connected to, e.g. http://127.0.0.1:1234 */
  origin: string;
  /**
   * For a GraphQL mutation field: the injected fault aimed at the REST write it stands for (Faults.forField),
   * counted with the request's faults.
   */
  fieldFault?(method: string, path: string): { status: number; phase: "before" | "after" } | undefined;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ValidationErrorItem {
  resource?: string;
  field?: string;
  code: string;
  message?: string;
  value?: unknown;
}

/** Thrown by handlers; the server turns it into GitHub's error JSON. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: {
      errors?: ValidationErrorItem[];
      documentation_url?: string;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(message);
  }

  toBody(): Record<string, unknown> {
    return {
      message: this.message,
      ...(this.extra.errors ? { errors: this.extra.errors } : {}),
      documentation_url: this.extra.documentation_url ?? DOCS,
      status: String(this.status),
    };
  }
}

export const notFound = (): HttpError => new HttpError(404, "Not Found");

export const unprocessable = (message: string, errors?: ValidationErrorItem[]): HttpError =>
  new HttpError(422, message, errors ? { errors } : {});

export function intParam(req: ApiRequest, name: string): number {
  const raw = req.params[name] ?? "";
  if (!/^\d+$/.test(raw)) throw notFound();
  return Number(raw);
}

/**
 * GitHub pagination: page/per_page query, per_page capped at `max`, and an RFC 5988 Link header
 * with absolute URLs that keep the rest of the query string intact.
 */
export function paginate<T>(
  req: ApiRequest,
  items: T[],
  opts: { max?: number; defaultPerPage?: number } = {},
): { page: T[]; headers: Record<string, string> } {
  const max = opts.max ?? 100;
  const perPage = Math.min(max, Math.max(1, Number(req.query.get("per_page") ?? opts.defaultPerPage ?? 30) || 30));
  const page = Math.max(1, Number(req.query.get("page") ?? 1) || 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const link = (p: number) => {
    const q = new URLSearchParams(req.query);
    q.set("per_page", String(perPage));
    q.set("page", String(p));
    return `<${req.origin}${req.prefix}${req.path}?${q.toString()}>`;
  };
  const rels: string[] = [];
  if (page > 1) rels.push(`${link(page - 1)}; rel="prev"`);
  if (page < last) rels.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`);
  if (page > 1) rels.push(`${link(1)}; rel="first"`);
  return { page: slice, headers: rels.length ? { link: rels.join(", ") } : {} };
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): ApiResponse => ({
  status,
  body,
  ...(headers ? { headers } : {}),
});
