import { describe, expect, test } from "@jest/globals";
import type { CommentInput } from "../../src/core/actions.js";
import { approving, rememberTeams, teamsOf, teamsToList } from "../../src/app/listing.js";
import type { ButtonClick } from "../../src/app/records.js";
import { Recent } from "../../src/github/recent.js";
import { MAX_TEAMS_PER_QUERY, type TeamRef } from "../../src/github/teams.js";

/**
 * Which teams' members a reconcile's first read lists (a cost, never a decision): the whole reconcile is
 * judged in test/app/cost-and-failures.test.ts and test/security/attack-findings.test.ts.
 */

const PR = { owner: "Acme", repo: "Shop", number: 7 };
const SECURITY: TeamRef = { org: "acme", slug: "security" };
const BACKEND: TeamRef = { org: "acme", slug: "backend" };
const click = { persona: "security" } as ButtonClick;
const comment = (body: string): CommentInput => ({
  id: 1,
  user: { login: "sam" },
  body,
  createdAt: "2026-12-01T00:00:00Z",
  updatedAt: "2026-12-01T00:00:00Z",
});
const comments = (...bodies: string[]) => ({ commentBodies: new Map(bodies.map((b, i) => [i, comment(b)])) });

describe("approving", () => {
  test.each([
    ["a click", click, {}, true],
    ["a review (its state is not in the hints: any review)", undefined, { reviewBodies: new Map([[1, null]]) }, true],
    ["an /approve comment", undefined, comments("/approve"), true],
    ["an /approve line after others, scoped, indented", undefined, comments("Looks fine.\n  /APPROVE security"), true],
    ["one of several comments with /approve", undefined, comments("hello", "/approve backend"), true],
    ["chatter", undefined, comments("hello", "please /approve this"), false],
    ["/approved is no command", undefined, comments("/approved"), false],
    ["/request-changes", undefined, comments("/request-changes security leaks"), false],
    ["no facts (opened, a push)", undefined, {}, false],
    ["empty maps", undefined, { reviewBodies: new Map(), commentBodies: new Map() }, false],
  ])("%s → %s", (_, c, hints, expected) => {
    expect(approving(c, hints)).toBe(expected);
  });
});

describe("teamsToList and rememberTeams", () => {
  test("an approval lists what the pull request's last reconcile asked about", () => {
    const remembered = new Recent<readonly TeamRef[]>(60_000, 10);
    rememberTeams(remembered, PR, [SECURITY, BACKEND]);
    expect(teamsToList(remembered, PR, click, {})).toEqual([SECURITY, BACKEND]);
    expect(teamsToList(remembered, { ...PR, owner: "ACME", repo: "shop" }, click, {})).toEqual([SECURITY, BACKEND]);
  });

  test("nothing without what may be an approval, nor without a cache, nor when nothing was asked", () => {
    const remembered = new Recent<readonly TeamRef[]>(60_000, 10);
    rememberTeams(remembered, PR, [SECURITY]);
    expect(teamsToList(remembered, PR, undefined, comments("hello"))).toEqual([]);
    expect(teamsToList(undefined, PR, click, {})).toEqual([]);
    expect(teamsToList(new Recent(60_000, 10), PR, click, {})).toEqual([]);
  });

  test("a pull request of its own first; else its repository's last; another repository's never", () => {
    const remembered = new Recent<readonly TeamRef[]>(60_000, 10);
    rememberTeams(remembered, PR, [SECURITY]);
    rememberTeams(remembered, { ...PR, number: 8 }, [BACKEND]); // another pull request (a stranger's, say)
    expect(teamsToList(remembered, PR, click, {})).toEqual([SECURITY]);
    expect(teamsToList(remembered, { ...PR, number: 9 }, click, {})).toEqual([BACKEND]);
    expect(teamsToList(remembered, { ...PR, repo: "other" }, click, {})).toEqual([]);
  });

  test("a reconcile that asked about no team leaves what was remembered", () => {
    const remembered = new Recent<readonly TeamRef[]>(60_000, 10);
    rememberTeams(remembered, PR, [SECURITY]);
    rememberTeams(remembered, PR, []);
    expect(teamsToList(remembered, PR, click, {})).toEqual([SECURITY]);
    expect(remembered.size).toBe(2);
    rememberTeams(undefined, PR, [BACKEND]); // no cache: nothing to keep, nothing thrown
  });
});

describe("teamsOf", () => {
  test("each team of the personas once, a bare slug the owner's, another organization's as named", () => {
    const personas = [{ teams: ["security", "other/ops"] }, { teams: ["Security", "backend"] }, { teams: [] }];
    expect(teamsOf(personas, "acme", true)).toEqual([
      { org: "acme", slug: "security" },
      { org: "other", slug: "ops" },
      { org: "acme", slug: "backend" },
    ]);
  });

  test("a user-owned repository: bare slugs name nobody, another organization's teams still count", () => {
    expect(teamsOf([{ teams: ["security", "other/ops"] }], "carol", false)).toEqual([{ org: "other", slug: "ops" }]);
  });

  test("at most the teams one query lists", () => {
    const teams = Array.from({ length: MAX_TEAMS_PER_QUERY + 5 }, (_, i) => `t${i}`);
    const listed = teamsOf([{ teams }], "acme", true);
    expect(listed).toHaveLength(MAX_TEAMS_PER_QUERY);
    expect(listed.at(-1)).toEqual({ org: "acme", slug: `t${MAX_TEAMS_PER_QUERY - 1}` });
  });
});
