/**
 * GitHub's GraphQL endpoint as far as the app uses it: every document is validated against GitHub's
 * published schema (@octokit/graphql-schema), and `createCheckRun` / `updateCheckRun` / `addComment` run
 * against a backend that applies them as the REST check-run and comment routes do (the simulator's state,
 * or the tests' fake GitHub); queries read a pull request through a `PullStateBackend` (graphql-reads.ts)
 * exactly as the REST reads see it. Anything else the schema allows is answered with an error naming what is not simulated.
 *
 * `graphql` and the 1.2 MB schema are dev-only dependencies, so both are loaded lazily (dynamic import),
 * once per process, like the OpenAPI description (openapi.ts).
 */
import type * as GraphQL from "graphql";
import { FieldError, notSimulated } from "./graphql-errors.js";
import { checkRunNode, queryRoot, type PullStateBackend, type RestAppRun } from "./graphql-reads.js";

/** A check run as the REST API renders it (the fields GraphQL's CheckRun is built from). */
export interface RestCheckRun extends RestAppRun {
  readonly head_sha: string;
}

/**
 * Where mutations take effect. Bodies are REST-shaped (`head_sha`, `completed_at`, lower-case enums), so a
 * backend reuses its REST route's code; an error with an HTTP `status` (404, 403, 422, or a 5xx) becomes
 * GitHub's per-field GraphQL error (NOT_FOUND, FORBIDDEN, UNPROCESSABLE, INTERNAL).
 */
export interface MutationBackend {
  createCheckRun(repositoryId: string, body: Record<string, unknown>): RestCheckRun;
  updateCheckRun(repositoryId: string, checkRunId: string, body: Record<string, unknown>): RestCheckRun;
  /** A comment on the issue or pull request `subjectId` names, as POST …/issues/{n}/comments writes it. */
  addComment(subjectId: string, body: string): void;
}

/** What GitHub answers (always HTTP 200 once the request is authenticated): data and/or errors. */
export interface GraphQLAnswer {
  data?: Record<string, unknown> | null;
  errors?: Record<string, unknown>[];
}

let loading: Promise<GraphQLEndpoint> | undefined;

/** One schema per process: building it from the SDL takes a few hundred milliseconds. */
export function loadGraphQL(): Promise<GraphQLEndpoint> {
  loading ??= load().catch((err: Error) => {
    loading = undefined;
    throw new Error(`GraphQL needs the dev dependencies graphql and @octokit/graphql-schema: ${err.message}`);
  });
  return loading;
}

async function load(): Promise<GraphQLEndpoint> {
  const [gql, published] = await Promise.all([import("graphql"), import("@octokit/graphql-schema")]);
  return new GraphQLEndpoint(gql, gql.buildSchema(published.schema.idl, { assumeValidSDL: true }));
}

export class GraphQLEndpoint {
  constructor(
    private readonly gql: typeof GraphQL,
    readonly schema: GraphQL.GraphQLSchema,
  ) {}

  /** Schema errors of a document ([] when GitHub would accept it); for tests that check what they send. */
  validate(query: string): string[] {
    try {
      return this.gql.validate(this.schema, this.gql.parse(query)).map((e) => e.message);
    } catch (err) {
      return [err instanceof Error ? err.message : String(err)];
    }
  }

  /**
   * Answers a request body (`{ query, variables, operationName }`) as GitHub's POST /graphql does: mutations
   * through `backend`, queries from `reads` (without it, every query field answers "not simulated").
   */
  execute(body: unknown, backend: MutationBackend, reads?: PullStateBackend): GraphQLAnswer {
    const { gql, schema } = this;
    const req = (body ?? {}) as { query?: unknown; variables?: unknown; operationName?: unknown };
    if (typeof req.query !== "string")
      return { errors: [{ message: "A query attribute must be specified and must be a string." }] };
    let document: GraphQL.DocumentNode;
    try {
      document = gql.parse(req.query);
    } catch (err) {
      return { errors: [format(err as GraphQL.GraphQLError)] };
    }
    const invalid = gql.validate(schema, document);
    if (invalid.length > 0) return { errors: invalid.map(format) };
    const result = gql.executeSync({
      schema,
      document,
      variableValues: (req.variables ?? {}) as Record<string, unknown>,
      operationName: typeof req.operationName === "string" ? req.operationName : null,
      // One root for both operation types: their field names differ (createCheckRun… vs viewer, repository).
      rootValue: { ...(reads ? queryRoot(reads) : {}), ...mutations(backend) },
      fieldResolver: (
        source: unknown,
        args: Record<string, unknown>,
        _ctx: unknown,
        info: GraphQL.GraphQLResolveInfo,
      ) => {
        const value = (source as Record<string, unknown> | null)?.[info.fieldName];
        if (typeof value === "function") return (value as (a: unknown) => unknown)(args);
        if (value !== undefined) return value;
        throw new gql.GraphQLError(notSimulated(`${info.parentType.name}.${info.fieldName}`));
      },
    });
    return {
      ...("data" in result ? { data: result.data } : {}),
      ...(result.errors ? { errors: result.errors.map(format) } : {}),
    };
  }
}

/** GitHub's error shape: the type (NOT_FOUND, …) beside message, locations and path. */
function format(e: GraphQL.GraphQLError): Record<string, unknown> {
  const type = (e.originalError as { type?: string } | undefined)?.type;
  return {
    ...(type ? { type } : {}),
    message: e.message,
    ...(e.locations ? { locations: e.locations } : {}),
    ...(e.path ? { path: e.path } : {}),
  };
}

const TYPES: Record<number, string> = { 403: "FORBIDDEN", 404: "NOT_FOUND", 422: "UNPROCESSABLE" };

/** The root of a mutation: the GitHub mutations the app sends, each through the backend. */
function mutations(backend: MutationBackend): Record<string, (args: { input: Input }) => unknown> {
  const run = (input: Input, node: string, write: () => RestCheckRun) =>
    field(node, () => ({ clientMutationId: input.clientMutationId ?? null, checkRun: checkRunNode(write()) }));
  return {
    createCheckRun: ({ input }) =>
      run(input, String(input.repositoryId), () => backend.createCheckRun(String(input.repositoryId), restBody(input))),
    updateCheckRun: ({ input }) =>
      run(input, String(input.checkRunId), () =>
        backend.updateCheckRun(String(input.repositoryId), String(input.checkRunId), restBody(input)),
      ),
    // The payload's other fields (the comment's edge, the subject, the timeline) are not simulated.
    addComment: ({ input }) =>
      field(String(input.subjectId), () => {
        backend.addComment(String(input.subjectId), String(input.body));
        return { clientMutationId: input.clientMutationId ?? null };
      }),
  };
}

/** A mutation field's answer, or GitHub's error for it: the REST status its backend failed with, by type. */
function field<T>(node: string, write: () => T): T {
  try {
    return write();
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 404)
      throw new FieldError("NOT_FOUND", `Could not resolve to a node with the global id of '${node}'`);
    if (status !== undefined && TYPES[status]) throw new FieldError(TYPES[status], (err as Error).message);
    if (status !== undefined)
      throw new FieldError("INTERNAL", "Something went wrong while executing your query. This may be a GitHub bug.");
    throw err;
  }
}

type Input = Record<string, unknown> & { clientMutationId?: string | null };

/** GraphQL's check-run input as the REST body the routes take (validated by the schema already). */
export function restBody(input: Input): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const names: Record<string, string> = {
    name: "name",
    headSha: "head_sha",
    detailsUrl: "details_url",
    externalId: "external_id",
    startedAt: "started_at",
    completedAt: "completed_at",
  };
  for (const [key, value] of Object.entries(input)) {
    if (value === null || value === undefined || ["repositoryId", "checkRunId", "clientMutationId"].includes(key))
      continue;
    if (key in names) out[names[key]!] = value;
    else if (key === "status" || key === "conclusion")
      out[key] = (value as string).toLowerCase(); // enums: strings
    else if (key === "actions") out.actions = value;
    else if (key === "output") out.output = output(value as Record<string, unknown>);
    else throw new FieldError("UNPROCESSABLE", notSimulated(`the check-run input's ${key}`));
  }
  return out;
}

function output(o: Record<string, unknown>): Record<string, unknown> {
  for (const key of ["annotations", "images"])
    if (o[key] !== null && o[key] !== undefined)
      throw new FieldError("UNPROCESSABLE", notSimulated(`the check-run output's ${key}`));
  return Object.fromEntries(
    ["title", "summary", "text"].filter((k) => o[k] !== null && o[k] !== undefined).map((k) => [k, o[k]]),
  );
}
