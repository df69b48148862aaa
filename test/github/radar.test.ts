import { beforeEach, describe, expect, test } from "@jest/globals";
import type { Octokit } from "../../src/github/client.js";
import {
  FileCache,
  fileKey,
  filesOf,
  MAX_PULLS_PER_QUERY,
  OPEN_PULLS,
  openPulls,
  pullFilesQuery,
} from "../../src/github/radar.js";
import { loadGraphQL } from "../../src/simulator/graphql.js";
import { cannedOctokit } from "../helpers/canned-octokit.js";

/**
 * The conflict radar's reads of the open pull requests (src/github/radar.ts): the open list in one GraphQL
 * query, the files of the heads it has not seen in another, and REST for a list GraphQL cannot give exactly.
 * The client's own `fetch` answers with canned GraphQL data (per pull request) and REST lists.
 */
const repo = { owner: "acme", repo: "shop" };
const H = (c: string) => c.repeat(40);

interface FilesNode {
  headRefOid: string;
  changedFiles: number;
  files: { pageInfo: { hasNextPage: boolean }; nodes: { path: string; changeType: string }[] };
}

/** Per pull request number: its answer to the files fragment (absent: GitHub does not resolve it). */
let pulls: Record<number, FilesNode>;
let open: unknown[];
let rest: Record<string, unknown>;
let failGraphql: number | undefined;
/** A PullFiles answer of the test's own (data and errors), instead of the one made from `pulls`. */
let answerFiles: ((variables: Record<string, unknown>) => unknown) | undefined;
let sent: { call: string; body?: { query: string; variables: Record<string, unknown> } }[];

const octokit: Octokit = cannedOctokit(({ method, path, body }) => {
  const sentBody = body as (typeof sent)[number]["body"];
  sent.push({ call: `${method} ${path}`, ...(sentBody ? { body: sentBody } : {}) });
  if (path !== "/graphql") return rest[path] === undefined ? undefined : { data: rest[path] };
  if (failGraphql) return { status: failGraphql, data: { message: "Server Error" } };
  if (sentBody!.query.startsWith("query OpenPulls"))
    return { data: { data: { repository: { pullRequests: { nodes: open } } } } };
  if (answerFiles) return { data: answerFiles(sentBody!.variables) };
  const asked = Object.entries(sentBody!.variables).filter(([k]) => /^p\d+$/.test(k));
  const aliases = Object.fromEntries(asked.map(([k, n]) => [k, pulls[Number(n)] ?? null]));
  // GitHub answers the others and an error for each pull request it does not resolve.
  const errors = asked
    .filter(([, n]) => !pulls[Number(n)])
    .map(([k, n]) => ({
      type: "NOT_FOUND",
      path: ["repository", k],
      message: `Could not resolve to a PullRequest with the number of ${String(n)}.`,
    }));
  return { data: { data: { repository: aliases }, ...(errors.length ? { errors } : {}) } };
});

beforeEach(() => {
  pulls = {};
  open = [];
  rest = {};
  failGraphql = undefined;
  answerFiles = undefined;
  sent = [];
});

const node = (head: string, paths: string[], opts: { more?: boolean; changeType?: string; count?: number } = {}) => ({
  headRefOid: head,
  changedFiles: opts.count ?? paths.length,
  files: {
    pageInfo: { hasNextPage: opts.more === true },
    nodes: paths.map((path) => ({ path, changeType: opts.changeType ?? "MODIFIED" })),
  },
});
const listed = (n: number, ...files: { filename: string; status?: string; previous_filename?: string }[]) =>
  (rest[`/repos/acme/shop/pulls/${n}/files`] = files.map((f) => ({ status: "modified", ...f })));
const pull = (number: number, head = H(String(number % 10))) => ({
  number,
  title: `change ${number}`,
  createdAt: "2026-12-01T00:00:00Z",
  headSha: head,
});
const calls = () => sent.map((s) => s.call);

describe("the radar's queries", () => {
  test("are valid against GitHub's published schema (the files query for one, three and a full query)", async () => {
    const endpoint = await loadGraphQL();
    expect(endpoint.validate(OPEN_PULLS)).toEqual([]);
    for (const n of [1, 3, MAX_PULLS_PER_QUERY])
      expect(endpoint.validate(pullFilesQuery(Array.from({ length: n }, (_, i) => i + 1)).query)).toEqual([]);
  });

  test("are sent compact: no line breaks, no runs of spaces, nothing around them", () => {
    for (const query of [OPEN_PULLS, pullFilesQuery([7, 8]).query]) expect(query).not.toMatch(/\n|\s{2}|^\s|\s$/);
  });
});

describe("openPulls", () => {
  test("one query: the open pull requests into the base, most recently updated first, at most one page", async () => {
    open = [
      { number: 8, title: "b", createdAt: "2026-12-01T02:00:00Z", headRefOid: H("b") },
      { number: 7, title: "a", createdAt: "2026-12-01T01:00:00Z", headRefOid: H("a") },
    ];
    expect(await openPulls(octokit, repo, "main", 150)).toEqual([
      { number: 8, title: "b", createdAt: "2026-12-01T02:00:00Z", headSha: H("b") },
      { number: 7, title: "a", createdAt: "2026-12-01T01:00:00Z", headSha: H("a") },
    ]);
    expect(calls()).toEqual(["POST /graphql"]);
    expect(sent[0]!.body!.variables).toEqual({ owner: "acme", repo: "shop", base: "main", first: 100 });
    expect(sent[0]!.body!.query).toContain(
      "pullRequests(states: [OPEN], baseRefName: $base, first: $first, orderBy: { field: UPDATED_AT, direction: DESC })",
    );
  });

  test("no repository (not visible to the installation): the read fails", async () => {
    const none = cannedOctokit(() => ({ data: { data: { repository: null } } }));
    await expect(openPulls(none, repo, "main", 10)).rejects.toThrow("repository acme/shop not found");
  });
});

describe("filesOf", () => {
  test("the heads not seen yet in one query, kept in order, and cached: asked again, nothing is read", async () => {
    pulls[7] = node(H("7"), ["src/a.ts", "docs/a.md"]);
    pulls[8] = node(H("8"), ["src/b.ts"]);
    const cache = new FileCache();
    cache.set(fileKey(repo, 9, H("9")), ["cached.ts"]);
    const asked = [pull(8), pull(9), pull(7)];
    const got = await filesOf(octokit, repo, asked, cache);
    expect(got.map((p) => [p.number, p.files])).toEqual([
      [8, ["src/b.ts"]],
      [9, ["cached.ts"]],
      [7, ["src/a.ts", "docs/a.md"]],
    ]);
    expect(calls()).toEqual(["POST /graphql"]);
    expect(sent[0]!.body!.variables).toEqual({ owner: "acme", repo: "shop", p0: 8, p1: 7 });
    expect(got[0]).toEqual({ ...asked[0], files: ["src/b.ts"] });
    await filesOf(octokit, repo, asked, cache);
    expect(sent).toHaveLength(1);
  });

  test("not to be fetched (an earlier head): known from the cache or left out, without a request", async () => {
    const cache = new FileCache();
    cache.set(fileKey(repo, 7, H("7")), ["a.ts"]);
    const got = await filesOf(octokit, repo, [pull(7), pull(8)], cache, false);
    expect(got.map((p) => p.number)).toEqual([7]);
    expect(sent).toEqual([]);
  });

  test("a head that moved since the list: its files are cached under the head GitHub listed them at", async () => {
    pulls[7] = node(H("c"), ["new.ts"]);
    const cache = new FileCache();
    const [got] = await filesOf(octokit, repo, [pull(7, H("a"))], cache);
    expect(got!.files).toEqual(["new.ts"]);
    expect(cache.get(fileKey(repo, 7, H("c")))).toEqual(["new.ts"]);
    expect(cache.get(fileKey(repo, 7, H("a")))).toBeUndefined();
  });

  test.each([
    ["a renamed file (GraphQL has no old path)", node(H("7"), ["new.ts"], { changeType: "RENAMED" })],
    ["a copied file", node(H("7"), ["new.ts"], { changeType: "COPIED" })],
    ["more than a page", node(H("7"), ["a.ts"], { more: true, count: 101 })],
    ["fewer files than GitHub counts", node(H("7"), ["a.ts"], { count: 2 })],
  ])("%s: that pull request's files over REST, the old path too; the others from the query", async (_, answer) => {
    pulls[7] = answer;
    pulls[8] = node(H("8"), ["b.ts"]);
    listed(7, { filename: "new.ts", status: "renamed", previous_filename: "old.ts" }, { filename: "a.ts" });
    const got = await filesOf(octokit, repo, [pull(7), pull(8)], new FileCache());
    expect(got.map((p) => [p.number, p.files])).toEqual([
      [7, ["new.ts", "old.ts", "a.ts"]],
      [8, ["b.ts"]],
    ]);
    expect(calls()).toEqual(["POST /graphql", "GET /repos/acme/shop/pulls/7/files"]);
  });

  test("a list read over REST is cached under the head the query gave (not read again next time)", async () => {
    pulls[7] = node(H("c"), ["new.ts"], { changeType: "RENAMED" });
    listed(7, { filename: "new.ts", status: "renamed", previous_filename: "old.ts" });
    const cache = new FileCache();
    await filesOf(octokit, repo, [pull(7, H("a"))], cache);
    expect(cache.get(fileKey(repo, 7, H("c")))).toEqual(["new.ts", "old.ts"]);
    await filesOf(octokit, repo, [pull(7, H("c"))], cache);
    expect(sent).toHaveLength(2);
  });

  test("a pull request GraphQL does not resolve: the others' answers are kept, that one is asked of REST", async () => {
    pulls[8] = node(H("8"), ["b.ts"]);
    listed(7, { filename: "a.ts" });
    const cache = new FileCache();
    const got = await filesOf(octokit, repo, [pull(7), pull(8)], cache);
    expect(got.map((p) => [p.number, p.files])).toEqual([
      [7, ["a.ts"]],
      [8, ["b.ts"]],
    ]);
    expect(calls()).toEqual(["POST /graphql", "GET /repos/acme/shop/pulls/7/files"]);
    // Only REST answered for #7: cached under the head it was listed at, as REST's lists always were.
    expect(cache.get(fileKey(repo, 7, H("7")))).toEqual(["a.ts"]);
    expect(cache.get(fileKey(repo, 8, H("8")))).toEqual(["b.ts"]);
  });

  test("…and when REST cannot list it either, the read fails", async () => {
    pulls[8] = node(H("8"), ["b.ts"]);
    await expect(filesOf(octokit, repo, [pull(7), pull(8)], new FileCache())).rejects.toMatchObject({ status: 404 });
  });

  test("the query unanswered (a 5xx, a timeout): each is asked of REST, as before the query; for one, it fails", async () => {
    failGraphql = 502;
    listed(7, { filename: "a.ts" });
    listed(8, { filename: "b.ts" });
    const got = await filesOf(octokit, repo, [pull(7), pull(8)], new FileCache());
    expect(got.map((p) => p.files)).toEqual([["a.ts"], ["b.ts"]]);
    expect(calls()).toEqual([
      "POST /graphql",
      "GET /repos/acme/shop/pulls/7/files",
      "GET /repos/acme/shop/pulls/8/files",
    ]);
    sent = [];
    await expect(filesOf(octokit, repo, [pull(9)], new FileCache())).rejects.toMatchObject({ status: 502 });
    expect(calls()).toEqual(["POST /graphql"]);
  });

  test("a pull request whose file list GitHub answers as null (an error beside it): that one over REST", async () => {
    listed(7, { filename: "a.ts" });
    answerFiles = () => ({
      data: { repository: { p0: { headRefOid: H("7"), changedFiles: 1, files: null }, p1: node(H("8"), ["b.ts"]) } },
      errors: [{ type: "TIMEOUT", path: ["repository", "p0", "files"], message: "timed out" }],
    });
    const got = await filesOf(octokit, repo, [pull(7), pull(8)], new FileCache());
    expect(got.map((p) => p.files)).toEqual([["a.ts"], ["b.ts"]]);
    expect(calls()).toEqual(["POST /graphql", "GET /repos/acme/shop/pulls/7/files"]);
  });

  test.each([
    ["no repository", { repository: null }, [{ type: "FORBIDDEN", path: ["repository"], message: "SAML" }]],
    ["an error about the whole query", { repository: { p0: null, p1: null } }, [{ message: "Something went wrong" }]],
    ["no errors listed", { repository: { p0: null, p1: null } }, []],
  ])("%s beside the data: no answer, each asked of REST", async (_, data, errors) => {
    listed(7, { filename: "a.ts" });
    listed(8, { filename: "b.ts" });
    answerFiles = () => ({ data, errors });
    const got = await filesOf(octokit, repo, [pull(7), pull(8)], new FileCache());
    expect(got.map((p) => p.files)).toEqual([["a.ts"], ["b.ts"]]);
    expect(calls()).toHaveLength(3);
  });

  test("a list with a null node, or a next page though the count matches: over REST", async () => {
    listed(7, { filename: "a.ts" });
    listed(8, { filename: "b.ts" });
    answerFiles = () => ({
      data: {
        repository: {
          p0: { ...node(H("7"), ["a.ts"]), files: { pageInfo: { hasNextPage: false }, nodes: [null] } },
          p1: node(H("8"), ["b.ts"], { more: true }),
        },
      },
    });
    await filesOf(octokit, repo, [pull(7), pull(8)], new FileCache());
    expect(calls()).toEqual([
      "POST /graphql",
      "GET /repos/acme/shop/pulls/7/files",
      "GET /repos/acme/shop/pulls/8/files",
    ]);
  });

  test("exactly as many pull requests as a query holds: one query", async () => {
    const many = Array.from({ length: MAX_PULLS_PER_QUERY }, (_, i) => pull(i + 1, H("e")));
    for (const p of many) pulls[p.number] = node(H("e"), [`f${p.number}.ts`]);
    await filesOf(octokit, repo, many, new FileCache());
    expect(sent).toHaveLength(1);
  });

  test("more pull requests than a query holds: one query per MAX_PULLS_PER_QUERY, each answered once", async () => {
    const many = Array.from({ length: MAX_PULLS_PER_QUERY + 1 }, (_, i) => pull(i + 1, H("e")));
    for (const p of many) pulls[p.number] = node(H("e"), [`f${p.number}.ts`]);
    const got = await filesOf(octokit, repo, many, new FileCache());
    expect(sent.map((s) => Object.keys(s.body!.variables).filter((k) => /^p\d+$/.test(k)).length)).toEqual([
      MAX_PULLS_PER_QUERY,
      1,
    ]);
    expect(got.map((p) => p.files)).toEqual(many.map((p) => [`f${p.number}.ts`]));
  });
});
