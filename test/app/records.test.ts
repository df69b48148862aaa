import { describe, expect, test } from "@jest/globals";
import {
  commandDigest,
  encodeRecord,
  UNKNOWN_SHA,
  type Command,
  type CommentInput,
  type GitHubUser,
  type Unrecorded,
} from "../../src/core/actions.js";
import type { PlanPersona, ReviewPlan } from "../../src/core/plan.js";
import { clickTime, commentCommit, recordsToWrite, type ButtonClick } from "../../src/app/records.js";
import { criterionKey } from "../../src/core/criteria.js";
import { planPersona } from "../helpers/personas.js";

/**
 * The records the reconcile writes, as pure data: what each one stores (the gate's ledger trusts it) and
 * what it answers the reviewer (their words quoted inert). No GitHub here: plans and eligibility are given.
 */

const HEAD = `abc1234${"0".repeat(33)}`;
const T0 = "2024-05-01T10:00:00.000Z";
const T1 = "2024-05-01T10:05:00.000Z";
const T2 = "2024-05-01T10:10:00.000Z";

const persona = (id: string, name: string): PlanPersona => planPersona(id, { name });
const PLAN: ReviewPlan = {
  domains: [],
  personas: [persona("security", "Security Engineer"), persona("finance", "Finance")],
  unmatched: [],
};
const MEMBERS: Record<string, string[]> = { security: ["sam", "sue", "carol", "ci"], finance: ["fiona", "carol"] };
const eligible = (p: PlanPersona, login: string) => (MEMBERS[p.id] ?? []).includes(login);

const human = (login: string, id?: number): GitHubUser => ({ login, type: "User", ...(id ? { id } : {}) });

function write(over: Partial<Parameters<typeof recordsToWrite>[0]> = {}) {
  return recordsToWrite({
    unrecorded: [],
    deliveries: new Set(),
    pr: 7,
    base: "main",
    headSha: HEAD,
    headSince: T0,
    forcePushedAt: [],
    plan: PLAN,
    author: "carol",
    selfApproval: false,
    eligible,
    ...over,
  });
}

const click = (over: Partial<ButtonClick> = {}): ButtonClick => ({
  persona: "security",
  action: "approve",
  user: human("sam", 11),
  sha: HEAD,
  delivery: "d-1",
  receivedAt: T2,
  runUpdatedAt: T1,
  ...over,
});

let nextId = 100;
function comment(login: string | GitHubUser, body: string, commands: Command[], over: Partial<CommentInput> = {}) {
  const c: CommentInput = {
    id: nextId++,
    user: typeof login === "string" ? human(login, 21) : login,
    body,
    createdAt: T1,
    updatedAt: T1,
    ...over,
  };
  return { comment: c, commands, errors: [] } as Unrecorded;
}
const APPROVE_SECURITY: Command = { kind: "approve", personas: ["security"] };
const APPROVE_ALL: Command = { kind: "approve", personas: "all" };
const sourceLine = (id: number) =>
  `<sub>Recorded from [comment ${id}](#issuecomment-${id}). It stands for what that comment said when it was recorded: editing or deleting the comment changes nothing; to change your mind, act again.</sub>`;

describe("clickTime: when a click counts", () => {
  test("an approval counts at the earliest moment it can have happened, a change request at the latest", () => {
    expect(clickTime(click())).toBe(T1);
    expect(clickTime(click({ runUpdatedAt: "2024-05-01T10:20:00Z" }))).toBe(T2);
    expect(clickTime(click({ action: "request_changes" }))).toBe(T2);
    expect(clickTime(click({ action: "request_changes", runUpdatedAt: undefined }))).toBe(T2);
  });

  test("an approval whose run time GitHub did not give (or gave unreadable) has no time", () => {
    expect(clickTime(click({ runUpdatedAt: undefined }))).toBeUndefined();
    expect(clickTime(click({ runUpdatedAt: "not a time" }))).toBeUndefined();
  });
});

describe("commentCommit: which head a comment is about", () => {
  test("the head, once it was the head when the comment was written (from that very second on)", () => {
    expect(commentCommit(T1, HEAD, T0, [])).toBe(HEAD);
    expect(commentCommit(T1, HEAD, T1, [])).toBe(HEAD);
    expect(commentCommit(T1, HEAD, T2, [])).toBe(UNKNOWN_SHA);
    expect(commentCommit(T1, HEAD, undefined, [])).toBe(UNKNOWN_SHA);
  });

  test("no commit when any force-push happened at or after the comment", () => {
    expect(commentCommit(T1, HEAD, T0, [T0])).toBe(HEAD);
    expect(commentCommit(T1, HEAD, T0, [T1])).toBe(UNKNOWN_SHA);
    expect(commentCommit(T1, HEAD, T0, [T0, T2])).toBe(UNKNOWN_SHA);
  });
});

describe("recordsToWrite: button clicks", () => {
  test("a click is recorded once, with who, what, where and when, and answered on the pull request", () => {
    const [r, ...rest] = write({ click: click() });
    expect(rest).toEqual([]);
    expect(r!.data).toEqual({
      v: 1,
      via: "button",
      user: "sam",
      userId: 11,
      sha: HEAD,
      commands: [APPROVE_SECURITY],
      delivery: "d-1",
      clickedAt: T2,
      at: T1,
      pr: 7,
      base: "main",
    });
    expect(r!.body).toBe(
      encodeRecord(r!.data, "✅ @sam clicked Approve as **Security Engineer** on abc1234 via the check's button."),
    );
    expect(write({ click: click(), deliveries: new Set(["d-1"]) })).toEqual([]);
  });

  test("a change request click; a user without an id is stored without one", () => {
    const [r] = write({ click: click({ action: "request_changes", user: { login: "sue" } }) });
    expect("userId" in r!.data).toBe(false);
    expect(r!.data.commands).toEqual([{ kind: "request_changes", personas: ["security"] }]);
    expect(r!.body).toBe(
      encodeRecord(
        r!.data,
        "❌ @sue clicked Request changes as **Security Engineer** on abc1234 via the check's button.",
      ),
    );
  });

  test.each([
    ["type Bot", { login: "ci", type: "Bot" }],
    ["a [bot] login", { login: "ci[bot]", type: "User" }],
  ])("a bot's click (%s) is marked as a bot's and refused", (_what, user) => {
    const [r] = write({ click: click({ user }) });
    expect(r!.data.isBot).toBe(true);
    expect(r!.body).toBe(
      encodeRecord(
        r!.data,
        `⚠️ @${user.login} clicked Approve as **Security Engineer** but bots cannot approve: not counted.`,
      ),
    );
    expect("isBot" in write({ click: click() })[0]!.data).toBe(false);
  });

  test("a click whose time cannot be established approves nothing and says so", () => {
    const [r] = write({ click: click({ runUpdatedAt: undefined }) });
    expect(r!.data.commands).toEqual([]);
    expect("at" in r!.data).toBe(false);
    expect(r!.data.clickedAt).toBe(T2);
    expect(r!.body).toBe(
      encodeRecord(r!.data, "⚠️ The click's time cannot be established from GitHub's payload: click again."),
    );
  });
});

describe("recordsToWrite: comments", () => {
  test("a comment's commands are recorded with its source, digest, time and commit, and answered", () => {
    const u = comment("sam", "/approve security", [APPROVE_SECURITY]);
    const [r] = write({ unrecorded: [u] });
    expect(r!.data).toEqual({
      v: 1,
      via: "comment",
      user: "sam",
      userId: 21,
      sha: HEAD,
      commands: [APPROVE_SECURITY],
      source: u.comment.id,
      digest: commandDigest([APPROVE_SECURITY]),
      at: T1,
      pr: 7,
      base: "main",
    });
    expect(r!.body).toBe(
      encodeRecord(
        r!.data,
        ["✅ @sam approved as **Security Engineer** on abc1234 via a comment.", "", sourceLine(u.comment.id)].join(
          "\n",
        ),
      ),
    );
  });

  test("a comment by a user without an id is stored without one", () => {
    const [r] = write({ unrecorded: [comment({ login: "sam" }, "/approve", [APPROVE_ALL])] });
    expect("userId" in r!.data).toBe(false);
  });

  test("a comment tied to no commit says so", () => {
    const u = comment("sam", "/approve security", [APPROVE_SECURITY]);
    const [r] = write({ unrecorded: [u], headSince: T2 });
    expect(r!.data.sha).toBe(UNKNOWN_SHA);
    expect(r!.body).toContain(
      "✅ @sam approved as **Security Engineer** on a commit that cannot be established (the head moved or was force-pushed since: act again if it should count now) via a comment.",
    );
  });

  test.each([
    ["type Bot", { login: "ci", type: "Bot" }],
    ["a [bot] login", { login: "ci[bot]", type: "User" }],
  ])("a bot's comment (%s) is not recorded at all (answering could loop with the bot)", (_what, user) => {
    const bot = comment(user, "/approve", [APPROVE_ALL]);
    const person = comment("sam", "/approve", [APPROVE_ALL]);
    expect(write({ unrecorded: [bot, person] }).map((r) => r.data.user)).toEqual(["sam"]);
  });

  test("an edited comment: its approvals are dropped (and it says why), its change requests count as of the edit", () => {
    const commands: Command[] = [
      APPROVE_SECURITY,
      { kind: "request_changes", personas: ["finance"], reason: "refunds are not idempotent" },
    ];
    const u = comment("fiona", "…", commands, { updatedAt: T2 });
    const [r] = write({ unrecorded: [u] });
    expect(r!.data.commands).toEqual([commands[1]]);
    expect(r!.data.at).toBe(T2);
    expect(r!.data.digest).toBe(commandDigest(commands));
    expect(r!.body).toBe(
      encodeRecord(
        r!.data,
        [
          "❌ @fiona requested changes as **Finance** on abc1234 via a comment: “refunds are not idempotent”.",
          "⚠️ @fiona's comment was edited before it was recorded: an edited comment cannot approve (anyone with write access can edit it). Post a new comment to approve.",
          "",
          sourceLine(u.comment.id),
        ].join("\n"),
      ),
    );
    // Edited with change requests only: nothing dropped, nothing to explain.
    const onlyChanges = comment("fiona", "…", [commands[1]!], { updatedAt: T2 });
    expect(write({ unrecorded: [onlyChanges] })[0]!.body).not.toContain("was edited");
  });

  test("the commit of an edited comment is judged at the edit", () => {
    const u = comment("sam", "…", [{ kind: "request_changes", personas: ["security"] }], { updatedAt: T2 });
    expect(write({ unrecorded: [u], forcePushedAt: [T1] })[0]!.data.sha).toBe(HEAD);
    expect(write({ unrecorded: [u], headSince: T2 })[0]!.data.sha).toBe(HEAD);
  });

  test("parse errors are answered after the commands; a comment with nothing left says so", () => {
    const u: Unrecorded = { ...comment("sam", "…", [APPROVE_SECURITY]), errors: ["first problem", "second"] };
    expect(write({ unrecorded: [u] })[0]!.body).toBe(
      encodeRecord(
        write({ unrecorded: [u] })[0]!.data,
        [
          "✅ @sam approved as **Security Engineer** on abc1234 via a comment.",
          "⚠️ first problem",
          "⚠️ second",
          "",
          sourceLine(u.comment.id),
        ].join("\n"),
      ),
    );
    const empty = comment("sam", "…", []);
    expect(write({ unrecorded: [empty] })[0]!.body).toBe(
      encodeRecord(
        write({ unrecorded: [empty] })[0]!.data,
        ["@sam's comment no longer carries a review command.", "", sourceLine(empty.comment.id)].join("\n"),
      ),
    );
  });
});

describe("recordsToWrite: who counts, in the answer", () => {
  const body = (u: Unrecorded, over: Partial<Parameters<typeof recordsToWrite>[0]> = {}) =>
    write({ unrecorded: [u], ...over })[0]!
      .body.split("\n\n<!-- parallel-review:record")[0]!
      .split("\n\n<sub>")[0];

  test("/approve alone speaks for every persona the user can review, silently skipping the others", () => {
    expect(body(comment("sam", "/approve", [APPROVE_ALL]))).toBe(
      "✅ @sam approved as **Security Engineer** on abc1234 via a comment.",
    );
    expect(body(comment("fiona", "/approve", [APPROVE_ALL]))).toBe(
      "✅ @fiona approved as **Finance** on abc1234 via a comment.",
    );
  });

  test("/approve alone by someone who can review nothing here is told so", () => {
    expect(body(comment("mallory", "/approve", [APPROVE_ALL]))).toBe(
      "⚠️ @mallory approved, but is not a reviewer for any persona this pull request requires: not counted.",
    );
    expect(body(comment("mallory", "/request-changes", [{ kind: "request_changes", personas: "all" }]))).toBe(
      "⚠️ @mallory requested changes, but is not a reviewer for any persona this pull request requires: not counted.",
    );
  });

  test("a named persona: refused with the reason, or counted", () => {
    expect(body(comment("mallory", "/approve security", [APPROVE_SECURITY]))).toBe(
      "⚠️ @mallory approved as **Security Engineer** but is not a Security Engineer reviewer: not counted.",
    );
    expect(body(comment("carol", "/approve security", [APPROVE_SECURITY]))).toBe(
      "⚠️ @carol approved as **Security Engineer** but is the pull request's author: not counted.",
    );
    expect(body(comment("carol", "/approve security", [APPROVE_SECURITY]), { selfApproval: true })).toBe(
      "✅ @carol approved as **Security Engineer** on abc1234 via a comment.",
    );
    expect(body(comment("carol", "/approve", [APPROVE_ALL]))).toBe(
      "⚠️ @carol approved, but is not a reviewer for any persona this pull request requires: not counted.",
    );
  });

  test("a persona the pull request does not require is named back, inert", () => {
    expect(body(comment("sam", "/approve backend", [{ kind: "approve", personas: ["backend"] }]))).toBe(
      "⚠️ @sam approved for `backend`, but no such persona is required on this pull request: not counted.",
    );
    const odd: Command = { kind: "approve", personas: ["`x<!--@bob-->`"] };
    expect(body(comment("sam", "…", [odd]))).toBe(
      "⚠️ @sam approved for `x&lt;!--@\u200bbob--&gt;`, but no such persona is required on this pull request: not counted.",
    );
  });

  test("a reason is quoted inert: no HTML comment can hide text, no mention pings anyone", () => {
    const reason = "<!-- a --> and <!-- b --> hide; @alice and @bob, mail a@b, @ alone, -->";
    const u = comment("sue", "…", [{ kind: "request_changes", personas: ["security"], reason }]);
    expect(body(u)).toBe(
      "❌ @sue requested changes as **Security Engineer** on abc1234 via a comment: “&lt;!-- a --&gt; and &lt;!-- b --&gt; hide; @\u200balice and @\u200bbob, mail a@\u200bb, @ alone, --&gt;”.",
    );
  });
});

describe("acknowledged criteria in records (pinned by mutation testing)", () => {
  const withCriteria = (p: PlanPersona, items: string[], requireCriteria = false): PlanPersona => ({
    ...p,
    criteria: items.length > 0 ? [{ source: "persona", title: p.name, items }] : [],
    ...(requireCriteria ? { requireCriteria: true } : {}),
  });
  const plan: ReviewPlan = {
    domains: [],
    personas: [
      withCriteria(persona("security", "Security Engineer"), ["No secrets"], true),
      withCriteria(persona("finance", "Finance"), ["Totals"]),
      persona("docs", "Docs"),
    ],
    unmatched: [],
  };
  const who: Record<string, string> = { sam: "security", fiona: "finance", dan: "docs" };
  const one = (login: string, cmd: Command, ticked?: string[]) => {
    const u = comment(login, "(body)", [cmd]);
    const withTicked = ticked ? { ...u, ticked: new Map(ticked.map((t) => [criterionKey(t), t])) } : u;
    const [r] = write({ plan, eligible: (p, l) => who[l] === p.id, unrecorded: [withTicked] });
    return { command: r!.data.commands[0], body: r!.body };
  };
  const acks = (...texts: string[]) => ({ criteria: texts.map(criterionKey) });

  test("only acknowledgements of the approved personas' criteria are recorded; the rest are named as strays", () => {
    const a = one("sam", { ...APPROVE_SECURITY, ...acks("No secrets", "Totals") }, ["No secrets", "Totals"]);
    expect(a.command).toEqual({ ...APPROVE_SECURITY, ...acks("No secrets") });
    const lines = a.body.split("\n");
    const approved = lines.findIndex((l) => l.startsWith("✅ @sam approved as **Security Engineer**"));
    expect(lines[approved + 1]).toBe("☑️ Acknowledged 1 of 1 of Security Engineer's criteria.");
    expect(a.body).toContain("⚠️ ticked “Totals”: not a criterion of the personas approved here");
    expect(a.body).not.toContain("requires every criterion");
    // Every ticked item a criterion: no stray warning.
    expect(one("sam", { ...APPROVE_SECURITY, ...acks("No secrets") }, ["No secrets"]).body).not.toContain("⚠️");
    // Nothing left after the filter: the command is recorded without acknowledgements (the digest names the stray).
    const b = one("sam", { ...APPROVE_SECURITY, ...acks("Totals") });
    expect(b.command).toEqual(APPROVE_SECURITY);
    expect(b.body).toContain(`⚠️ ticked “${criterionKey("Totals")}”`);
  });

  test("/approve alone keeps acknowledgements of any persona's criteria, but names those of personas refused", () => {
    const a = one("dan", { ...APPROVE_ALL, ...acks("No secrets") }, ["No secrets"]);
    expect(a.command).toEqual({ ...APPROVE_ALL, ...acks("No secrets") });
    expect(a.body).not.toContain("☑️"); // docs has no criteria
    expect(a.body).toContain("⚠️ ticked “No secrets”");
  });

  test("require_criteria: an approval missing a criterion is told it does not count; a refused one or a change request is not", () => {
    const a = one("sam", APPROVE_SECURITY);
    expect(a.body).toContain("Security Engineer requires every criterion to be acknowledged");
    expect(a.body).not.toContain("☑️");
    expect(one("dan", APPROVE_SECURITY).body).not.toContain("requires every criterion");
    const rc: Command = { kind: "request_changes", personas: ["security"], reason: "no" };
    expect(one("sam", rc).body).not.toContain("requires every criterion");
  });
});
