import { describe, expect, test } from "@jest/globals";
import {
  decodeRecord,
  encodeRecord,
  parseCommands,
  recordActions,
  type RecordData,
  type Via,
} from "../../src/core/actions.js";
import { createHash } from "node:crypto";
import {
  criterionKey,
  DIGEST_MEMO,
  forgetDigests,
  memoizedDigests,
  isCriterionKey,
  listCriteria,
  MAX_ACKNOWLEDGED,
  missingCriteria,
  normalizeCriterion,
} from "../../src/core/criteria.js";
import { personaCheck } from "../../src/core/checks.js";
import { decodeLedger, encodeLedger } from "../../src/core/ledger.js";
import { planReview } from "../../src/core/plan.js";
import { DEFAULT_SETTINGS, type Persona, type ReviewTable, type Settings } from "../../src/core/types.js";
import { evaluate, type PersonaVerdict, type Verdict } from "../../src/core/verdict.js";

/**
 * Acknowledging criteria: a task list right under an `/approve` line. Only that list counts, only its
 * ticked top-level items, and anything else the app does not recognise acknowledges nothing.
 */

const keys = (...texts: string[]) => texts.map(criterionKey);

describe("parseCommands: a checklist under /approve", () => {
  test("ticked items of the list right under /approve are acknowledged; unticked and plain items are not", () => {
    const body = [
      "Looked at it.",
      "/approve security",
      "- [x] No `secrets` in code",
      "- [ ] PCI compliance verified",
      "- [X]   Errors are",
      "  logged, not swallowed",
      "- plain item",
    ].join("\n");
    const parsed = parseCommands(body);
    expect(parsed.commands).toEqual([
      {
        kind: "approve",
        personas: ["security"],
        criteria: keys("No `secrets` in code", "Errors are logged, not swallowed"),
      },
    ]);
    expect(parsed.errors).toEqual([]);
    expect([...parsed.ticked!.values()]).toEqual(["No `secrets` in code", "Errors are logged, not swallowed"]);
  });

  test("the digest ignores case and runs of whitespace, so a copied criterion matches; rewording does not", () => {
    expect(criterionKey("PCI  compliance\tverified ")).toBe(criterionKey("pci compliance verified"));
    expect(criterionKey("PCI compliance verified.")).not.toBe(criterionKey("PCI compliance verified"));
  });

  test("a blank line between /approve and the list is fine; an ordered or `*` list too", () => {
    expect(parseCommands("/approve security\n\n1. [x] a\n2. [x] b").commands[0]!.criteria).toEqual(keys("a", "b"));
    expect(parseCommands("/approve\n* [x] a").commands).toEqual([
      { kind: "approve", personas: "all", criteria: keys("a") },
    ]);
  });

  test("a list that does not directly follow the /approve line acknowledges nothing, and the reviewer is told", () => {
    const parsed = parseCommands("/approve security\n\nChecked:\n- [x] a");
    expect(parsed.commands).toEqual([{ kind: "approve", personas: ["security"] }]);
    expect(parsed.errors).toEqual([expect.stringContaining("directly under the `/approve` line")]);
  });

  test("/approve followed by more text in the same paragraph: the list belongs to that text, not to /approve", () => {
    expect(parseCommands("/approve security\nthanks\n- [x] a").commands).toEqual([
      { kind: "approve", personas: ["security"] },
    ]);
  });

  test("quoted, nested, fenced or HTML-commented checklists acknowledge nothing", () => {
    for (const body of [
      "/approve security\n> - [x] a",
      "/approve security\n```\n- [x] a\n```",
      "/approve security\n<!--\n- [x] a\n-->",
      "/approve security\n- plain\n  - [x] a",
    ])
      expect(parseCommands(body).commands).toEqual([{ kind: "approve", personas: ["security"] }]);
  });

  test("a checklist under /request-changes or under an approval that does not count acknowledges nothing", () => {
    expect(parseCommands("/request-changes security no\n- [x] a").commands).toEqual([
      { kind: "request_changes", personas: ["security"], reason: "no" },
    ]);
    const bad = parseCommands("/approve security!\n- [x] a");
    expect(bad.commands).toEqual([]);
    expect(bad.errors).toHaveLength(1);
  });

  test("with several /approve lines, the list belongs to the last line of its paragraph", () => {
    expect(parseCommands("/approve backend\n/approve security\n- [x] a").commands).toEqual([
      { kind: "approve", personas: ["backend"] },
      { kind: "approve", personas: ["security"], criteria: keys("a") },
    ]);
  });

  test(`more than ${MAX_ACKNOWLEDGED} ticked items narrow: the approval stands, acknowledging nothing`, () => {
    const list = Array.from({ length: MAX_ACKNOWLEDGED + 1 }, (_, i) => `- [x] c${i}`).join("\n");
    const parsed = parseCommands(`/approve security\n${list}`);
    expect(parsed.commands).toEqual([{ kind: "approve", personas: ["security"] }]);
    expect(parsed.errors).toEqual([expect.stringContaining(`at most ${MAX_ACKNOWLEDGED} criteria`)]);
  });

  test(`exactly ${MAX_ACKNOWLEDGED} ticked items are all acknowledged`, () => {
    const items = Array.from({ length: MAX_ACKNOWLEDGED }, (_, i) => `c${i}`);
    const parsed = parseCommands(`/approve security\n${items.map((c) => `- [x] ${c}`).join("\n")}`);
    expect(parsed.commands).toEqual([{ kind: "approve", personas: ["security"], criteria: keys(...items) }]);
    expect(parsed.errors).toEqual([]);
  });

  test("an item is ticked only by a leading [x]; an empty item or one that is a code block ticks nothing", () => {
    const parsed = parseCommands("/approve security\n\n-\n- see [x] a\n- [x] b\n-     [x] c");
    expect(parsed.commands).toEqual([{ kind: "approve", personas: ["security"], criteria: keys("b") }]);
  });

  test("an item's lines are joined by a space, even a lazy continuation line; the text kept is trimmed", () => {
    const parsed = parseCommands("/approve security\n- [x] Errors are\nlogged   ");
    expect(parsed.commands[0]!.criteria).toEqual([criterionKey("Errors are logged")]);
    expect([...parsed.ticked!.values()]).toEqual(["Errors are logged"]);
  });

  test("an untick list, or a ticked list with no approval in the comment, draws no warning", () => {
    expect(parseCommands("/approve security\n\nNotes:\n- [ ] a").errors).toEqual([]);
    expect(parseCommands("Notes:\n- [x] a").errors).toEqual([]);
  });
});

describe("acknowledgements in records and the ledger", () => {
  const record = (criteria: unknown): RecordData =>
    ({
      v: 1,
      via: "comment",
      user: "sam",
      sha: "a".repeat(40),
      commands: [{ kind: "approve", personas: ["security"], criteria }],
      source: 7,
      at: "2026-01-01T00:00:00Z",
    }) as RecordData;

  test("a record keeps them through encoding, and its action carries them", () => {
    const rec = record(keys("a", "b"));
    const back = decodeRecord(encodeRecord(rec, "text"))!;
    expect(recordActions([back])[0]!.criteria).toEqual(keys("a", "b"));
    const ledger = decodeLedger(encodeLedger({ records: [rec], scopes: {} }))!;
    expect(recordActions(ledger.records)[0]!.criteria).toEqual(keys("a", "b"));
  });

  test("a record whose acknowledgements are not digests, or that acknowledges on a change request, is not the app's", () => {
    expect(decodeRecord(encodeRecord(record(["No secrets"]), "t"))).toBeUndefined();
    expect(decodeRecord(encodeRecord(record("all"), "t"))).toBeUndefined();
    // Every acknowledgement must be a digest, and at most MAX_ACKNOWLEDGED of them.
    expect(decodeRecord(encodeRecord(record([...keys("a"), "No secrets"]), "t"))).toBeUndefined();
    const many = (n: number) => Array.from({ length: n }, (_, i) => criterionKey(`c${i}`));
    expect(decodeRecord(encodeRecord(record(many(MAX_ACKNOWLEDGED + 1)), "t"))).toBeUndefined();
    expect(decodeRecord(encodeRecord(record(many(MAX_ACKNOWLEDGED)), "t"))).toBeDefined();
    const onChangeRequest = {
      ...record(undefined),
      commands: [{ kind: "request_changes", personas: ["security"], criteria: keys("a") }],
    } as RecordData;
    expect(decodeRecord(encodeRecord(onChangeRequest, "t"))).toBeUndefined();
  });

  test("missingCriteria: every group's items, each once, less those acknowledged", () => {
    const groups = [
      { source: "persona", title: "Security", items: ["a", "b"] },
      { source: "iam", title: "IAM", items: ["B", "c"] },
    ];
    expect(missingCriteria(groups, keys("a"))).toEqual(["b", "c"]);
    expect(missingCriteria(groups, undefined)).toEqual(["a", "b", "c"]);
    expect(missingCriteria(groups, keys("a", "b", "c", "zzz"))).toEqual([]);
  });
});

describe("the verdict with require_criteria", () => {
  const HEAD = "h".repeat(40);
  const OLD = "0".repeat(40);
  const tableWith = (settings: Partial<Settings> = {}, own: Partial<Persona> = {}): ReviewTable => ({
    file: "reviewers.yml",
    personas: [
      {
        id: "security",
        name: "Security",
        teams: [],
        users: ["sam", "sue"],
        approvals: 1,
        criteria: ["No secrets"],
        ...own,
      },
      { id: "docs", name: "Docs", teams: [], users: ["dan"], approvals: 1, criteria: [] },
    ],
    domains: [
      {
        id: "payments",
        paths: ["src/payments/"],
        ignore: [],
        require: [
          { persona: "security", criteria: ["PCI verified"] },
          { persona: "docs", criteria: [] },
        ],
      },
      { id: "iam", paths: ["*.tf"], ignore: [], require: [{ persona: "security", criteria: ["Least privilege"] }] },
    ],
    settings: { ...DEFAULT_SETTINGS, distinct_reviewers: false, ...settings },
  });
  const approval = (user: string, criteria?: string[], opts: { via?: Via; sha?: string; at?: string } = {}) => ({
    user,
    isBot: false,
    kind: "approve" as const,
    personas: "all" as const,
    sha: opts.sha ?? HEAD,
    at: opts.at ?? "2026-01-01T00:00:00Z",
    via: opts.via ?? ("comment" as const),
    ref: `ref-${user}`,
    ...(criteria ? { criteria: keys(...criteria) } : {}),
  });
  const judge = (table: ReviewTable, actions: ReturnType<typeof approval>[], changed = ["src/payments/a.ts"]) =>
    evaluate({
      table,
      plan: planReview(
        table,
        changed.map((path) => ({ path, status: "modified" })),
      ),
      actions,
      author: "alice",
      headSha: HEAD,
      isReviewer: (p, login) => table.personas.find((x) => x.id === p.id)!.users.includes(login),
      changedSince: new Map(),
      blockers: [],
    });
  const security = (v: Verdict) => v.personas.find((p) => p.persona.id === "security")!;

  test("off (the default): an approval counts without acknowledging, and acknowledgements are still shown", () => {
    const v = security(judge(tableWith(), [approval("sam", ["no secrets"]), approval("sue")]));
    expect(v.state).toBe("approved");
    expect(v.approvals.map((a) => a.user)).toEqual(["sam", "sue"]);
    expect(v.acknowledged).toEqual({ [criterionKey("No secrets")]: ["sam"] });
    expect(v.notices).toEqual([]);
  });

  test("on: an approval missing a criterion does not count, and the notice names what is missing", () => {
    const v = security(judge(tableWith({ require_criteria: true }), [approval("sam", ["No secrets"])]));
    expect(v.state).toBe("waiting");
    expect(v.approvals).toEqual([]);
    expect(v.notices.map((n) => n.message)).toEqual([
      expect.stringMatching(/^@sam's approval does not count yet: Security requires every criterion .*“PCI verified”/),
    ]);
    expect(v.acknowledged).toEqual({ [criterionKey("No secrets")]: ["sam"] });
    expect(v.notices[0]!.message).toContain(
      "To count, comment `/approve security` again with every criterion ticked (the checklist on this check shows how)",
    );
  });

  test("nobody acknowledged anything: no `acknowledged`, and a waiting reason names nobody as withheld", () => {
    const v = judge(tableWith({ require_criteria: true }), [approval("dan")]);
    expect("acknowledged" in security(v)).toBe(false);
    expect(v.reasons).toEqual(["Security: 0 of 1 approvals"]);
  });

  test("on: the gate's reason says whose approval waits for criteria", () => {
    const v = judge(tableWith({ require_criteria: true }), [approval("sam", ["No secrets"]), approval("dan")]);
    expect(v.state).toBe("waiting");
    expect(v.reasons).toEqual([
      "Security: 0 of 1 approvals (@sam approved without acknowledging every criterion: see its check)",
    ]);
  });

  test("on: every criterion acknowledged (case and spacing aside) counts; a persona without criteria is unaffected", () => {
    const v = judge(tableWith({ require_criteria: true }), [
      approval("sam", ["no  SECRETS", "PCI verified"]),
      approval("dan"),
    ]);
    expect(v.state).toBe("pass");
    expect(security(v).approvals[0]!.criteria).toEqual(keys("No secrets", "PCI verified"));
  });

  test("on: a review or a click cannot acknowledge, and the notice says how to", () => {
    const v = judge(tableWith({ require_criteria: true }), [
      approval("sam", undefined, { via: "review" }),
      approval("sue", undefined, { via: "button" }),
    ]);
    expect(security(v).notices.map((n) => n.message)).toEqual([
      expect.stringContaining(
        "a review cannot acknowledge criteria: comment `/approve security` with every criterion ticked",
      ),
      expect.stringContaining("a click cannot acknowledge criteria"),
    ]);
    expect(v.state).toBe("waiting");
  });

  test("a persona's own require_criteria overrides the setting, either way", () => {
    expect(
      judge(tableWith({ require_criteria: true }, { requireCriteria: false }), [approval("sam"), approval("dan")])
        .state,
    ).toBe("pass");
    expect(judge(tableWith({}, { requireCriteria: true }), [approval("sam"), approval("dan")]).state).toBe("waiting");
  });

  test("a carried-over approval keeps its acknowledgements; a criterion that applies since (a new domain) is missing", () => {
    const table = tableWith({ require_criteria: true, on_push: "keep" });
    const given = [approval("sam", ["No secrets", "PCI verified"], { sha: OLD }), approval("dan")];
    expect(judge(table, given).state).toBe("pass");
    const v = judge(table, given, ["src/payments/a.ts", "main.tf"]);
    expect(v.state).toBe("waiting");
    expect(security(v).notices[0]!.message).toContain("not acknowledged: “Least privilege”");
  });
});

describe("the persona check shows acknowledgements and how to give them", () => {
  test("ticked with who acknowledged, the requirement stated, and a copyable /approve with the checklist", () => {
    const verdict: PersonaVerdict = {
      persona: {
        id: "security",
        name: "Security",
        domains: ["payments"],
        files: ["src/payments/a.ts"],
        approvals: 1,
        teams: [],
        users: ["sam"],
        criteria: [
          { source: "persona", title: "Security", items: ["No secrets", "Uses ``` fences"] },
          { source: "payments", title: "Payments", items: ["PCI verified"] },
        ],
        requireCriteria: true,
        reasons: ["domain payments: 1 file"],
      },
      state: "waiting",
      approvals: [],
      changeRequests: [],
      notices: [],
      acknowledged: { [criterionKey("No secrets")]: ["sam", "sue"] },
    };
    const s = personaCheck(verdict).summary;
    expect(s).toContain("**Criteria** — an approval counts only when it acknowledges every one (`require_criteria`)");
    expect(s).toContain(
      "- [x] No secrets — acknowledged by @sam, @sue\n- [ ] Uses ``` fences\n\n_Payments_\n- [ ] PCI verified",
    );
    expect(s).toContain("````\n/approve security\n- [ ] No secrets\n- [ ] Uses ``` fences\n- [ ] PCI verified\n````");
    // What the check offers to copy parses back into exactly these criteria once ticked.
    const snippet = /````\n([\s\S]*?)\n````/.exec(s)![1]!.replace(/\[ \]/g, "[x]");
    expect(parseCommands(snippet).commands[0]!.criteria).toEqual(keys("No secrets", "Uses ``` fences", "PCI verified"));
  });
});

describe("criteria.ts helpers (pinned by mutation testing)", () => {
  test("normalizeCriterion: runs of whitespace become one space, ends trimmed, lower case", () => {
    expect(normalizeCriterion("  PCI\t compliance\n\nVerified ")).toBe("pci compliance verified");
  });

  test("criterionKey: the first 12 hex digits of the SHA-256 of the normalised text", () => {
    const digest = createHash("sha256").update("no secrets in code").digest("hex").slice(0, 12);
    expect(criterionKey(" No  Secrets in CODE")).toBe(digest);
  });

  test("isCriterionKey: exactly 12 lower-case hex digits, and only a string", () => {
    const key = criterionKey("x");
    expect(isCriterionKey(key)).toBe(true);
    expect(isCriterionKey(`0${key}`)).toBe(false);
    expect(isCriterionKey(`${key}0`)).toBe(false);
    expect(isCriterionKey(key.toUpperCase().replace(/[0-9]/g, "A"))).toBe(false);
    // A number whose digits would pass the pattern is no digest: records are JSON, a key must be a string.
    expect(isCriterionKey(123456789012)).toBe(false);
    expect(isCriterionKey(undefined)).toBe(false);
  });

  test("listCriteria: at most three named, quoted, whitespace collapsed, the rest counted", () => {
    expect(listCriteria([])).toBe("");
    expect(listCriteria(["a"])).toBe("“a”");
    expect(listCriteria(["a", "b  \n c", "d"])).toBe("“a”, “b c”, “d”");
    expect(listCriteria(["a", "b", "c", "d", "e"])).toBe("“a”, “b”, “c” and 2 more");
    expect(listCriteria(["a", "b", "c"], 2)).toBe("“a”, “b” and 1 more");
  });

  test("listCriteria: an item longer than 80 characters (not UTF-16 units) is clipped with an ellipsis", () => {
    const eighty = "é".repeat(40) + "😀".repeat(40); // 80 characters, 120 UTF-16 units
    expect(listCriteria([eighty])).toBe(`“${eighty}”`);
    expect(listCriteria([`${eighty}x`])).toBe(`“${"é".repeat(40)}${"😀".repeat(39)}…”`);
  });
});

describe("criterionKey's memo (every reconcile digests each criterion again)", () => {
  const digest = (t: string) => createHash("sha256").update(normalizeCriterion(t)).digest("hex").slice(0, 12);

  test("a remembered digest is the digest: the same answer the first time and after", () => {
    const text = "  Tests cover   the change ";
    expect(criterionKey(text)).toBe(digest(text));
    expect(criterionKey(text)).toBe(digest(text));
    expect(criterionKey("tests cover the change")).toBe(criterionKey(text));
  });

  test("bounded: never more than its entries, long texts not kept, answers unchanged past the bound", () => {
    criterionKey("kept before");
    expect(memoizedDigests()).toBeGreaterThan(0);
    forgetDigests();
    expect(memoizedDigests()).toBe(0);
    const texts = Array.from({ length: DIGEST_MEMO.entries + 10 }, (_, i) => `criterion ${i}`);
    for (const t of texts) {
      expect(criterionKey(t)).toBe(digest(t));
      expect(memoizedDigests()).toBeLessThanOrEqual(DIGEST_MEMO.entries);
    }
    // Full, it starts again rather than growing: the last texts are there.
    expect(memoizedDigests()).toBe(10);
    const long = "x".repeat(DIGEST_MEMO.textLength + 1);
    const atBound = "y".repeat(DIGEST_MEMO.textLength);
    expect(criterionKey(long)).toBe(digest(long));
    expect(memoizedDigests()).toBe(10);
    expect(criterionKey(atBound)).toBe(digest(atBound));
    expect(memoizedDigests()).toBe(11);
  });

  test("a text with a lone surrogate is kept under itself: two such texts are two entries, each found again", () => {
    forgetDigests();
    const [high, low] = ["a \uD800 b", "a \uDC00 b"]; // both would read "a \uFFFD b" once through UTF-8
    expect(criterionKey(high)).toBe(digest(high));
    expect(criterionKey(low)).toBe(digest(low));
    expect(memoizedDigests()).toBe(2);
    expect(criterionKey(high)).toBe(digest(high));
    expect(memoizedDigests()).toBe(2);
  });
});
