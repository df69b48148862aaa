import { describe, expect, test } from "@jest/globals";
import type { CheckRunSpec } from "../../src/core/checks.js";
import { decodeLedger, encodeLedger, type Ledger } from "../../src/core/ledger.js";
import type { ExistingRun } from "../../src/github/checks.js";
import {
  AUX_PREFIX,
  carriedLedger,
  closedGate,
  closedGates,
  gateNames,
  passes,
  planWrites,
  renamedGates,
  supersededTwin,
} from "../../src/app/write-plan.js";

/**
 * Which check-run writes make GitHub show a decision: whether an older green twin is left standing, whether a
 * completed run is reopened (it cannot be), what an unchanged run costs (nothing). Pure: runs in, writes out.
 */

const HEAD = `abc1234${"0".repeat(33)}`;

const spec = (name: string, over: Partial<CheckRunSpec> = {}): CheckRunSpec => ({
  name,
  status: "in_progress",
  title: `${name} waiting`,
  summary: "summary",
  actions: [],
  ...over,
});
const green = (name: string): CheckRunSpec => spec(name, { status: "completed", conclusion: "success", title: "ok" });

let nextId = 1;
function run(s: CheckRunSpec, over: Partial<ExistingRun> = {}): ExistingRun {
  const id = nextId++;
  return {
    id,
    nodeId: `CR_${id}`,
    name: s.name,
    status: s.status,
    conclusion: s.conclusion ?? null,
    title: s.title,
    summary: s.summary,
    text: s.text ?? null,
    externalId: null,
    startedAt: null,
    ...over,
  };
}

const ledger = (user: string): Ledger => ({
  records: [
    {
      v: 1,
      via: "button",
      user,
      sha: HEAD,
      delivery: `d-${user}`,
      commands: [{ kind: "approve", personas: ["security"] }],
    },
  ],
  scopes: {},
});

describe("passes", () => {
  test.each([
    ["completed", "success", true],
    ["completed", "neutral", true],
    ["completed", "skipped", true],
    ["completed", "failure", false],
    ["completed", "cancelled", false],
    ["completed", "action_required", false],
    ["completed", null, false],
    ["in_progress", "success", false],
    ["queued", null, false],
  ] as const)("%s / %s → %s", (status, conclusion, expected) => {
    expect(passes(run(spec("g"), { status, conclusion }))).toBe(expected);
  });
});

describe("supersededTwin", () => {
  test("closes the twin as cancelled, says what the newer run says, keeps only that twin's ledger", () => {
    const mine = run(green("gate"), { text: encodeLedger(ledger("sam")) });
    const other = run(green("gate"), { text: encodeLedger(ledger("mallory")) });
    const twin = supersededTwin(spec("gate", { title: "Waiting for Security" }), [other, mine], mine.id);
    expect(twin).toEqual({
      name: "gate",
      status: "completed",
      conclusion: "cancelled",
      title: "Superseded by a newer run of this check",
      summary: "A newer `gate` run on this commit says: Waiting for Security.",
      actions: [],
      text: encodeLedger(ledger("sam")),
    });
  });

  test("a twin without a ledger gets none", () => {
    const plain = run(green("gate"));
    expect(supersededTwin(spec("gate"), [plain], plain.id)).not.toHaveProperty("text");
  });
});

describe("planWrites", () => {
  test("a run the commit does not have yet is created on the head", () => {
    const want = spec("gate");
    expect(planWrites({ wanted: [want], existing: [], headSha: HEAD })).toEqual({
      writes: [{ create: want, sha: HEAD }],
      created: ["gate"],
      updated: [],
      unchanged: [],
    });
  });

  test("a run that already shows what is wanted costs nothing", () => {
    const want = spec("gate");
    expect(planWrites({ wanted: [want], existing: [run(want)], headSha: HEAD })).toEqual({
      writes: [],
      created: [],
      updated: [],
      unchanged: ["gate"],
    });
  });

  test("a run that shows something else is updated in place", () => {
    const have = run(spec("gate", { title: "old" }));
    const want = spec("gate");
    expect(planWrites({ wanted: [want], existing: [have], headSha: HEAD })).toEqual({
      writes: [{ update: want, run: have }],
      created: [],
      updated: ["gate"],
      unchanged: [],
    });
  });

  test("waiting again after a completed run: a new run (a completed one cannot be reopened), its green twins closed", () => {
    const old = run(green("gate"), { text: encodeLedger(ledger("sam")) });
    const want = spec("gate");
    const plan = planWrites({ wanted: [want], existing: [old], headSha: HEAD });
    expect(plan.created).toEqual(["gate"]);
    expect(plan.writes).toEqual([
      { create: want, sha: HEAD },
      { update: supersededTwin(want, [old], old.id), run: old },
    ]);
  });

  test("waiting again after a failed run: a new run, the failed one left as it is", () => {
    const old = run(spec("gate", { status: "completed", conclusion: "failure" }));
    const want = spec("gate");
    expect(planWrites({ wanted: [want], existing: [old], headSha: HEAD }).writes).toEqual([
      { create: want, sha: HEAD },
    ]);
  });

  test("waiting, newest run waiting as wanted, an older twin still green: the twin is closed", () => {
    const older = run(green("gate"));
    const newest = run(spec("gate"));
    const want = spec("gate");
    const plan = planWrites({ wanted: [want], existing: [older, newest], headSha: HEAD });
    expect(plan).toEqual({
      writes: [{ update: supersededTwin(want, [older, newest], older.id), run: older }],
      created: [],
      updated: ["gate"],
      unchanged: [],
    });
  });

  test("waiting, the newest waiting run stale and an older twin green: both rewritten, nothing left green", () => {
    const older = run(green("gate"));
    const newest = run(spec("gate", { title: "stale" }));
    const want = spec("gate");
    const plan = planWrites({ wanted: [want], existing: [older, newest], headSha: HEAD });
    expect(plan).toEqual({
      writes: [
        { update: want, run: newest },
        { update: supersededTwin(want, [older, newest], older.id), run: older },
      ],
      created: [],
      updated: ["gate"],
      unchanged: [],
    });
  });

  test("waiting, an older twin neutral or skipped: closed too (branch protection accepts those)", () => {
    for (const conclusion of ["neutral", "skipped"] as const) {
      const older = run(spec("gate", { status: "completed", conclusion }));
      const newest = run(spec("gate"));
      const plan = planWrites({ wanted: [spec("gate")], existing: [older, newest], headSha: HEAD });
      expect(plan.writes.map((w) => ("run" in w ? w.run.id : 0))).toEqual([older.id]);
    }
  });

  test("waiting, a stale waiting run and a stale completed twin that does not pass: only the waiting one is rewritten", () => {
    const failed = run(spec("gate", { status: "completed", conclusion: "failure", title: "x" }));
    const newest = run(spec("gate", { title: "stale" }));
    const want = spec("gate");
    const plan = planWrites({ wanted: [want], existing: [failed, newest], headSha: HEAD });
    expect(plan.writes).toEqual([{ update: want, run: newest }]);
    expect(plan.updated).toEqual(["gate"]);
  });

  test("completed wanted: every twin is made to agree, green twins are not closed as superseded", () => {
    const a = run(spec("gate", { status: "completed", conclusion: "failure" }));
    const b = run(green("gate"));
    const want = spec("gate", { status: "completed", conclusion: "failure", title: "closed" });
    const plan = planWrites({ wanted: [want], existing: [a, b], headSha: HEAD });
    expect(plan.writes).toEqual([
      { update: want, run: a },
      { update: want, run: b },
    ]);
    expect(plan.updated).toEqual(["gate"]);
  });

  test("completed wanted and every twin already shows it: unchanged", () => {
    const want = green("gate");
    const plan = planWrites({ wanted: [want], existing: [run(want), run(want)], headSha: HEAD });
    expect(plan).toEqual({ writes: [], created: [], updated: [], unchanged: ["gate"] });
  });

  test("a queued persona that becomes actionable gets a new run; its queued runs are closed", () => {
    const queued = spec("review/finance", { status: "queued", title: "Queued" });
    const q1 = run(queued);
    const q2 = run(queued);
    const want = spec("review/finance");
    const plan = planWrites({ wanted: [want], existing: [q1, q2], headSha: HEAD });
    expect(plan.created).toEqual(["review/finance"]);
    expect(plan.writes).toEqual([
      { create: want, sha: HEAD },
      { update: supersededTwin(want, [q1, q2], q1.id), run: q1 },
      { update: supersededTwin(want, [q1, q2], q2.id), run: q2 },
    ]);
  });

  test("unqueued with an older green twin: the new run, then the green twin, then the queued one", () => {
    const g = run(green("review/finance"));
    const q = run(spec("review/finance", { status: "queued" }));
    const want = spec("review/finance");
    const plan = planWrites({ wanted: [want], existing: [g, q], headSha: HEAD });
    expect(plan.writes.map((w) => ("create" in w ? "create" : w.run.id))).toEqual(["create", g.id, q.id]);
  });

  test("a queued persona still queued: an ordinary update, no new run", () => {
    const have = run(spec("review/finance", { status: "queued", title: "Queued: waiting for A" }));
    const want = spec("review/finance", { status: "queued", title: "Queued: waiting for B" });
    const plan = planWrites({ wanted: [want], existing: [have], headSha: HEAD });
    expect(plan.writes).toEqual([{ update: want, run: have }]);
  });

  test("a queued persona no longer required: a new completed run, the queued one closed (never left waiting)", () => {
    const have = run(spec("review/finance", { status: "queued" }));
    const want = spec("review/finance", { status: "completed", conclusion: "neutral", title: "No longer required" });
    const plan = planWrites({ wanted: [want], existing: [have], headSha: HEAD });
    expect(plan.writes).toEqual([
      { create: want, sha: HEAD },
      { update: supersededTwin(want, [have], have.id), run: have },
    ]);
    expect(plan.created).toEqual(["review/finance"]);
  });

  test("runs of other names are not touched; each wanted name is planned in order, gate first", () => {
    const other = run(green("review/security"));
    const gate = spec("gate");
    const persona = spec("review/finance");
    const plan = planWrites({ wanted: [gate, persona], existing: [other], headSha: HEAD });
    expect(plan.writes).toEqual([
      { create: gate, sha: HEAD },
      { create: persona, sha: HEAD },
    ]);
    expect(plan.created).toEqual(["gate", "review/finance"]);
  });

  test("the previous head's green gates are closed, named after the wanted gate, keeping their ledger", () => {
    const prev = run(green("gate"), { text: encodeLedger(ledger("sam")) });
    const want = spec("gate");
    const plan = planWrites({ wanted: [want], existing: [run(want)], headSha: HEAD, superseded: [prev] });
    expect(plan.unchanged).toEqual(["gate"]);
    expect(plan.writes).toEqual([
      {
        run: prev,
        update: {
          name: "gate",
          status: "completed",
          conclusion: "failure",
          title: "Superseded by a newer commit",
          summary: "The pull request's head moved to abc1234; this commit's reviews no longer apply to it.",
          actions: [],
          text: encodeLedger(ledger("sam")),
        },
      },
    ]);
  });

  test("with nothing wanted, a superseded gate is still closed (under the default name)", () => {
    const prev = run(green("parallel-review"));
    const plan = planWrites({ wanted: [], existing: [], headSha: HEAD, superseded: [prev] });
    expect(plan.writes).toHaveLength(1);
    expect(plan.writes[0]).toMatchObject({ run: prev, update: { name: "parallel-review", conclusion: "failure" } });
    expect(plan.writes[0]).not.toHaveProperty("update.text");
  });
});

describe("gateNames, carriedLedger, renamedGates, closedGate", () => {
  test("gate-like runs: every name once, persona checks and auxiliary runs left out", () => {
    const runs = [
      run(green("parallel-review")),
      run(green("review/security")),
      run(green(`${AUX_PREFIX}conflicts`)),
      run(green("parallel-review")),
      run(green("parallel-review: release")),
    ];
    expect(AUX_PREFIX).toBe("parallel-review/");
    expect(gateNames(runs)).toEqual(["parallel-review", "parallel-review: release"]);
    expect(gateNames([])).toEqual([]);
  });

  test("the ledgers the runs carry, merged; none when no run carries one", () => {
    const a = run(green("g"), { text: encodeLedger(ledger("sam")) });
    const b = run(green("g"), { text: encodeLedger(ledger("sue")) });
    const merged = decodeLedger(carriedLedger([a, run(green("g")), b]).text ?? null);
    expect(merged?.records.map((r) => r.user).sort()).toEqual(["sam", "sue"]);
    expect(carriedLedger([run(green("g")), run(green("g"), { text: "not a ledger" })])).toEqual({});
    expect(carriedLedger([])).toEqual({});
  });

  test("a gate the table no longer names is closed with the way to fix branch protection", () => {
    const runs = [run(green("old-gate")), run(green("parallel-review")), run(green("review/security"))];
    expect(renamedGates(runs, "parallel-review")).toEqual([
      {
        name: "old-gate",
        status: "completed",
        conclusion: "failure",
        title: "Renamed: this gate is now `parallel-review`",
        summary: [
          "The review table's `settings.gate` now names this pull request's gate `parallel-review`; this check no longer passes.",
          "",
          "Require `parallel-review` in branch protection instead of `old-gate`.",
        ].join("\n"),
        actions: [],
      },
    ]);
    expect(renamedGates(runs.slice(1), "parallel-review")).toEqual([]);
  });

  test("a closed pull request's gate is cancelled, saying why and how to evaluate it again", () => {
    expect(closedGate("parallel-review", 7)).toEqual({
      name: "parallel-review",
      status: "completed",
      conclusion: "cancelled",
      title: "Pull request closed without merging",
      summary:
        "#7 was closed without merging, so its reviews do not carry to another pull request from this commit. Reopen it to evaluate it again.",
      actions: [],
    });
  });

  test("a closed pull request: each gate-like run closed with the ledger the runs carry; a merged one keeps its gates", () => {
    const runs = [
      run(green("parallel-review"), { text: encodeLedger(ledger("sam")) }),
      run(green("review/security")),
      run(green("parallel-review: release")),
    ];
    const carried = { text: encodeLedger(ledger("sam")) };
    expect(closedGates({ merged: false, number: 7 }, runs)).toEqual([
      { ...closedGate("parallel-review", 7), ...carried },
      { ...closedGate("parallel-review: release", 7), ...carried },
    ]);
    expect(closedGates({ merged: true, number: 7 }, runs)).toEqual([]);
    expect(closedGates({ merged: false, number: 7 }, [])).toEqual([]);
  });
});
