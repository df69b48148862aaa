/** Auth, contents + conditional requests, team membership and compare, driven over HTTP with @octokit/rest. */
import { createHash, generateKeyPairSync } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import type { Octokit } from "@octokit/rest";
import type { GitHubSimulator } from "../../src/simulator/index.js";
import { appJwt, appKeys, failure, installationOctokit, octokit, signJwt, startSim } from "./helpers.js";

const repo = { owner: "acme", repo: "demo" };
let sim: GitHubSimulator;
let gh: Octokit;

beforeAll(async () => {
  sim = await startSim();
  gh = await installationOctokit(sim);
});
afterAll(() => sim.stop());
afterEach(() => expect(sim.validationErrors).toEqual([]));

describe("authentication", () => {
  test("repository endpoints require an installation token", async () => {
    const anonymous = await failure(octokit(sim.apiUrl).repos.getContent({ ...repo, path: "README.md" }));
    expect(anonymous.status).toBe(401);
    expect(anonymous.data.message).toBe("Requires authentication");
    const bogus = await failure(
      octokit(sim.apiUrl, "ghs_notarealtoken").repos.getContent({ ...repo, path: "README.md" }),
    );
    expect(bogus).toMatchObject({ status: 401, data: { message: "Bad credentials" } });
    // The app's JWT is only good for /app endpoints, as on GitHub.
    const jwt = await failure(
      octokit(sim.apiUrl, appJwt(appKeys().privateKey, 42)).repos.getContent({ ...repo, path: "README.md" }),
    );
    expect(jwt.status).toBe(401);
  });

  test("app JWTs are verified as RS256 against the configured key", async () => {
    const now = Math.floor(Date.now() / 1000);
    const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const forged = await failure(
      octokit(sim.apiUrl, signJwt(stranger, { iat: now, exp: now + 60, iss: 42 })).apps.getAuthenticated(),
    );
    expect(forged).toMatchObject({ status: 401, data: { message: "A JSON web token could not be decoded" } });
    const expired = await failure(
      octokit(
        sim.apiUrl,
        signJwt(appKeys().privateKey, { iat: now - 900, exp: now - 300, iss: 42 }),
      ).apps.getAuthenticated(),
    );
    expect(expired.data.message).toMatch(/Expiration time/);

    const app = octokit(sim.apiUrl, appJwt(appKeys().privateKey, 42));
    expect((await app.apps.getAuthenticated()).data).toMatchObject({ id: 42, slug: "parallel-review" });
    expect((await app.apps.getRepoInstallation(repo)).data).toMatchObject({
      id: 1,
      app_id: 42,
      account: { login: "acme", type: "Organization" },
    });
    const token = (await app.apps.createInstallationAccessToken({ installation_id: 1 })).data;
    expect(token.token).toMatch(/^ghs_[\w-]{36}$/);
    expect(Date.parse(token.expires_at) - Date.now()).toBeGreaterThan(59 * 60 * 1000);
    expect(token).toMatchObject({ repository_selection: "all", permissions: { checks: "write" } });
    expect((await failure(app.apps.createInstallationAccessToken({ installation_id: 999 }))).status).toBe(404);
  });

  test("the API is served at / and at the GHE prefix /api/v3; revoked tokens stop working", async () => {
    const atRoot = await installationOctokit(sim, sim.url);
    expect((await atRoot.pulls.list(repo)).status).toBe(200);
    expect(sim.requests.at(-1)).toMatchObject({ route: "GET /repos/{owner}/{repo}/pulls", status: 200 });
    sim.revokeTokens();
    expect((await failure(gh.pulls.list(repo))).status).toBe(401);
    gh = await installationOctokit(sim);
    expect((await gh.pulls.list(repo)).status).toBe(200);
  });

  test("rate-limit headers count down per installation", async () => {
    const a = await gh.pulls.list(repo);
    const b = await gh.pulls.list(repo);
    expect(a.headers["x-ratelimit-limit"]).toBe("5000");
    expect(Number(b.headers["x-ratelimit-remaining"])).toBe(Number(a.headers["x-ratelimit-remaining"]) - 1);
  });
});

describe("contents", () => {
  const blobSha = (s: string) =>
    createHash("sha1")
      .update(`blob ${Buffer.byteLength(s)}\0${s}`)
      .digest("hex");

  test("files come base64-encoded (60-column lines) with their git blob sha, by branch or commit sha", async () => {
    const original = "reviewers:\n  - security\n";
    const oldSha = sim.branchSha("demo", "main");
    await sim.push("demo", "main", { files: { "reviewers.yml": "reviewers:\n  - security\n  - docs\n" } });
    const { data, headers } = await gh.repos.getContent({ ...repo, path: "reviewers.yml", ref: oldSha });
    if (Array.isArray(data) || data.type !== "file") throw new Error("expected a file");
    expect(Buffer.from(data.content, "base64").toString()).toBe(original);
    expect(data.sha).toBe(blobSha(original));
    expect(data.encoding).toBe("base64");
    expect(headers.etag).toMatch(/^W\/"[0-9a-f]{40}"$/);
    const latest = (await gh.repos.getContent({ ...repo, path: "reviewers.yml", ref: "main" })).data as {
      content: string;
    };
    expect(Buffer.from(latest.content, "base64").toString()).toContain("docs");
    const long = "x".repeat(200);
    await sim.push("demo", "main", { files: { "long.txt": long } });
    const wrapped = (await gh.repos.getContent({ ...repo, path: "long.txt" })).data as { content: string };
    expect(wrapped.content.split("\n").every((l) => l.length <= 60)).toBe(true);
    expect(Buffer.from(wrapped.content, "base64").toString()).toBe(long);
  });

  test("If-None-Match with the current ETag gets an empty 304, counted separately", async () => {
    const first = await gh.repos.getContent({ ...repo, path: "README.md" });
    const before = sim.stats();
    const cached = await failure(
      gh.repos.getContent({ ...repo, path: "README.md", headers: { "if-none-match": first.headers.etag } }),
    );
    expect(cached.status).toBe(304);
    expect(sim.requests.at(-1)).toMatchObject({
      status: 304,
      notModified: true,
      route: "GET /repos/{owner}/{repo}/contents/{path}",
    });
    expect(sim.stats().notModified).toBe(before.notModified + 1);
    expect(sim.stats().byEndpoint["GET /repos/{owner}/{repo}/contents/{path}"]).toBe(
      before.byEndpoint["GET /repos/{owner}/{repo}/contents/{path}"]! + 1,
    );
    // 304s don't cost rate limit, like on GitHub.
    expect(cached.headers["x-ratelimit-remaining"]).toBe(first.headers["x-ratelimit-remaining"]);
    await sim.push("demo", "main", { files: { "README.md": "# demo v2\n" } });
    const changed = await gh.repos.getContent({
      ...repo,
      path: "README.md",
      headers: { "if-none-match": first.headers.etag },
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(first.headers.etag);
  });

  test("absent files and refs are 404; directories list their entries", async () => {
    expect((await failure(gh.repos.getContent({ ...repo, path: "nope.yml" }))).status).toBe(404);
    expect((await failure(gh.repos.getContent({ ...repo, path: "README.md", ref: "no-such-branch" }))).status).toBe(
      404,
    );
    await sim.createBranch("demo", "docs", { files: { "docs/a.md": "a\n", "docs/sub/b.md": "b\n" } });
    const { data } = await gh.repos.getContent({ ...repo, path: "docs", ref: "docs" });
    expect(Array.isArray(data) && data.map((e) => `${e.type}:${e.path}`)).toEqual(["file:docs/a.md", "dir:docs/sub"]);
    expect((await failure(gh.repos.getContent({ ...repo, path: "docs/a.md" }))).status).toBe(404);
  });
});

describe("teams", () => {
  beforeAll(() => {
    sim.createUser("dave");
    sim.createTeam("security", { members: ["alice"] });
    sim.createTeam("appsec", { parent: "security", members: [{ login: "bob", role: "maintainer" }] });
    sim.createTeam("pentest", { parent: "appsec", members: [{ login: "carol", state: "pending" }] });
  });

  test("membership includes child teams, with role and pending state", async () => {
    const m = (team_slug: string, username: string) =>
      gh.teams.getMembershipForUserInOrg({ org: "acme", team_slug, username });
    expect((await m("security", "alice")).data).toMatchObject({ state: "active", role: "member" });
    expect((await m("security", "bob")).data).toMatchObject({ state: "active", role: "maintainer" });
    expect((await m("security", "carol")).data).toMatchObject({ state: "pending" });
    expect((await failure(m("appsec", "alice"))).status).toBe(404);
    expect((await failure(m("security", "dave"))).status).toBe(404);
    expect(
      (await failure(gh.teams.getMembershipForUserInOrg({ org: "other", team_slug: "security", username: "alice" })))
        .status,
    ).toBe(404);
  });

  test("member lists include child-team members but not pending invitations", async () => {
    const all = await gh.teams.listMembersInOrg({ org: "acme", team_slug: "security" });
    expect(all.data.map((u) => u.login)).toEqual(["alice", "bob"]);
    const maintainers = await gh.teams.listMembersInOrg({ org: "acme", team_slug: "security", role: "maintainer" });
    expect(maintainers.data.map((u) => u.login)).toEqual(["bob"]);
    expect((await failure(gh.teams.listMembersInOrg({ org: "acme", team_slug: "ghosts" }))).status).toBe(404);
  });
});

describe("compare", () => {
  const cmp = { owner: "acme", repo: "cmp" };
  beforeAll(async () => {
    sim.createRepo("cmp", { files: { "a.txt": "1\n2\n", "b.txt": "b\n", "old.md": "same\n" } });
    await sim.createBranch("cmp", "topic", {
      files: { "a.txt": "1\n2\n3\n", "b.txt": null, "old.md": null, "new.md": "same\n", "c.txt": "c\n" },
    });
  });

  test("three-dot compare reports files against the merge base", async () => {
    const { data } = await gh.repos.compareCommitsWithBasehead({ ...cmp, basehead: "main...topic" });
    expect(data).toMatchObject({ status: "ahead", ahead_by: 1, behind_by: 0, total_commits: 1 });
    expect(data.merge_base_commit.sha).toBe(sim.branchSha("cmp", "main"));
    const files = Object.fromEntries((data.files ?? []).map((f) => [f.filename, f]));
    expect(files["a.txt"]).toMatchObject({ status: "modified", additions: 1, deletions: 0 });
    expect(files["b.txt"]).toMatchObject({ status: "removed", deletions: 1 });
    expect(files["c.txt"]).toMatchObject({ status: "added", additions: 1 });
    expect(files["new.md"]).toMatchObject({ status: "renamed", previous_filename: "old.md" });
  });

  test("status follows both histories: diverged, behind, identical; unknown refs are 404", async () => {
    const mergeBase = sim.branchSha("cmp", "main");
    await sim.push("cmp", "main", { files: { "z.txt": "z\n" } });
    const diverged = (await gh.repos.compareCommitsWithBasehead({ ...cmp, basehead: "main...topic" })).data;
    expect(diverged).toMatchObject({ status: "diverged", ahead_by: 1, behind_by: 1 });
    expect(diverged.merge_base_commit.sha).toBe(mergeBase);
    // Only the topic's own changes, not main's new z.txt.
    expect(diverged.files?.map((f) => f.filename)).not.toContain("z.txt");
    expect((await gh.repos.compareCommitsWithBasehead({ ...cmp, basehead: `main...${mergeBase}` })).data).toMatchObject(
      { status: "behind", behind_by: 1, ahead_by: 0 },
    );
    expect((await gh.repos.compareCommitsWithBasehead({ ...cmp, basehead: "topic...topic" })).data).toMatchObject({
      status: "identical",
      files: [],
    });
    expect((await failure(gh.repos.compareCommitsWithBasehead({ ...cmp, basehead: "main...nope" }))).status).toBe(404);
  });
});
