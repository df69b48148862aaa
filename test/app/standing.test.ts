import { describe, expect, jest, test } from "@jest/globals";
import {
  encodeRecord,
  UNKNOWN_SHA,
  type CommentInput,
  type RecordData,
  type ReviewInput,
  type Unrecorded,
} from "../../src/core/actions.js";
import { EMPTY_LEDGER, encodeLedger, type HeadEntry, type Ledger } from "../../src/core/ledger.js";
import type { PlanPersona } from "../../src/core/plan.js";
import {
  appCommentOf,
  judgedOf,
  keptLedger,
  lostWords,
  MAX_RECORDS_PER_RECONCILE,
  MAX_WAITING_AUTHORS,
  readLedger,
  standingOf,
  unsettledClicks,
  waitingBlockers,
  withDelivered,
  type KeptInput,
  type LedgerSources,
  type StandingInput,
} from "../../src/app/standing.js";
import { planPersona } from "../helpers/personas.js";
import type { ButtonClick } from "../../src/app/records.js";

/**
 * What stands on a pull request: which records and reviews count (this pull request's, on its base), which
 * comments are the app's records, what the ledger keeps (only what can count), where a lost ledger is looked
 * for. Pure: the ledger, reviews and comments in, the standing out.
 */

const APP = 42;
const HEAD = "h".repeat(40);
const OLD = "o".repeat(40);
const T0 = "2024-05-01T10:00:00Z";
const T1 = "2024-05-01T10:05:00Z";
const T2 = "2024-05-01T10:10:00Z";

const isApp = appCommentOf(APP);
const record = (over: Partial<RecordData> = {}): RecordData => ({
  v: 1,
  via: "button",
  user: "sam",
  sha: HEAD,
  commands: [{ kind: "approve", personas: ["security"] }],
  delivery: "d-1",
  at: T1,
  pr: 7,
  base: "main",
  ...over,
});
let nextId = 1000;
const appComment = (data: RecordData, over: Partial<CommentInput> = {}): CommentInput => ({
  id: nextId++,
  user: { login: "parallel-review[bot]", type: "Bot", id: 99 },
  viaAppId: APP,
  body: encodeRecord(data, "recorded"),
  createdAt: T1,
  updatedAt: T1,
  ...over,
});
/** A waiting command of `login`'s. */
const unrecordedBy = (login: string, commands: Unrecorded["commands"] = [{ kind: "approve", personas: "all" }]) => ({
  comment: userComment(login, "/approve"),
  commands,
  errors: [],
});
const userComment = (login: string, body: string, over: Partial<CommentInput> = {}): CommentInput => ({
  id: nextId++,
  user: { login, type: "User", id: 5 },
  body,
  createdAt: T1,
  updatedAt: T1,
  ...over,
});
const review = (id: number, login: string, over: Partial<ReviewInput> = {}): ReviewInput => ({
  id,
  user: { login, type: "User", id: id + 1 },
  state: "APPROVED",
  body: "",
  commitId: HEAD,
  submittedAt: T1,
  ...over,
});

function standing(over: Partial<StandingInput> = {}) {
  return standingOf({
    pull: { number: 7, baseRef: "main" },
    ledger: EMPTY_LEDGER,
    reviews: [],
    comments: [],
    isAppComment: isApp,
    ...over,
  });
}

describe("appCommentOf", () => {
  test("only a bot's comment made through this app is the app's record", () => {
    const c = appComment(record());
    expect(isApp(c)).toBe(true);
    expect(isApp({ ...c, viaAppId: APP + 1 })).toBe(false);
    const { viaAppId: _, ...noApp } = c;
    expect(isApp(noApp)).toBe(false);
    // A user's comment through the app (a user-to-server token) carries the app's id but is no record.
    expect(isApp({ ...c, user: { login: "mallory", type: "User", id: 6 } })).toBe(false);
    expect(isApp({ ...c, user: { login: "parallel-review[bot]", id: 99 } })).toBe(false);
    expect(isApp({ ...c, user: null })).toBe(false);
  });
});

describe("withDelivered", () => {
  const listed = (over: Partial<CommentInput> = {}) => userComment("sam", "LGTM", over);

  test("nothing delivered: the listed comments, a copy", () => {
    const a = listed();
    const out = withDelivered([a]);
    expect(out).toEqual([a]);
    expect(withDelivered([a], new Map())).toEqual([a]);
    out.push(listed());
    expect(withDelivered([a])).toHaveLength(1);
  });

  test("a comment edited since its delivery: the delivered body stands (as written, or dated at an edit)", () => {
    const now = listed({ body: "/approve security", updatedAt: T2 });
    const asWritten = { ...now, body: "LGTM", updatedAt: T1, createdAt: T1 };
    expect(withDelivered([now], new Map([[now.id, asWritten]]))).toEqual([asWritten]);
    const beforeAnEdit = { ...now, body: "/request-changes", updatedAt: "2024-05-01T10:07:00Z" };
    // (An edit's delivery: GitHub's body, edited since, comes along for its change requests; next test.)
    expect(withDelivered([now], new Map([[now.id, beforeAnEdit]]))).toEqual([{ ...beforeAnEdit, laterBody: now.body }]);
  });

  test("an edit's delivery (its body before the edit, counted as edited): GitHub's edited body comes along as the later body", () => {
    const now = listed({ body: "/request-changes security tokens are logged", updatedAt: T2 });
    const beforeTheEdit = { ...now, body: "LGTM" };
    expect(withDelivered([now], new Map([[now.id, beforeTheEdit]]))).toEqual([
      { ...beforeTheEdit, laterBody: "/request-changes security tokens are logged" },
    ]);
    // The same body: nothing later to add.
    const same = { ...now };
    expect(withDelivered([now], new Map([[now.id, same]]))).toEqual([same]);
    // A delivery as written (not an edit's): its body stands alone, as the author wrote it.
    const asWritten = { ...now, body: "LGTM", updatedAt: now.createdAt };
    expect(withDelivered([now], new Map([[now.id, asWritten]]))).toEqual([asWritten]);
  });

  test("a comment not edited since: GitHub's copy stands, once, beside the others", () => {
    const now = listed();
    const other = listed();
    const delivered = { ...now, body: "something else" };
    expect(withDelivered([now, other], new Map([[now.id, delivered]]))).toEqual([now, other]);
  });

  test("a delivered comment GitHub no longer lists (deleted) stays, after the listed ones; others are untouched", () => {
    const kept = listed();
    const gone = userComment("sue", "/approve");
    expect(withDelivered([kept], new Map([[gone.id, gone]]))).toEqual([kept, gone]);
  });
});

describe("standingOf", () => {
  test("this pull request's ledger records and the app's record comments, merged; another pull request's left out", () => {
    const mine = record({ delivery: "d-1" });
    const theirs = record({ delivery: "d-2", pr: 8, user: "sue" });
    const { delivery: _, ...fromComment } = record({ via: "comment", source: 55, user: "carol" });
    const s = standing({
      ledger: { records: [mine, theirs], scopes: {} },
      comments: [appComment(fromComment), userComment("mallory", encodeRecord(record({ delivery: "d-9" }), "x"))],
    });
    expect(s.known).toEqual([mine, fromComment]);
    expect([...s.deliveries]).toEqual(["d-1"]);
  });

  test("a ledger record without a pull request counts for none", () => {
    const { pr: _, ...noPr } = record();
    expect(standing({ ledger: { records: [noPr], scopes: {} } }).known).toEqual([]);
  });

  test("an edited record comment is no record; the ledger still has it", () => {
    const edited = appComment(record({ delivery: "d-5" }), { updatedAt: T2 });
    expect(standing({ comments: [edited] }).known).toEqual([]);
  });

  test("a user's command no record covers is unrecorded; one a record covers (by source) is not", () => {
    const cmd = userComment("sam", "/approve");
    const covered = userComment("sue", "/approve");
    const rec = record({ via: "comment", source: covered.id, delivery: undefined, user: "sue" });
    const s = standing({ comments: [cmd, covered], ledger: { records: [rec], scopes: {} } });
    expect(s.unrecorded.map((u) => u.comment.id)).toEqual([cmd.id]);
    expect(s.deliveries.size).toBe(0);
  });

  test("only a comment record covers a comment: a button record naming the same id does not", () => {
    const cmd = userComment("sam", "/approve");
    const button = record({ via: "button", source: cmd.id, delivery: "d-7" });
    const s = standing({ comments: [cmd], ledger: { records: [button], scopes: {} } });
    expect(s.unrecorded.map((u) => u.comment.id)).toEqual([cmd.id]);
  });

  test(`at most ${MAX_RECORDS_PER_RECONCILE} unrecorded commands per reconcile, the oldest first`, () => {
    expect(MAX_RECORDS_PER_RECONCILE).toBe(20);
    const many = Array.from({ length: 25 }, () => userComment("sam", "/approve"));
    const s = standing({ comments: many });
    expect(s.unrecorded.map((u) => u.comment.id)).toEqual(many.slice(0, 20).map((c) => c.id));
    // The rest wait, in order (the reconcile judges whose they are).
    expect(s.waiting.map((u) => u.comment.id)).toEqual(many.slice(20).map((c) => c.id));
    // Change requests are recorded first: the approvals wait behind them.
    const changes = Array.from({ length: 22 }, () => userComment("sue", "/request-changes security x"));
    const late = userComment("sue", "/approve security\n/request-changes backend y");
    expect(standing({ comments: [...many, ...changes, late] }).waiting.map((u) => u.comment.id)).toEqual([
      changes[20]!.id,
      changes[21]!.id,
      late.id,
      ...many.map((c) => c.id),
    ]);
    expect(standing({ comments: many.slice(0, 20) }).waiting).toEqual([]);
  });

  test("when more wait than are recorded: the delivered comments first, then change requests, each oldest first", () => {
    const approvals = Array.from({ length: 25 }, () => userComment("mallory", "/approve"));
    const [c1, c2] = [userComment("sue", "/request-changes security x"), userComment("bob", "/request-changes y")];
    const edited = userComment("sam", "/approve security");
    const comments = [...approvals.slice(0, 5), c1, edited, ...approvals.slice(5), c2];
    const s = standing({ comments, delivered: new Set([edited.id]) });
    expect(s.unrecorded.map((u) => u.comment.id)).toEqual([
      edited.id,
      c1.id,
      c2.id,
      ...approvals.slice(0, 17).map((c) => c.id),
    ]);
    expect(s.waiting.map((u) => u.comment.id)).toEqual(approvals.slice(17).map((c) => c.id));
    expect(
      standing({ comments })
        .unrecorded.map((u) => u.comment.id)
        .slice(0, 3),
    ).toEqual([c1.id, c2.id, approvals[0]!.id]);
  });

  test("the words only a delivery holds: a comment deleted since, or edited since; not one GitHub shows as delivered", () => {
    const [a, b, c] = [
      userComment("sue", "/request-changes x"),
      userComment("sam", "/approve"),
      userComment("bob", "hi"),
    ];
    const listed = [a, { ...b, body: "thanks" }, c];
    const gone = userComment("eve", "/request-changes y");
    const delivered = new Map([a, b, gone].map((x) => [x.id, x]));
    expect([...lostWords(listed, delivered)].sort((x, y) => x - y)).toEqual([b.id, gone.id]);
    expect(lostWords(listed, undefined)).toEqual(new Set());
    expect(lostWords([], new Map([[a.id, a]]))).toEqual(new Set([a.id]));
  });

  test(`commands waiting: judged when at most ${MAX_WAITING_AUTHORS} people made them, else none`, () => {
    expect(MAX_WAITING_AUTHORS).toBe(20);
    const by = (n: number) => Array.from({ length: n }, (_, i) => unrecordedBy(`u${i}`));
    expect(judgedOf(by(20))).toHaveLength(20);
    expect(judgedOf(by(21))).toEqual([]);
    // The same person (compared ignoring case) many times is one.
    const one = [...Array.from({ length: 30 }, () => unrecordedBy("Mallory")), unrecordedBy("mallory")];
    expect(judgedOf([...one, ...by(19)])).toHaveLength(50);
    expect(judgedOf([...one, ...by(20)])).toEqual([]);
  });

  test("waiting commands keep the gate closed when an eligible reviewer made one for a persona they review", () => {
    const security = planPersona("security");
    const finance = planPersona("finance");
    const personas = [security, finance];
    const eligible = (p: PlanPersona, login: string) => p.id === "security" && login === "sam";
    const w = (login: string, personas: readonly string[] | "all", kind: "approve" | "request_changes" = "approve") =>
      unrecordedBy(login, [{ kind, personas }]);
    const blockers = (waiting: ReturnType<typeof w>[], judged = waiting) =>
      waitingBlockers(waiting, judged, personas, eligible).blockers;
    const held = (waiting: ReturnType<typeof w>[], judged = waiting) =>
      waitingBlockers(waiting, judged, personas, eligible).held;
    expect(held([])).toBe(0);
    expect(held([w("mallory", "all"), w("sam", "all"), w("sam", ["finance"]), w("sam", ["security"])])).toBe(2);
    expect(held([w("mallory", "all"), w("eve", "all")], [])).toBe(2);
    expect(blockers([])).toEqual([]);
    expect(blockers([w("mallory", "all", "request_changes"), w("mallory", ["security"])])).toEqual([]);
    expect(blockers([w("sam", ["finance"])])).toEqual([]); // not a persona sam reviews: it counts for nothing
    expect(blockers([w("sam", "all")])).toHaveLength(1);
    expect(blockers([w("sam", ["finance", "security"])])).toHaveLength(1);
    const twoCommands = unrecordedBy("sam", [
      { kind: "approve", personas: ["finance"] },
      { kind: "request_changes", personas: ["security"] },
    ]);
    expect(blockers([twoCommands])).toHaveLength(1); // one of its commands counts
    const [one] = blockers([w("mallory", "all"), w("sam", ["security"], "request_changes")]);
    expect(one).toContain("1 more comment with review commands (by eligible reviewers) waits to be recorded");
    expect(one).toContain("the app records 20 per reconcile, change requests first, and reconciles again");
    expect(one).toContain("until it is recorded");
    const [two] = blockers([w("sam", ["security"]), w("sam", "all")]);
    expect(two).toContain("2 more comments with review commands (by eligible reviewers) wait to be recorded");
    expect(two).toContain("until they are recorded");
    // Too many people to judge: every waiting command keeps it closed, a stranger's included.
    const [all] = blockers([w("mallory", "all"), w("eve", "all")], []);
    expect(all).toContain(`2 more comments with review commands (more than ${MAX_WAITING_AUTHORS} people made them)`);
  });

  test("bots' commands take no place among those recorded: a person's after twenty of them is recorded", () => {
    const bots = Array.from({ length: 20 }, () =>
      userComment("some-ci[bot]", "/approve", { user: { login: "some-ci[bot]", type: "Bot", id: 9 } }),
    );
    const actions = userComment("github-actions", "/approve", { user: { login: "github-actions[bot]", type: "User" } });
    const sue = userComment("sue", "/request-changes security tokens are logged");
    const s = standing({ comments: [...bots, actions, sue] });
    expect(s.unrecorded.map((u) => u.comment.id)).toEqual([sue.id]);
    expect(s.waiting).toEqual([]);
  });

  test("a review's scope is the one first seen (ledger, then the delivery's body), not the body now", () => {
    const r1 = review(1, "sam", { body: "" });
    const r2 = review(2, "sue", { body: "" });
    const s = standing({
      reviews: [r1, r2],
      ledger: { records: [], scopes: { "1": ["security"] } },
      reviewBodies: new Map([[2, "Reviewed-for: finance"]]),
    });
    expect(s.scopes).toEqual({ "1": ["security"], "2": ["finance"] });
    expect(s.actionsOf([]).map((a) => [a.user, a.personas])).toEqual([
      ["sam", ["security"]],
      ["sue", ["finance"]],
    ]);
  });

  test("a review is stamped with the current base when first seen; the ledger's base stands", () => {
    const s = standing({
      reviews: [review(1, "sam"), review(2, "sue")],
      ledger: { records: [], scopes: {}, bases: { "1": "release", "9": "main" } },
    });
    expect(s.bases).toEqual({ "1": "release", "2": "main", "9": "main" });
  });

  test("an approval given for another base counts for nothing; a change request from then still counts", () => {
    const approved = review(1, "sam");
    const rejected = review(2, "sue", { state: "CHANGES_REQUESTED" });
    const fresh = review(3, "carol");
    const s = standing({
      reviews: [approved, rejected, fresh],
      ledger: { records: [], scopes: {}, bases: { "1": "release", "2": "release" } },
    });
    expect(s.actionsOf([]).map((a) => `${a.user}:${a.kind}`)).toEqual(["sue:request_changes", "carol:approve"]);
  });

  test("records: an approval recorded for another base does not count, one for this base or none does", () => {
    const s = standing();
    const acts = s.actionsOf([
      record({ user: "a", base: "release", delivery: "1" }),
      record({ user: "b", base: "main", delivery: "2" }),
      record({ user: "c", base: undefined, delivery: "3" }),
      record({ user: "d", base: "release", delivery: "4", commands: [{ kind: "request_changes", personas: "all" }] }),
    ]);
    expect(acts.map((a) => `${a.user}:${a.kind}`)).toEqual(["b:approve", "c:approve", "d:request_changes"]);
  });

  test("reviews come before records in the actions", () => {
    const s = standing({ reviews: [review(1, "sam")] });
    expect(s.actionsOf([record({ user: "sue" })]).map((a) => a.user)).toEqual(["sam", "sue"]);
  });
});

describe("unsettledClicks", () => {
  const click = (over: Partial<ButtonClick> = {}): ButtonClick => ({
    persona: "security",
    action: "request_changes",
    user: { login: "sue", type: "User", id: 12 },
    sha: HEAD,
    delivery: "d-9",
    receivedAt: T1,
    ...over,
  });
  const button = (over: Partial<RecordData> = {}) =>
    record({
      user: "sue",
      delivery: "d-other",
      clickedAt: T2,
      commands: [{ kind: "approve", personas: ["security"] }],
      ...over,
    });

  test("a click not recorded keeps the gate closed, saying whose click and what to do", () => {
    expect(unsettledClicks([click()], [])).toEqual([
      "@sue's click (Request changes as security) could not be recorded yet; the gate stays closed until it is (GitHub redelivers it) or @sue acts again.",
    ]);
    expect(unsettledClicks([click({ action: "approve" })], [])[0]).toContain("(Approve as security)");
    expect(unsettledClicks([], [button()])).toEqual([]);
  });

  test("recorded (its delivery in a record): settled", () => {
    expect(unsettledClicks([click()], [button({ delivery: "d-9", clickedAt: T0 })])).toEqual([]);
  });

  test("the same reviewer clicked again for that persona later: settled", () => {
    expect(unsettledClicks([click()], [button()])).toEqual([]);
    const twoCommands = button({
      commands: [
        { kind: "approve", personas: ["finance"] },
        { kind: "approve", personas: ["security"] },
      ],
    });
    expect(unsettledClicks([click()], [twoCommands])).toEqual([]);
  });

  test("a command for every persona is no click for one (even a persona whose id is part of the word)", () => {
    const all = button({ commands: [{ kind: "approve", personas: "all" }] });
    expect(unsettledClicks([click({ persona: "al" })], [all])).toHaveLength(1);
  });

  test("not settled by a later click of someone else, for another persona or every persona, by a comment, or an earlier click", () => {
    const still = (r: RecordData) => expect(unsettledClicks([click()], [r])).toHaveLength(1);
    still(button({ user: "sam" }));
    still(button({ commands: [{ kind: "approve", personas: ["finance"] }] }));
    still(button({ commands: [{ kind: "approve", personas: "all" }] }));
    still(button({ via: "comment", delivery: undefined, source: 5 }));
    still(button({ clickedAt: T1 }));
    still(button({ clickedAt: T0 }));
    const { clickedAt: _, ...noTime } = button();
    still(noTime);
  });

  test("each unsettled click on its own", () => {
    const out = unsettledClicks(
      [click(), click({ delivery: "d-10", user: { login: "sam", type: "User", id: 11 } })],
      [button({ delivery: "d-10", user: "sam" })],
    );
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^@sue's click/);
  });
});

describe("keptLedger", () => {
  const persona = (id: string): PlanPersona => planPersona(id);
  const MAY: Record<string, string[]> = { security: ["sam"], finance: ["fiona"] };
  const kept = (over: Partial<KeptInput> = {}): Ledger =>
    keptLedger({
      baseRef: "main",
      personas: [persona("security"), persona("finance")],
      eligible: (p, login) => (MAY[p.id] ?? []).includes(login),
      reviews: [],
      scopes: {},
      bases: {},
      records: [],
      pushes: [],
      heads: [],
      unrequestable: {},
      ...over,
    });

  test("records of people who may review some persona are kept; strangers' and bots' are not", () => {
    const sam = record({ user: "sam", delivery: "1" });
    const fiona = record({ user: "fiona", delivery: "2" });
    const stranger = record({ user: "mallory", delivery: "3" });
    const bot = record({ user: "sam", delivery: "4", isBot: true });
    expect(kept({ records: [sam, fiona, stranger, bot] }).records).toEqual([sam, fiona]);
  });

  test("scopes and bases: kept for reviews by people who may review, for reviews from before a retarget, and for reviews no longer listed", () => {
    const reviews = [review(1, "sam"), review(2, "mallory"), review(3, "mallory"), review(4, "sam", { user: null })];
    const scopes = { "1": "all", "2": "all", "3": "all", "4": "all", "5": "all" } as const;
    const bases = { "1": "main", "2": "main", "3": "release", "4": "main", "5": "main" };
    const l = kept({ reviews, scopes, bases });
    expect(l.scopes).toEqual({ "1": "all", "3": "all", "5": "all" });
    expect(l.bases).toEqual({ "1": "main", "3": "release", "5": "main" });
  });

  test("pushes and unrequestable only when there are some; heads merged and ordered", () => {
    const heads: HeadEntry[] = [
      { sha: HEAD, at: T2, pr: 7 },
      { sha: OLD, at: T0, pr: 7 },
      { sha: OLD, at: T0, pr: 7 },
    ];
    const empty = kept({ heads });
    expect(empty).not.toHaveProperty("pushes");
    expect(empty).not.toHaveProperty("unrequestable");
    expect(empty.heads).toEqual([heads[1], heads[0]]);
    const push = { user: "sam", before: OLD, after: HEAD, pr: 7 };
    const full = kept({ pushes: [push], unrequestable: { "user:bob": "no access" } });
    expect(full.pushes).toEqual([push]);
    expect(full.unrequestable).toEqual({ "user:bob": "no access" });
  });
});

describe("readLedger", () => {
  const ledgerOf = (user: string): Ledger => ({ records: [record({ user, delivery: `d-${user}` })], scopes: {} });
  const runWith = (l: Ledger) => ({ text: encodeLedger(l) });
  const users = (l: Ledger) => l.records.map((r) => r.user).sort();
  const sources = (over: Partial<LedgerSources>): LedgerSources => ({
    runs: [],
    reviews: [],
    comments: [],
    isAppComment: isApp,
    headSha: HEAD,
    commits: [],
    runsOn: async () => [],
    ...over,
  });

  test("the ledgers the runs on the head carry, merged; no other commit is read", async () => {
    const runsOn = jest.fn(async () => []);
    const l = await readLedger(
      sources({
        runs: [runWith(ledgerOf("sam")), { text: null }, runWith(ledgerOf("sue"))],
        reviews: [review(1, "x", { commitId: OLD })],
        commits: [{ sha: OLD }],
        runsOn,
      }),
    );
    expect(users(l)).toEqual(["sam", "sue"]);
    expect(runsOn).not.toHaveBeenCalled();
  });

  test("none on the head: the newest three other commits the records and reviews name, newest first", async () => {
    const shas = ["1", "2", "3", "4"].map((c) => c.repeat(40));
    const seen: string[] = [];
    const l = await readLedger(
      sources({
        reviews: [
          review(1, "a", { commitId: shas[0]!, submittedAt: "2024-05-01T10:01:00Z" }),
          review(2, "b", { commitId: shas[1]!, submittedAt: "2024-05-01T10:04:00Z" }),
          review(3, "c", { commitId: HEAD, submittedAt: "2024-05-01T10:09:00Z" }),
          review(4, "d", { commitId: null, submittedAt: "2024-05-01T10:09:00Z" }),
          review(5, "e", { commitId: shas[1]!, submittedAt: "2024-05-01T10:02:00Z" }),
        ],
        comments: [
          appComment(record({ sha: shas[2]!, at: "2024-05-01T10:03:00Z", delivery: "x" })),
          appComment(record({ sha: UNKNOWN_SHA, at: "2024-05-01T10:08:00Z", delivery: "y" })),
          appComment(record({ sha: shas[3]!, at: "2024-05-01T10:00:00Z", delivery: "z" })),
          userComment("mallory", encodeRecord(record({ sha: "9".repeat(40), at: T2, delivery: "w" }), "x")),
        ],
        commits: [{ sha: OLD }],
        runsOn: async (sha) => {
          seen.push(sha);
          return sha === shas[2] ? [runWith(ledgerOf("carol"))] : [];
        },
      }),
    );
    expect(seen).toEqual([shas[1], shas[2], shas[0]]);
    expect(users(l)).toEqual(["carol"]);
  });

  test("a review without a time is not moved (nothing to compare it by)", async () => {
    const a = "a".repeat(40);
    const b = "b".repeat(40);
    const seen: string[] = [];
    await readLedger(
      sources({
        reviews: [review(1, "x", { commitId: b, submittedAt: null }), review(2, "y", { commitId: a, submittedAt: T0 })],
        commits: [],
        runsOn: async (sha) => {
          seen.push(sha);
          return [];
        },
      }),
    );
    expect(seen).toEqual([b, a]);
  });

  test("nothing named carries one: the pull request's newest three other commits, newest first", async () => {
    const seen: string[] = [];
    const commits = ["1", "2", "3", "4"].map((c) => ({ sha: c.repeat(40) }));
    const l = await readLedger(
      sources({
        runs: [{ text: "no ledger" }],
        commits: [...commits, { sha: HEAD }],
        runsOn: async (sha) => {
          seen.push(sha);
          return sha === commits[1]!.sha ? [runWith(ledgerOf("sue")), { text: null }] : [];
        },
      }),
    );
    expect(seen).toEqual([commits[3]!.sha, commits[2]!.sha, commits[1]!.sha]);
    expect(users(l)).toEqual(["sue"]);
  });

  test("named commits without a ledger: the pull request's commits are looked at next", async () => {
    const named = "n".repeat(40);
    const seen: string[] = [];
    const l = await readLedger(
      sources({
        reviews: [review(1, "x", { commitId: named })],
        commits: [{ sha: OLD }],
        runsOn: async (sha) => {
          seen.push(sha);
          return sha === OLD ? [runWith(ledgerOf("sam"))] : [];
        },
      }),
    );
    expect(seen).toEqual([named, OLD]);
    expect(users(l)).toEqual(["sam"]);
  });

  test("no runs, nothing named, no other commit: the empty ledger, nothing read", async () => {
    const runsOn = jest.fn(async () => []);
    const l = await readLedger(
      sources({
        commits: [{ sha: HEAD }],
        runsOn,
      }),
    );
    expect(l).toEqual(EMPTY_LEDGER);
    expect(runsOn).not.toHaveBeenCalled();
  });

  test("other commits without any ledger: an empty merge", async () => {
    const l = await readLedger(
      sources({
        commits: [{ sha: OLD }],
        runsOn: async () => [{ text: null }],
      }),
    );
    expect(l.records).toEqual([]);
  });
});
