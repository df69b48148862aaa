/** Pull requests over HTTP: reads, file pagination and the 3,000-file cap, reviews, review requests. */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import type { Octokit } from "@octokit/rest";
import type { GitHubSimulator } from "../../src/simulator/index.js";
import { failure, featurePr } from "./helpers.js";

const repo = { owner: "acme", repo: "demo" };
let sim: GitHubSimulator;
let gh: Octokit;
let pr: { number: number; headSha: string };

beforeAll(async () => {
  ({ sim, gh, pr } = await featurePr((s) => s.createTeam("security", { members: ["carol"] })));
});
afterAll(() => sim.stop());
afterEach(() => expect(sim.validationErrors).toEqual([]));

/** Parses an RFC 5988 Link header into rel → page number. */
const pages = (link: string | undefined): Record<string, number> =>
  Object.fromEntries(
    [...(link ?? "").matchAll(/<([^>]+)>; rel="(\w+)"/g)].map((m) => [
      m[2]!,
      Number(new URL(m[1]!).searchParams.get("page")),
    ]),
  );

describe("reads", () => {
  test("a PR reflects its branches, author and diff stats", async () => {
    const { data } = await gh.pulls.get({ ...repo, pull_number: pr.number });
    expect(data).toMatchObject({
      number: 1,
      state: "open",
      draft: false,
      merged: false,
      title: "Add a",
      user: { login: "alice", type: "User" },
      head: { ref: "feature", sha: pr.headSha, label: "acme:feature" },
      base: { ref: "main", sha: sim.branchSha("demo", "main") },
      changed_files: 2,
      additions: 2,
      deletions: 0,
      commits: 1,
    });
    expect(data.html_url).toBe(`${sim.url}/acme/demo/pull/1`);
  });

  test("listing filters by state/base and paginates with Link headers", async () => {
    for (const b of ["x1", "x2"]) {
      await sim.createBranch("demo", b, { files: { [`${b}.txt`]: b } });
      await sim.openPullRequest("demo", { title: b, head: b, author: "bob" });
    }
    const first = await gh.pulls.list({ ...repo, state: "open", base: "main", per_page: 2 });
    expect(first.data.map((p) => p.number)).toEqual([3, 2]);
    expect(pages(first.headers.link)).toEqual({ next: 2, last: 2 });
    expect(first.headers.link).toContain(`${sim.apiUrl}/repos/acme/demo/pulls?`);
    const all = await gh.paginate(gh.pulls.list, { ...repo, state: "open", per_page: 2 });
    expect(all.map((p) => p.number)).toEqual([3, 2, 1]);
    expect((await gh.pulls.list({ ...repo, base: "release" })).data).toEqual([]);
    await sim.closePullRequest("demo", 3);
    expect((await gh.pulls.list({ ...repo, state: "closed" })).data.map((p) => p.number)).toEqual([3]);
    expect((await failure(gh.pulls.get({ ...repo, pull_number: 99 }))).status).toBe(404);
  });

  test("commits/{sha}/pulls finds the PRs that contain a commit", async () => {
    expect(
      (await gh.repos.listPullRequestsAssociatedWithCommit({ ...repo, commit_sha: pr.headSha })).data.map(
        (p) => p.number,
      ),
    ).toEqual([1]);
    expect(
      (await gh.repos.listPullRequestsAssociatedWithCommit({ ...repo, commit_sha: sim.branchSha("demo", "main") }))
        .data,
    ).toEqual([]);
  });
});

describe("merging", () => {
  test("a merge moves the base, closes the PR as merged and links the merge commit", async () => {
    await sim.createBranch("demo", "tomerge", { files: { "merged.txt": "m\n" } });
    const opened = await sim.openPullRequest("demo", { title: "merge me", head: "tomerge", author: "bob" });
    const merged = await sim.mergePullRequest("demo", opened.number, "carol");
    expect(sim.branchSha("demo", "main")).toBe(merged.mergeCommitSha);
    expect(sim.fileAt("demo", "main", "merged.txt")).toBe("m\n");
    const { data } = await gh.pulls.get({ ...repo, pull_number: opened.number });
    expect(data).toMatchObject({
      state: "closed",
      merged: true,
      merge_commit_sha: merged.mergeCommitSha,
      merged_by: { login: "carol" },
    });
    expect(
      (await gh.repos.listPullRequestsAssociatedWithCommit({ ...repo, commit_sha: merged.mergeCommitSha })).data.map(
        (p) => p.number,
      ),
    ).toEqual([opened.number]);
  });
});

describe("files", () => {
  test("per_page is capped at 100, pages are linked, and GitHub's 3,000-file cap applies", async () => {
    const files = Object.fromEntries(
      Array.from({ length: 3005 }, (_, i) => [`gen/f${String(i).padStart(4, "0")}.txt`, `${i}\n`]),
    );
    await sim.createBranch("demo", "huge", { files });
    const big = await sim.openPullRequest("demo", { title: "huge", head: "huge", author: "bob" });
    const first = await gh.pulls.listFiles({ ...repo, pull_number: big.number, per_page: 500 });
    expect(first.data).toHaveLength(100);
    expect(pages(first.headers.link)).toEqual({ next: 2, last: 30 });
    const last = await gh.pulls.listFiles({ ...repo, pull_number: big.number, per_page: 100, page: 30 });
    expect(last.data.at(-1)?.filename).toBe("gen/f2999.txt");
    expect(pages(last.headers.link)).toEqual({ prev: 29, first: 1 });
    expect((await gh.pulls.listFiles({ ...repo, pull_number: big.number, per_page: 100, page: 31 })).data).toEqual([]);
    // The PR itself still knows the real count.
    expect((await gh.pulls.get({ ...repo, pull_number: big.number })).data.changed_files).toBe(3005);
  });

  test("files are relative to the merge base and include status and previous_filename", async () => {
    await sim.pushToPullRequest("demo", pr.number, {
      files: { "src/a.ts": null, "src/b.ts": "export const a = 1;\n" },
    });
    await sim.push("demo", "main", { files: { "unrelated.txt": "main moved on\n" } });
    const all = await gh.paginate(gh.pulls.listFiles, { ...repo, pull_number: pr.number, per_page: 1 });
    expect(all.map((f) => [f.filename, f.status, f.previous_filename])).toEqual([
      ["README.md", "modified", undefined],
      ["src/b.ts", "added", undefined],
    ]);
  });
});

describe("reviews and review requests", () => {
  test("reviews record state, body and the head they were made on", async () => {
    const firstHead = sim.pullRequest("demo", pr.number).headSha;
    const approved = await sim.submitReview("demo", pr.number, { user: "bob", state: "APPROVED" });
    const changes = await sim.submitReview("demo", pr.number, {
      user: "carol",
      state: "CHANGES_REQUESTED",
      body: "needs tests",
    });
    await sim.dismissReview("demo", pr.number, changes.reviewId, "alice");
    const pushed = await sim.pushToPullRequest("demo", pr.number, { files: { "test/a.test.ts": "test\n" } });
    await sim.submitReview("demo", pr.number, { user: "carol", state: "COMMENTED", body: "better" });
    const { data } = await gh.pulls.listReviews({ ...repo, pull_number: pr.number });
    expect(data.map((r) => [r.user?.login, r.state, r.commit_id])).toEqual([
      ["bob", "APPROVED", firstHead],
      ["carol", "DISMISSED", firstHead],
      ["carol", "COMMENTED", pushed.sha],
    ]);
    expect(data[0]).toMatchObject({ id: approved.reviewId, body: "" });
    expect(data[2]?.submitted_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    await expect(sim.submitReview("demo", pr.number, { user: "alice", state: "APPROVED" })).rejects.toThrow(
      /own pull request/,
    );
  });

  test("requesting reviewers follows GitHub's rules (author and non-collaborators → 422)", async () => {
    const created = await gh.pulls.requestReviewers({
      ...repo,
      pull_number: pr.number,
      reviewers: ["bob"],
      team_reviewers: ["security"],
    });
    expect(created.status).toBe(201);
    expect(created.data.requested_reviewers?.map((u) => u.login)).toEqual(["bob"]);
    expect((await gh.pulls.listRequestedReviewers({ ...repo, pull_number: pr.number })).data).toMatchObject({
      users: [{ login: "bob" }],
      teams: [{ slug: "security" }],
    });
    const author = await failure(gh.pulls.requestReviewers({ ...repo, pull_number: pr.number, reviewers: ["alice"] }));
    expect(author).toMatchObject({
      status: 422,
      data: { message: "Review cannot be requested from pull request author." },
    });
    const stranger = await failure(
      gh.pulls.requestReviewers({ ...repo, pull_number: pr.number, reviewers: ["mallory"] }),
    );
    expect(stranger.status).toBe(422);
    await gh.pulls.removeRequestedReviewers({
      ...repo,
      pull_number: pr.number,
      reviewers: ["bob"],
      team_reviewers: [],
    });
    expect(sim.requestedReviewers("demo", pr.number)).toEqual({ users: [], teams: ["security"] });
    // A submitted review fulfils the request.
    await gh.pulls.requestReviewers({ ...repo, pull_number: pr.number, reviewers: ["carol"] });
    await sim.submitReview("demo", pr.number, { user: "carol", state: "APPROVED" });
    expect(sim.requestedReviewers("demo", pr.number).users).toEqual([]);
  });
});
