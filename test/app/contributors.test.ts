import { describe, expect, jest, test } from "@jest/globals";
import type { ReviewAction } from "../../src/core/actions.js";
import { parseTable } from "../../src/core/config.js";
import { planReview, type PlanPersona } from "../../src/core/plan.js";
import type { ReviewTable } from "../../src/core/types.js";
import { contributorsOf, UNKNOWN_PUSHER, withUnknownPushers } from "../../src/app/contributors.js";
import type { Contribution, PullCommit } from "../../src/github/contributors.js";
import { TABLE } from "../helpers/tables.js";

/**
 * With `settings.contributor_approval` off, an approver who authored, committed or pushed a change to a
 * persona's files does not count for that persona. Who contributed is looked up only for approvers; a push
 * nobody is known to have made taints every approver of the files it changed.
 */

function table(contributorApproval?: boolean): ReviewTable {
  const text = contributorApproval === undefined ? TABLE : `${TABLE}  contributor_approval: ${contributorApproval}\n`;
  const r = parseTable({ file: "reviewers.yml", text });
  if (!r.table) throw new Error(JSON.stringify(r.problems));
  return r.table;
}
const TBL = table();
const PLAN = planReview(TBL, [
  { path: "src/payments/refund.ts", status: "modified" },
  { path: "infra/main.tf", status: "modified" },
]);
const byId = (id: string) => PLAN.personas.find((p) => p.id === id)!;
const SECURITY = byId("security");
const FINANCE = byId("finance");
const BACKEND = byId("backend");

const approve = (user: string, over: Partial<ReviewAction> = {}): ReviewAction => ({
  user,
  isBot: false,
  kind: "approve",
  personas: "all",
  sha: "h".repeat(40),
  at: "2024-05-01T10:00:00Z",
  via: "review",
  ref: "review 1",
  ...over,
});
const commit = (sha: string, ...people: string[]): PullCommit => ({ sha, people });

function lookUp(answers: Contribution[]) {
  const asked: (readonly string[])[] = [];
  const contributions = jest.fn(async (logins: readonly string[]) => {
    asked.push(logins);
    return answers.filter((a) => logins.some((l) => l.toLowerCase() === a.login.toLowerCase()));
  });
  return { asked, contributions };
}

const ids = (ps: readonly PlanPersona[], f: (p: PlanPersona) => boolean) => ps.filter(f).map((p) => p.id);

describe("withUnknownPushers", () => {
  const h = (sha: string, pr = 7) => ({ sha, pr });
  test("every head after the first that no recorded push leads to was pushed by someone unknown", () => {
    const known = { user: "sam", before: "a", after: "b", pr: 7 };
    const elsewhere = { user: "sue", before: "x", after: "y", pr: 7 };
    expect(withUnknownPushers([h("a"), h("b"), h("c", 8)], [elsewhere, known])).toEqual([
      elsewhere,
      known,
      { user: UNKNOWN_PUSHER, before: "b", after: "c", pr: 8 },
    ]);
    expect(withUnknownPushers([h("a")], [])).toEqual([]);
    expect(withUnknownPushers([], [])).toEqual([]);
    expect(UNKNOWN_PUSHER).toBe("*");
  });
});

describe("contributorsOf", () => {
  const input = (over: Partial<Parameters<typeof contributorsOf>[0]> = {}) => ({
    table: TBL,
    plan: PLAN,
    actions: [approve("sam")],
    pushes: [],
    commits: [commit("c1", "sam")],
    contributions: lookUp([]).contributions,
    ...over,
  });

  test("contributor_approval on: nobody is looked up, nobody counts as a contributor", async () => {
    const { asked, contributions } = lookUp([{ login: "sam", files: null }]);
    const c = await contributorsOf(input({ table: table(true), contributions }));
    expect(asked).toEqual([]);
    expect(c.contributed(SECURITY, "sam")).toBe(false);
    expect(c.blockers).toEqual([]);
  });

  test("no approvals and an unknown pusher: nothing looked up, nothing to block (no approval to taint)", async () => {
    const { asked, contributions } = lookUp([{ login: UNKNOWN_PUSHER, files: null }]);
    const c = await contributorsOf(
      input({ actions: [], pushes: [{ user: UNKNOWN_PUSHER, before: "a", after: "b", pr: 7 }], contributions }),
    );
    expect(asked).toEqual([]);
    expect(c.blockers).toEqual([]);
  });

  test("an unknown pusher of files of several personas: the blocker names each", async () => {
    const { contributions } = lookUp([{ login: UNKNOWN_PUSHER, files: null }]);
    const c = await contributorsOf(
      input({ pushes: [{ user: UNKNOWN_PUSHER, before: "a", after: "b", pr: 7 }], contributions }),
    );
    expect(c.blockers[0]).toContain(
      `change files of ${PLAN.personas.map((p) => p.name).join(", ")}: approvals for them wait`,
    );
  });

  test("no approvals (or only bots' and change requests): nothing looked up", async () => {
    const { asked, contributions } = lookUp([]);
    const c = await contributorsOf(
      input({
        actions: [approve("sam", { isBot: true }), approve("sue", { kind: "request_changes" })],
        commits: [commit("c1", "sam", "sue")],
        contributions,
      }),
    );
    expect(asked).toEqual([]);
    expect(c.contributed(SECURITY, "sam")).toBe(false);
  });

  test("an approver who authored a commit counts as a contributor for the personas of that commit's files only", async () => {
    const { asked, contributions } = lookUp([{ login: "Sam", files: [{ path: "infra/main.tf", status: "modified" }] }]);
    const c = await contributorsOf(
      input({
        actions: [approve("sam"), approve("sam"), approve("fiona")],
        commits: [commit("c1", "Sam")],
        contributions,
      }),
    );
    expect(asked).toEqual([["sam"]]);
    expect(ids(PLAN.personas, (p) => c.contributed(p, "SAM"))).toEqual(["security"]);
    expect(c.contributed(SECURITY, "fiona")).toBe(false);
    expect(c.blockers).toEqual([]);
  });

  test("files that cannot be listed count as touching every persona", async () => {
    const { contributions } = lookUp([{ login: "sam", files: null }]);
    const c = await contributorsOf(input({ contributions }));
    expect(ids(PLAN.personas, (p) => c.contributed(p, "sam"))).toEqual(PLAN.personas.map((p) => p.id));
  });

  test("approvers who contributed nothing: no look-up", async () => {
    const { asked, contributions } = lookUp([]);
    const c = await contributorsOf(input({ commits: [commit("c1", "carol")], contributions }));
    expect(asked).toEqual([]);
    expect(c.contributed(SECURITY, "sam")).toBe(false);
  });

  test("a pusher counts like an author", async () => {
    const { asked, contributions } = lookUp([
      { login: "sam", files: [{ path: "src/payments/x.ts", status: "added" }] },
    ]);
    const c = await contributorsOf(
      input({ commits: [], pushes: [{ user: "SAM", before: "a", after: "b", pr: 7 }], contributions }),
    );
    expect(asked).toEqual([["sam"]]);
    expect(ids(PLAN.personas, (p) => c.contributed(p, "sam"))).toEqual(
      ids(PLAN.personas, (p) => [BACKEND.id, SECURITY.id, FINANCE.id].includes(p.id)),
    );
  });

  test("an unknown pusher taints every approver of its files and says why the gate waits", async () => {
    const { asked, contributions } = lookUp([
      { login: UNKNOWN_PUSHER, files: [{ path: "infra/main.tf", status: "modified" }] },
    ]);
    const c = await contributorsOf(
      input({
        commits: [commit("c1", "carol")],
        pushes: [{ user: UNKNOWN_PUSHER, before: "a", after: "b", pr: 7 }],
        contributions,
      }),
    );
    expect(asked).toEqual([[UNKNOWN_PUSHER]]);
    expect(c.contributed(SECURITY, "sam")).toBe(true);
    expect(c.contributed(SECURITY, "anyone")).toBe(true);
    expect(c.contributed(FINANCE, "sam")).toBe(false);
    expect(c.blockers).toEqual([
      "Who pushed some commits of this pull request is not known (a push's delivery never reached the app), and they change files of Security Engineer: approvals for them wait until GitHub redelivers the push's `synchronize` event, or a new push is made.",
    ]);
  });

  test("an approver among the contributors and an unknown pusher: both looked up, in that order", async () => {
    const { asked, contributions } = lookUp([]);
    await contributorsOf(input({ pushes: [{ user: UNKNOWN_PUSHER, before: "a", after: "b", pr: 7 }], contributions }));
    expect(asked).toEqual([["sam", UNKNOWN_PUSHER]]);
  });

  test("250 commits or more: who contributed cannot be established, the gate is blocked", async () => {
    const { asked, contributions } = lookUp([]);
    const many = Array.from({ length: 250 }, (_, i) => commit(`c${i}`, "carol"));
    const c = await contributorsOf(input({ commits: many, contributions }));
    expect(asked).toEqual([]);
    expect(c.contributed(SECURITY, "sam")).toBe(false);
    expect(c.blockers).toEqual([
      "This pull request has 250 or more commits, more than GitHub lists: who contributed which files cannot be established (settings.contributor_approval). Squash or split it.",
    ]);
    const fewer = await contributorsOf(input({ commits: many.slice(1), contributions }));
    expect(fewer.blockers).toEqual([]);
  });
});
