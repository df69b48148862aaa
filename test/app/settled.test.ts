import { describe, expect, test } from "@jest/globals";
import type { Probot } from "probot";
import type { CommentInput, ReviewInput } from "../../src/core/actions.js";
import type { CheckRunSpec } from "../../src/core/checks.js";
import type { Outcome } from "../../src/app/reconcile.js";
import { printOf, settled, type Settling } from "../../src/app/settled.js";
import { appCommentOf } from "../../src/app/standing.js";
import { runDigest, type ExistingRun } from "../../src/github/checks.js";
import type { Snapshot } from "../../src/github/snapshot.js";
import type { TeamRef } from "../../src/github/teams.js";
import { APP_ID, APP_SLUG, createProbot, type FakeGitHub } from "../helpers/fake-github.js";
import { events, type Delivery } from "../helpers/payloads.js";
import { reconcile } from "../../src/app/reconcile.js";
import { reconcileDeps, useFakeGitHub } from "../helpers/app-harness.js";
import { betweenWriteAndRead } from "../helpers/holds.js";
import { AUTH, AUTH_AND_PAYMENTS, green, TABLE, TEAMS } from "../security/cast.js";

/**
 * The round after a gate's pass is written: when its read shows the state the pass was decided on, changed
 * only by the app's own writes, the decision stands without being made again (src/app/settled.ts). Anything
 * else — a review, a comment, a team's members, an edited record, a run the decision does not cover — is
 * decided again on that read.
 */

const isOwn = appCommentOf(APP_ID);
const SHA = "a".repeat(40);

const gateSpec: CheckRunSpec = {
  name: "parallel-review",
  status: "completed",
  conclusion: "success",
  title: "All 2 personas approved",
  summary: "…",
  text: "ledger",
  actions: [],
};
const personaSpec: CheckRunSpec = {
  name: "review/security",
  status: "completed",
  conclusion: "success",
  title: "Approved",
  summary: "…",
  actions: [{ label: "Request changes", description: "…", identifier: "request_changes" }],
};
const WANTED = [gateSpec, personaSpec];

let nextId = 1;
/** A run on the head that shows `spec` as the app writes it (its digest in external_id), or `over` it. */
const runOf = (spec: CheckRunSpec, over: Partial<ExistingRun> = {}): ExistingRun => ({
  id: nextId++,
  nodeId: `CR_${nextId}`,
  name: spec.name,
  status: spec.status,
  conclusion: spec.conclusion ?? null,
  title: null,
  summary: null,
  text: spec.text ?? null,
  externalId: runDigest(spec),
  startedAt: "2026-12-01T10:00:00Z",
  ...over,
});
const user = (login: string, id: number, type = "User") => ({ login, id, type });
const comment = (id: number, login: string, body: string, own = false): CommentInput => ({
  id,
  user: own ? user("parallel-review[bot]", 9, "Bot") : user(login, id + 100),
  body,
  createdAt: "2026-12-01T10:00:00Z",
  updatedAt: "2026-12-01T10:00:00Z",
  ...(own ? { viaAppId: APP_ID } : {}),
});
const review = (id: number, login: string, state: string): ReviewInput => ({
  id,
  user: user(login, id + 100),
  state,
  body: "",
  commitId: SHA,
  submittedAt: "2026-12-01T10:00:00Z",
});
const security: TeamRef = { org: "acme", slug: "security" };

/** The state a pass was decided on: sam approved, one record of the app's, the runs before the write. */
function before(): Snapshot {
  return {
    pull: {
      number: 7,
      nodeId: "PR_7",
      state: "open",
      merged: false,
      draft: false,
      author: user("carol", 3),
      headSha: SHA,
      baseRef: "main",
      baseSha: "b".repeat(40),
      defaultBranch: "main",
      changedFiles: 1,
      requestedUsers: [],
      requestedTeams: [],
      ownerIsOrg: true,
      repoNodeId: "R_1",
    },
    table: { file: ".github/reviewers.yml", text: "version: 1\n" },
    runs: [runOf({ ...gateSpec, conclusion: undefined, status: "in_progress" }), runOf(personaSpec)],
    previousRuns: [],
    sharing: [7],
    files: [{ path: "src/auth/login.ts", status: "modified" }],
    reviews: [review(11, "sam", "APPROVED")],
    comments: [comment(20, "", "record of sam", true), comment(21, "bob", "lgtm")],
    commits: [{ sha: SHA, people: ["carol"] }],
    forcePushes: [],
    members: new Map([[security, new Set(["sam", "sue"])]]),
  };
}

/** The same state after the decision's writes: its runs as wanted, its record (fiona's) on GitHub. */
function after(over: Partial<Snapshot> = {}): Snapshot {
  const was = before();
  return {
    ...was,
    runs: [runOf(gateSpec, { id: was.runs[0]!.id }), runOf(personaSpec, { id: was.runs[1]!.id })],
    comments: [...was.comments, comment(30, "", "record of fiona", true)],
    ...over,
  };
}

const settling = (now: Snapshot, over: Partial<Settling> = {}): Settling => ({
  was: printOf(before(), isOwn, WANTED),
  now,
  isOwn,
  wrote: ["record of fiona"],
  wanted: WANTED,
  superseded: [],
  ...over,
});

describe("settled: the state a pass was decided on, changed only by its writes", () => {
  test("its runs as it wanted them and its record added: it stands", () => {
    expect(settled(settling(after()))).toBe(true);
  });

  test("the records it wrote, in any order, each as often as written", () => {
    const was = before();
    const twice = after({
      comments: [...was.comments, comment(31, "", "b", true), comment(30, "", "a", true), comment(32, "", "a", true)],
    });
    expect(settled(settling(twice, { wrote: ["a", "b", "a"] }))).toBe(true);
    expect(settled(settling(twice, { wrote: ["a", "b", "b"] }))).toBe(false);
    expect(settled(settling(twice, { wrote: ["a", "b"] }))).toBe(false);
    expect(settled(settling(twice, { wrote: ["a", "b", "a", "a"] }))).toBe(false);
  });

  test("a record it wrote, edited since: a difference", () => {
    const now = after();
    const edited = now.comments.map((c) => (c.id === 30 ? { ...c, updatedAt: "2026-12-01T10:05:00Z" } : c));
    expect(settled(settling(after({ comments: edited })))).toBe(false);
  });

  test("a record that failed to be written, or one more comment of the app's than it wrote, is a difference", () => {
    const was = before();
    expect(settled(settling(after({ comments: was.comments })))).toBe(false);
    const extra = after({ comments: [...after().comments, comment(31, "", "another replica's record", true)] });
    expect(settled(settling(extra))).toBe(false);
  });

  test("an earlier record of the app's edited or deleted (by anyone with write access) is a difference", () => {
    const now = after();
    const edited = now.comments.map((c) => (c.id === 20 ? { ...c, body: "record of sam, edited" } : c));
    expect(settled(settling(after({ comments: edited })))).toBe(false);
    // Saved again with the same body: an edited record is read as none (src/core/actions.ts readRecords).
    for (const field of ["updatedAt", "createdAt"] as const) {
      const resaved = now.comments.map((c) => (c.id === 20 ? { ...c, [field]: "2026-12-01T10:05:00Z" } : c));
      expect(settled(settling(after({ comments: resaved })))).toBe(false);
    }
    expect(settled(settling(after({ comments: now.comments.filter((c) => c.id !== 20) })))).toBe(false);
  });

  test.each<[string, (s: Snapshot) => Partial<Snapshot>]>([
    ["a change request", (s) => ({ reviews: [...s.reviews, review(12, "sue", "CHANGES_REQUESTED")] })],
    ["a review dismissed", (s) => ({ reviews: [{ ...s.reviews[0]!, state: "DISMISSED" }] })],
    ["a comment of someone else's", (s) => ({ comments: [...s.comments, comment(31, "sue", "/request-changes")] })],
    ["someone else's comment edited", (s) => ({ comments: s.comments.map((c) => ({ ...c, body: c.body + "!" })) })],
    ["a push", (s) => ({ pull: { ...s.pull, headSha: "c".repeat(40) } })],
    ["the base retargeted", (s) => ({ pull: { ...s.pull, baseRef: "release" } })],
    ["a draft again", (s) => ({ pull: { ...s.pull, draft: true } })],
    ["closed", (s) => ({ pull: { ...s.pull, state: "closed" } })],
    ["the table changed", () => ({ table: { file: ".github/reviewers.yml", text: "version: 1\n# more\n" } })],
    ["a file more", (s) => ({ files: [...s.files, { path: "src/payments/x.ts", status: "added" }] })],
    ["another pull request on the head", () => ({ sharing: [7, 8] })],
    ["a commit more", (s) => ({ commits: [...s.commits, { sha: "d".repeat(40), people: ["mallory"] }] })],
    ["a force-push", () => ({ forcePushes: ["2026-12-01T10:00:01Z"] })],
    ["sue left the team", () => ({ members: new Map([[security, new Set(["sam"])]]) })],
    ["a team not listed", () => ({ members: new Map() })],
    ["no lists at all", () => ({ members: undefined })],
    [
      "the radar's run on the head",
      (s) => ({ runs: [...s.runs, runOf({ ...personaSpec, name: "parallel-review/conflicts" })] }),
    ],
    ["a run on the previous head", () => ({ previousRuns: [runOf(gateSpec)] })],
  ])("%s: a difference", (_, change) => {
    const now = after();
    expect(settled(settling({ ...now, ...change(now) }))).toBe(false);
  });

  test("ids as big integers are compared as numbers are", () => {
    const big = (s: Snapshot): Snapshot => ({
      ...s,
      comments: s.comments.map((c) => ({ ...c, id: BigInt(c.id) as unknown as number })),
    });
    expect(() => printOf(big(before()), isOwn, WANTED)).not.toThrow();
    const was = printOf(big(before()), isOwn, WANTED);
    expect(settled(settling(big(after()), { was }))).toBe(true);
    expect(printOf(big(before()), isOwn, WANTED).rest).not.toBe(printOf(before(), isOwn, WANTED).rest);
    const moved = (s: Snapshot): Snapshot => ({ ...s, comments: s.comments.map((c) => ({ ...c, id: c.id + 1 })) });
    expect(printOf(big(moved(before())), isOwn, WANTED).rest).not.toBe(was.rest);
  });

  test("the runs it wanted: each must show what it wanted, twins too", () => {
    const now = after();
    const [g, p] = now.runs;
    expect(settled(settling({ ...now, runs: [g!, { ...p!, conclusion: "failure" }] }))).toBe(false);
    expect(settled(settling({ ...now, runs: [g!, { ...p!, externalId: "parallel-review:v1:other" }] }))).toBe(false);
    expect(settled(settling({ ...now, runs: [g!, { ...p!, text: "a ledger" }] }))).toBe(false);
    expect(settled(settling({ ...now, runs: [g!] }))).toBe(false); // gone: the full decision recreates it
    const twin = runOf(gateSpec, { conclusion: "failure" });
    expect(settled(settling({ ...now, runs: [...now.runs, twin] }))).toBe(false);
    expect(settled(settling({ ...now, runs: [...now.runs, runOf(gateSpec)] }))).toBe(true); // an equal twin
  });

  test("a green gate on the previous head left to close is a write: not settled", () => {
    const green = runOf(gateSpec);
    const was = printOf({ ...before(), previousRuns: [green] }, isOwn, WANTED);
    const now = after({ previousRuns: [green] });
    expect(settled(settling(now, { was }))).toBe(true);
    expect(settled(settling(now, { was, superseded: [green] }))).toBe(false);
  });

  test("the print leaves out only the runs of the names wanted and the app's comments", () => {
    const s = before();
    const print = printOf(s, isOwn, WANTED);
    expect(print.own).toEqual([
      { id: "20", body: "record of sam", createdAt: "2026-12-01T10:00:00Z", updatedAt: "2026-12-01T10:00:00Z" },
    ]);
    expect(print.rest).not.toContain("record of sam");
    expect(print.rest).toContain("lgtm");
    expect(print.rest).not.toContain(s.runs[0]!.nodeId);
    const radar = runOf({ ...personaSpec, name: "parallel-review/conflicts" });
    expect(printOf({ ...s, runs: [...s.runs, radar] }, isOwn, WANTED).rest).toContain(radar.nodeId);
    expect(print.rest).toContain('[[{"org":"acme","slug":"security"},["sam","sue"]]]');
  });
});

const fake = useFakeGitHub();
let gh: FakeGitHub;
let probot: Probot;
let outcomes: Outcome[];

function setup() {
  ({ gh } = fake.fresh({ table: TABLE, files: AUTH_AND_PAYMENTS, teams: TEAMS }));
  outcomes = [];
  probot = createProbot({ onOutcome: (_, o) => outcomes.push(o) });
}
const receive = (d: Delivery) => probot.receive(d as never);
const gate = () => gh.run("parallel-review")!;

/** sam (security) and bob (backend) approve by click: fiona's click (finance) will open the gate. */
async function twoApprovals() {
  setup();
  await receive(events.pullRequest(gh, "opened"));
  await receive(events.click(gh, "review/security", "approve", "sam"));
  await receive(events.click(gh, "review/backend", "approve", "bob"));
  expect(green(gate())).toBe(false);
}

/**
 * fiona's click, with `meanwhile` done on GitHub after the gate's green write and before the read after it
 * (no delivery of it reaches the app: only that read can see it).
 */
async function fionaClicks(meanwhile: () => void) {
  const { done } = await betweenWriteAndRead(
    gh,
    /mutation[\s\S]*SUCCESS/,
    () => receive(events.click(gh, "review/finance", "approve", "fiona")),
    () => {
      expect(green(gate())).toBe(true);
      meanwhile();
    },
  );
  await done;
}

describe("the round after a pass is written, whole reconciles", () => {
  test("nothing happened meanwhile: the decision stands, read twice and decided once", async () => {
    await twoApprovals();
    const from = gh.log.length;
    await fionaClicks(() => undefined);
    expect(green(gate())).toBe(true);
    expect(outcomes.at(-1)).toMatchObject({ state: "pass", stood: true, records: 1 });
    const queries = gh.log.slice(from).filter((l) => /query PullSnapshot/.test(JSON.stringify(l.body ?? "")));
    expect(queries).toHaveLength(2);
    expect(gh.log.slice(from).filter((l) => l.method === "GET")).toEqual([]);
  });

  test("sue requested changes meanwhile: decided again, the gate closed", async () => {
    await twoApprovals();
    await fionaClicks(() => gh.comment("sue", "/request-changes security tokens are logged"));
    expect(gate().conclusion).toBe("failure");
    expect(outcomes.at(-1)?.stood).toBeUndefined();
  });

  test("sam left the security team meanwhile: decided again on the new list, the gate closed", async () => {
    await twoApprovals();
    await fionaClicks(() => gh.teams.set("security", new Set(["sue", "sasha"])));
    expect(green(gate())).toBe(false);
    expect(outcomes.at(-1)?.stood).toBeUndefined();
  });

  // FINDING: the round after a pass that had been confirmed by a second read (its first read's memberships were
  // asked over REST or remembered) reused that confirming read's membership answers: one `Memberships` for
  // every fresh read of the reconcile, preloaded only by the first. It decided in full on the new read and
  // still counted sam, who had left the team. Fixed: each fresh read answers with its own lists and look-ups.
  test("sam left the security team after a pass confirmed by a second read: the round after the write closes the gate", async () => {
    ({ gh } = fake.fresh({ table: TABLE, files: AUTH, teams: TEAMS }));
    const ref = { owner: gh.owner, repo: gh.repo, number: gh.pull.number };
    gh.review("sam", "APPROVED", "");
    const from = gh.log.length;
    // No read cache: the first read lists no team, so sam's membership is asked after it and the pass is
    // read a second time before it is written.
    const { done } = await betweenWriteAndRead(
      gh,
      /mutation[\s\S]*SUCCESS/,
      () => reconcile(reconcileDeps(), ref),
      () => gh.teams.set("security", new Set(["sue", "sasha"])),
    );
    const outcome = await done;
    const reads = gh.log.slice(from).filter((l) => /query PullSnapshot/.test(JSON.stringify(l.body ?? "")));
    expect(reads.length).toBeGreaterThanOrEqual(3); // first, confirming, after the write
    expect(outcome.stood).toBeUndefined();
    expect(green(gate())).toBe(false);
  });

  test("carol edited the app's record of sam's click meanwhile: decided again (the ledger keeps the click)", async () => {
    await twoApprovals();
    await fionaClicks(() => {
      const record = gh.comments.find((c) => c.performed_via_github_app && c.body.includes("sam"))!;
      record.body = "nothing to see";
    });
    expect(outcomes.at(-1)?.stood).toBeUndefined();
    expect(green(gate())).toBe(true);
  });

  test("a comment of the app's it did not write appeared meanwhile (another replica's): decided again", async () => {
    await twoApprovals();
    await fionaClicks(() =>
      gh.comment(`${APP_SLUG}[bot]`, "a record of another replica", "Bot", { id: APP_ID, slug: APP_SLUG }),
    );
    expect(outcomes.at(-1)?.stood).toBeUndefined();
  });

  test("another replica wrote the gate waiting meanwhile: decided again, and the gate written green again", async () => {
    await twoApprovals();
    await fionaClicks(() => {
      const g = gate();
      g.status = "in_progress";
      g.conclusion = null;
    });
    expect(green(gate())).toBe(true);
    // The round that found the gate changed decided again and wrote it; the round after that one stood.
    expect(outcomes.at(-1)).toMatchObject({ stood: true });
    expect(outcomes.at(-1)?.updated).toContain("parallel-review");
  });
});
