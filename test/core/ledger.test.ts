import { describe, expect, test } from "@jest/globals";
import type { RecordData } from "../../src/core/actions.js";
import {
  decodeLedger,
  effectiveScope,
  EMPTY_LEDGER,
  encodeLedger,
  ledgerFits,
  MAX_LEDGER_BYTES,
  MAX_LEDGER_RECORDS,
  mergeHeads,
  mergeLedgers,
  mergePushes,
  mergeRecords,
  recordKey,
  type HeadEntry,
  type Ledger,
} from "../../src/core/ledger.js";

/**
 * The ledger is the only approval state nobody but the app can change: what it merges, keeps, drops and
 * bounds decides what the gate remembers. Pure data in, pure data out.
 */

const SHA = "a".repeat(40);
const click = (delivery: string | undefined, user = "sam"): RecordData => ({
  v: 1,
  via: "button",
  user,
  sha: SHA,
  commands: [{ kind: "approve", personas: ["security"] }],
  ...(delivery !== undefined ? { delivery } : {}),
});
const fromComment = (source: number | undefined, user = "sam"): RecordData => ({
  v: 1,
  via: "comment",
  user,
  sha: SHA,
  commands: [{ kind: "approve", personas: "all" }],
  ...(source !== undefined ? { source } : {}),
});
const head = (sha: string, at: string, pr = 7): HeadEntry => ({ sha, at, pr });

describe("recordKey and mergeRecords", () => {
  test("a button record is keyed by its delivery, a comment record by its source comment", () => {
    expect(recordKey(click("d-1"))).toBe("d:d-1");
    expect(recordKey(fromComment(12))).toBe("c:12");
    expect(recordKey(click(undefined))).toBe("d:");
    expect(recordKey(fromComment(undefined))).toBe("c:");
  });

  test("union by key, the first copy wins; a delivery and a comment id that look alike stay apart", () => {
    const first = click("5", "sam");
    const copy = click("5", "mallory");
    const comment5 = fromComment(5);
    expect(mergeRecords([first, comment5], [copy, fromComment(6)])).toEqual([first, comment5, fromComment(6)]);
    expect(mergeRecords()).toEqual([]);
  });
});

describe("mergeHeads and mergePushes", () => {
  test("heads: each (pr, sha, time) once, in time order by instant (not by text)", () => {
    const early = head("x", "2024-05-01T10:00:00.400Z");
    const later = head("y", "2024-05-01T10:00:01Z");
    const otherPr = head("x", "2024-05-01T10:00:00.400Z", 8);
    const again = head("x", "2024-05-01T10:00:02Z");
    expect(mergeHeads([later, early, otherPr, again, { ...early }])).toEqual([early, otherPr, later, again]);
  });

  test("heads: the newest 100 are kept", () => {
    const heads = Array.from({ length: 105 }, (_, i) =>
      head(`s${i}`, new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString()),
    );
    const kept = mergeHeads([...heads].reverse());
    expect(kept).toHaveLength(100);
    expect(kept[0]).toEqual(heads[5]);
    expect(kept.at(-1)).toEqual(heads[104]);
  });

  test("pushes: one per (before, after, pusher), the pusher's login compared without case", () => {
    const p = { user: "Carol", before: "b1", after: "a1", pr: 7 };
    const same = { user: "carol", before: "b1", after: "a1", pr: 7 };
    const otherRange = { user: "carol", before: "a1", after: "a2", pr: 7 };
    const otherUser = { user: "dave", before: "b1", after: "a1", pr: 7 };
    expect(mergePushes([p, same, otherRange, otherUser])).toEqual([same, otherRange, otherUser]);
  });
});

describe("mergeLedgers", () => {
  test("every part is merged, the first copy of each entry winning; absent parts stay absent", () => {
    const a: Ledger = {
      records: [click("d1")],
      scopes: { "1": ["security"] },
      bases: { "1": "main" },
      pushes: [{ user: "carol", before: "b", after: "c", pr: 7 }],
      heads: [head("c", "2024-05-01T10:00:00Z")],
      unrequestable: { "user:zed": "not a collaborator" },
    };
    const b: Ledger = {
      records: [click("d1", "mallory"), fromComment(3)],
      scopes: { "1": "all", "2": "all" },
      bases: { "1": "carol-base", "2": "main" },
      pushes: [{ user: "dave", before: "c", after: "d", pr: 7 }],
      heads: [head("b", "2024-05-01T09:00:00Z")],
      unrequestable: { "user:zed": "other", "team:x": "no access" },
    };
    expect(mergeLedgers([a, b])).toEqual({
      records: [click("d1"), fromComment(3)],
      scopes: { "1": ["security"], "2": "all" },
      bases: { "1": "main", "2": "main" },
      pushes: [...a.pushes!, ...b.pushes!],
      heads: [...b.heads!, ...a.heads!],
      unrequestable: { "user:zed": "not a collaborator", "team:x": "no access" },
    });
    // The empty ledger (what a pull request starts with) is neutral in a merge.
    expect(mergeLedgers([EMPTY_LEDGER, a])).toEqual(mergeLedgers([a]));
    expect(mergeLedgers([EMPTY_LEDGER])).toEqual({ records: [], scopes: {} });
    const bare = mergeLedgers([
      { records: [], scopes: {} },
      { records: [], scopes: {}, bases: {}, unrequestable: {} },
    ]);
    expect(bare).toEqual({ records: [], scopes: {} });
    expect(Object.keys(bare)).toEqual(["records", "scopes"]);
  });
});

describe("encodeLedger / decodeLedger", () => {
  const full: Ledger = {
    records: [
      { ...click("d1"), pr: 7, base: "main", at: "2024-05-01T10:00:00Z" },
      { ...fromComment(4), commands: [{ kind: "request_changes", personas: ["finance"], reason: "--> > <!--" }] },
    ],
    scopes: { "1": ["security", "finance"], "2": "all" },
    bases: { "1": "main", "2": "release" },
    pushes: [{ user: "carol", before: "b", after: "c", pr: 7 }],
    heads: [head("c", "2024-05-01T10:00:00Z")],
    unrequestable: { "user:zed": "not a collaborator" },
  };

  test("round trip: every part comes back, inside one HTML comment", () => {
    const text = encodeLedger(full);
    expect(text.startsWith("<!-- parallel-review:ledger {")).toBe(true);
    expect(text.endsWith("} -->")).toBe(true);
    const inner = text.slice("<!--".length, -"-->".length);
    expect(inner).not.toContain("--");
    expect(inner).not.toContain(">");
    expect(decodeLedger(`Gate text\n\n${text}\n`)).toEqual(full);
  });

  test("a review's base survives the round trip: a retarget is still seen by the next reconcile", () => {
    expect(decodeLedger(encodeLedger({ records: [], scopes: {}, bases: { "9": "carol-base" } }))?.bases).toEqual({
      "9": "carol-base",
    });
  });

  test("absent parts are not written", () => {
    expect(encodeLedger({ records: [], scopes: {} })).toBe(
      '<!-- parallel-review:ledger {"records":[],"scopes":{}} -->',
    );
    expect(decodeLedger(encodeLedger({ records: [], scopes: {} }))).toEqual({ records: [], scopes: {} });
  });

  test("reasons are cut to 200 characters (code points, never half an emoji); an empty reason is dropped", () => {
    const long = "🔐".repeat(250);
    const l: Ledger = {
      records: [
        {
          ...fromComment(1),
          commands: [
            { kind: "request_changes", personas: ["security"], reason: long },
            { kind: "request_changes", personas: ["finance"], reason: "" },
            { kind: "approve", personas: "all" },
          ],
        },
      ],
      scopes: {},
    };
    const commands = decodeLedger(encodeLedger(l))!.records[0]!.commands;
    expect(commands).toEqual([
      { kind: "request_changes", personas: ["security"], reason: "🔐".repeat(200) },
      { kind: "request_changes", personas: ["finance"] },
      { kind: "approve", personas: "all" },
    ]);
    // The ledger's copy is cut; the record passed in is not.
    expect(l.records[0]!.commands[0]!.reason).toBe(long);
  });

  test.each([
    ["no text", undefined],
    ["null", null],
    ["empty", ""],
    ["no marker", "just the gate's text"],
    ["another marker", '<!-- parallel-review:record {"records":[],"scopes":{}} -->'],
    ["bad JSON", "<!-- parallel-review:ledger {records} -->"],
    ["no records", '<!-- parallel-review:ledger {"scopes":{}} -->'],
    ["records not a list", '<!-- parallel-review:ledger {"records":{},"scopes":{}} -->'],
    ["no scopes", '<!-- parallel-review:ledger {"records":[]} -->'],
    ["scopes null", '<!-- parallel-review:ledger {"records":[],"scopes":null} -->'],
    ["scopes a string", '<!-- parallel-review:ledger {"records":[],"scopes":"all"} -->'],
  ])("not a ledger: %s", (_what, text) => {
    expect(decodeLedger(text)).toBeUndefined();
  });

  test("entries of the wrong shape are dropped one by one, the rest kept", () => {
    const raw = {
      records: [],
      scopes: { "1": "all", "2": ["security"], "3": "some", "4": ["security", 5], "5": null, "6": 7 },
      bases: { "1": "main", "2": 7, "3": null },
      pushes: [
        { user: "carol", before: "b", after: "c" },
        { user: 1, before: "b", after: "c" },
        { user: "carol", before: null, after: "c" },
        { user: "carol", before: "b" },
        null,
        "push",
      ],
      heads: [
        { sha: "c", at: "2024-05-01T10:00:00Z", pr: 7 },
        { sha: 1, at: "2024-05-01T10:00:00Z", pr: 7 },
        { sha: "c", at: 5, pr: 7 },
        { sha: "c", at: "2024-05-01T10:00:00Z", pr: "7" },
        null,
        "head",
      ],
      unrequestable: { "user:zed": "x".repeat(300), "user:amy": 5 },
    };
    expect(decodeLedger(`<!-- parallel-review:ledger ${JSON.stringify(raw)} -->`)).toEqual({
      records: [],
      scopes: { "1": "all", "2": ["security"] },
      bases: { "1": "main" },
      pushes: [{ user: "carol", before: "b", after: "c" }],
      heads: [{ sha: "c", at: "2024-05-01T10:00:00Z", pr: 7 }],
      unrequestable: { "user:zed": "x".repeat(200) },
    });
  });

  test.each([
    ["pushes", { pushes: { user: "carol", before: "b", after: "c" } }],
    ["heads", { heads: { sha: "c", at: "2024-05-01T10:00:00Z", pr: 7 } }],
    ["bases", { bases: "main" }],
    ["bases", { bases: null }],
    ["unrequestable", { unrequestable: "user:zed" }],
    ["unrequestable", { unrequestable: null }],
  ])("%s of the wrong shape are ignored", (_what, extra) => {
    const text = `<!-- parallel-review:ledger ${JSON.stringify({ records: [], scopes: {}, ...extra })} -->`;
    expect(decodeLedger(text)).toEqual({ records: [], scopes: {} });
  });
});

describe("ledgerFits", () => {
  const records = (n: number) => Array.from({ length: n }, (_, i) => click(`d${i}`));
  const scopes = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), "all" as const]));
  const pushes = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ user: "carol", before: `b${i}`, after: `a${i}` }));

  test("at most 100 records, 300 scopes and 100 pushes", () => {
    expect(MAX_LEDGER_RECORDS).toBe(100);
    expect(ledgerFits({ records: records(100), scopes: scopes(300), pushes: pushes(100) })).toBe(true);
    expect(ledgerFits({ records: records(101), scopes: {} })).toBe(false);
    expect(ledgerFits({ records: [], scopes: scopes(301) })).toBe(false);
    expect(ledgerFits({ records: [], scopes: {}, pushes: pushes(101) })).toBe(false);
    expect(ledgerFits({ records: [], scopes: {} })).toBe(true);
  });

  test("at most 60,000 bytes of encoded text, counted in bytes", () => {
    /** A ledger whose encoding takes exactly `bytes` bytes, padded with a multi-byte character. */
    const sized = (bytes: number): Ledger => {
      const base = Buffer.byteLength(encodeLedger({ records: [], scopes: {}, unrequestable: { k: "" } }));
      const pad = bytes - base;
      return {
        records: [],
        scopes: {},
        unrequestable: { ["k" + "é".repeat(Math.floor(pad / 2)) + "k".repeat(pad % 2)]: "" },
      };
    };
    expect(MAX_LEDGER_BYTES).toBe(60_000);
    expect(Buffer.byteLength(encodeLedger(sized(60_000)))).toBe(60_000);
    expect(ledgerFits(sized(60_000))).toBe(true);
    expect(ledgerFits(sized(60_001))).toBe(false);
  });
});

describe("effectiveScope: scoping syntax only ever narrows", () => {
  test.each([
    // kind, captured, current, expected
    ["approve", undefined, ["security"], ["security"]],
    ["approve", undefined, "all", "all"],
    ["approve", "all", ["security"], ["security"]],
    ["approve", ["security"], "all", ["security"]],
    ["approve", ["security", "finance"], ["finance", "backend"], ["finance"]],
    ["approve", ["security"], ["finance"], []],
    ["request_changes", undefined, ["security"], ["security"]],
    ["request_changes", "all", ["security"], "all"],
    ["request_changes", ["security"], "all", "all"],
    ["request_changes", ["security", "finance"], ["finance", "backend"], ["security", "finance", "backend"]],
  ] as const)("%s, first seen %j, now %j → %j", (kind, captured, current, expected) => {
    expect(effectiveScope(kind, captured, current)).toEqual(expected);
  });
});
