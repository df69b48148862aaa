/**
 * Optional validation against GitHub's own OpenAPI description (@octokit/openapi).
 *
 * ajv and the 13 MB spec are dev-only dependencies, so both are loaded lazily (dynamic import + readFile)
 * and only when validation is switched on. Schemas are converted from OpenAPI 3.0 to JSON Schema
 * (nullable, $ref layout) once, and compiled per operation on first use.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { Ajv, ErrorObject, ValidateFunction } from "ajv";
import { HttpError, type ValidationErrorItem } from "./http.js";

type Schema = Record<string, unknown>;

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  parameters?: Array<Parameter | { $ref: string }>;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { $ref?: string; content?: Record<string, { schema?: Schema }> }>;
  externalDocs?: { url?: string };
}

interface Spec {
  paths: Record<string, Record<string, Operation>>;
  "x-webhooks": Record<string, { post?: Operation }>;
  components: {
    schemas: Record<string, Schema>;
    parameters: Record<string, Parameter>;
    responses: Record<string, unknown>;
  };
}

/** Annotation keys that only cost memory and compile time; never dropped inside a `properties` map. */
const DROP = new Set(["description", "example", "examples", "externalDocs", "discriminator", "title"]);
const ROOT = "gh";

/** OpenAPI 3.0 → JSON Schema for ajv: `nullable`, and refs pointing into one shared definitions schema. */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== "object") return node;
  const src = node as Schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(src)) {
    if (DROP.has(k) || k.startsWith("x-") || k === "nullable") continue;
    if (k === "$ref" && typeof v === "string") out.$ref = v.replace("#/components/schemas/", `${ROOT}#/definitions/`);
    else if (k === "properties" || k === "patternProperties")
      out[k] = Object.fromEntries(Object.entries(v as Schema).map(([p, s]) => [p, toJsonSchema(s)]));
    else if (["items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"].includes(k)) out[k] = toJsonSchema(v);
    else out[k] = v;
  }
  if (src.nullable !== true) return out;
  if (typeof out.type === "string") {
    out.type = [out.type, "null"];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...(out.enum as unknown[]), null];
    return out;
  }
  return Object.keys(out).length === 0 ? out : { anyOf: [{ type: "null" }, out] };
}

const FORMATS: Record<string, RegExp | true> = {
  "date-time": /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  uri: /^[a-z][a-z0-9+.-]*:[^\s]*$/i,
  email: /^[^\s@]+@[^\s@]+$/,
};

/**
 * Places where the published description lags behind GitHub itself. The check_suite webhook's
 * `app.events` enum predates merge queues and lacks "merge_group", which real apps do subscribe to.
 */
const KNOWN_SPEC_GAPS: Array<(e: ErrorObject) => boolean> = [
  (e) => e.keyword === "enum" && /\/app\/events\/\d+$/.test(e.instancePath) && e.data === "merge_group",
];

let loading: Promise<OpenApi> | undefined;

/** One spec + ajv per process: several simulators in one test file share the compiled validators. */
export function loadOpenApi(): Promise<OpenApi> {
  loading ??= load().catch((err: Error) => {
    loading = undefined;
    throw new Error(`OpenAPI validation needs the dev dependencies ajv and @octokit/openapi: ${err.message}`);
  });
  return loading;
}

async function load(): Promise<OpenApi> {
  const file = createRequire(import.meta.url).resolve("@octokit/openapi/generated/api.github.com.json");
  const ajvModule = (await import("ajv")).default;
  const spec = JSON.parse(await readFile(file, "utf8")) as Spec;
  const ajv = new ajvModule.default({
    strict: false,
    allErrors: true,
    verbose: true,
    validateSchema: false,
    inlineRefs: false,
  });
  for (const [name, f] of Object.entries(FORMATS)) ajv.addFormat(name, f);
  for (const name of ["uri-template", "int32", "int64", "double", "timestamp", "binary", "repo.nwo"])
    ajv.addFormat(name, true);
  const definitions = Object.fromEntries(Object.entries(spec.components.schemas).map(([k, v]) => [k, toJsonSchema(v)]));
  ajv.addSchema({ definitions }, ROOT);
  return new OpenApi(spec, ajv);
}

export class OpenApi {
  private readonly cache = new Map<string, ValidateFunction | null>();

  constructor(
    private readonly spec: Spec,
    private readonly ajv: Ajv,
  ) {}

  /** Returns an HttpError shaped like GitHub's 422 for a request GitHub's schema would reject, else null. */
  validateRequest(method: string, template: string, query: URLSearchParams, body: unknown): HttpError | null {
    const op = this.operation(method, template);
    if (!op) return null;
    const docs = op.externalDocs?.url;
    const queryCheck = this.compiled(`${method} ${template} query`, () => this.querySchema(op));
    if (queryCheck && !queryCheck(coerceQuery(this.params(op), query)))
      return requestError(queryCheck.errors, docs, "query");
    const bodySchema = op.requestBody?.content?.["application/json"]?.schema;
    if (!bodySchema) return null;
    if (body === undefined) {
      if (!op.requestBody?.required) return null;
      return new HttpError(
        422,
        "Invalid request.\n\nFor 'links/0/schema', nil is not an object.",
        docs ? { documentation_url: docs } : {},
      );
    }
    const check = this.compiled(`${method} ${template} body`, () => toJsonSchema(bodySchema) as Schema);
    return check && !check(body) ? requestError(check.errors, docs, "body") : null;
  }

  /** Error strings when a 2xx body does not match the documented response schema, else null. */
  validateResponse(method: string, template: string, status: number, body: unknown): string | null {
    const op = this.operation(method, template);
    const response = op?.responses?.[String(status)];
    const schema = response?.content?.["application/json"]?.schema;
    if (!schema) return null;
    const check = this.compiled(`${method} ${template} ${status}`, () => toJsonSchema(schema) as Schema);
    if (!check || check(body)) return null;
    return `${method} ${template} → ${status}: ${this.ajv.errorsText(check.errors?.slice(0, 8), { dataVar: "response" })}`;
  }

  /** Webhook payloads are checked against the `x-webhooks` schemas (e.g. check-run-requested-action). */
  validateWebhook(event: string, action: string | undefined, payload: unknown): string | null {
    const key = [event, action].filter(Boolean).join("-").replace(/_/g, "-");
    const schema = this.spec["x-webhooks"][key]?.post?.requestBody?.content?.["application/json"]?.schema;
    if (!schema) return null;
    const check = this.compiled(`webhook ${key}`, () => toJsonSchema(schema) as Schema);
    if (!check || check(payload)) return null;
    const errors = (check.errors ?? []).filter((e) => !KNOWN_SPEC_GAPS.some((gap) => gap(e)));
    return errors.length ? `webhook ${key}: ${this.ajv.errorsText(errors.slice(0, 8), { dataVar: "payload" })}` : null;
  }

  private operation(method: string, template: string): Operation | undefined {
    return this.spec.paths[template]?.[method.toLowerCase()];
  }

  private params(op: Operation): Parameter[] {
    return (op.parameters ?? []).map((p) =>
      "$ref" in p ? this.spec.components.parameters[p.$ref.split("/").pop()!]! : p,
    );
  }

  private querySchema(op: Operation): Schema | null {
    const query = this.params(op).filter((p) => p.in === "query" && p.schema);
    if (!query.length) return null;
    return {
      type: "object",
      properties: Object.fromEntries(query.map((p) => [p.name, toJsonSchema(p.schema)])),
      required: query.filter((p) => p.required).map((p) => p.name),
    };
  }

  private compiled(key: string, build: () => Schema | null): ValidateFunction | null {
    if (!this.cache.has(key)) {
      const schema = build();
      this.cache.set(key, schema ? this.ajv.compile(schema) : null);
    }
    return this.cache.get(key)!;
  }
}

/** Query strings are untyped; coerce the scalars the spec declares so "100" passes as an integer. */
function coerceQuery(params: Parameter[], query: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of params) {
    const raw = p.in === "query" ? query.get(p.name) : null;
    if (raw === null) continue;
    const type = p.schema?.type;
    if ((type === "integer" || type === "number") && /^-?\d+(\.\d+)?$/.test(raw)) out[p.name] = Number(raw);
    else if (type === "boolean" && (raw === "true" || raw === "false")) out[p.name] = raw === "true";
    else if (type === "array") out[p.name] = raw.split(",");
    else out[p.name] = raw;
  }
  return out;
}

/** GitHub phrases schema failures as "Invalid request.\n\n<details>"; we mirror that and add `errors`. */
function requestError(
  errors: ErrorObject[] | null | undefined,
  docs: string | undefined,
  where: "body" | "query",
): HttpError {
  const list = (errors ?? []).filter((e) => !["anyOf", "oneOf", "allOf", "if"].includes(e.keyword)).slice(0, 10);
  const items: ValidationErrorItem[] = list.map((e) => {
    const field =
      e.keyword === "required"
        ? joinPath(e.instancePath, String(e.params.missingProperty))
        : e.instancePath.replace(/^\//, "").replace(/\//g, ".");
    return {
      resource: where === "body" ? "Request" : "Query",
      field,
      code: e.keyword === "required" ? "missing_field" : "invalid",
      message: describe(e),
    };
  });
  const message = `Invalid request.\n\n${items.map((i) => i.message).join("\n")}`;
  return new HttpError(422, message, { errors: items, ...(docs ? { documentation_url: docs } : {}) });
}

const joinPath = (base: string, prop: string): string =>
  [base.replace(/^\//, "").replace(/\//g, "."), prop].filter(Boolean).join(".");

function describe(e: ErrorObject): string {
  const at = `For 'properties${e.instancePath}'`;
  switch (e.keyword) {
    case "required":
      return `"${String(e.params.missingProperty)}" wasn't supplied.`;
    case "maxLength":
      return `${at}, ${JSON.stringify(e.data)} is too long (maximum is ${String(e.params.limit)} characters).`;
    case "maxItems":
      return `${at}, the array has too many items (maximum is ${String(e.params.limit)}).`;
    case "enum":
      return `${at}, ${JSON.stringify(e.data)} is not a member of ${JSON.stringify(e.params.allowedValues)}.`;
    case "type":
      return `${at}, ${JSON.stringify(e.data)} is not ${String(e.params.type)}.`;
    default:
      return `${at}, ${e.message ?? "is invalid"}.`;
  }
}
