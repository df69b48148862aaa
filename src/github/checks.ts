import { createHash } from "node:crypto";
import type { CheckRunSpec } from "../core/checks.js";
import { graphqlFailure, isStatus, type GraphqlFieldError, type Octokit, type RepoRef } from "./client.js";

/** A check run this app already has on a commit, as much of it as decides whether to rewrite it. */
export interface ExistingRun {
  readonly id: number;
  /** GitHub's global id: what GraphQL's `updateCheckRun` names the run by. */
  readonly nodeId: string;
  readonly name: string;
  readonly status: string;
  readonly conclusion: string | null;
  /** Null when read over GraphQL, which asks for the digest (`externalId`) instead of the output. */
  readonly title: string | null;
  /** Null when read over GraphQL (see title). */
  readonly summary: string | null;
  /** The gate's carries the ledger (src/core/ledger.ts): always read. */
  readonly text: string | null;
  /** The run's `external_id`: the digest of what the app last wrote to it (see runDigest), or whatever an older version left. */
  readonly externalId: string | null;
  /** When GitHub started it: the earliest of the app's runs on a commit is when the app first saw that commit. */
  readonly startedAt: string | null;
}

export async function listOwnRuns(octokit: Octokit, repo: RepoRef, sha: string, appId: number): Promise<ExistingRun[]> {
  const runs = await octokit.paginate("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", {
    ...repo,
    ref: sha,
    app_id: appId,
    filter: "all",
    per_page: 100,
  });
  return runs
    .filter((r) => r.app?.id === appId) // GitHub filtered by app_id already; a run naming no app is not taken for ours
    .map((r) => ({
      id: r.id,
      nodeId: r.node_id,
      name: r.name,
      status: r.status,
      conclusion: r.conclusion ?? null,
      title: r.output?.title ?? null,
      summary: r.output?.summary ?? null,
      text: r.output?.text ?? null,
      externalId: r.external_id ?? null,
      startedAt: r.started_at ?? null,
    }))
    .sort((a, b) => a.id - b.id);
}

// mutation-range: run-digest
/** Does the run on GitHub already show what we want? Then writing it again would only spend rate limit. */
export function sameRun(have: ExistingRun, want: CheckRunSpec): boolean {
  if (have.status !== want.status || (have.conclusion ?? null) !== (want.conclusion ?? null)) return false;
  // The text (the gate's ledger) is read with every run: compared as read, not taken on the digest's word (a
  // write that left external_id out, by an older release during a rolling deploy, keeps the old digest).
  if ((have.text ?? null) !== (want.text ?? null)) return false;
  // A run the app wrote carries the digest of everything it wrote; one without (an older version's) is
  // compared field by field, and a GraphQL read (no title, no summary) rewrites it once, with a digest.
  if (have.externalId?.startsWith(DIGEST_PREFIX)) return have.externalId === runDigest(want);
  return have.title === want.title && have.summary === want.summary;
}

const DIGEST_PREFIX = "parallel-review:v1:";
// String.prototype.isWellFormed (Node 20; not in TypeScript's ES2022 library).
const wellFormed = (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/**
 * What the app writes to a run, as a digest kept in the run's `external_id`: the reads ask for it instead of
 * the outputs, which are most of a snapshot's bytes (a conflicts check names every overlapping pull
 * request). Only the app that created a check run can change it, `external_id` included, so a digest that
 * matches says the run shows exactly this spec; nobody else can make it match (docs/security.md). Not in it:
 * `completed_at`, a stamp of the write itself.
 */
export function runDigest(spec: CheckRunSpec): string {
  let digest = digests.get(spec);
  if (digest === undefined) digests.set(spec, (digest = DIGEST_PREFIX + digestOf(spec)));
  return digest;
}

/** A spec is compared with each of its runs and then written: its digest is made once (specs are not changed). */
const digests = new WeakMap<CheckRunSpec, string>();

/**
 * Each field length-prefixed (or marked absent), fed to the hash as it is: no copy of the outputs made first.
 * A text with a lone surrogate goes in as JSON (its escape), since UTF-8 would make it the replacement
 * character and so the digest of a different text.
 */
function digestOf(spec: CheckRunSpec): string {
  const hash = createHash("sha256");
  const put = (v: string | null | undefined) => {
    if (v === null || v === undefined) return hash.update("~");
    if (wellFormed(v)) return hash.update(`${v.length}:`).update(v);
    const escaped = JSON.stringify(v);
    return hash.update(`${escaped.length}j`).update(escaped); // its own mark: no well-formed text reads the same
  };
  for (const v of [spec.name, spec.status, spec.conclusion, spec.title, spec.summary, spec.text]) put(v);
  hash.update(`${spec.actions.length}:`);
  for (const a of spec.actions) for (const v of [a.label, a.description, a.identifier]) put(v);
  return hash.digest("base64url");
}
// mutation-range-end

/** `now` stamps `completed_at`: a click's earliest possible time is read back from it (see clickTime). */
export async function createRun(
  octokit: Octokit,
  repo: RepoRef,
  sha: string,
  spec: CheckRunSpec,
  now: Date = new Date(),
): Promise<number> {
  const { data } = await octokit.request("POST /repos/{owner}/{repo}/check-runs", {
    ...repo,
    head_sha: sha,
    ...body(spec, now),
  });
  return Number(data.id);
}

export async function updateRun(
  octokit: Octokit,
  repo: RepoRef,
  id: number,
  spec: CheckRunSpec,
  now: Date = new Date(),
): Promise<void> {
  try {
    await octokit.request("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", {
      ...repo,
      check_run_id: id,
      ...body(spec, now),
    });
  } catch (err) {
    // A run that vanished cannot be updated; the next reconcile lists again and creates it.
    if (!isStatus(err, 404)) throw err;
  }
}

/** The REST body of a create or update (the GraphQL inputs below carry the same fields). */
function body(spec: CheckRunSpec, now: Date) {
  return {
    name: spec.name,
    status: spec.status,
    ...(spec.status === "completed" ? { conclusion: spec.conclusion!, completed_at: now.toISOString() } : {}),
    output: { title: spec.title, summary: spec.summary, ...(spec.text !== undefined ? { text: spec.text } : {}) },
    actions: [...spec.actions],
    external_id: runDigest(spec),
  };
}

/** One check-run write of a batch: a new run on a commit, or a rewrite of a run the app has. */
export type RunWrite =
  | { readonly create: CheckRunSpec; readonly sha: string }
  | { readonly update: CheckRunSpec; readonly run: Pick<ExistingRun, "id" | "nodeId"> };

/** A comment on a pull request (a record: src/app/records.ts), by GraphQL's `addComment` on its node id. */
export interface CommentWrite {
  readonly comment: string;
  readonly subjectId: string;
}

export type Write = RunWrite | CommentWrite;

export interface WriteResult {
  /** Updates that found no run (the next reconcile lists again and creates it). */
  readonly vanished: number;
  /** Comments GitHub wrote. */
  readonly commented: number;
  /** Why the others were not written: each is the caller's to log (a comment is never fatal). */
  readonly commentFailures: readonly unknown[];
}

/**
 * Mutations per GraphQL request. GitHub documents no cap on mutations in one document, but it stops any
 * request that takes over 10 seconds (a check-run write takes tens of milliseconds there): a table with
 * more personas than this is written in several requests, still in order.
 */
export const MAX_MUTATIONS_PER_REQUEST = 20;

/**
 * The record comments that ride in the request of a reconcile's check-run writes: a few small ones (a
 * reviewer's record is about a kilobyte). The rest are written after, in requests of comments alone, which
 * the write pacer keeps behind check-run writes (src/github/writes.ts): a stranger's refused commands are
 * answered with comments that echo what they wrote (up to 20 a reconcile, each up to GitHub's 65,536
 * characters), and carried in the gate's request they would lengthen the write that closes a gate, and a
 * request GitHub refuses whole for its size would fail the gate's write with it.
 */
export const RIDING_COMMENTS = { count: 4, characters: 16_384 } as const;

// mutation-range: batch-errors
/** The check-run writes with the comments that ride after them, and the comments written apart after those. */
export function rideWithRuns(
  runs: readonly RunWrite[],
  comments: readonly CommentWrite[],
): { withRuns: Write[]; apart: CommentWrite[] } {
  const characters = comments.reduce((n, c) => n + c.comment.length, 0);
  const ride = runs.length > 0 && comments.length <= RIDING_COMMENTS.count && characters <= RIDING_COMMENTS.characters;
  return ride ? { withRuns: [...runs, ...comments], apart: [] } : { withRuns: [...runs], apart: [...comments] };
}

/**
 * Writes check runs and comments as aliased `createCheckRun` / `updateCheckRun` / `addComment` mutations in
 * one GraphQL request (one write for the app's write pacer and for GitHub's secondary limits, instead of one
 * per run and per comment). GitHub executes the mutations of a document one after another, in the order
 * given (the GraphQL spec's serial execution of a mutation's top-level fields), so "create the newest run,
 * then close its twins" holds, and comments given after the runs are written after them.
 * An error in one mutation does not stop the others: GitHub answers it as an error whose path is that
 * mutation's alias. A run that vanished (NOT_FOUND on an update) is skipped, as the REST 404 was: the
 * next reconcile lists again and creates it. A comment that fails is reported, never fatal. Any other
 * error fails the batch after it ran (a request of comments alone that fails reports them as failed).
 * `now` stamps `completedAt`, as in the REST writes above.
 */
export async function writeRuns(
  octokit: Octokit,
  repositoryId: string,
  writes: readonly Write[],
  now: () => Date = () => new Date(),
): Promise<WriteResult> {
  let vanished = 0;
  let commented = 0;
  const commentFailures: unknown[] = [];
  for (let at = 0; at < writes.length; at += MAX_MUTATIONS_PER_REQUEST) {
    const chunk = writes.slice(at, at + MAX_MUTATIONS_PER_REQUEST);
    const comments = chunk.filter(isComment).length;
    const { query, variables } = runsMutation(repositoryId, chunk, now);
    try {
      await octokit.graphql(query, variables);
      commented += comments;
    } catch (err) {
      const about = graphqlFailure(err)?.errors.map((e) => ({ e, w: writeAt(chunk, e.path) }));
      const excused = (x: { e: GraphqlFieldError; w: Write | undefined }) =>
        x.w !== undefined && (isComment(x.w) || (x.e.type === "NOT_FOUND" && "update" in x.w));
      if (!about || about.length === 0 || !about.every(excused)) {
        if (comments < chunk.length) throw err;
        commentFailures.push(err); // a request of comments alone: reported, whatever went wrong
        continue;
      }
      const failed = about.filter((x) => isComment(x.w!));
      vanished += about.length - failed.length;
      commented += comments - new Set(failed.map((x) => x.e.path![0])).size;
      commentFailures.push(...failed.map((x) => x.e));
    }
  }
  return { vanished, commented, commentFailures };
}

function isComment(w: Write): w is CommentWrite {
  return "comment" in w;
}

/** The write an error's path names (`["w3", …]`), if any. */
function writeAt(chunk: readonly Write[], path: readonly unknown[] | undefined): Write | undefined {
  const alias = path?.[0];
  return typeof alias === "string" && /^w\d+$/.test(alias) ? chunk[Number(alias.slice(1))] : undefined;
}
// mutation-range-end

/**
 * The GraphQL document and variables of a batch: `w<i>: createCheckRun(input: $w<i>)`, in order. The answer
 * selects the run's node id only: CheckRun.databaseId is a 32-bit `Int` in GitHub's schema, and check-run
 * ids have outgrown it. A comment's answer selects nothing the app uses (`clientMutationId`, null).
 */
export function runsMutation(
  repositoryId: string,
  writes: readonly Write[],
  now: () => Date = () => new Date(),
): { query: string; variables: Record<string, unknown> } {
  const variables: Record<string, unknown> = {};
  const params: string[] = [];
  const fields: string[] = [];
  writes.forEach((w, i) => {
    const alias = `w${i}`;
    if (isComment(w)) {
      variables[alias] = { subjectId: w.subjectId, body: w.comment };
      params.push(`$${alias}: AddCommentInput!`);
      fields.push(`  ${alias}: addComment(input: $${alias}) { clientMutationId }`);
    } else if ("create" in w) {
      variables[alias] = { repositoryId, headSha: w.sha, ...input(w.create, now()) };
      params.push(`$${alias}: CreateCheckRunInput!`);
      fields.push(`  ${alias}: createCheckRun(input: $${alias}) { checkRun { id } }`);
    } else {
      variables[alias] = { repositoryId, checkRunId: w.run.nodeId, ...input(w.update, now()) };
      params.push(`$${alias}: UpdateCheckRunInput!`);
      fields.push(`  ${alias}: updateCheckRun(input: $${alias}) { checkRun { id } }`);
    }
  });
  return { query: `mutation WriteChecksAndRecords(${params.join(", ")}) {\n${fields.join("\n")}\n}`, variables };
}

/** A spec as GraphQL's check-run input: the REST body's fields, enums in GraphQL's upper case. */
function input(spec: CheckRunSpec, now: Date) {
  return {
    name: spec.name,
    status: spec.status.toUpperCase(),
    ...(spec.status === "completed"
      ? { conclusion: spec.conclusion!.toUpperCase(), completedAt: now.toISOString() }
      : {}),
    output: { title: spec.title, summary: spec.summary, ...(spec.text !== undefined ? { text: spec.text } : {}) },
    actions: spec.actions.map((a) => ({ label: a.label, description: a.description, identifier: a.identifier })),
    externalId: runDigest(spec),
  };
}
