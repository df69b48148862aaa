import { describe, expect, test } from "@jest/globals";
import type { ReviewAction } from "../../src/core/actions.js";
import { gateCheck, personaCheck } from "../../src/core/checks.js";
import { formatProblem, parseTable } from "../../src/core/config.js";
import { planReview } from "../../src/core/plan.js";
import { orderOf, planStages, queuedFor, sequence, type SequencedVerdict } from "../../src/core/sequence.js";
import type { ChangedFile, ReviewTable } from "../../src/core/types.js";
import { evaluate } from "../../src/core/verdict.js";

const doc = (...lines: string[]) => lines.join("\n") + "\n";
const problems = (text: string) => parseTable({ file: "reviewers.yml", text }).problems.map(formatProblem);

/** backend and security review in parallel; finance after backend; release after everyone. */
const TABLE = doc(
  "version: 1",
  "personas:",
  "  backend:",
  "    users: [bob]",
  "  security:",
  "    users: [sue]",
  "  finance:",
  "    users: [fiona]",
  "    after: [backend]",
  "  release:",
  "    users: [rita]",
  "    after: [finance, security]",
  "domains:",
  "  payments:",
  "    paths: [src/payments/]",
  "    require: [backend, security, finance, release]",
  "  ledger:",
  "    paths: [src/ledger/]",
  "    require: [finance, release]",
  "  auth:",
  "    paths: [src/auth/]",
  "    require: [security, release]",
);

function load(text = TABLE): ReviewTable {
  const r = parseTable({ file: "reviewers.yml", text });
  if (!r.table) throw new Error(r.problems.map(formatProblem).join("\n"));
  return r.table;
}

const HEAD = "h".repeat(40);
const T = (s: number) => new Date(Date.UTC(2026, 10, 30, 10, 0, s)).toISOString();
const approve = (user: string, at: number, sha = HEAD): ReviewAction => ({
  user,
  isBot: false,
  kind: "approve",
  personas: "all",
  sha,
  at: T(at),
  via: "review",
  ref: `review ${user}`,
});
const REVIEWERS: Record<string, string> = { bob: "backend", sue: "security", fiona: "finance", rita: "release" };
const files = (...paths: string[]): ChangedFile[] => paths.map((path) => ({ path, status: "modified" }));

function judge(
  actions: ReviewAction[],
  changed = ["src/payments/pay.ts"],
  t = load(),
  over: { changedSince?: Map<string, ChangedFile[]>; blockers?: string[] } = {},
): SequencedVerdict {
  return sequence(t, unordered(actions, changed, t, over));
}

function unordered(
  actions: ReviewAction[],
  changed: string[],
  t: ReviewTable,
  over: { changedSince?: Map<string, ChangedFile[]>; blockers?: string[] },
) {
  return evaluate({
    table: t,
    plan: planReview(t, files(...changed)),
    actions,
    author: "amy",
    headSha: HEAD,
    isReviewer: (p, login) => REVIEWERS[login] === p.id,
    changedSince: over.changedSince ?? new Map(),
    blockers: over.blockers ?? [],
  });
}
const state = (v: SequencedVerdict) =>
  Object.fromEntries(
    v.personas.map((p) => [p.persona.id, p.waitingFor.length > 0 ? `queued for ${p.waitingFor.join("+")}` : p.state]),
  );

describe("after: in the table", () => {
  test("is read into the persona", () => {
    const t = load();
    expect(t.personas.find((p) => p.id === "finance")!.after).toEqual(["backend"]);
    expect(t.personas.find((p) => p.id === "backend")!.after).toBeUndefined();
  });

  test("an unknown persona is reported where it is written, with a suggestion", () => {
    expect(problems(TABLE.replace("after: [backend]", "after: [backnd]"))).toEqual([
      'reviewers.yml:9:13 personas.finance.after: unknown persona "backnd" (did you mean "backend"?)',
    ]);
  });

  test("a persona after itself is an error", () => {
    expect(problems(TABLE.replace("after: [backend]", "after: [backend, finance]"))).toEqual([
      'reviewers.yml:9:22 personas.finance.after: persona "finance" cannot come after itself: remove "finance" from its "after" list',
    ]);
  });

  test("a cycle names every persona on it, each at its own entry", () => {
    const text = TABLE.replace("    users: [bob]", "    users: [bob]\n    after: release");
    const out = problems(text);
    expect(out).toHaveLength(3);
    expect(out.map((p) => p.split(" ")[0])).toEqual([
      "reviewers.yml:5:12", // backend → release
      "reviewers.yml:10:13", // finance → backend
      "reviewers.yml:13:13", // release → finance
    ]);
    for (const p of out) expect(p).toContain("(personas on it: backend, finance, release)");
    // The example in docs/configuration.md ("Reviewing in order").
    expect(out[0]).toBe(
      `reviewers.yml:5:12 personas.backend.after: dependency cycle: backend → release → finance → backend (personas on it: backend, finance, release); remove one of these "after" entries`,
    );
  });

  test("a cycle of two personas and a single-string after", () => {
    const text = TABLE.replace("    users: [sue]", "    users: [sue]\n    after: release").replace(
      "after: [finance, security]",
      "after: security",
    );
    const out = problems(text);
    expect(out.map((p) => p.split(" ")[0])).toEqual(["reviewers.yml:7:12", "reviewers.yml:13:12"]);
  });
});

describe("stages", () => {
  test("follow the longest chain of prerequisites the plan requires", () => {
    const t = load();
    expect(planStages(t, planReview(t, files("src/payments/pay.ts")))).toEqual([
      ["backend", "security"],
      ["finance"],
      ["release"],
    ]);
  });

  test("a prerequisite the pull request does not require is passed through, never a deadlock", () => {
    const t = load();
    // ledger needs finance and release only: finance's backend is not required, so finance goes first.
    expect(orderOf(t, ["finance", "release"]).after).toEqual(
      new Map([
        ["finance", []],
        ["release", ["finance"]],
      ]),
    );
    // auth needs security and release: release waits for security, and for finance only if required.
    expect(planStages(t, planReview(t, files("src/auth/login.ts")))).toEqual([["security"], ["release"]]);
  });

  test("through an unrequired persona, its required prerequisites still come first", () => {
    const t = load();
    // release → finance (not required) → backend (required): release comes after backend.
    expect(orderOf(t, ["backend", "release", "security"]).after.get("release")).toEqual(["backend", "security"]);
  });

  test("a chain of 20,000 personas: stages computed without recursion", () => {
    const n = 20_000;
    const personas = Array.from({ length: n }, (_, i) => ({
      id: `p${i}`,
      name: `p${i}`,
      teams: [],
      users: ["u"],
      approvals: 1,
      criteria: [],
      ...(i > 0 ? { after: [`p${i - 1}`] } : {}),
    }));
    const t: ReviewTable = { ...load(), personas };
    const { stage } = orderOf(
      t,
      personas.map((p) => p.id),
    );
    expect(stage.get(`p${n - 1}`)).toBe(n);
  });

  test("without after: everyone is one stage, in parallel", () => {
    const t = load(TABLE.replace("    after: [backend]\n", "").replace("    after: [finance, security]\n", ""));
    expect(planStages(t, planReview(t, files("src/payments/pay.ts")))).toEqual([
      ["backend", "security", "finance", "release"],
    ]);
  });
});

describe("the verdict in order", () => {
  test("a dependent persona is queued until its prerequisites approve; the gate waits", () => {
    const v = judge([]);
    expect(state(v)).toEqual({
      backend: "waiting",
      security: "waiting",
      finance: "queued for backend",
      release: "queued for security+finance",
    });
    expect(v.state).toBe("waiting");
    expect(v.reasons).toContain("finance: queued, waiting for backend to approve first");
  });

  test("each stage opens when the previous one approved, and the gate passes at the end", () => {
    expect(state(judge([approve("bob", 1)]))).toMatchObject({
      finance: "waiting",
      release: "queued for security+finance",
    });
    expect(state(judge([approve("bob", 1), approve("fiona", 2)]))).toMatchObject({
      finance: "approved",
      release: "queued for security",
    });
    const v = judge([approve("bob", 1), approve("fiona", 2), approve("sue", 3), approve("rita", 4)]);
    expect(v.state).toBe("pass");
  });

  test("an early approval (given while queued) does not count, and says so", () => {
    const early = judge([approve("fiona", 1)]);
    const finance = early.personas.find((p) => p.persona.id === "finance")!;
    expect(finance.approvals).toEqual([]);
    expect(finance.notices.map((n) => n.message)).toEqual([
      "@fiona's approval does not count yet: finance reviews after backend; approve again once they have approved",
    ]);
    // Backend approves later: Fiona's earlier approval still does not count; she approves again.
    const later = judge([approve("fiona", 1), approve("bob", 2)]);
    expect(state(later).finance).toBe("waiting");
    expect(later.personas.find((p) => p.persona.id === "finance")!.notices[0]!.message).toContain(
      "was given before backend approved this state of the change",
    );
    expect(state(judge([approve("fiona", 1), approve("bob", 2), approve("fiona", 3)])).finance).toBe("approved");
  });

  test("an approval in the same second as the prerequisite's counts (GitHub's timestamps are to the second)", () => {
    expect(state(judge([approve("bob", 5), approve("fiona", 5)])).finance).toBe("approved");
  });

  test("when a push makes the prerequisite's approval stale, the dependent is queued again and re-approves after it", () => {
    const OLD = "0".repeat(40);
    // The push changed a payments file: every payments approval on OLD is stale.
    const verdictAfterPush = (actions: ReviewAction[]) =>
      judge(actions, ["src/payments/pay.ts"], load(), { changedSince: new Map([[OLD, files("src/payments/pay.ts")]]) });
    const before = [approve("bob", 1, OLD), approve("fiona", 2, OLD)];
    const queued = verdictAfterPush(before);
    expect(state(queued).finance).toBe("queued for backend");
    // Bob approves the new head; Fiona's older approval predates it: she reviews the settled API again.
    const reapproved = verdictAfterPush([...before, approve("bob", 3)]);
    expect(state(reapproved).finance).toBe("waiting");
  });

  test("with on_push: keep, carried approvals keep their order and still count", () => {
    const t = load(TABLE.replace("domains:", "settings:\n  on_push: keep\ndomains:"));
    const OLD = "0".repeat(40);
    const v = judge([approve("bob", 1, OLD), approve("fiona", 2, OLD)], ["src/payments/pay.ts"], t);
    expect(state(v).finance).toBe("approved");
  });

  test("a change request from a queued persona counts at once (fail closed)", () => {
    const v = judge([{ ...approve("fiona", 1), kind: "request_changes" }]);
    expect(v.state).toBe("fail");
    expect(state(v).finance).toBe("changes_requested");
  });

  test("a cycle in a table built without validation keeps its personas queued (fail closed)", () => {
    const valid = load();
    const t: ReviewTable = {
      ...valid,
      personas: valid.personas.map((p) =>
        p.id === "backend" ? { ...p, after: ["finance"] } : p.id === "finance" ? { ...p, after: ["backend"] } : p,
      ),
    };
    const v = judge([approve("bob", 1), approve("sue", 1), approve("fiona", 2), approve("rita", 3)], undefined, t);
    expect(v.state).toBe("waiting");
    expect(v.personas.filter((p) => p.waitingFor.length > 0).map((p) => p.persona.id)).toContain("finance");
  });

  test("sequencing only takes approvals away: it never opens a gate evaluate() keeps closed", () => {
    const t = load();
    const all = [approve("bob", 1), approve("sue", 1), approve("fiona", 2), approve("rita", 3)];
    const blocked = unordered(all, ["src/payments/pay.ts"], t, { blockers: ["the table on main is invalid"] });
    expect(sequence(t, blocked).state).toBe("fail");
  });
});

describe("checks in order", () => {
  test("a queued persona's check is queued, says whom it waits for, and offers only Request changes", () => {
    const finance = judge([]).personas.find((p) => p.persona.id === "finance")!;
    const spec = personaCheck(finance);
    expect(spec.status).toBe("queued");
    expect(spec.conclusion).toBeUndefined();
    expect(spec.title).toBe("Queued: waiting for backend to approve first");
    expect(spec.actions.map((a) => a.identifier)).toEqual(["request_changes"]);
    expect(spec.summary).toContain("finance reviews after backend");
    expect(queuedFor(finance)).toEqual(["backend"]);
  });

  test("the gate shows the stages and who comes next", () => {
    const t = load();
    const plan = planReview(t, files("src/payments/pay.ts"));
    const v = judge([approve("bob", 1)]);
    const gate = gateCheck({ gate: "parallel-review", tableFile: "reviewers.yml", plan, verdict: v });
    expect(gate.status).toBe("in_progress");
    expect(gate.title).toBe("Waiting for security, finance; then release");
    expect(gate.summary).toContain(
      "**Order** (`after:` in the review table): stage 1: backend, security → stage 2: finance → stage 3: release",
    );
    expect(gate.summary).toContain("| Stage | Persona | State | Approvals | Domains |");
    expect(gate.summary).toContain("| 3 | release | ⏸️ queued, after security, finance | 0 of 1 |");
  });

  test("a table without after: keeps the gate as it was (no stage column)", () => {
    const t = load(TABLE.replace("    after: [backend]\n", "").replace("    after: [finance, security]\n", ""));
    const plan = planReview(t, files("src/payments/pay.ts"));
    const v = judge([], ["src/payments/pay.ts"], t);
    const gate = gateCheck({ gate: "parallel-review", tableFile: "reviewers.yml", plan, verdict: v });
    expect(gate.summary).not.toContain("Stage");
    expect(gate.summary).toContain("| Persona | State | Approvals | Domains |");
  });
});
