import { describe, expect, test } from "@jest/globals";
import { criterionKey } from "../../src/core/criteria.js";
import fc from "fast-check";
import {
  captureScopes,
  commandDigest,
  decodeRecord,
  encodeRecord,
  isBotUser,
  MAX_COMMANDS,
  MAX_PERSONAS,
  parseCommands,
  reviewActions,
  reviewedFor,
  readRecords,
  recordActions,
  scopeOf,
  UNKNOWN_SHA,
  unrecordedComments,
  type Command,
  type CommentInput,
  type RecordData,
  type ReviewInput,
} from "../../src/core/actions.js";

/**
 * The approval inputs, pure: comment commands, `Reviewed-for:`, the app's hidden record marker and the
 * scan that decides which records still count. No HTTP: comments and reviews are plain data here.
 */

const NEEDS_PERSONA =
  "`/request-changes` needs a persona and a reason, e.g. `/request-changes security tokens are logged`";

describe("parseCommands", () => {
  test("/approve alone speaks for every persona", () => {
    expect(parseCommands("/approve")).toEqual({ commands: [{ kind: "approve", personas: "all" }], errors: [] });
  });

  test.each([
    ["/approve security", ["security"]],
    ["/approve security finance", ["security", "finance"]],
    ["/approve security, finance", ["security", "finance"]],
    ["/approve security,finance", ["security", "finance"]],
    ["/approve   security ,  finance  ", ["security", "finance"]],
    ["/approve security security finance security", ["security", "finance"]],
  ])("%j names %j", (body, personas) => {
    expect(parseCommands(body)).toEqual({ commands: [{ kind: "approve", personas }], errors: [] });
  });

  test("commands and persona ids are case-insensitive; a reason keeps its case", () => {
    expect(parseCommands("/APPROVE Security FINANCE").commands).toEqual([
      { kind: "approve", personas: ["security", "finance"] },
    ]);
    expect(parseCommands("/Approve").commands).toEqual([{ kind: "approve", personas: "all" }]);
    expect(parseCommands("/Request-Changes SECURITY Tokens Are Logged").commands).toEqual([
      { kind: "request_changes", personas: ["security"], reason: "Tokens Are Logged" },
    ]);
  });

  test("/request-changes <persona> <reason>", () => {
    expect(parseCommands("/request-changes security reason text")).toEqual({
      commands: [{ kind: "request_changes", personas: ["security"], reason: "reason text" }],
      errors: [],
    });
    expect(parseCommands("/request-changes security: tokens are logged").commands).toEqual([
      { kind: "request_changes", personas: ["security"], reason: "tokens are logged" },
    ]);
    expect(parseCommands("/request-changes security, tokens are logged").commands).toEqual([
      { kind: "request_changes", personas: ["security"], reason: "tokens are logged" },
    ]);
    expect(parseCommands("/request-changes infra-core   the   plan  ").commands).toEqual([
      { kind: "request_changes", personas: ["infra-core"], reason: "the   plan" },
    ]);
  });

  test("/request-changes with a persona but no reason is a command without a reason", () => {
    const { commands, errors } = parseCommands("/request-changes security");
    expect(errors).toEqual([]);
    expect(commands).toEqual([{ kind: "request_changes", personas: ["security"] }]);
    expect("reason" in commands[0]!).toBe(false);
  });

  test.each([
    "/request-changes",
    "/request-changes   ",
    "/REQUEST-CHANGES",
    "/request-changes :",
    "/request-changes !!! no",
  ])("%j without a persona is an error, not a command", (body) => {
    expect(parseCommands(body)).toEqual({ commands: [], errors: [NEEDS_PERSONA] });
  });

  test("a reason is cut to 500 characters", () => {
    const { commands } = parseCommands(`/request-changes security ${"x".repeat(600)}`);
    expect(commands[0]!.reason).toBe("x".repeat(500));
  });

  test.each([
    "/approved",
    "/approves security",
    "/approve-all",
    "/approve:security",
    "/request-changesx security no",
    "/request-change security no",
    "please /approve security",
    "`/approve security`",
    "approve security",
    "//approve",
    "\\/approve",
  ])("%j is not a command", (body) => {
    expect(parseCommands(body)).toEqual({ commands: [], errors: [] });
  });

  test("commands inside fenced code blocks are ignored (``` and ~~~, with or without a language)", () => {
    const body = [
      "Try this:",
      "```",
      "/approve security",
      "/request-changes",
      "```",
      "~~~yaml",
      "/approve finance",
      "~~~",
      "```ts",
      "/approve backend",
      "```",
      "/approve iam",
    ].join("\n");
    expect(parseCommands(body)).toEqual({ commands: [{ kind: "approve", personas: ["iam"] }], errors: [] });
  });

  test("an unclosed fence hides everything after it", () => {
    expect(parseCommands("```\n/approve security\n/approve finance")).toEqual({ commands: [], errors: [] });
  });

  test("quoted lines are ignored, whatever the quoting depth or spacing", () => {
    const body = [
      "> /approve security",
      ">/approve security",
      "> > /request-changes security no",
      "  > /approve",
      "I would not say that yet.",
    ].join("\n");
    expect(parseCommands(body)).toEqual({ commands: [], errors: [] });
  });

  test("several commands in one comment are all read, in order, and errors are collected alongside", () => {
    const body = [
      "LGTM overall.",
      "/approve security",
      "",
      "/request-changes finance refunds are not idempotent",
      "/request-changes",
      "  /approve  ",
      "thanks",
    ].join("\n");
    expect(parseCommands(body)).toEqual({
      commands: [
        { kind: "approve", personas: ["security"] },
        { kind: "request_changes", personas: ["finance"], reason: "refunds are not idempotent" },
        { kind: "approve", personas: "all" },
      ],
      errors: [NEEDS_PERSONA],
    });
  });

  test("CRLF line endings are handled", () => {
    expect(parseCommands("hello\r\n/approve security\r\n/request-changes finance no\r\n").commands).toEqual([
      { kind: "approve", personas: ["security"] },
      { kind: "request_changes", personas: ["finance"], reason: "no" },
    ]);
  });

  test("property: never throws, and a fully quoted or fenced body yields nothing", () => {
    const line = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(
        "/approve",
        "/approve security",
        "/request-changes",
        "/request-changes security why",
        "```",
        "~~~",
      ),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
        const plain = parseCommands(lines.join("\n"));
        for (const c of plain.commands) {
          expect(["approve", "request_changes"]).toContain(c.kind);
          if (c.personas !== "all") for (const p of c.personas) expect(p).toBe(p.toLowerCase());
        }
        const quoted = lines.map((l) => `> ${l.replace(/[\r\n]/g, " ")}`).join("\n");
        expect(parseCommands(quoted)).toEqual({ commands: [], errors: [] });
        const fenced = ["```", ...lines.map((l) => l.replace(/[\r\n]/g, " ").replace(/^\s*(```|~~~)/, "x"))].join("\n");
        expect(parseCommands(fenced)).toEqual({ commands: [], errors: [] });
      }),
      { numRuns: 500 },
    );
  });
});

describe("reviewedFor", () => {
  test.each([
    [null, undefined],
    ["", undefined],
    ["LGTM", undefined],
    ["Reviewed-for: security", ["security"]],
    ["Reviewed-for: security, finance", ["security", "finance"]],
    ["Reviewed-for: security finance,backend", ["security", "finance", "backend"]],
    ["reviewed-FOR:   Security ,FINANCE", ["security", "finance"]],
    ["Looks right.\n\nReviewed-for: backend\nThanks", ["backend"]],
    ["  Reviewed-for: security security", ["security"]],
  ])("%j → %j", (body, expected) => {
    expect(reviewedFor(body)).toEqual(expected);
  });

  test("only a line that starts with Reviewed-for counts", () => {
    expect(reviewedFor("I have not Reviewed-for: security")).toBeUndefined();
  });
});

describe("record markers: encodeRecord / decodeRecord", () => {
  const base: RecordData = {
    v: 1,
    via: "comment",
    user: "sam",
    userId: 7,
    sha: "a".repeat(40),
    commands: [{ kind: "approve", personas: ["security"] }],
    source: 12,
    digest: "0123456789abcdef",
  };

  /** The marker must be exactly one HTML comment, after the text, with no `--` or `>` inside it. */
  function expectOneHtmlComment(body: string, text: string): void {
    expect(body.startsWith(`${text}\n\n<!-- parallel-review:record {`)).toBe(true);
    const marker = body.slice(text.length);
    expect(marker.endsWith("} -->")).toBe(true);
    const inner = marker.slice(marker.indexOf("<!--") + 4, -3);
    expect(inner).not.toContain("--");
    expect(inner).not.toContain(">");
    expect(marker.match(/<!--/g)).toHaveLength(1);
    expect(marker.match(/-->/g)).toHaveLength(1);
  }

  test("round trip: the text comes first, the data decodes unchanged", () => {
    const body = encodeRecord(base, "✅ @sam approved as **Security Engineer**");
    expectOneHtmlComment(body, "✅ @sam approved as **Security Engineer**");
    expect(decodeRecord(body)).toEqual(base);
  });

  test("button records round trip with delivery and isBot", () => {
    const d: RecordData = {
      v: 1,
      via: "button",
      user: "robot[bot]",
      isBot: true,
      sha: "b".repeat(40),
      commands: [{ kind: "request_changes", personas: ["finance"] }],
      delivery: "1c1e7b10-0000-11ef-8000-000000000000",
    };
    expect(decodeRecord(encodeRecord(d, "x"))).toEqual(d);
  });

  test.each([
    "closes the comment -->",
    "double -- dash",
    "---- many ---",
    "a > b >> c",
    "--!> also closes a comment in HTML",
    "<!-- nested --> comment",
    "} --> {",
    "emoji 🔐💳, CJK 安全审查, RTL שלום, combining é, \u2028 separators \u2029",
    'quotes " and backslashes \\ and \\u003e literal',
    "ends with a dash -",
    "-",
  ])("a reason containing %j keeps the marker one HTML comment and decodes to the same data", (reason) => {
    const d: RecordData = {
      ...base,
      commands: [
        { kind: "request_changes", personas: ["security"], reason },
        { kind: "approve", personas: "all" },
      ],
    };
    const body = encodeRecord(d, "text");
    expectOneHtmlComment(body, "text");
    expect(decodeRecord(body)).toEqual(d);
  });

  test("property: any reason and user round-trips inside a single HTML comment", () => {
    const tricky = fc
      .array(
        fc.oneof(
          fc.constantFrom("-", "--", "-->", ">", "<!--", "}", " -->", "\\", '"', "\n", "🔐"),
          fc.string({ maxLength: 8, unit: "binary" }),
        ),
        { maxLength: 12 },
      )
      .map((parts) => parts.join(""));
    fc.assert(
      fc.property(tricky, tricky, fc.constantFrom<"button" | "comment">("button", "comment"), (reason, user, via) => {
        const d: RecordData = {
          v: 1,
          via,
          user,
          sha: "c".repeat(40),
          commands: [{ kind: "request_changes", personas: ["security"], reason }],
        };
        const body = encodeRecord(d, "plain text");
        expectOneHtmlComment(body, "plain text");
        expect(decodeRecord(body)).toEqual(d);
      }),
      { numRuns: 500 },
    );
  });

  test.each([
    ["no marker", "just a comment"],
    ["malformed JSON", "<!-- parallel-review:record {not json} -->"],
    ["truncated JSON", '<!-- parallel-review:record {"v":1,"via":"button" -->'],
    [
      "another marker name",
      '<!-- parallel-review:recorded {"v":1,"via":"button","user":"sam","sha":"s","commands":[]} -->',
    ],
    ["version 2", '<!-- parallel-review:record {"v":2,"via":"button","user":"sam","sha":"s","commands":[]} -->'],
    [
      "version as a string",
      '<!-- parallel-review:record {"v":"1","via":"button","user":"sam","sha":"s","commands":[]} -->',
    ],
    ["via review", '<!-- parallel-review:record {"v":1,"via":"review","user":"sam","sha":"s","commands":[]} -->'],
    ["no via", '<!-- parallel-review:record {"v":1,"user":"sam","sha":"s","commands":[]} -->'],
    ["user not a string", '<!-- parallel-review:record {"v":1,"via":"button","user":7,"sha":"s","commands":[]} -->'],
    ["no sha", '<!-- parallel-review:record {"v":1,"via":"button","user":"sam","commands":[]} -->'],
    [
      "sha not a string",
      '<!-- parallel-review:record {"v":1,"via":"button","user":"sam","sha":null,"commands":[]} -->',
    ],
    [
      "commands not an array",
      '<!-- parallel-review:record {"v":1,"via":"button","user":"sam","sha":"s","commands":{"kind":"approve"}} -->',
    ],
    ["no commands", '<!-- parallel-review:record {"v":1,"via":"button","user":"sam","sha":"s"} -->'],
  ])("decodeRecord rejects %s", (_what, body) => {
    expect(decodeRecord(body)).toBeUndefined();
  });

  test("decodeRecord reads a well-formed hand-written marker", () => {
    expect(
      decodeRecord('x\n<!-- parallel-review:record {"v":1,"via":"button","user":"sam","sha":"s","commands":[]} -->'),
    ).toEqual({ v: 1, via: "button", user: "sam", sha: "s", commands: [] });
  });
});

describe("commandDigest and isBotUser", () => {
  test("the digest is 16 hex characters, stable, and changes with the commands", () => {
    const a: Command[] = [{ kind: "approve", personas: ["security"] }];
    expect(commandDigest(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(commandDigest(a)).toBe(commandDigest([{ kind: "approve", personas: ["security"] }]));
    expect(commandDigest(a)).not.toBe(commandDigest([{ kind: "approve", personas: ["finance"] }]));
    expect(commandDigest(a)).not.toBe(commandDigest([{ kind: "approve", personas: "all" }]));
    expect(commandDigest([])).not.toBe(commandDigest(a));
    expect(commandDigest(parseCommands("/approve security").commands)).toBe(
      commandDigest(parseCommands("LGTM\n/APPROVE  Security").commands),
    );
  });

  test.each([
    [null, true],
    [{ login: "dependabot[bot]" }, true],
    [{ login: "renovate", type: "Bot" }, true],
    [{ login: "sam", type: "User" }, false],
    [{ login: "sam" }, false],
    [{ login: "bot" }, false],
  ])("isBotUser(%j) = %p", (user, expected) => {
    expect(isBotUser(user)).toBe(expected);
  });
});

describe("reviewActions", () => {
  const SHA = "d".repeat(40);
  const review = (over: Partial<ReviewInput> & { id: number }): ReviewInput => ({
    user: { login: "sam", type: "User" },
    state: "APPROVED",
    body: "",
    commitId: SHA,
    submittedAt: "2024-05-01T10:00:00Z",
    ...over,
  });

  test("an APPROVED review approves every persona, with its commit, time and ref", () => {
    const out = reviewActions([review({ id: 1 })]);
    expect(out).toEqual([
      {
        user: "sam",
        isBot: false,
        kind: "approve",
        personas: "all",
        sha: SHA,
        at: "2024-05-01T10:00:00Z",
        via: "review",
        ref: "review 1",
      },
    ]);
    expect("reason" in out[0]!).toBe(false);
  });

  test("Reviewed-for limits the review to the personas it names", () => {
    expect(
      reviewActions([review({ id: 2, body: "Looks right.\nReviewed-for: Backend, security" })])[0]!.personas,
    ).toEqual(["backend", "security"]);
  });

  test("an approval never carries a reason, even with a body", () => {
    expect("reason" in reviewActions([review({ id: 3, body: "LGTM, ship it" })])[0]!).toBe(false);
  });

  test("CHANGES_REQUESTED takes the first non-Reviewed-for line as the reason", () => {
    const [a] = reviewActions([
      review({
        id: 4,
        state: "CHANGES_REQUESTED",
        body: "\n  Reviewed-for: security\n\n  Card numbers are logged in charge.ts  \nSecond line",
      }),
    ]);
    expect(a).toEqual({
      user: "sam",
      isBot: false,
      kind: "request_changes",
      personas: ["security"],
      sha: SHA,
      at: "2024-05-01T10:00:00Z",
      via: "review",
      ref: "review 4",
      reason: "Card numbers are logged in charge.ts",
    });
  });

  test("CHANGES_REQUESTED with no text has no reason; a long reason is cut to 500", () => {
    for (const body of [null, "", "Reviewed-for: security", "  \n \n"]) {
      const [a] = reviewActions([review({ id: 5, state: "CHANGES_REQUESTED", body })]);
      expect(a!.kind).toBe("request_changes");
      expect("reason" in a!).toBe(false);
    }
    expect(reviewActions([review({ id: 6, state: "CHANGES_REQUESTED", body: "y".repeat(900) })])[0]!.reason).toBe(
      "y".repeat(500),
    );
  });

  test("COMMENTED and PENDING reviews carry no verdict", () => {
    expect(reviewActions(["COMMENTED", "PENDING", "approved", ""].map((state, i) => review({ id: i, state })))).toEqual(
      [],
    );
  });

  test("a DISMISSED review withdraws its author's stance (it supersedes what they said before it)", () => {
    const [a] = reviewActions([review({ id: 3, state: "DISMISSED", body: "Reviewed-for: security" })]);
    expect(a).toMatchObject({ kind: "withdraw", personas: ["security"], via: "review", ref: "review 3" });
  });

  test("reviews without a user, a commit or a submission time are skipped", () => {
    expect(
      reviewActions([
        review({ id: 1, user: null }),
        review({ id: 2, commitId: null }),
        review({ id: 3, submittedAt: null }),
        review({ id: 4, user: null, state: "CHANGES_REQUESTED" }),
      ]),
    ).toEqual([]);
  });

  test("bot reviews are marked as bots, in input order with the others", () => {
    const out = reviewActions([
      review({ id: 1, user: { login: "dependabot[bot]" } }),
      review({ id: 2, user: { login: "ci", type: "Bot" } }),
      review({ id: 3 }),
    ]);
    expect(out.map((a) => [a.user, a.isBot, a.ref])).toEqual([
      ["dependabot[bot]", true, "review 1"],
      ["ci", true, "review 2"],
      ["sam", false, "review 3"],
    ]);
  });
});

describe("records: readRecords, recordActions, unrecordedComments", () => {
  const APP_ID = 4242;
  const APP_USER = { login: "parallel-review[bot]", type: "Bot" } as const;
  const SHA = "e".repeat(40);
  /** The app's own test, as the reconcile makes it: a bot comment performed via this app. */
  const isApp = (c: CommentInput) => c.user?.type === "Bot" && c.viaAppId === APP_ID;

  const userComment = (id: number, login: string, body: string, updatedAt = "2024-05-01T10:00:00Z"): CommentInput => ({
    id,
    user: { login, type: "User" },
    body,
    createdAt: "2024-05-01T10:00:00Z",
    updatedAt,
  });

  const appRecord = (id: number, data: RecordData, createdAt = "2024-05-01T11:00:00Z"): CommentInput => ({
    id,
    user: APP_USER,
    body: encodeRecord(data, "answer"),
    createdAt,
    updatedAt: createdAt,
    viaAppId: APP_ID,
  });

  const commentRecord = (id: number, source: CommentInput, extra: Partial<RecordData> = {}): CommentInput => {
    const commands = parseCommands(source.body).commands;
    return appRecord(id, {
      v: 1,
      via: "comment",
      user: source.user!.login,
      sha: SHA,
      commands,
      source: source.id,
      digest: commandDigest(commands),
      at: source.createdAt,
      ...extra,
    });
  };

  const buttonRecord = (
    id: number,
    user: string,
    command: Command,
    delivery: string,
    extra: Partial<RecordData> = {},
  ) => appRecord(id, { v: 1, via: "button", user, sha: SHA, commands: [command], delivery, ...extra });

  test("a button record is an action at its click time, else (older records) at the record's creation", () => {
    const withAt = buttonRecord(100, "fiona", { kind: "approve", personas: ["finance"] }, "d1", {
      at: "2024-05-01T10:30:00Z",
    });
    const legacy = buttonRecord(101, "fiona", { kind: "approve", personas: ["finance"] }, "d2");
    const actions = recordActions(readRecords([withAt, legacy], isApp));
    expect(actions.map((a) => [a.at, a.ref, a.via, a.sha])).toEqual([
      ["2024-05-01T10:30:00Z", "click d1", "button", SHA],
      ["2024-05-01T11:00:00Z", "click d2", "button", SHA],
    ]);
  });

  test("only unedited comments written by this app are records", () => {
    const rec = buttonRecord(1, "sam", { kind: "approve", personas: ["security"] }, "d1");
    const byUser = { ...rec, id: 2, user: { login: "carol", type: "User" } };
    const byOtherApp = { ...rec, id: 3, viaAppId: 999 };
    const editedRecord = { ...rec, id: 4, updatedAt: "2024-05-02T00:00:00Z" };
    expect(readRecords([rec, byUser, byOtherApp, editedRecord], isApp).map((r) => r.delivery)).toEqual(["d1"]);
  });

  test("a comment record stands for what the comment said: editing or deleting the source changes nothing", () => {
    const src = userComment(10, "sue", "/request-changes security tokens are logged");
    const record = commentRecord(11, src);
    const expected = recordActions(readRecords([src, record], isApp));
    expect(expected.map((a) => [a.user, a.kind, a.at])).toEqual([["sue", "request_changes", src.createdAt]]);
    const editedSrc = { ...src, body: "thanks", updatedAt: "2024-05-03T00:00:00Z" };
    expect(recordActions(readRecords([editedSrc, record], isApp))).toEqual(expected);
    expect(recordActions(readRecords([record], isApp))).toEqual(expected);
  });

  test("a record whose time cannot be established carries no action", () => {
    const rec = appRecord(1, {
      v: 1,
      via: "comment",
      user: "sam",
      sha: SHA,
      commands: [{ kind: "approve", personas: "all" }],
      source: 9,
    });
    expect(recordActions([{ ...readRecords([rec], isApp)[0]!, at: undefined }])).toEqual([]);
  });

  test("unrecorded commands are reported with their parse; plain, quoted, userless and recorded comments are not", () => {
    const withCommands = userComment(1, "sam", "/approve security finance\n/request-changes backend no tests");
    const plain = userComment(2, "sam", "Nice work!");
    const quoted = userComment(3, "bob", "> /approve security");
    const ghost: CommentInput = { ...userComment(4, "x", "/approve"), user: null };
    const recorded = userComment(5, "sam", "/approve security");
    const onlyErrors = userComment(6, "sam", "/request-changes");
    const bot: CommentInput = { ...userComment(7, "ci", "/approve"), user: { login: "ci", type: "Bot" } };
    const botByName = userComment(8, "github-actions[bot]", "/request-changes security x");
    const out = unrecordedComments(
      [withCommands, plain, quoted, ghost, recorded, onlyErrors, bot, botByName],
      isApp,
      new Set([5]),
    );
    expect(out).toEqual([
      {
        comment: withCommands,
        commands: [
          { kind: "approve", personas: ["security", "finance"] },
          { kind: "request_changes", personas: ["backend"], reason: "no tests" },
        ],
        errors: [],
      },
      { comment: onlyErrors, commands: [], errors: [NEEDS_PERSONA] },
    ]);
  });

  test("a later body (GitHub's, edited since the delivered one): its change requests join, nothing else of it", () => {
    const edit = (body: string, laterBody: string) => ({ ...userComment(1, "sue", body), laterBody });
    const changes = { kind: "request_changes", personas: ["security"], reason: "tokens are logged" };
    // "LGTM" edited into a change request: the change request counts.
    const [fromLater] = unrecordedComments(
      [edit("LGTM", "/request-changes security tokens are logged")],
      isApp,
      new Set(),
    );
    expect(fromLater).toEqual({
      comment: edit("LGTM", "/request-changes security tokens are logged"),
      commands: [changes],
      errors: [],
    });
    // Both bodies request changes: each request once, the delivered body's first.
    const [both] = unrecordedComments(
      [
        edit(
          "/request-changes security tokens are logged",
          "/request-changes security tokens are logged\n\n/request-changes finance no refunds",
        ),
      ],
      isApp,
      new Set(),
    );
    expect(both!.commands).toEqual([changes, { kind: "request_changes", personas: ["finance"], reason: "no refunds" }]);
    // The later body's approvals, checklists and errors are not taken; one that says nothing adds nothing.
    expect(
      unrecordedComments([edit("LGTM", "/approve security\n- [x] done\n/request-changes")], isApp, new Set()),
    ).toEqual([]);
    expect(unrecordedComments([edit("LGTM", "thanks")], isApp, new Set())).toEqual([]);
    // A recorded comment stays recorded, whatever its later body says.
    expect(unrecordedComments([edit("LGTM", "/request-changes security x")], isApp, new Set([1]))).toEqual([]);
  });

  test("an unrecorded approval with a checklist keeps the text of each ticked item, by digest", () => {
    const c = userComment(1, "sam", "/approve security\n- [x] No  secrets");
    const [u] = unrecordedComments([c], isApp, new Set());
    expect(u!.ticked).toEqual(new Map([[criterionKey("No secrets"), "No secrets"]]));
  });
});

/** Behaviour the mutation run of actions.ts (docs/testing.md) showed no test pinned down. */
describe("parseCommands: limits, messages and exact syntax", () => {
  const approveMany = (n: number) => Array.from({ length: n }, (_, i) => `/approve p${i}`).join("\n\n");

  test("the count of ignored commands is reported in words that fit it", () => {
    expect(parseCommands(approveMany(MAX_COMMANDS)).errors).toEqual([]);
    expect(parseCommands(approveMany(MAX_COMMANDS + 1)).errors).toEqual([
      `1 more command ignored: at most ${MAX_COMMANDS} per comment`,
    ]);
    expect(parseCommands(approveMany(MAX_COMMANDS + 2)).errors).toEqual([
      `2 more commands ignored: at most ${MAX_COMMANDS} per comment`,
    ]);
  });

  test("an /approve names at most 10 personas: 10 count, 11 approve nothing and say so", () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `p${i}`);
    expect(parseCommands(`/approve ${names(MAX_PERSONAS).join(" ")}`)).toEqual({
      commands: [{ kind: "approve", personas: names(MAX_PERSONAS) }],
      errors: [],
    });
    expect(parseCommands(`/approve ${names(MAX_PERSONAS + 1).join(" ")}`)).toEqual({
      commands: [],
      errors: [`\`/approve\` names at most ${MAX_PERSONAS} personas; this one was not counted`],
    });
  });

  test("a persona list with a name that is not an id approves nothing; the answer quotes it, clipped", () => {
    const notIds = (rest: string) =>
      `\`/approve ${rest}\` is not a list of persona ids (letters, digits and dashes): not counted`;
    // Ten names, one of them bad: the message is about the bad name, not about the count.
    const nine = Array.from({ length: 9 }, (_, i) => `p${i}`).join(" ");
    expect(parseCommands(`/approve ${nine} sec!`)).toEqual({ commands: [], errors: [notIds(`${nine} sec!`)] });
    // Backticks cannot break out of the quote; 60 characters are quoted whole, more are cut to 59 and "…".
    expect(parseCommands("/approve `security` !").errors).toEqual([notIds("security !")]);
    const sixty = `${"x".repeat(58)} !`;
    expect(parseCommands(`/approve ${sixty}`).errors).toEqual([notIds(sixty)]);
    expect(parseCommands(`/approve ${sixty}x`).errors).toEqual([notIds(`${"x".repeat(58)} …`)]);
    // Cut by characters, never through one: 61 emoji give 59 emoji and "…".
    expect(parseCommands(`/approve ${"🔐".repeat(61)}`).errors).toEqual([notIds(`${"🔐".repeat(59)}…`)]);
  });

  test.each(["/approve security!", "/approve _security", "/approve -security", "/approve security\u00e9"])(
    "%j is not a persona id: nothing is approved",
    (body) => {
      expect(parseCommands(body).commands).toEqual([]);
      expect(parseCommands(body).errors).toHaveLength(1);
    },
  );

  test("a command line is read whole: a line separator inside it makes it no command", () => {
    expect(parseCommands("/approve security\u2028finance")).toEqual({ commands: [], errors: [] });
  });

  test("/request-changes security:reason — the reason starts right after the separator", () => {
    expect(parseCommands("/request-changes security:tokens are logged").commands).toEqual([
      { kind: "request_changes", personas: ["security"], reason: "tokens are logged" },
    ]);
  });
});

describe("review scopes: scopeOf, reviewedFor, captureScopes", () => {
  const names = (n: number) => Array.from({ length: n }, (_, i) => `p${i}`);

  test("a Reviewed-for: line that is not understood narrows: an approval counts for nothing, a change request for all", () => {
    for (const body of [
      "Reviewed-for: security!",
      "Reviewed-for: security, fin@nce",
      `Reviewed-for: ${names(11).join(", ")}`,
    ]) {
      expect(scopeOf("approve", body)).toEqual([]);
      expect(scopeOf("request_changes", body)).toBe("all");
    }
    expect(scopeOf("approve", `Reviewed-for: ${names(10).join(", ")}`)).toEqual(names(10));
    expect(scopeOf("request_changes", "Reviewed-for: security")).toEqual(["security"]);
    expect(scopeOf("approve", "LGTM")).toBe("all");
  });

  test("a trailing comma or space in Reviewed-for: adds no empty name", () => {
    expect(reviewedFor("Reviewed-for: security,")).toEqual(["security"]);
    expect(reviewedFor("Reviewed-for: security finance  \nthanks")).toEqual(["security", "finance"]);
    expect(scopeOf("approve", "Reviewed-for: security,")).toEqual(["security"]);
  });

  const SHA = "f".repeat(40);
  const review = (id: number, state: string, body: string | null): ReviewInput => ({
    id,
    user: { login: "sam", type: "User" },
    state,
    body,
    commitId: SHA,
    submittedAt: "2024-05-01T10:00:00Z",
  });

  test("captureScopes: each verdict-carrying review's scope as first seen, only ever narrowed for an approval", () => {
    const known = { "1": ["security"] as const, "9": "all" as const };
    const out = captureScopes(known, [
      review(1, "APPROVED", "Reviewed-for: security, finance"), // known: stays narrow
      review(2, "APPROVED", "Reviewed-for: finance"),
      review(3, "CHANGES_REQUESTED", "Reviewed-for: backend"),
      review(4, "COMMENTED", "Reviewed-for: backend"),
      review(5, "DISMISSED", "Reviewed-for: backend"),
      review(6, "APPROVED", "LGTM"),
    ]);
    expect(out).toEqual({ "1": ["security"], "2": ["finance"], "3": ["backend"], "6": "all", "9": "all" });
    expect(known).toEqual({ "1": ["security"], "9": "all" }); // not changed in place
  });

  test("captureScopes: the body a delivery carried narrows too (an edit before the first read does not widen)", () => {
    const firstBodies = new Map<number, string | null>([
      [1, "Reviewed-for: security"],
      [2, "Reviewed-for: security"],
    ]);
    const out = captureScopes(
      {},
      [
        review(1, "APPROVED", "LGTM"),
        review(2, "CHANGES_REQUESTED", "Reviewed-for: finance"),
        review(3, "APPROVED", "Reviewed-for: backend"),
      ],
      firstBodies,
    );
    expect(out).toEqual({ "1": ["security"], "2": ["finance", "security"], "3": ["backend"] });
  });

  test("a change request's reason is its first line that does not start with Reviewed-for:", () => {
    const [a] = reviewActions([
      review(7, "CHANGES_REQUESTED", "I have not Reviewed-for: anything yet\nReviewed-for: security"),
    ]);
    expect(a!.reason).toBe("I have not Reviewed-for: anything yet");
    expect(a!.personas).toEqual(["security"]);
  });

  test("a dismissal is tied to the dismissed review's commit, or to none when GitHub gives none", () => {
    const [withCommit, without] = reviewActions([
      review(8, "DISMISSED", ""),
      { ...review(9, "DISMISSED", ""), commitId: null },
    ]);
    expect(withCommit!.sha).toBe(SHA);
    expect(without!.sha).toBe(UNKNOWN_SHA);
  });
});

describe("record markers and record actions: exact format", () => {
  const rec: RecordData = {
    v: 1,
    via: "comment",
    user: "sam",
    sha: "a".repeat(40),
    commands: [{ kind: "request_changes", personas: ["security"], reason: "tokens are logged" }],
    source: 10,
    at: "2024-05-01T10:00:00Z",
  };
  const marker = (d: object) => `<!-- parallel-review:record ${JSON.stringify(d)} -->`;

  test("the marker is the last thing in a record: trailing whitespace is fine, trailing text is not", () => {
    expect(decodeRecord(`${encodeRecord(rec, "x")}\n \n`)).toEqual(rec);
    expect(decodeRecord(`${encodeRecord(rec, "x")}x`)).toBeUndefined();
    expect(decodeRecord(`${encodeRecord(rec, "x")}\nquoted by someone`)).toBeUndefined();
  });

  test.each([
    ["an unparsable time", { at: "yesterday" }],
    ["a time that is not a string", { at: 5 }],
    ["an unparsable click time", { clickedAt: "soon" }],
    ["a click time that is not a string", { clickedAt: 1714557600000 }],
    ["a persona that is not a string", { commands: [{ kind: "approve", personas: ["security", 7] }] }],
    ["personas that are neither a list nor all", { commands: [{ kind: "approve", personas: "security" }] }],
    ["a reason that is not a string", { commands: [{ kind: "request_changes", personas: ["security"], reason: 5 }] }],
    ["a command that is not an object", { commands: ["approve"] }],
    ["a null command", { commands: [null] }],
    ["an unknown command", { commands: [{ kind: "merge", personas: "all" }] }],
  ])("decodeRecord rejects a record with %s", (_what, extra) => {
    expect(decodeRecord(marker({ ...rec, ...extra }))).toBeUndefined();
  });

  test("an app comment with no record in it is skipped", () => {
    const T = "2024-05-01T11:00:00Z";
    const byApp = (id: number, body: string): CommentInput => ({
      id,
      user: { login: "parallel-review[bot]", type: "Bot" },
      body,
      createdAt: T,
      updatedAt: T,
      viaAppId: 1,
    });
    const isApp = (c: CommentInput) => c.viaAppId === 1;
    expect(readRecords([byApp(1, "Nothing to review here."), byApp(2, encodeRecord(rec, "x"))], isApp)).toEqual([rec]);
  });

  test("valid times are accepted", () => {
    const d = { ...rec, clickedAt: "2024-05-01T10:00:00.400Z" };
    expect(decodeRecord(marker(d))).toEqual(d);
  });

  test('an approval tied to no commit is stored as sha "unknown": records written earlier still read as untied', () => {
    expect(decodeRecord(marker({ ...rec, sha: "unknown" }))!.sha).toBe(UNKNOWN_SHA);
  });

  test("record actions carry the record's bot flag, reason and reference", () => {
    const fromComment = recordActions([rec]);
    expect(fromComment).toEqual([
      {
        user: "sam",
        isBot: false,
        kind: "request_changes",
        personas: ["security"],
        sha: rec.sha,
        at: rec.at,
        via: "comment",
        ref: "comment 10",
        reason: "tokens are logged",
      },
    ]);
    const click: RecordData = {
      ...rec,
      via: "button",
      user: "robot[bot]",
      isBot: true,
      commands: [{ kind: "approve", personas: ["security"] }],
      delivery: "d-7",
    };
    expect(recordActions([click]).map((a) => [a.isBot, a.ref, "reason" in a])).toEqual([[true, "click d-7", false]]);
    expect(recordActions([{ ...click, isBot: false }])[0]!.isBot).toBe(false);
  });
});
