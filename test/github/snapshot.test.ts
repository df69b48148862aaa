import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "@jest/globals";
import { ProbotOctokit } from "probot";
import { withRetries, type Octokit } from "../../src/github/client.js";
import { readSnapshot } from "../../src/github/snapshot.js";
import { SNAPSHOT_QUERY, snapshotQuery } from "../../src/github/snapshot-query.js";
import { MAX_TEAMS_PER_QUERY } from "../../src/github/teams.js";
import { loadGraphQL } from "../../src/simulator/graphql.js";
import { checkSuites, runNode } from "../helpers/graphql-shapes.js";

/**
 * How one GraphQL answer becomes what a reconcile reads (src/github/snapshot.ts): GitHub's GraphQL shapes
 * turned into the REST-shaped inputs the core judges, and what is read again over REST because GraphQL
 * cannot say it exactly. A local server answers with canned GraphQL data and REST lists.
 */
const APP = 4242;
const BOT = 9001;
const HEAD = "a".repeat(40);
const PREV = "b".repeat(40);

let answer: () => unknown;
let rest: Record<string, unknown>;
const requests: { method: string; path: string; body: string }[] = [];
let server: Server;
let octokit: Octokit;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const path = (req.url ?? "").split("?")[0]!;
      requests.push({ method: req.method ?? "", path, body });
      const data = req.method === "POST" && path === "/graphql" ? answer() : rest[path];
      res.writeHead(data === undefined ? 404 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify(data ?? { message: "Not Found" }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  octokit = withRetries(
    new ProbotOctokit({ auth: { token: "t" }, baseUrl: url, retry: { enabled: false }, throttle: { enabled: false } }),
  );
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  requests.length = 0;
  rest = {};
});

const page = <N>(nodes: N[], more = false) => ({ totalCount: nodes.length, pageInfo: { hasNextPage: more }, nodes });
const user = (login: string, id: number) => ({ __typename: "User", login, databaseId: id });
const bot = (login: string, id: number) => ({ __typename: "Bot", login, databaseId: id });
const run = runNode;
const suites = (...s: { app: number; runs: unknown[]; more?: boolean }[]) => checkSuites(s);

function pullRequest(over: Record<string, unknown> = {}) {
  return {
    id: "PR_7",
    number: 7,
    state: "OPEN",
    merged: false,
    isDraft: false,
    createdAt: "2026-11-30T09:00:00Z",
    changedFiles: 2,
    headRefOid: HEAD,
    baseRefName: "main",
    baseRefOid: "c".repeat(40),
    author: user("alice", 1),
    reviewRequests: {
      nodes: [
        { requestedReviewer: { __typename: "User", login: "bob" } },
        { requestedReviewer: { __typename: "Team", slug: "infra" } },
      ],
    },
    baseRef: {
      target: {
        oid: "c".repeat(40),
        dotGithub: null,
        root: { path: "reviewers.yml", object: { text: "version: 1\n", isTruncated: false, isBinary: false } },
      },
    },
    head: {
      nodes: [
        {
          commit: {
            oid: HEAD,
            ...suites(
              { app: APP, runs: [run(12, "review: infra"), run(11, "gate", "FAILURE")] },
              { app: 99, runs: [run(5, "gate", "SUCCESS")] },
            ),
            associatedPullRequests: {
              pageInfo: { hasNextPage: false },
              nodes: [
                { number: 7, state: "OPEN", headRefOid: HEAD, baseRepository: { nameWithOwner: "Acme/Shop" } },
                { number: 8, state: "OPEN", headRefOid: HEAD, baseRepository: { nameWithOwner: "acme/shop" } },
                { number: 9, state: "CLOSED", headRefOid: HEAD, baseRepository: { nameWithOwner: "acme/shop" } },
                { number: 10, state: "OPEN", headRefOid: HEAD, baseRepository: { nameWithOwner: "fork/shop" } },
                { number: 11, state: "OPEN", headRefOid: PREV, baseRepository: { nameWithOwner: "acme/shop" } },
              ],
            },
          },
        },
      ],
    },
    files: page([
      { path: "infra/main.tf", changeType: "MODIFIED" },
      { path: "gone.txt", changeType: "DELETED" },
    ]),
    reviews: page([
      {
        fullDatabaseId: "31",
        author: user("bob", 2),
        state: "APPROVED",
        body: "",
        commit: { oid: HEAD },
        submittedAt: "2026-11-30T10:01:00Z",
      },
      { fullDatabaseId: "32", author: null, state: "COMMENTED", body: null, commit: null, submittedAt: null },
    ]),
    comments: page([
      { fullDatabaseId: "41", author: bot("parallel-review", BOT), body: "record", createdAt: "x", updatedAt: "y" },
      { fullDatabaseId: "42", author: user("mallory", BOT), body: "record", createdAt: "x", updatedAt: "y" },
      { fullDatabaseId: "43", author: bot("other-app", 77), body: "record", createdAt: "x", updatedAt: "y" },
    ]),
    forcePushes: { totalCount: 1, nodes: [{ createdAt: "2026-11-30T09:30:00Z" }] },
    commits: {
      totalCount: 2,
      nodes: [
        { commit: { oid: PREV, author: { user: { login: "alice" } }, committer: { user: { login: "web-flow" } } } },
        { commit: { oid: HEAD, author: { user: null }, committer: { user: { login: "carol" } } } },
      ],
    },
    ...over,
  };
}

function data(pr: unknown, repoOver: Record<string, unknown> = {}) {
  return {
    data: {
      viewer: { login: "parallel-review[bot]", databaseId: BOT },
      repository: {
        id: "R_1",
        nameWithOwner: "acme/shop",
        owner: { __typename: "Organization" },
        defaultBranchRef: { name: "main" },
        pullRequest: pr,
        ...repoOver,
      },
    },
  };
}

const ref = { owner: "acme", repo: "shop", number: 7 };

describe("the snapshot query", () => {
  test("is valid against GitHub's published schema", async () => {
    expect((await loadGraphQL()).validate(SNAPSHOT_QUERY)).toStrictEqual([]);
  });

  test("with teams' members listed too: valid for one, three and a full query's teams; compact", async () => {
    const endpoint = await loadGraphQL();
    for (const n of [1, 3, MAX_TEAMS_PER_QUERY]) {
      const query = snapshotQuery(n);
      expect(endpoint.validate(query)).toStrictEqual([]);
      expect(query.match(/members\(membership: ALL, first: 100\)/g)).toHaveLength(n);
      expect(query).not.toMatch(/\n|\s{2}|#/);
    }
    expect(snapshotQuery(0)).toBe(SNAPSHOT_QUERY);
    expect(SNAPSHOT_QUERY).not.toContain("members(");
  });
});

describe("readSnapshot with teams: the members the confirming read lists", () => {
  const teams = [
    { org: "acme", slug: "security" },
    { org: "acme", slug: "Infra" },
    { org: "other", slug: "ops" },
  ];
  const team = (slug: string, logins: (string | null)[]) => ({
    team: { slug, members: { nodes: logins.map((l) => (l === null ? null : { login: l })) } },
  });
  const sent = () =>
    JSON.parse(requests.find((r) => r.path === "/graphql")!.body) as {
      query: string;
      variables: Record<string, unknown>;
    };
  const noRuns = () => (rest[`/repos/acme/shop/commits/${HEAD}/check-runs`] = { total_count: 0, check_runs: [] });

  test("one request: each team's members (lower case) beside the pull request; a team found by its name is not listed", async () => {
    answer = () => ({
      data: {
        ...data(pullRequest()).data,
        m0: team("security", ["Sam", null, "sue"]),
        m1: team("platform", ["ivy"]), // `team(slug: "Infra")` found the team named Infra: another slug
        m2: team("ops", []),
      },
    });
    const snap = await readSnapshot(octokit, ref, APP, undefined, teams);
    expect(requests.filter((r) => r.path === "/graphql")).toHaveLength(1);
    expect(sent().query).toBe(snapshotQuery(3));
    expect(sent().variables).toMatchObject({
      o0: "acme",
      s0: "security",
      o1: "acme",
      s1: "Infra",
      o2: "other",
      s2: "ops",
    });
    expect([...snap.members!].map(([t, logins]) => [t.slug, [...logins]])).toEqual([
      ["security", ["sam", "sue"]],
      ["ops", []],
    ]);
    expect(snap.pull.number).toBe(7);
  });

  test("no teams asked: the plain query, and no members", async () => {
    answer = () => data(pullRequest());
    const snap = await readSnapshot(octokit, ref, APP);
    expect(sent().query).toBe(SNAPSHOT_QUERY);
    expect(Object.keys(sent().variables).filter((k) => /^[os]\d+$/.test(k))).toEqual([]);
    expect(snap.members).toBeUndefined();
  });

  test("an alias of two digits is a team's too (the eleventh and later teams)", async () => {
    noRuns();
    const many = Array.from({ length: 13 }, (_, i) => ({ org: "acme", slug: `t${i}` }));
    answer = () => ({
      data: { ...data(pullRequest()).data, m0: team("t0", ["sam"]), m12: null },
      errors: [{ type: "NOT_FOUND", path: ["m12"], message: "Could not resolve" }],
    });
    const snap = await readSnapshot(octokit, ref, APP, undefined, many);
    expect([...snap.members!.keys()].map((t) => t.slug)).toEqual(["t0"]);
  });

  test("a failed request (no GraphQL answer) fails the read with GitHub's status", async () => {
    answer = () => undefined; // the local server answers 404
    await expect(readSnapshot(octokit, ref, APP, undefined, teams)).rejects.toMatchObject({ status: 404 });
  });

  test("errors only where a team is listed (an organization it cannot see): the read stands, that team is not listed", async () => {
    noRuns();
    answer = () => ({
      data: { ...data(pullRequest()).data, m0: team("security", ["sam"]), m1: null, m2: null },
      errors: [
        { type: "NOT_FOUND", path: ["m1", "team"], message: "Could not resolve" },
        { type: "FORBIDDEN", path: ["m2"], message: "Resource not accessible by integration" },
      ],
    });
    const snap = await readSnapshot(octokit, ref, APP, undefined, teams);
    expect([...snap.members!.keys()].map((t) => t.slug)).toEqual(["security"]);
    expect(snap.pull.headSha).toBe(HEAD);
  });

  test("any other error fails the read, teams or not: no path, or a path in the pull request", async () => {
    for (const errors of [
      [{ type: "RATE_LIMITED", message: "API rate limit exceeded" }],
      [
        { type: "NOT_FOUND", path: ["m0"], message: "Could not resolve" },
        { type: "FORBIDDEN", path: ["repository", "pullRequest"], message: "Resource not accessible" },
      ],
    ]) {
      answer = () => ({ data: { ...data(pullRequest()).data, m0: null }, errors });
      await expect(readSnapshot(octokit, ref, APP, undefined, teams)).rejects.toThrow();
    }
    // A path whose first element is not a string naming a team alias (an array that prints as one) counts as any other.
    answer = () => ({
      data: { ...data(pullRequest()).data, m0: null },
      errors: [{ type: "NOT_FOUND", path: [["m0"]], message: "Could not resolve" }],
    });
    await expect(readSnapshot(octokit, ref, APP, undefined, teams)).rejects.toThrow();
    // Paths that only look like a team's alias: another field's, or not the whole first element.
    for (const path of [["am0"], ["m0x"], ["repository", "m0"]]) {
      answer = () => ({
        data: { ...data(pullRequest()).data, m0: null },
        errors: [{ type: "NOT_FOUND", path, message: "Could not resolve" }],
      });
      await expect(readSnapshot(octokit, ref, APP, undefined, teams)).rejects.toThrow(/Could not resolve/);
    }
    // An errors list that names nothing is no answer to stand on either.
    answer = () => ({ data: { ...data(pullRequest()).data, m0: null }, errors: [] });
    await expect(readSnapshot(octokit, ref, APP, undefined, teams)).rejects.toThrow();
    // Team errors without any data: GitHub's own error, not one of reading nothing.
    answer = () => ({ errors: [{ type: "NOT_FOUND", path: ["m0"], message: "Could not resolve" }] });
    await expect(readSnapshot(octokit, ref, APP, undefined, teams)).rejects.toThrow(/Could not resolve/);
    // Only team errors, but no repository in the answer: not a snapshot.
    answer = () => ({
      data: { viewer: { login: "b", databaseId: BOT }, repository: null, m0: null },
      errors: [{ type: "NOT_FOUND", path: ["m0"], message: "Could not resolve" }],
    });
    await expect(readSnapshot(octokit, ref, APP, undefined, teams)).rejects.toThrow();
  });
});

describe("readSnapshot: the merge queue entry", () => {
  const GROUP = "cd".repeat(20);
  test("a queued pull request's merge group head is read with it; not queued, none", async () => {
    answer = () => data(pullRequest({ mergeQueueEntry: { headCommit: { oid: GROUP } } }));
    expect((await readSnapshot(octokit, ref, APP)).pull.queueHead).toBe(GROUP);
    for (const entry of [null, { headCommit: null }, undefined]) {
      answer = () => data(pullRequest({ mergeQueueEntry: entry }));
      const pull = (await readSnapshot(octokit, ref, APP)).pull;
      expect(pull.queueHead).toBeUndefined();
      expect("queueHead" in pull).toBe(false);
    }
  });

  test("an error only in the merge queue entry (a permission the app may lack) leaves the read standing; elsewhere in the pull request it fails", async () => {
    answer = () => ({
      data: data(pullRequest({ mergeQueueEntry: null })).data,
      errors: [
        {
          type: "FORBIDDEN",
          path: ["repository", "pullRequest", "mergeQueueEntry"],
          message: "Resource not accessible by integration",
        },
      ],
    });
    const snap = await readSnapshot(octokit, ref, APP);
    expect(snap.pull.queueHead).toBeUndefined();
    expect(snap.pull.headSha).toBe(HEAD);
    for (const path of [
      ["repository", "pullRequest", "mergeQueueEntryX"],
      ["repository", "pullRequests", "mergeQueueEntry"],
      ["repositories", "pullRequest", "mergeQueueEntry"],
      ["mergeQueueEntry"],
    ]) {
      answer = () => ({
        data: data(pullRequest({ mergeQueueEntry: null })).data,
        errors: [{ type: "FORBIDDEN", path, message: "Resource not accessible by integration" }],
      });
      await expect(readSnapshot(octokit, ref, APP)).rejects.toThrow(/not accessible/);
    }
  });
});

describe("readSnapshot", () => {
  test("one request gives the pull request, table, runs, sharing, files, reviews, comments and commits", async () => {
    answer = () => data(pullRequest());
    const s = await readSnapshot(octokit, ref, APP);
    expect(requests.map((r) => `${r.method} ${r.path}`)).toStrictEqual(["POST /graphql"]);
    expect(JSON.parse(requests[0]!.body).variables).toStrictEqual({
      owner: "acme",
      repo: "shop",
      number: 7,
      appId: APP,
      previous: "0".repeat(40),
      hasPrevious: false,
    });
    expect(s.pull).toStrictEqual({
      number: 7,
      nodeId: "PR_7",
      state: "open",
      merged: false,
      draft: false,
      author: { login: "alice", id: 1, type: "User" },
      headSha: HEAD,
      baseRef: "main",
      baseSha: "c".repeat(40),
      defaultBranch: "main",
      changedFiles: 2,
      requestedUsers: ["bob"],
      requestedTeams: ["infra"],
      ownerIsOrg: true,
      repoNodeId: "R_1",
      createdAt: "2026-11-30T09:00:00Z",
    });
    expect(s.table).toStrictEqual({ file: "reviewers.yml", text: "version: 1\n" });
    // Only this app's runs, oldest first, with REST's lower-case states.
    expect(s.runs.map((r) => [r.id, r.nodeId, r.name, r.status, r.conclusion])).toStrictEqual([
      [11, "CR_11", "gate", "completed", "failure"],
      [12, "CR_12", "review: infra", "in_progress", null],
    ]);
    // Open, same head, same repository (the name's case aside); the pull request itself always.
    expect(s.sharing).toStrictEqual([7, 8]);
    expect(s.files).toStrictEqual([
      { path: "infra/main.tf", status: "modified" },
      { path: "gone.txt", status: "removed" },
    ]);
    expect(s.reviews).toStrictEqual([
      {
        id: 31,
        user: { login: "bob", id: 2, type: "User" },
        state: "APPROVED",
        body: "",
        commitId: HEAD,
        submittedAt: "2026-11-30T10:01:00Z",
      },
      { id: 32, user: null, state: "COMMENTED", body: null, commitId: null, submittedAt: null },
    ]);
    expect(s.commits).toStrictEqual([
      { sha: PREV, people: ["alice"] },
      { sha: HEAD, people: ["carol"] },
    ]);
    expect(s.forcePushes).toStrictEqual(["2026-11-30T09:30:00Z"]);
  });

  test("more force-pushes than the page: GitHub's events over REST", async () => {
    answer = () => data(pullRequest({ forcePushes: { totalCount: 101, nodes: [{ createdAt: "x" }] } }));
    rest["/repos/acme/shop/issues/7/events"] = [
      { event: "head_ref_force_pushed", created_at: "2026-11-30T09:00:00Z" },
      { event: "labeled", created_at: "2026-11-30T09:01:00Z" },
    ];
    expect((await readSnapshot(octokit, ref, APP)).forcePushes).toStrictEqual(["2026-11-30T09:00:00Z"]);
  });

  test("only the installation's own bot (by id) writes the app's comments; bots keep REST's [bot] logins", async () => {
    answer = () => data(pullRequest());
    const { comments } = await readSnapshot(octokit, ref, APP);
    expect(comments.map((c) => [c.id, c.user, c.viaAppId])).toStrictEqual([
      [41, { login: "parallel-review[bot]", id: BOT, type: "Bot" }, APP],
      // A user whose id happens to equal the bot's (impossible on GitHub, but not trusted either way).
      [42, { login: "mallory", id: BOT, type: "User" }, undefined],
      [43, { login: "other-app[bot]", id: 77, type: "Bot" }, undefined],
    ]);
  });

  test("without a viewer id no comment is the app's own", async () => {
    answer = () => ({ data: { ...data(pullRequest()).data, viewer: { login: "x", databaseId: null } } });
    const { comments } = await readSnapshot(octokit, ref, APP);
    expect(comments.every((c) => c.viaAppId === undefined)).toBe(true);
  });

  test("a renamed file, or more files than a page, is listed over REST (GraphQL has no old path)", async () => {
    answer = () => data(pullRequest({ files: page([{ path: "new.tf", changeType: "RENAMED" }]) }));
    rest["/repos/acme/shop/pulls/7/files"] = [
      { filename: "new.tf", status: "renamed", previous_filename: "infra/old.tf" },
    ];
    expect((await readSnapshot(octokit, ref, APP)).files).toStrictEqual([
      { path: "new.tf", status: "renamed", previousPath: "infra/old.tf" },
    ]);
    answer = () => data(pullRequest({ files: page([{ path: "a", changeType: "ADDED" }], true) }));
    rest["/repos/acme/shop/pulls/7/files"] = [
      { filename: "a", status: "added" },
      { filename: "b", status: "added" },
    ];
    expect((await readSnapshot(octokit, ref, APP)).files.map((f) => f.path)).toStrictEqual(["a", "b"]);
  });

  test("more than 3,000 changed files: no list at all (the caller requires every persona)", async () => {
    answer = () => data(pullRequest({ changedFiles: 3001, files: page([{ path: "a", changeType: "ADDED" }], true) }));
    const s = await readSnapshot(octokit, ref, APP);
    expect(s.files).toStrictEqual([]);
    expect(requests.map((r) => r.path)).toStrictEqual(["/graphql"]);
  });

  test("longer review and comment lists are read whole over REST", async () => {
    const pr = pullRequest();
    answer = () =>
      data({
        ...pr,
        reviews: { ...pr.reviews, pageInfo: { hasNextPage: true } },
        comments: { ...pr.comments, pageInfo: { hasNextPage: true } },
      });
    rest["/repos/acme/shop/pulls/7/reviews"] = [
      {
        id: 1,
        user: { login: "z", id: 3, type: "User" },
        state: "APPROVED",
        body: "",
        commit_id: HEAD,
        submitted_at: "t",
      },
    ];
    rest["/repos/acme/shop/issues/7/comments"] = [];
    const s = await readSnapshot(octokit, ref, APP);
    expect(s.reviews.map((r) => r.id)).toStrictEqual([1]);
    expect(s.comments).toStrictEqual([]);
  });

  test("a head commit GitHub has not caught up with: runs and sharing of the reported head over REST", async () => {
    const pr = pullRequest();
    const stale = { ...pr.head.nodes[0]!.commit, oid: PREV };
    answer = () => data({ ...pr, head: { nodes: [{ commit: stale }] } });
    rest[`/repos/acme/shop/commits/${HEAD}/check-runs`] = { total_count: 0, check_runs: [] };
    rest[`/repos/acme/shop/commits/${HEAD}/pulls`] = [];
    const s = await readSnapshot(octokit, ref, APP);
    expect(s.runs).toStrictEqual([]);
    expect(s.sharing).toStrictEqual([7]);
    expect(requests.map((r) => r.path).sort()).toStrictEqual(
      ["/graphql", `/repos/acme/shop/commits/${HEAD}/check-runs`, `/repos/acme/shop/commits/${HEAD}/pulls`].sort(),
    );
  });

  test("a full page of runs is listed over REST", async () => {
    const pr = pullRequest();
    const commit = { ...pr.head.nodes[0]!.commit, ...suites({ app: APP, runs: [run(1, "gate")], more: true }) };
    answer = () => data({ ...pr, head: { nodes: [{ commit }] } });
    rest[`/repos/acme/shop/commits/${HEAD}/check-runs`] = { total_count: 0, check_runs: [] };
    expect((await readSnapshot(octokit, ref, APP)).runs).toStrictEqual([]);
  });

  test("ids beyond 32 bits: runs by their resourcePath, comments and reviews by fullDatabaseId", async () => {
    const pr = pullRequest();
    const commit = { ...pr.head.nodes[0]!.commit, ...suites({ app: APP, runs: [run(30_000_000_001, "gate")] }) };
    const big = { ...pr.comments.nodes[0]!, fullDatabaseId: "2500000000001" };
    answer = () => data({ ...pr, head: { nodes: [{ commit }] }, comments: page([big]) });
    const s = await readSnapshot(octokit, ref, APP);
    expect(s.runs.map((r) => r.id)).toStrictEqual([30_000_000_001]);
    expect(s.comments.map((c) => c.id)).toStrictEqual([2_500_000_000_001]);
  });

  test("a run whose id cannot be read from its resourcePath: the runs are listed over REST", async () => {
    const pr = pullRequest();
    const odd = { ...run(1, "gate"), resourcePath: "/acme/shop/checks?run=1" };
    const commit = { ...pr.head.nodes[0]!.commit, ...suites({ app: APP, runs: [odd] }) };
    answer = () => data({ ...pr, head: { nodes: [{ commit }] } });
    rest[`/repos/acme/shop/commits/${HEAD}/check-runs`] = { total_count: 0, check_runs: [] };
    expect((await readSnapshot(octokit, ref, APP)).runs).toStrictEqual([]);
    expect(requests.map((r) => r.path)).toContain(`/repos/acme/shop/commits/${HEAD}/check-runs`);
  });

  test("the previous head's runs come with the rest when asked for", async () => {
    answer = () =>
      data(pullRequest(), { previous: { ...suites({ app: APP, runs: [run(3, "review: infra", "SUCCESS")] }) } });
    const s = await readSnapshot(octokit, ref, APP, PREV);
    expect(JSON.parse(requests[0]!.body).variables).toMatchObject({ previous: PREV, hasPrevious: true });
    expect(s.previousRuns.map((r) => r.id)).toStrictEqual([3]);
  });

  test("a truncated table is read over REST", async () => {
    const pr = pullRequest();
    const target = {
      ...pr.baseRef.target,
      root: { path: "reviewers.yml", object: { text: "ver", isTruncated: true, isBinary: false } },
    };
    answer = () => data({ ...pr, baseRef: { target } });
    rest["/repos/acme/shop/contents/reviewers.yml"] = {
      type: "file",
      encoding: "base64",
      content: Buffer.from("version: 1\nwhole: true\n").toString("base64"),
    };
    expect((await readSnapshot(octokit, ref, APP)).table).toStrictEqual({
      file: "reviewers.yml",
      text: "version: 1\nwhole: true\n",
    });
  });

  test(".github/reviewers.yml wins over reviewers.yml; neither is no table", async () => {
    const pr = pullRequest();
    const both = {
      ...pr.baseRef.target,
      dotGithub: { path: ".github/reviewers.yml", object: { text: "a", isTruncated: false, isBinary: false } },
    };
    answer = () => data({ ...pr, baseRef: { target: both } });
    expect((await readSnapshot(octokit, ref, APP)).table?.file).toBe(".github/reviewers.yml");
    answer = () => data({ ...pr, baseRef: { target: { oid: "c", dotGithub: null, root: null } } });
    expect((await readSnapshot(octokit, ref, APP)).table).toBeUndefined();
  });

  test("an unknown pull request, or a GraphQL error, fails the read (the gate stays as it is)", async () => {
    answer = () => data(null);
    await expect(readSnapshot(octokit, ref, APP)).rejects.toThrow(/not found/);
    answer = () => ({ data: null, errors: [{ type: "FORBIDDEN", message: "Resource not accessible by integration" }] });
    await expect(readSnapshot(octokit, ref, APP)).rejects.toThrow(/Resource not accessible/);
  });

  test("closed, merged and bot-authored pull requests keep GitHub's facts", async () => {
    answer = () => data(pullRequest({ state: "MERGED", merged: true, author: bot("dependabot", 5) }));
    const { pull } = await readSnapshot(octokit, ref, APP);
    expect([pull.state, pull.merged, pull.author]).toStrictEqual([
      "closed",
      true,
      { login: "dependabot[bot]", id: 5, type: "Bot" },
    ]);
  });
});

/** The answer's edges, one at a time (each pins a mutant Stryker found alive: docs/testing.md). */
describe("readSnapshot: GitHub's shapes at the edges", () => {
  const base = () => pullRequest();
  const headCommit = (over: Record<string, unknown>) => ({ ...base().head.nodes[0]!.commit, ...over });
  const noRuns = () => (rest[`/repos/acme/shop/commits/${HEAD}/check-runs`] = { total_count: 0, check_runs: [] });

  test("no repository (not visible to the installation): not found", async () => {
    answer = () => ({ data: { viewer: { login: "b", databaseId: BOT }, repository: null } });
    await expect(readSnapshot(octokit, ref, APP)).rejects.toThrow(/not found/);
  });

  test("a head connection without nodes: the reported head's runs over REST", async () => {
    answer = () => data(pullRequest({ head: { nodes: null } }));
    noRuns();
    rest[`/repos/acme/shop/commits/${HEAD}/pulls`] = [];
    expect((await readSnapshot(octokit, ref, APP)).runs).toStrictEqual([]);
    expect(requests.map((r) => r.path)).toContain(`/repos/acme/shop/commits/${HEAD}/check-runs`);
  });

  test("a copied file among modified ones: the files over REST (GraphQL has no source path)", async () => {
    const files = page([
      { path: "a.ts", changeType: "MODIFIED" },
      { path: "b.ts", changeType: "COPIED" },
    ]);
    answer = () => data(pullRequest({ files }));
    rest["/repos/acme/shop/pulls/7/files"] = [{ filename: "b.ts", status: "copied", previous_filename: "src/x.ts" }];
    expect((await readSnapshot(octokit, ref, APP)).files).toStrictEqual([
      { path: "b.ts", status: "copied", previousPath: "src/x.ts" },
    ]);
  });

  test("exactly 3,000 changed files are listed (only more than 3,000 is no list)", async () => {
    const files = page([{ path: "a", changeType: "ADDED" }], true);
    answer = () => data(pullRequest({ changedFiles: 3000, files }));
    rest["/repos/acme/shop/pulls/7/files"] = [{ filename: "a", status: "added" }];
    // Every one of the 30 pages is asked for at once (this server answers each with the same file).
    const { files: listed } = await readSnapshot(octokit, ref, APP);
    expect(requests.filter((r) => r.path === "/repos/acme/shop/pulls/7/files")).toHaveLength(30);
    expect(listed[0]).toStrictEqual({ path: "a", status: "added" });
  });

  test("every change type maps to REST's status; an unknown one counts as modified", async () => {
    const types = ["ADDED", "MODIFIED", "DELETED", "RENAMED", "COPIED", "CHANGED", "SOMETHING_NEW"];
    const files = page(types.map((changeType, i) => ({ path: `f${i}`, changeType })));
    // Renamed and copied files send the list to REST: map the others here, then those two alone.
    answer = () => data(pullRequest({ files: { ...files, nodes: files.nodes.filter((_, i) => i !== 3 && i !== 4) } }));
    expect((await readSnapshot(octokit, ref, APP)).files.map((f) => f.status)).toStrictEqual([
      "added",
      "modified",
      "removed",
      "changed",
      "modified",
    ]);
  });

  test("a pull request on the head from a repository GitHub does not name is not a twin", async () => {
    const associatedPullRequests = {
      pageInfo: { hasNextPage: false },
      nodes: [{ number: 9, state: "OPEN", headRefOid: HEAD, baseRepository: null }],
    };
    answer = () => data(pullRequest({ head: { nodes: [{ commit: headCommit({ associatedPullRequests }) }] } }));
    expect((await readSnapshot(octokit, ref, APP)).sharing).toStrictEqual([7]);
  });

  test("more commits than the page: GitHub's list over REST", async () => {
    const commits = { totalCount: 120, nodes: base().commits.nodes };
    answer = () => data(pullRequest({ commits }));
    rest["/repos/acme/shop/pulls/7/commits"] = [
      { sha: PREV, author: { login: "alice" }, committer: null },
      { sha: HEAD, author: null, committer: { login: "web-flow" } },
    ];
    expect((await readSnapshot(octokit, ref, APP)).commits).toStrictEqual([
      { sha: PREV, people: ["alice"] },
      { sha: HEAD, people: [] },
    ]);
  });

  test("a user-owned repository without a default branch; review requests of nobody, of a team, of a user", async () => {
    const reviewRequests = {
      nodes: [
        { requestedReviewer: null },
        { requestedReviewer: { __typename: "Team", slug: "infra" } },
        { requestedReviewer: { __typename: "User", login: "bob" } },
        { requestedReviewer: { __typename: "Mannequin" } },
      ],
    };
    answer = () => data(pullRequest({ reviewRequests }), { owner: { __typename: "User" }, defaultBranchRef: null });
    const { pull } = await readSnapshot(octokit, ref, APP);
    expect([pull.requestedUsers, pull.requestedTeams, pull.ownerIsOrg, pull.defaultBranch]).toStrictEqual([
      ["bob"],
      ["infra"],
      false,
      undefined,
    ]);
  });

  test("a table entry without an object is passed over; a truncated table that vanished fails the read", async () => {
    const target = (dotGithub: unknown) => ({ ...base().baseRef.target, dotGithub });
    answer = () => data(pullRequest({ baseRef: { target: target({ path: ".github/reviewers.yml", object: null }) } }));
    expect((await readSnapshot(octokit, ref, APP)).table?.file).toBe("reviewers.yml");
    const cut = { path: ".github/reviewers.yml", object: { text: "v", isTruncated: true, isBinary: false } };
    answer = () => data(pullRequest({ baseRef: { target: target(cut) } }));
    await expect(readSnapshot(octokit, ref, APP)).rejects.toThrow(/\.github\/reviewers\.yml on main vanished/);
  });

  test("runs: suites without runs or app, a resourcePath with more after the id, the digest read in place of the output", async () => {
    const odd = { checkSuites: { pageInfo: { hasNextPage: false }, nodes: [{ app: null, checkRuns: null }] } };
    answer = () => data(pullRequest({ head: { nodes: [{ commit: headCommit(odd) }] } }));
    expect((await readSnapshot(octokit, ref, APP)).runs).toStrictEqual([]);
    const tail = { ...run(12, "gate", "SUCCESS"), resourcePath: "/acme/shop/runs/12/annotations" };
    answer = () => data(pullRequest({ head: { nodes: [{ commit: headCommit(suites({ app: APP, runs: [tail] })) }] } }));
    noRuns();
    expect((await readSnapshot(octokit, ref, APP)).runs).toStrictEqual([]);
    expect(requests.map((r) => r.path)).toContain(`/repos/acme/shop/commits/${HEAD}/check-runs`);
    answer = () => data(pullRequest());
    const [gate] = (await readSnapshot(octokit, ref, APP)).runs;
    expect(gate).toStrictEqual({
      id: 11,
      nodeId: "CR_11",
      name: "gate",
      status: "completed",
      conclusion: "failure",
      title: null,
      summary: null,
      text: null,
      externalId: "digest-11",
      startedAt: "2026-11-30T10:00:00Z",
    });
  });

  test("a list without pageInfo is read whole over REST", async () => {
    const { pageInfo: _, ...reviews } = base().reviews;
    answer = () => data(pullRequest({ reviews }));
    rest["/repos/acme/shop/pulls/7/reviews"] = [];
    expect((await readSnapshot(octokit, ref, APP)).reviews).toStrictEqual([]);
  });

  test.each([["0"], ["012"], ["12x"], ["x12"], [""], [null]])("an id GitHub gives as %p fails the read", async (id) => {
    const reviews = page([{ ...base().reviews.nodes[0]!, fullDatabaseId: id }]);
    answer = () => data(pullRequest({ reviews }));
    await expect(readSnapshot(octokit, ref, APP)).rejects.toThrow(/GitHub gave no usable id \(fullDatabaseId /);
  });

  test("people: a bot login already in REST's form, no id, a ghost's comment, a review's body", async () => {
    const comments = page([
      { fullDatabaseId: "51", author: bot("x[bot]", 3), body: "b", createdAt: "c", updatedAt: "u" },
      {
        fullDatabaseId: "52",
        author: { __typename: "Mannequin", login: "old" },
        body: "b",
        createdAt: "c",
        updatedAt: "u",
      },
      { fullDatabaseId: "53", author: null, body: "b", createdAt: "c", updatedAt: "u" },
    ]);
    const reviews = page([{ ...base().reviews.nodes[0]!, body: "looks fine" }]);
    answer = () => data(pullRequest({ comments, reviews }));
    const s = await readSnapshot(octokit, ref, APP);
    expect(s.comments.map((c) => c.user)).toStrictEqual([
      { login: "x[bot]", id: 3, type: "Bot" },
      { login: "old", type: "Mannequin" },
      null,
    ]);
    expect(s.reviews[0]!.body).toBe("looks fine");
  });
});

describe("readSnapshot: more edges (Stryker's second run)", () => {
  const headCommit = (over: Record<string, unknown>) => ({ ...pullRequest().head.nodes[0]!.commit, ...over });

  test("a pull request whose base branch is gone has no table", async () => {
    answer = () => data(pullRequest({ baseRef: null }));
    expect((await readSnapshot(octokit, ref, APP)).table).toBeUndefined();
    answer = () => data(pullRequest({ baseRef: { target: null } }));
    expect((await readSnapshot(octokit, ref, APP)).table).toBeUndefined();
  });

  test("a commit without check suites, and this app's suite without runs: no runs", async () => {
    answer = () => data(pullRequest({ head: { nodes: [{ commit: headCommit({ checkSuites: null }) }] } }));
    expect((await readSnapshot(octokit, ref, APP)).runs).toStrictEqual([]);
    const empty = {
      checkSuites: { pageInfo: { hasNextPage: false }, nodes: [{ app: { databaseId: APP }, checkRuns: null }] },
    };
    answer = () => data(pullRequest({ head: { nodes: [{ commit: headCommit(empty) }] } }));
    expect((await readSnapshot(octokit, ref, APP)).runs).toStrictEqual([]);
  });

  test("without a viewer id, a bot without an id is not the app either", async () => {
    const comments = page([
      { fullDatabaseId: "61", author: { __typename: "Bot", login: "x" }, body: "b", createdAt: "c", updatedAt: "u" },
    ]);
    answer = () => ({
      data: { ...data(pullRequest({ comments })).data, viewer: { login: "x[bot]", databaseId: null } },
    });
    expect((await readSnapshot(octokit, ref, APP)).comments[0]!.viaAppId).toBeUndefined();
  });

  test("a commit whose committer is no GitHub user", async () => {
    const commits = {
      totalCount: 1,
      nodes: [{ commit: { oid: HEAD, author: { user: { login: "alice" } }, committer: { user: null } } }],
    };
    answer = () => data(pullRequest({ commits }));
    expect((await readSnapshot(octokit, ref, APP)).commits).toStrictEqual([{ sha: HEAD, people: ["alice"] }]);
  });

  test("a previous head GitHub does not know, a force-push event without a time, a deleted author", async () => {
    const forcePushes = { totalCount: 2, nodes: [{}, { createdAt: "2026-11-30T09:30:00Z" }] };
    answer = () => data(pullRequest({ forcePushes, author: null }), { previous: null });
    const s = await readSnapshot(octokit, ref, APP, PREV);
    expect([s.previousRuns, s.forcePushes, s.pull.author]).toStrictEqual([
      [],
      ["2026-11-30T09:30:00Z"],
      { login: "ghost" },
    ]);
  });
});
