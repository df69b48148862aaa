import { describe, expect, test } from "@jest/globals";
import {
  combine,
  inRounds,
  MAX_ROUNDS,
  type ReadMode,
  type RoundDecision,
  type RoundWritten,
} from "../../src/app/rounds.js";

/**
 * The rounds of a reconcile, with decisions and writes made up to order: when a decision to open the gate is
 * read again before it is written, when another round follows, when the reconcile gives up. The app and
 * attack suites check the same through whole reconciles (read-cache, check-writes, attack-findings).
 */

type Written = RoundWritten & { readonly state?: string };
type Hints = { readonly unrequestable?: Readonly<Record<string, string>>; readonly tag?: string };

const GATE = "parallel-review";
const decision = (state: string, existing: RoundDecision["existing"] = []): RoundDecision => ({
  state,
  wanted: [{ name: GATE }, { name: "review/security" }],
  existing,
});
const wrote = (over: Partial<Written> = {}): Written => ({
  created: [],
  updated: [],
  unchanged: [],
  records: 0,
  requested: { users: [], teams: [] },
  ...over,
});
const green = { name: GATE, status: "completed", conclusion: "success" };

/** A script of decisions and writes, one per call; every call is logged. */
function script(decisions: RoundDecision[], writes: Written[]) {
  const reads: { hints: Hints; mode: ReadMode; settles: RoundDecision | undefined }[] = [];
  const written: RoundDecision[] = [];
  return {
    reads,
    written,
    rounds: {
      decide: async (hints: Hints, mode: ReadMode, settles?: RoundDecision) => {
        reads.push({ hints, mode, settles });
        const d = decisions.shift();
        if (!d) throw new Error("read more often than scripted");
        return d;
      },
      write: async (d: RoundDecision) => {
        written.push(d);
        const w = writes.shift();
        if (!w) throw new Error("wrote more often than scripted");
        return w;
      },
    },
  };
}

const FIRST: ReadMode = { memberships: "first", fresh: false };
const FRESH: ReadMode = { memberships: "fresh", fresh: true };

describe("inRounds", () => {
  test("a gate written waiting: one read, one write, done", async () => {
    const s = script([decision("wait")], [wrote({ created: [GATE] })]);
    expect(await inRounds(s.rounds, {})).toEqual(wrote({ created: [GATE] }));
    expect(s.reads.map((r) => r.mode)).toEqual([FIRST]);
  });

  test("a gate written closed needs no second look", async () => {
    const s = script([decision("fail")], [wrote({ updated: [GATE] })]);
    await inRounds(s.rounds, {});
    expect(s.reads).toHaveLength(1);
  });

  test("a decision to pass that rested on more than its one read is read again fresh before it is written; the confirmed one is written", async () => {
    const confirmed = decision("wait");
    const s = script([{ ...decision("pass"), readTogether: false }, confirmed], [wrote({ updated: [GATE] })]);
    await inRounds(s.rounds, {});
    expect(s.reads.map((r) => r.mode)).toEqual([FIRST, FRESH]);
    expect(s.written).toEqual([confirmed]);
  });

  test("a decision to pass that does not say what it rested on is read again too", async () => {
    const s = script([decision("pass", [green]), decision("pass", [green])], [wrote({ unchanged: [GATE] })]);
    await inRounds(s.rounds, {});
    expect(s.reads.map((r) => r.mode)).toEqual([FIRST, FRESH]);
  });

  test("a decision to pass whose every answer came with its one read is written without a second read, then read again", async () => {
    const first = { ...decision("pass"), readTogether: true };
    const s = script(
      [first, decision("pass")],
      [wrote({ updated: [GATE, "review/security"] }), wrote({ unchanged: [GATE, "review/security"] })],
    );
    await inRounds(s.rounds, {});
    expect(s.reads.map((r) => r.mode)).toEqual([FIRST, FRESH]);
    expect(s.written[0]).toBe(first);
  });

  test("a gate already green, every answer with its one read: one read, nothing more", async () => {
    const s = script([{ ...decision("pass", [green]), readTogether: true }], [wrote({ unchanged: [GATE] })]);
    await inRounds(s.rounds, {});
    expect(s.reads.map((r) => r.mode)).toEqual([FIRST]);
  });

  test("a gate already green, kept so on more than its one read: confirmed, and the confirmed decision is written", async () => {
    const closed = decision("wait", [green]);
    const s = script([{ ...decision("pass", [green]), readTogether: false }, closed], [wrote({ updated: [GATE] })]);
    await inRounds(s.rounds, {});
    expect(s.reads.map((r) => r.mode)).toEqual([FIRST, FRESH]);
    expect(s.written).toEqual([closed]);
  });

  test("a confirmed decision is not confirmed again, whatever it says it rested on", async () => {
    const s = script(
      [
        { ...decision("pass"), readTogether: false },
        { ...decision("pass"), readTogether: false },
        { ...decision("pass"), readTogether: false },
      ],
      [wrote({ updated: [GATE] }), wrote({ unchanged: [GATE] })],
    );
    await inRounds(s.rounds, {});
    expect(s.reads.map((r) => r.mode)).toEqual([FIRST, FRESH, FRESH]);
  });

  test("a gate opened is read again (fresh) until a round changes nothing", async () => {
    const s = script(
      [decision("pass"), decision("pass"), decision("pass")],
      [wrote({ updated: [GATE, "review/security"] }), wrote({ unchanged: [GATE, "review/security"] })],
    );
    const out = await inRounds(s.rounds, {});
    expect(s.reads.map((r) => r.mode)).toEqual([FIRST, FRESH, FRESH]);
    expect(out).toEqual(wrote({ updated: [GATE, "review/security"], unchanged: [] }));
  });

  test("a gate opened by a created run is read again too", async () => {
    const s = script(
      [decision("pass"), decision("pass"), decision("pass")],
      [wrote({ created: [GATE] }), wrote({ unchanged: [GATE] })],
    );
    await inRounds(s.rounds, {});
    expect(s.reads).toHaveLength(3);
  });

  test("a pass that wrote no gate (only a persona check) needs no further round", async () => {
    const s = script([decision("pass"), decision("pass")], [wrote({ updated: ["review/security"] })]);
    await inRounds(s.rounds, {});
    expect(s.reads).toHaveLength(2);
  });

  test("a pass with no gate wanted needs no further round", async () => {
    const none = { state: "pass", wanted: [], existing: [] };
    const s = script([none, none], [wrote({ created: ["x"] })]);
    await inRounds(s.rounds, {});
    expect(s.reads).toHaveLength(2);
  });

  test("a decision to wait or fail is never read twice in the first round, whatever it rested on", async () => {
    for (const [state, readTogether] of [
      ["wait", true],
      ["fail", true],
      ["wait", undefined],
    ] as const) {
      const s = script([{ ...decision(state), ...(readTogether !== undefined ? { readTogether } : {}) }], [wrote()]);
      await inRounds(s.rounds, {});
      expect(s.reads).toHaveLength(1);
    }
  });

  test("a refused review request: the next round carries it in the hints, with the ones given", async () => {
    const s = script(
      [decision("wait"), decision("wait"), decision("wait")],
      [wrote({ refused: { "user:bob": "no access" } }), wrote({ refused: { "team:ops": "gone" } }), wrote()],
    );
    await inRounds(s.rounds, { unrequestable: { "user:amy": "earlier" }, tag: "t" });
    expect(s.reads.map((r) => r.hints)).toEqual([
      { unrequestable: { "user:amy": "earlier" }, tag: "t" },
      { unrequestable: { "user:amy": "earlier", "user:bob": "no access" }, tag: "t" },
      { unrequestable: { "user:amy": "earlier", "user:bob": "no access", "team:ops": "gone" }, tag: "t" },
    ]);
    expect(s.reads.map((r) => r.mode)).toEqual([FIRST, FRESH, FRESH]);
  });

  test("a refusal with no hints given: the next round's hints hold it alone", async () => {
    const s = script([decision("wait"), decision("wait")], [wrote({ refused: { "user:bob": "x" } }), wrote()]);
    await inRounds(s.rounds, {});
    expect(s.reads[1]!.hints).toEqual({ unrequestable: { "user:bob": "x" } });
  });

  test("a run GitHub said was gone: the next round looks again", async () => {
    const s = script([decision("wait"), decision("wait")], [wrote({ vanished: 1 }), wrote()]);
    await inRounds(s.rounds, {});
    expect(s.reads).toHaveLength(2);
    expect(s.reads[1]!.hints).toStrictEqual({}); // nothing refused: no refusals handed on
  });

  test("the round after a pass was written is handed that decision, to find it standing; no other round is", async () => {
    const first = { ...decision("pass"), readTogether: true };
    const second = decision("pass");
    const s = script(
      [first, second, decision("pass")],
      [wrote({ updated: [GATE] }), wrote({ created: [GATE] }), wrote({ unchanged: [GATE] })],
    );
    await inRounds(s.rounds, {});
    expect(s.reads.map((r) => r.settles)).toEqual([undefined, first, second]);
    expect(s.reads[1]!.settles).toBe(first);
    expect(s.reads[2]!.settles).toBe(second);
  });

  test("a pass confirmed before its write: the round after is handed the confirmed decision, not the first", async () => {
    const confirmed = decision("pass");
    const s = script(
      [{ ...decision("pass"), readTogether: false }, confirmed, decision("pass")],
      [wrote({ updated: [GATE] }), wrote({ unchanged: [GATE] })],
    );
    await inRounds(s.rounds, {});
    expect(s.reads.map((r) => r.settles)).toEqual([undefined, undefined, confirmed]);
    expect(s.reads[2]!.settles).toBe(confirmed);
  });

  test("a pass written with a refused request or a run gone: the round after decides anew (its hints or runs changed)", async () => {
    for (const over of [{ refused: { "user:bob": "no access" } }, { vanished: 1 }]) {
      const s = script(
        [{ ...decision("pass"), readTogether: true }, decision("pass")],
        [wrote({ updated: [GATE], ...over }), wrote({ unchanged: [GATE] })],
      );
      await inRounds(s.rounds, {});
      expect(s.reads.map((r) => r.settles)).toEqual([undefined, undefined]);
    }
  });

  test("a round after a refusal or a run gone, without a pass written, is handed nothing", async () => {
    const s = script(
      [decision("wait"), decision("pass"), decision("wait")],
      [wrote({ vanished: 1 }), wrote({ refused: { "user:bob": "x" } }), wrote()],
    );
    await inRounds(s.rounds, {});
    expect(s.reads.map((r) => r.settles)).toEqual([undefined, undefined, undefined]);
  });

  test(`runs that vanish on every write: after ${MAX_ROUNDS} rounds the reconcile gives up, failing`, async () => {
    expect(MAX_ROUNDS).toBe(3);
    const s = script(
      [decision("wait"), decision("wait"), decision("wait")],
      [wrote({ vanished: 1 }), wrote({ vanished: 1 }), wrote({ vanished: 1 })],
    );
    await expect(inRounds(s.rounds, {})).rejects.toThrow(
      "the review state kept changing while the app wrote it: the gate stays closed and is evaluated again on the next event",
    );
    expect(s.written).toHaveLength(3);
  });

  test("the rounds' writes are combined into one outcome, the last round's other facts kept", async () => {
    const s = script(
      [decision("wait"), decision("wait")],
      [
        wrote({ created: ["b"], records: 1, refused: { "user:x": "y" }, state: "first" }),
        wrote({ updated: ["a"], unchanged: ["b", "c"], records: 2, state: "second" }),
      ],
    );
    expect(await inRounds(s.rounds, {})).toEqual(
      wrote({ created: ["b"], updated: ["a"], unchanged: ["c"], records: 3, state: "second" }),
    );
  });
});

describe("combine", () => {
  test("created and updated: union, sorted; unchanged: the second's not touched by the first; records added", () => {
    const a = wrote({
      created: ["b", "a"],
      updated: ["c"],
      unchanged: ["z"],
      records: 2,
      requested: { users: ["sam"], teams: ["t2"] },
    });
    const b = wrote({
      created: ["a"],
      updated: ["d"],
      unchanged: ["a", "c", "e"],
      records: 3,
      requested: { users: ["bob", "sam"], teams: ["t1"] },
    });
    expect(combine(a, b)).toEqual({
      created: ["a", "b"],
      updated: ["c", "d"],
      unchanged: ["e"],
      records: 5,
      requested: { users: ["bob", "sam"], teams: ["t1", "t2"] },
    });
  });
});
