/**
 * The tests' nock fake GitHub (test/helpers/fake-github.ts) answers the snapshot query with exactly what its
 * REST routes answer, so app tests keep their worlds when the app reads through GraphQL.
 */
import https from "node:https";
import { describe, expect, test } from "@jest/globals";
import { conflictRunsQuery } from "../../src/github/radar-runs.js";
import { OPEN_PULLS } from "../../src/github/radar.js";
import { SNAPSHOT_QUERY } from "../../src/github/snapshot-query.js";
import { useFakeGitHub } from "../helpers/app-harness.js";
import { APP_BOT_ID, APP_ID, APP_SLUG, sha, type FakeGitHub } from "../helpers/fake-github.js";
import { asGraphQL } from "../helpers/graphql-shapes.js";
import { TWO_TEAMS } from "../helpers/tables.js";

const { fresh } = useFakeGitHub();

/** The snapshot query's variables for pull request #7, with `previous` the head before a push (or none). */
const variables = (previous?: string, number = 7) => ({
  owner: "acme",
  repo: "shop",
  number,
  appId: APP_ID,
  previous: previous ?? sha("none"),
  hasPrevious: previous !== undefined,
});
const PATH = "/repos/acme/shop";

/** One HTTP request to the fake (nock answers node:https), as the app's client would send it. */
function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `https://api.github.com${path}`,
      { method, headers: { authorization: "token ghs_test", "content-type": "application/json" } },
      (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const get = async (path: string): Promise<Record<string, any>> => (await call("GET", path)).body;
const list = async (path: string): Promise<any[]> => (await call("GET", path)).body;
const nodes = (connection: any): any[] => connection.nodes;

/** Reviews, comments, a renamed file, runs by the app and by another app, a second PR on the head, a push. */
async function world(): Promise<{ gh: FakeGitHub; previous: string }> {
  const files = [
    { filename: "docs/guide.md", status: "renamed", previous_filename: "guide.md" },
    { filename: "src/pay.ts", status: "added" },
  ];
  const { gh } = fresh({ table: TWO_TEAMS, files });
  const previous = gh.pull.headSha;
  const run = (name: string, headSha: string) =>
    call("POST", `${PATH}/check-runs`, {
      name,
      head_sha: headSha,
      status: "in_progress",
      output: { title: name, summary: "s" },
    });
  await run("review/backend", previous);
  gh.push("head-2", files, [{ filename: "src/pay.ts" }]);
  await run("review/backend", gh.pull.headSha);
  await run("review/backend", gh.pull.headSha);
  gh.runs.push({
    ...gh.runs.at(-1)!,
    id: 90_001,
    name: "ci",
    app_id: APP_ID + 1,
    status: "completed",
    conclusion: "success",
  });
  gh.sharedHead = [9];
  gh.pull.requestedUsers.push("bob");
  gh.pull.requestedTeams.push("security");
  gh.review("bob", "APPROVED", "fine");
  gh.review("sam", "CHANGES_REQUESTED", "no", previous);
  gh.comment("carol", "please look");
  await call("POST", `${PATH}/issues/7/comments`, { body: "<!-- record -->" });
  return { gh, previous };
}

describe("the fake GitHub's GraphQL reads", () => {
  const query = SNAPSHOT_QUERY;

  test("the snapshot query equals the fake's REST answers, field by field, in one request", async () => {
    const { gh, previous } = await world();
    const before = gh.log.length;
    const { status, body } = await call("POST", "/graphql", { query, variables: variables(previous) });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(gh.log.slice(before).map((l) => `${l.method} ${l.path}`)).toEqual(["POST /graphql"]);
    const { viewer, repository } = body.data;
    const pr = repository.pullRequest;

    expect(viewer).toEqual({ login: `${APP_SLUG}[bot]`, databaseId: APP_BOT_ID });
    const rest = await get(`${PATH}/pulls/7`);
    expect(repository).toMatchObject({
      nameWithOwner: rest.base.repo.full_name,
      owner: { __typename: "Organization" },
      defaultBranchRef: { name: rest.base.repo.default_branch },
    });
    expect(pr).toMatchObject({ ...asGraphQL.pull(rest), state: "OPEN" });
    expect(pr.reviewRequests.nodes).toEqual([
      { requestedReviewer: { __typename: "User", login: "bob" } },
      { requestedReviewer: { __typename: "Team", slug: "security" } },
    ]);

    const files = await list(`${PATH}/pulls/7/files?per_page=100`);
    expect(pr.files).toEqual(asGraphQL.page(files.map(asGraphQL.file)));
    expect(pr.files.nodes[0]).toEqual({ path: "docs/guide.md", changeType: "RENAMED" });
    expect(pr.reviews).toEqual(
      asGraphQL.page((await list(`${PATH}/pulls/7/reviews?per_page=100`)).map(asGraphQL.review)),
    );
    const comments = await list(`${PATH}/issues/7/comments?per_page=100`);
    expect(pr.comments).toEqual(asGraphQL.page(comments.map(asGraphQL.comment)));
    expect(nodes(pr.comments).at(-1).author).toEqual({ __typename: "Bot", login: APP_SLUG, databaseId: APP_BOT_ID });
    const { pageInfo: _, ...commits } = asGraphQL.page(
      (await list(`${PATH}/pulls/7/commits?per_page=100`)).map(asGraphQL.commit),
    );
    expect(pr.commits).toEqual(commits);

    const runs = async (ref: string) => {
      const answer = await get(`${PATH}/commits/${ref}/check-runs?app_id=${APP_ID}&filter=all&per_page=100`);
      return (answer.check_runs as any[]).sort((a, b) => a.id - b.id);
    };
    const suites = (rs: any[]) => ({
      pageInfo: { hasNextPage: false },
      nodes: [
        { app: { databaseId: APP_ID }, checkRuns: { pageInfo: { hasNextPage: false }, nodes: rs.map(asGraphQL.run) } },
      ],
    });
    const head = pr.head.nodes[0].commit;
    expect(head.oid).toBe(rest.head.sha);
    expect((await runs(head.oid)).length).toBe(2);
    expect(head.checkSuites).toEqual(suites(await runs(head.oid)));
    expect(repository.previous).toEqual({ checkSuites: suites(await runs(previous)) });
    const shared = await list(`${PATH}/commits/${head.oid}/pulls`);
    expect(head.associatedPullRequests.nodes).toEqual(
      shared.map((p: any) => ({
        number: p.number,
        state: "OPEN",
        headRefOid: p.head.sha,
        baseRepository: { nameWithOwner: p.base.repo.full_name },
      })),
    );
    expect(nodes(head.associatedPullRequests).map((p: any) => p.number)).toEqual([7, 9]);

    const table = await get(`${PATH}/contents/reviewers.yml?ref=${rest.base.ref}`);
    expect(pr.baseRef.target).toEqual({
      oid: rest.base.sha,
      dotGithub: null,
      root: {
        path: "reviewers.yml",
        object: { text: Buffer.from(table.content, "base64").toString("utf8"), isTruncated: false, isBinary: false },
      },
    });
  });

  test("the query as written reads comment ids through fullDatabaseId (a BigInt string)", async () => {
    const { gh, previous } = await world();
    const { body } = await call("POST", "/graphql", { query: SNAPSHOT_QUERY, variables: variables(previous) });
    expect(body.errors).toBeUndefined();
    const comments = await list(`${PATH}/issues/7/comments?per_page=100`);
    expect(nodes(body.data.repository.pullRequest.comments).map((c: any) => c.fullDatabaseId)).toEqual(
      comments.map((c: any) => String(c.id)),
    );
    expect(gh.invalid).toEqual([]);
  });

  test("an unknown pull request is null with NOT_FOUND; an unknown commit is null", async () => {
    const { gh } = await world();
    const { body } = await call("POST", "/graphql", { query, variables: variables(sha("never"), 8) });
    expect(body.data.repository).toMatchObject({ previous: null, pullRequest: null });
    expect(body.errors).toEqual([expect.objectContaining({ type: "NOT_FOUND", path: ["repository", "pullRequest"] })]);
    expect(gh.invalid).toEqual([]);
  });

  test("a fault on a REST read the query makes fails the whole request, as the REST read would have failed", async () => {
    const { gh } = await world();
    gh.faults.push({
      method: "GET",
      path: /\/reviews$/,
      status: 403,
      headers: { "retry-after": "7" },
      body: { message: "You have exceeded a secondary rate limit." },
      times: 1,
    });
    const answer = await call("POST", "/graphql", { query, variables: variables() });
    expect(answer).toEqual({ status: 403, body: { message: "You have exceeded a secondary rate limit." } });
    expect((await call("POST", "/graphql", { query, variables: variables() })).status).toBe(200);
  });

  test("a hold on a REST read the query makes holds the query; it reads the state when released", async () => {
    const { gh } = await world();
    let release!: () => void;
    const hold = {
      method: "GET",
      path: /\/pulls\/7\/reviews$/,
      until: new Promise<void>((r) => (release = r)),
      times: 1,
    };
    gh.holds.push(hold);
    const before = gh.log.length;
    const pending = call("POST", "/graphql", { query, variables: variables() });
    while (hold.times > 0) await new Promise((r) => setTimeout(r, 5));
    expect(gh.log.length).toBe(before); // not answered while held
    gh.review("sue", "APPROVED", "late");
    release();
    const { status, body } = await pending;
    expect(status).toBe(200);
    expect(nodes(body.data.repository.pullRequest.reviews).map((r) => r.body)).toEqual(["fine", "no", "late"]);
    expect(gh.log.slice(before).map((l) => `${l.method} ${l.path}`)).toEqual(["POST /graphql"]);
  });
});

type RestRun = Record<string, unknown> & { name: string; app: { id: number } };
type Commit = { checkSuites: { nodes: { checkRuns: { nodes: { externalId: string }[] } }[] } };

test("the fake's answer to the radar's open list is its REST list, and faults on that route apply", async () => {
  const { gh } = await world();
  gh.openPulls = [gh.pull.number, 8];
  const query = { query: OPEN_PULLS, variables: { owner: "acme", repo: "shop", base: "main", first: 50 } };
  const ok = await call("POST", "/graphql", query);
  expect(ok.body.errors).toBeUndefined();
  const rest = await list(`${PATH}/pulls?state=open&base=main&sort=updated&direction=desc&per_page=100`);
  expect(ok.body.data.repository.pullRequests.nodes).toEqual(
    rest.map((p) => ({ number: p.number, title: p.title, createdAt: p.created_at, headRefOid: p.head.sha })),
  );
  expect(rest.map((p) => p.number)).toEqual([gh.pull.number, 8]);
  gh.faults.push({ method: "GET", path: /\/pulls$/, status: 502, times: 1 });
  expect((await call("POST", "/graphql", query)).status).toBe(502);
});

describe("the fake GitHub's answer to the radar's runs query", () => {
  /** The radar's query for the head and the head before the push, as src/github/radar-runs.ts sends it. */
  const radarQuery = (heads: string[]) => {
    const { query, variables } = conflictRunsQuery(heads);
    return {
      query,
      variables: { ...variables, owner: "acme", repo: "shop", appId: APP_ID, checkName: "review/backend" },
    };
  };

  test("is the app's runs of the check as its REST route lists them; faults and holds on that route apply", async () => {
    const { gh, previous } = await world();
    const rest = async (s: string) =>
      ((await get(`${PATH}/commits/${s}/check-runs?filter=all&per_page=100`)).check_runs as RestRun[]).filter(
        (r) => r.name === "review/backend" && r.app.id === APP_ID,
      );
    const ok = await call("POST", "/graphql", radarQuery([gh.pull.headSha, previous]));
    expect(ok.body.errors).toBeUndefined();
    const runs = (commit: Commit) => commit.checkSuites.nodes.flatMap((x) => x.checkRuns.nodes);
    expect(runs(ok.body.data.repository.h0)).toEqual((await rest(gh.pull.headSha)).map(asGraphQL.run));
    expect(runs(ok.body.data.repository.h1)).toEqual((await rest(previous)).map(asGraphQL.run));
    expect(runs(ok.body.data.repository.h0)).toHaveLength(2);

    gh.faults.push({ method: "GET", path: /\/commits\/[0-9a-f]+\/check-runs$/, status: 502, times: 1 });
    expect((await call("POST", "/graphql", radarQuery([gh.pull.headSha]))).status).toBe(502);

    let release!: () => void;
    const hold = { method: "GET", path: /\/check-runs$/, until: new Promise<void>((r) => (release = r)), times: 1 };
    gh.holds.push(hold);
    const pending = call("POST", "/graphql", radarQuery([gh.pull.headSha]));
    while (hold.times > 0) await new Promise((r) => setTimeout(r, 5));
    await call("POST", `${PATH}/check-runs`, {
      name: "review/backend",
      head_sha: gh.pull.headSha,
      status: "in_progress",
      output: { title: "late", summary: "s" },
      external_id: "late",
    });
    release();
    // Read when released: the run written while the query was held is in the answer.
    expect(runs((await pending).body.data.repository.h0).map((r) => r.externalId)).toEqual(["", "", "late"]);
    expect(gh.invalid).toEqual([]);
  });
});
