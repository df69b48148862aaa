/**
 * GraphQL reads of a pull request (src/github/snapshot-query.ts) answer exactly what the simulator's REST
 * read routes answer, field by field, mapped as GitHub maps them (upper-case enums, a Bot's login without
 * `[bot]`, `databaseId` = REST `id`, a check run's `id` = REST `node_id`).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import type { Octokit } from "@octokit/rest";
import { conflictRunsQuery } from "../../src/github/radar-runs.js";
import { OPEN_PULLS, pullFilesQuery } from "../../src/github/radar.js";
import { SNAPSHOT_QUERY } from "../../src/github/snapshot-query.js";
import { membersQuery } from "../../src/github/teams.js";
import { loadGraphQL } from "../../src/simulator/graphql.js";
import { GitHubSimulator } from "../../src/simulator/index.js";
import { installationOctokit, startSim } from "./helpers.js";
import { asGraphQL } from "../helpers/graphql-shapes.js";

const repo = { owner: "acme", repo: "demo" };
const APP_ID = 42;
let sim: GitHubSimulator;
let gh: Octokit;
/** The pull request's first head (the previous head after the push), its head, and a second PR on that head. */
let first: string;
let head: string;
let number: number;
let query: string;

async function post(document: string, variables: Record<string, unknown> = {}) {
  const res = await gh.request({ method: "POST", url: `${sim.url}/api/graphql`, query: document, variables });
  return res.data as { data?: Record<string, any> | null; errors?: Record<string, any>[] };
}

beforeAll(async () => {
  sim = await startSim();
  gh = await installationOctokit(sim);
  sim.createTeam("security", { members: ["bob"] });
  sim.createUser("dave"); // requested, and never reviews (a review answers its request)
  // README.md moves unchanged (a rename), src/a.ts is added; carol pushes a second commit.
  first = (
    await sim.createBranch("demo", "feature", {
      files: { "README.md": null, "docs/README.md": "# demo\n", "src/a.ts": "export const a = 1;\n" },
      author: "alice",
    })
  ).sha;
  await gh.checks.create({ ...repo, name: "review/security", head_sha: first, output: { title: "old", summary: "s" } });
  head = (await sim.push("demo", "feature", { files: { "src/b.ts": "export const b = 2;\n" }, author: "carol" })).sha;
  await sim.createBranch("demo", "feature-copy", { from: "feature" });
  number = (await sim.openPullRequest("demo", { title: "Add a", head: "feature", author: "alice" })).number;
  await sim.openPullRequest("demo", { title: "Same head", head: "feature-copy", author: "bob" });
  await gh.pulls.requestReviewers({ ...repo, pull_number: number, reviewers: ["dave"], team_reviewers: ["security"] });
  await sim.submitReview("demo", number, { user: "bob", state: "APPROVED", body: "ok" });
  await sim.submitReview("demo", number, { user: "carol", state: "CHANGES_REQUESTED", body: "no" });
  await sim.comment("demo", number, { user: "bob", body: "looks fine" });
  await gh.issues.createComment({ ...repo, issue_number: number, body: "<!-- record -->" });
  // Two runs of one name (REST's filter=all lists both), one completed run, and another app's run.
  for (const name of ["review/security", "review/security", "review/docs"])
    await gh.checks.create({
      ...repo,
      name,
      head_sha: head,
      output: { title: name, summary: "waiting", text: "ledger" },
      ...(name === "review/docs" ? { conclusion: "neutral" as const } : { status: "in_progress" as const }),
    });
  sim.createForeignCheckRun("demo", { name: "ci", headSha: head, conclusion: "success" });
  query = SNAPSHOT_QUERY;
});
afterAll(() => sim.stop());
afterEach(() => expect(sim.validationErrors).toEqual([]));

/** Every page of a REST list. */
const all = <T>(route: string, params: Record<string, unknown>) =>
  gh.paginate<T>(route, { ...repo, per_page: 100, ...params });

describe("the snapshot query answers what the REST reads answer", () => {
  let data: Record<string, any>;
  let pr: Record<string, any>;
  let rest: Record<string, any>;

  beforeAll(async () => {
    const answer = await post(query, { ...repo, number, appId: APP_ID, previous: first, hasPrevious: true });
    expect(answer.errors).toBeUndefined();
    data = answer.data!;
    pr = data.repository.pullRequest;
    rest = (await gh.pulls.get({ ...repo, pull_number: number })).data;
  });

  test("viewer is the app's bot user, the author of the comments the app writes", async () => {
    const bot = sim.appBotUser();
    expect(data.viewer).toEqual({ login: "parallel-review[bot]", databaseId: bot.id });
    const comments = await all<any>("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      issue_number: number,
    });
    const own = comments.find((c) => c.performed_via_github_app?.id === APP_ID);
    expect(own.user).toMatchObject({ login: "parallel-review[bot]", id: bot.id, type: "Bot" });
    expect((pr.comments.nodes as any[]).find((c) => c.body === own.body).author).toEqual({
      __typename: "Bot",
      login: "parallel-review",
      databaseId: bot.id,
    });
  });

  test("the repository and the pull request", async () => {
    const r = rest.base.repo; // the simulator serves the repository inside the pull request only
    expect({ ...data.repository, pullRequest: undefined }).toEqual({
      id: r.node_id,
      nameWithOwner: r.full_name,
      owner: { __typename: "Organization" },
      defaultBranchRef: { name: r.default_branch },
      previous: data.repository.previous,
      pullRequest: undefined,
    });
    expect(pr).toMatchObject({ ...asGraphQL.pull(rest), state: "OPEN" });
    expect(pr.reviewRequests.nodes).toEqual([
      ...(rest.requested_reviewers as any[]).map((u) => ({
        requestedReviewer: { __typename: "User", login: u.login },
      })),
      ...(rest.requested_teams as any[]).map((t) => ({ requestedReviewer: { __typename: "Team", slug: t.slug } })),
    ]);
    expect(pr.reviewRequests.nodes).toHaveLength(2);
  });

  test("files, reviews, comments and commits, whole", async () => {
    const p = { pull_number: number };
    const files = await all<any>("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", p);
    expect(files.map((f) => f.status).sort()).toEqual(["added", "added", "renamed"]);
    expect(pr.files).toEqual(asGraphQL.page(files.map(asGraphQL.file)));
    const reviews = await all<any>("GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews", p);
    expect(pr.reviews).toEqual(asGraphQL.page(reviews.map(asGraphQL.review)));
    const comments = await all<any>("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      issue_number: number,
    });
    expect(pr.comments).toEqual(asGraphQL.page(comments.map(asGraphQL.comment)));
    const commits = await all<any>("GET /repos/{owner}/{repo}/pulls/{pull_number}/commits", p);
    expect(commits.map((c) => c.author.login)).toEqual(["alice", "carol"]);
    const { pageInfo: _, ...commitPage } = asGraphQL.page(commits.map(asGraphQL.commit));
    expect(pr.commits).toEqual(commitPage);
  });

  test("the app's runs on the head and on the previous head: REST's filter=all for the app, oldest first", async () => {
    const runs = async (ref: string) =>
      (
        await all<any>("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", { ref, app_id: APP_ID, filter: "all" })
      ).sort((a, b) => a.id - b.id);
    const suites = (rs: any[]) => ({
      pageInfo: { hasNextPage: false },
      nodes: [
        { app: { databaseId: APP_ID }, checkRuns: { pageInfo: { hasNextPage: false }, nodes: rs.map(asGraphQL.run) } },
      ],
    });
    const onHead = await runs(head);
    expect(onHead.map((r) => r.name)).toEqual(["review/security", "review/security", "review/docs"]);
    const [tip] = pr.head.nodes;
    expect(tip.commit.oid).toBe(rest.head.sha);
    expect(tip.commit.checkSuites).toEqual(suites(onHead));
    expect(data.repository.previous).toEqual({ checkSuites: suites(await runs(first)) });
  });

  test("the open pull requests on the head, oldest first", async () => {
    const prs = (await gh.repos.listPullRequestsAssociatedWithCommit({ ...repo, commit_sha: head })).data;
    expect(prs.map((p) => p.number)).toEqual([number + 1, number]);
    expect(pr.head.nodes[0].commit.associatedPullRequests.nodes).toEqual(
      [...prs]
        .sort((a, b) => a.number - b.number)
        .map((p) => ({
          number: p.number,
          state: p.state.toUpperCase(),
          headRefOid: p.head.sha,
          baseRepository: { nameWithOwner: p.base.repo.full_name },
        })),
    );
  });

  test("the table on the base branch: contents?ref=<branch>, a missing file is null", async () => {
    const { data: file } = await gh.repos.getContent({ ...repo, path: "reviewers.yml", ref: rest.base.ref });
    const text = Buffer.from((file as { content: string }).content, "base64").toString("utf8");
    await expect(
      gh.repos.getContent({ ...repo, path: ".github/reviewers.yml", ref: rest.base.ref }),
    ).rejects.toMatchObject({ status: 404 });
    expect(pr.baseRef.target).toEqual({
      oid: rest.base.sha,
      dotGithub: null,
      root: { path: "reviewers.yml", object: { text, isTruncated: false, isBinary: false } },
    });
  });
});

describe("what GitHub answers null, and what is not served", () => {
  test("an unknown pull request is null with NOT_FOUND; an unknown commit is null", async () => {
    const answer = await post(query, {
      ...repo,
      number: 99,
      appId: APP_ID,
      previous: "0".repeat(40),
      hasPrevious: true,
    });
    expect(answer.data!.repository).toMatchObject({ previous: null, pullRequest: null });
    expect(answer.errors).toEqual([
      expect.objectContaining({
        type: "NOT_FOUND",
        path: ["repository", "pullRequest"],
        message: "Could not resolve to a PullRequest with the number of 99.",
      }),
    ]);
  });

  test("64-bit ids: databaseId (a 32-bit Int) is an error for a comment's id, fullDatabaseId carries it", async () => {
    const answer = await post(
      `query($n: Int!) { repository(owner: "acme", name: "demo") { pullRequest(number: $n) {
        comments(first: 1) { nodes { fullDatabaseId databaseId } } } } }`,
      { n: number },
    );
    const [c] = await all<any>("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", { issue_number: number });
    expect(c.id).toBeGreaterThan(2 ** 31);
    expect(answer.data!.repository.pullRequest.comments.nodes).toEqual([
      { fullDatabaseId: String(c.id), databaseId: null },
    ]);
    expect(answer.errors).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/non 32-bit signed integer/) }),
    ]);
  });

  test("pages: first/last with cursors, totalCount and hasNextPage over the whole list", async () => {
    const page = `query($n: Int!, $after: String) { repository(owner: "acme", name: "demo") { pullRequest(number: $n) {
      files(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { path } }
      last: files(last: 1) { nodes { path } } } } }`;
    const one = (await post(page, { n: number })).data!.repository.pullRequest;
    const files = await all<any>("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", { pull_number: number });
    expect(one.files).toMatchObject({ totalCount: 3, pageInfo: { hasNextPage: true } });
    expect(one.last.nodes).toEqual([{ path: files[2].filename }]);
    const two = (await post(page, { n: number, after: one.files.pageInfo.endCursor })).data!.repository.pullRequest;
    expect(two.files).toMatchObject({ pageInfo: { hasNextPage: false }, nodes: [{ path: files[2].filename }] });
    expect([...one.files.nodes, ...two.files.nodes].map((f: any) => f.path)).toEqual(files.map((f) => f.filename));
  });

  test("every app's suite without a filter; a connection without first or last is GitHub's error", async () => {
    const answer = await post(
      `query($oid: GitObjectID!) { repository(owner: "acme", name: "demo") { object(oid: $oid) { ... on Commit {
        checkSuites(first: 10) { nodes { app { databaseId } checkRuns(first: 10, filterBy: { checkType: LATEST }) { nodes { name } } } }
        associatedPullRequests { totalCount } } } } }`,
      { oid: head },
    );
    expect(answer.data!.repository.object.checkSuites.nodes).toEqual([
      { app: { databaseId: APP_ID }, checkRuns: { nodes: [{ name: "review/security" }, { name: "review/docs" }] } },
      { app: { databaseId: expect.any(Number) }, checkRuns: { nodes: [{ name: "ci" }] } },
    ]);
    expect(answer.errors).toEqual([
      expect.objectContaining({
        type: "MISSING_PAGINATION_BOUNDARIES",
        message:
          "You must provide a `first` or `last` value to properly paginate the `associatedPullRequests` connection.",
      }),
    ]);
  });

  test.each([
    ["a field the REST renderings do not give", `pullRequest(number: $n) { mergeable }`, /PullRequest\.mergeable/],
    [
      "check runs without a checkType",
      `pullRequest(number: $n) { commits(last: 1) { nodes { commit {
      checkSuites(first: 1) { nodes { checkRuns(first: 1) { nodes { name } } } } } } } }`,
      /checkType/,
    ],
    [
      "a review filter",
      `pullRequest(number: $n) { reviews(first: 1, states: APPROVED) { totalCount } }`,
      /reviews\(author:, states:\)/,
    ],
  ])("%s: a clear error, never a silent null", async (_what, selection, message) => {
    const answer = await post(`query($n: Int!) { repository(owner: "acme", name: "demo") { ${selection} } }`, {
      n: number,
    });
    expect(answer.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(message) })]);
    expect(answer.errors![0]!.message).toMatch(/not simulated/);
  });
});

test("the snapshot query is valid against GitHub's schema", async () => {
  expect((await loadGraphQL()).validate(query)).toEqual([]);
});

test("a merged pull request is MERGED, a draft isDraft, as REST's merged and draft say", async () => {
  const other = await startSim();
  try {
    const client = await installationOctokit(other);
    await other.createBranch("demo", "one", { files: { "one.ts": "1\n" }, author: "alice" });
    await other.createBranch("demo", "two", { files: { "two.ts": "2\n" }, author: "bob" });
    const merged = (await other.openPullRequest("demo", { title: "one", head: "one", author: "alice" })).number;
    const draft = (await other.openPullRequest("demo", { title: "two", head: "two", author: "bob", draft: true }))
      .number;
    await other.mergePullRequest("demo", merged, "carol");
    const read = `query($a: Int!, $b: Int!) { repository(owner: "acme", name: "demo") {
      a: pullRequest(number: $a) { state merged isDraft } b: pullRequest(number: $b) { state merged isDraft } } }`;
    const res = await client.request({
      method: "POST",
      url: `${other.url}/api/graphql`,
      query: read,
      variables: { a: merged, b: draft },
    });
    const rest = async (n: number) => (await client.pulls.get({ ...repo, pull_number: n })).data;
    const [one, two] = [await rest(merged), await rest(draft)];
    expect([one.merged, one.state, two.draft]).toEqual([true, "closed", true]);
    expect(res.data).toEqual({
      data: {
        repository: {
          a: { state: "MERGED", merged: one.merged, isDraft: one.draft },
          b: { state: "OPEN", merged: two.merged, isDraft: two.draft },
        },
      },
    });
    expect(other.validationErrors).toEqual([]);
  } finally {
    await other.stop();
  }
});

test("force-pushes: the timeline's HeadRefForcePushedEvent items are REST's head_ref_force_pushed events", async () => {
  const variables = { ...repo, number, appId: APP_ID, previous: first, hasPrevious: false };
  const before = await post(query, variables);
  expect(before.data!.repository.pullRequest.forcePushes).toEqual({ totalCount: 0, nodes: [] });
  await sim.forcePush("demo", "feature", first, "carol");
  await sim.forcePush("demo", "feature", head, "carol");
  const after = (await post(query, variables)).data!.repository.pullRequest.forcePushes;
  const events = await all<{ event: string; created_at: string }>(
    "GET /repos/{owner}/{repo}/issues/{issue_number}/events",
    { issue_number: number },
  );
  const pushes = events.filter((e) => e.event === "head_ref_force_pushed").map((e) => ({ createdAt: e.created_at }));
  expect(pushes).toHaveLength(2);
  expect(after).toEqual({ totalCount: 2, nodes: pushes });
});

test("timeline items the app does not ask for are not simulated (a clear error, not an empty list)", async () => {
  const answer = await post(
    `query($owner: String!, $repo: String!, $number: Int!) { repository(owner: $owner, name: $repo) {
      pullRequest(number: $number) { timelineItems(first: 5, itemTypes: [LABELED_EVENT]) { totalCount } } } }`,
    { ...repo, number },
  );
  expect(answer.errors![0]!.message).toMatch(/not simulated/);
});

test("the radar's query: the app's runs of one check on several heads, as REST's check_name filter lists them", async () => {
  const conflicts = "parallel-review/conflicts";
  const other = (await sim.createBranch("demo", "radar", { files: { "src/c.ts": "export const c = 3;\n" } })).sha;
  for (const [name, sha] of [
    [conflicts, other],
    ["review/security", other],
    [conflicts, other],
    [conflicts, first],
  ] as const)
    await gh.checks.create({ ...repo, name, head_sha: sha, output: { title: name, summary: "s" } });
  sim.createForeignCheckRun("demo", { name: conflicts, headSha: other, conclusion: "success" });
  const { query: document, variables } = conflictRunsQuery([other, head, first]);
  expect((await loadGraphQL()).validate(document)).toEqual([]);
  const answer = await post(document, { ...variables, ...repo, appId: APP_ID, checkName: conflicts });
  expect(answer.errors).toBeUndefined();
  const listed = async (ref: string) =>
    (
      await all<any>("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", {
        ref,
        app_id: APP_ID,
        check_name: conflicts,
        filter: "all",
      })
    ).sort((a, b) => a.id - b.id);
  const suites = (rs: any[]) => ({
    checkSuites: {
      pageInfo: { hasNextPage: false },
      // A commit where the app has runs but none of this name still has the app's suite, with no runs.
      nodes: [
        { app: { databaseId: APP_ID }, checkRuns: { pageInfo: { hasNextPage: false }, nodes: rs.map(asGraphQL.run) } },
      ],
    },
  });
  expect((await listed(other)).map((r) => r.name)).toEqual([conflicts, conflicts]);
  expect(answer.data!.repository).toEqual({
    id: expect.any(String),
    h0: suites(await listed(other)),
    h1: suites(await listed(head)),
    h2: suites(await listed(first)),
  });
  expect(answer.data!.repository.id).toBe(
    (await gh.pulls.get({ ...repo, pull_number: number })).data.base.repo.node_id,
  );
});

test("the radar's open list: REST's open pull requests into the base, most recently updated first", async () => {
  const answer = await post(OPEN_PULLS, { ...repo, base: "main", first: 100 });
  expect(answer.errors).toBeUndefined();
  const rest = await all<any>("GET /repos/{owner}/{repo}/pulls", {
    state: "open",
    base: "main",
    sort: "updated",
    direction: "desc",
  });
  expect(rest.length).toBeGreaterThan(1);
  expect(answer.data!.repository.pullRequests.nodes).toEqual(
    rest.map((p) => ({ number: p.number, title: p.title, createdAt: p.created_at, headRefOid: p.head.sha })),
  );
  expect((await post(OPEN_PULLS, { ...repo, base: "no-such-branch", first: 100 })).data!.repository).toEqual({
    pullRequests: { nodes: [] },
  });
});

test("the radar's open list is the one listing simulated: another order or state is a clear error", async () => {
  const other = OPEN_PULLS.replace("UPDATED_AT", "CREATED_AT");
  expect((await post(other, { ...repo, base: "main", first: 10 })).errors![0]!.message).toContain("not simulated");
  const closed = OPEN_PULLS.replace("[OPEN]", "[CLOSED]");
  expect((await post(closed, { ...repo, base: "main", first: 10 })).errors![0]!.message).toContain("not simulated");
});

test("the radar's files query: each pull request's head and REST's files; an unknown one is NOT_FOUND", async () => {
  const { query: document, variables } = pullFilesQuery([number, 99_999]);
  const answer = await post(document, { ...variables, ...repo });
  const rest = await all<any>("GET /repos/{owner}/{repo}/pulls/{pull_number}/files", { pull_number: number });
  expect(answer.data!.repository.p0).toEqual({
    headRefOid: head,
    changedFiles: rest.length,
    files: {
      pageInfo: { hasNextPage: false },
      nodes: rest.map((f) => ({ path: f.filename, changeType: String(f.status).toUpperCase() })),
    },
  });
  expect(answer.data!.repository.p1).toBeNull();
  expect(answer.errors).toEqual([expect.objectContaining({ type: "NOT_FOUND", path: ["repository", "p1"] })]);
});

describe("a team's members (the app's membership query, src/github/teams.ts)", () => {
  beforeAll(() => {
    sim.createUser("erin");
    sim.createUser("frank");
    sim.createUser("bobby");
    sim.createTeam("platform", { members: ["erin", { login: "frank", state: "pending" }] });
    sim.createTeam("platform-db", { parent: "platform", members: ["bobby"] });
  });

  test("the query is valid against GitHub's schema", async () => {
    expect((await loadGraphQL()).validate(membersQuery(3))).toEqual([]);
  });

  test("active members only, child teams' included, as REST's member list; the team's own slug", async () => {
    const rest = async (slug: string) =>
      (await gh.request("GET /orgs/{org}/teams/{team_slug}/members", { org: "acme", team_slug: slug })).data.map(
        (u: { login: string }) => u.login,
      );
    const { data, errors } = await post(membersQuery(3), {
      o0: "acme",
      s0: "platform",
      o1: "ACME",
      s1: "Platform-DB",
      o2: "acme",
      s2: "security",
    });
    expect(errors).toBeUndefined();
    type Team = { team: { slug: string; members: { nodes: { login: string }[] } } };
    const team = (i: number) => data![`m${i}`] as Team;
    const logins = (i: number) => team(i).team.members.nodes.map((n) => n.login);
    expect(logins(0)).toEqual(await rest("platform")); // erin and bobby (a child team's); frank is invited
    expect(logins(0)).toEqual(["erin", "bobby"]);
    expect([team(1).team.slug, logins(1)]).toEqual(["platform-db", ["bobby"]]);
    expect(logins(2)).toEqual(["bob"]);
  });

  test("an unknown team is null; an unknown organization is GitHub's NOT_FOUND", async () => {
    const { data, errors } = await post(membersQuery(2), { o0: "acme", s0: "nobody", o1: "elsewhere", s1: "security" });
    expect(data?.m0).toEqual({ team: null });
    expect(data?.m1).toBeNull();
    expect(errors).toEqual([
      expect.objectContaining({
        type: "NOT_FOUND",
        path: ["m1"],
        message: "Could not resolve to an Organization with the login of 'elsewhere'.",
      }),
    ]);
  });

  test("only all members, listed, are simulated: a narrower membership or a search is a clear error", async () => {
    const ask = async (args: string) =>
      (
        await post(
          `query { organization(login: "acme") { team(slug: "platform") { members(first: 10, ${args}) { nodes { login } } } } }`,
        )
      ).errors?.[0]?.message;
    expect(await ask("membership: IMMEDIATE")).toBe(
      "Team.members(membership: IMMEDIATE) is valid GitHub GraphQL but not simulated here",
    );
    expect(await ask('query: "erin"')).toBe("Team.members(…) query is valid GitHub GraphQL but not simulated here");
  });
});
