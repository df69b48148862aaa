import { beforeEach, describe, expect, test } from "@jest/globals";
import type { Octokit } from "../../src/github/client.js";
import { conflictRunsQuery, MAX_HEADS_PER_QUERY, readConflictRuns } from "../../src/github/radar-runs.js";
import { loadGraphQL } from "../../src/simulator/graphql.js";
import { cannedOctokit } from "../helpers/canned-octokit.js";
import { checkSuites, runNode } from "../helpers/graphql-shapes.js";

/**
 * The conflict radar's read of its own runs (src/github/radar-runs.ts): one GraphQL query for every head it
 * may write, and REST for a head whose answer GraphQL cannot give exactly. The client's own `fetch` answers
 * with canned GraphQL data (per head) and REST lists.
 */
const APP = 4242;
const CONFLICTS = "parallel-review/conflicts";
const repo = { owner: "acme", repo: "shop" };
const H = (c: string) => c.repeat(40);

/** Per head: the commit's answer to the fragment (undefined: the commit is not found, null). */
let commits: Record<string, unknown>;
let rest: Record<string, unknown>;
let sent: { call: string; body?: { query: string; variables: Record<string, unknown> } }[];
let repository: boolean;

const octokit: Octokit = cannedOctokit(({ method, path, body }) => {
  const sentBody = body as (typeof sent)[number]["body"];
  sent.push({ call: `${method} ${path}`, ...(sentBody ? { body: sentBody } : {}) });
  if (path !== "/graphql") return rest[path] === undefined ? undefined : { data: rest[path] };
  const heads = Object.entries(sentBody!.variables).filter(([k]) => /^h\d+$/.test(k));
  const aliases = Object.fromEntries(heads.map(([k, sha]) => [k, commits[String(sha)] ?? null]));
  return { data: { data: { repository: repository ? { id: "R_1", ...aliases } : null } } };
});

beforeEach(() => {
  commits = {};
  rest = {};
  sent = [];
  repository = true;
});

const run = (id: number, name = CONFLICTS, conclusion: string | null = "FAILURE", path = `/acme/shop/runs/${id}`) => ({
  ...runNode(id, name, conclusion),
  resourcePath: path,
});
const suites = checkSuites;
/** A REST check run of the app on a commit. */
const restRun = (id: number, name = CONFLICTS) => ({
  id,
  node_id: `CR_${id}`,
  name,
  status: "completed",
  conclusion: "neutral",
  output: { title: "t", summary: "s", text: null },
  started_at: "2026-11-30T10:00:00Z",
  app: { id: APP },
});
const listed = (sha: string, ...runs: unknown[]) =>
  (rest[`/repos/acme/shop/commits/${sha}/check-runs`] = { total_count: runs.length, check_runs: runs });
const ids = (runs: readonly { id: number }[] | undefined) => runs?.map((r) => r.id);

describe("the conflict radar's runs query", () => {
  test("is valid against GitHub's published schema, for one head and for a full query", async () => {
    const endpoint = await loadGraphQL();
    for (const n of [1, 3, MAX_HEADS_PER_QUERY])
      expect(endpoint.validate(conflictRunsQuery(Array.from({ length: n }, (_, i) => String(i))).query)).toEqual([]);
  });

  test("is sent compact: no line breaks, no runs of spaces, nothing around it (bytes on every refresh)", () => {
    const { query } = conflictRunsQuery(["a", "b"]);
    expect(query).not.toMatch(/\n|\s{2}|^\s|\s$/);
  });
});

describe("readConflictRuns", () => {
  test("one request: the repository's id and the app's conflicts runs on every head, oldest first", async () => {
    commits[H("a")] = suites([{ app: APP, runs: [{ ...run(12), text: "its text" }, run(11, CONFLICTS, "SUCCESS")] }]);
    commits[H("b")] = suites([]);
    const read = await readConflictRuns(octokit, repo, APP, [H("a"), H("b"), H("a")]);
    expect(sent.map((s) => s.call)).toEqual(["POST /graphql"]);
    // Each head once; the check's name and the app go with the query (GitHub filters).
    expect(sent[0]!.body!.variables).toEqual({
      owner: "acme",
      repo: "shop",
      appId: APP,
      checkName: CONFLICTS,
      h0: H("a"),
      h1: H("b"),
    });
    expect(sent[0]!.body!.query).toContain(
      "checkRuns(first: 100, filterBy: { checkType: ALL, checkName: $checkName })",
    );
    expect(read.repositoryId).toBe("R_1");
    expect(read.runs.get(H("a"))).toStrictEqual([
      {
        id: 11,
        nodeId: "CR_11",
        name: CONFLICTS,
        status: "completed",
        conclusion: "success",
        title: null,
        summary: null,
        text: null,
        externalId: "digest-11",
        startedAt: "2026-11-30T10:00:00Z",
      },
      expect.objectContaining({ id: 12, conclusion: "failure", text: "its text" }),
    ]);
    expect(read.runs.get(H("b"))).toStrictEqual([]);
  });

  test("another app's suite is not the app's, whatever its runs are called", async () => {
    commits[H("a")] = suites([
      { app: APP + 1, runs: [run(5)] },
      { app: APP, runs: [run(6)] },
    ]);
    expect(ids((await readConflictRuns(octokit, repo, APP, [H("a")])).runs.get(H("a")))).toEqual([6]);
  });

  test("a full page of runs: that head's runs over REST (the others from the query), only the conflicts check", async () => {
    commits[H("a")] = suites([{ app: APP, runs: [run(1)], more: true }]);
    commits[H("b")] = suites([{ app: APP, runs: [run(2)] }]);
    listed(H("a"), restRun(40, "parallel-review"), restRun(41), restRun(42));
    const read = await readConflictRuns(octokit, repo, APP, [H("a"), H("b")]);
    expect(ids(read.runs.get(H("a")))).toEqual([41, 42]);
    expect(ids(read.runs.get(H("b")))).toEqual([2]);
    expect(sent.map((s) => s.call)).toEqual(["POST /graphql", `GET /repos/acme/shop/commits/${H("a")}/check-runs`]);
  });

  test("a full page of suites: over REST", async () => {
    commits[H("a")] = suites([{ app: APP, runs: [run(1)] }], true);
    listed(H("a"), restRun(7));
    expect(ids((await readConflictRuns(octokit, repo, APP, [H("a")])).runs.get(H("a")))).toEqual([7]);
  });

  test("a run whose id cannot be read from its resourcePath: over REST", async () => {
    commits[H("a")] = suites([{ app: APP, runs: [run(1, CONFLICTS, "FAILURE", "/acme/shop/checks?run=1")] }]);
    listed(H("a"), restRun(1));
    expect(ids((await readConflictRuns(octokit, repo, APP, [H("a")])).runs.get(H("a")))).toEqual([1]);
    expect(sent).toHaveLength(2);
  });

  test("a head GraphQL does not resolve is asked of REST, not taken for a head without runs", async () => {
    listed(H("c"), restRun(9));
    expect(ids((await readConflictRuns(octokit, repo, APP, [H("c")])).runs.get(H("c")))).toEqual([9]);
  });

  test("ids beyond 32 bits are read from the resourcePath", async () => {
    commits[H("a")] = suites([{ app: APP, runs: [run(30_000_000_001)] }]);
    expect(ids((await readConflictRuns(octokit, repo, APP, [H("a")])).runs.get(H("a")))).toEqual([30_000_000_001]);
  });

  test("more heads than a query holds: one query per MAX_HEADS_PER_QUERY, every head answered", async () => {
    const heads = Array.from({ length: MAX_HEADS_PER_QUERY + 1 }, (_, i) => i.toString(16).padStart(40, "0"));
    for (const h of heads) commits[h] = suites([]);
    const read = await readConflictRuns(octokit, repo, APP, heads as [string, ...string[]]);
    expect(sent.map((s) => Object.keys(s.body!.variables).filter((k) => k.startsWith("h")).length)).toEqual([
      MAX_HEADS_PER_QUERY,
      1,
    ]);
    expect([...read.runs.keys()]).toEqual(heads);
  });

  test("exactly as many heads as a query holds: one query, no empty second one", async () => {
    const heads = Array.from({ length: MAX_HEADS_PER_QUERY }, (_, i) => i.toString(16).padStart(40, "0"));
    for (const h of heads) commits[h] = suites([]);
    await readConflictRuns(octokit, repo, APP, heads as [string, ...string[]]);
    expect(sent).toHaveLength(1);
  });

  test("no repository (not visible to the installation): the read fails", async () => {
    repository = false;
    await expect(readConflictRuns(octokit, repo, APP, [H("a")])).rejects.toThrow("repository acme/shop not found");
  });
});
