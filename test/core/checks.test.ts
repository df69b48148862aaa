import { describe, expect, test } from "@jest/globals";
import {
  clip,
  fit,
  gateBlocked,
  gateCheck,
  howToApprove,
  MAX_OUTPUT,
  PERSONA_PREFIX,
  personaCheck,
  personaCheckName,
  personaIdOf,
  retiredPersonaCheck,
  type CheckRunSpec,
  type GateContext,
} from "../../src/core/checks.js";
import { formatProblem } from "../../src/core/config.js";
import type { PlanDomain, PlanPersona, ReviewPlan } from "../../src/core/plan.js";
import type { Problem } from "../../src/core/types.js";
import type { Approval, ChangeRequest, Notice, PersonaVerdict, Verdict } from "../../src/core/verdict.js";

/** Check run specs as data: titles, summaries, buttons and GitHub's limits, from hand-made verdicts. */

const TRUNCATED = "… (truncated: the full list is longer than GitHub allows in a check run)";
const OLD = "0123456789abcdef0123456789abcdef01234567";

function planPersona(over: Partial<PlanPersona> = {}): PlanPersona {
  return {
    id: "security",
    name: "Security Engineer",
    domains: ["payments"],
    files: ["src/payments/charge.ts"],
    approvals: 1,
    teams: ["security"],
    users: ["sam"],
    criteria: [{ source: "payments", title: "Payment processing", items: ["PCI compliance verified"] }],
    reasons: ["domain payments (Payment processing): 1 file"],
    ...over,
  };
}

function verdictOf(
  persona: PlanPersona,
  state: PersonaVerdict["state"],
  more: { approvals?: Approval[]; changeRequests?: ChangeRequest[]; notices?: Notice[] } = {},
): PersonaVerdict {
  return {
    persona,
    state,
    approvals: more.approvals ?? [],
    changeRequests: more.changeRequests ?? [],
    notices: more.notices ?? [],
  };
}

const approval = (user: string, extra: Partial<Approval> = {}): Approval => ({
  user,
  via: "review",
  sha: "h".repeat(40),
  at: "2024-05-01T10:00:00Z",
  ...extra,
});

/** Cut to fit, saying so, and not cut much shorter than needed. */
function expectTruncated(summary: string): void {
  expect(summary.length).toBeLessThanOrEqual(MAX_OUTPUT);
  expect(summary.length).toBeGreaterThan(60_000);
  expect(summary.endsWith(`\n\n${TRUNCATED}`)).toBe(true);
  expect(summary.match(/truncated: the full list/g)).toHaveLength(1);
}

/** Every limit GitHub enforces on a check run, checked on every spec these tests make. */
function expectWithinLimits(spec: CheckRunSpec): void {
  expect(spec.summary.length).toBeLessThanOrEqual(MAX_OUTPUT);
  expect(spec.title.length).toBeLessThanOrEqual(200);
  expect(spec.actions.length).toBeLessThanOrEqual(3);
  for (const a of spec.actions) {
    expect(a.label.length).toBeGreaterThan(0);
    expect(a.label.length).toBeLessThanOrEqual(20);
    expect(a.description.length).toBeLessThanOrEqual(40);
    expect(a.identifier.length).toBeLessThanOrEqual(20);
  }
  if (spec.status === "in_progress") expect(spec.conclusion).toBeUndefined();
  else expect(spec.conclusion).toBeDefined();
}

describe("check names", () => {
  test("persona checks are review/<id>, and the id is read back", () => {
    expect(PERSONA_PREFIX).toBe("review/");
    expect(personaCheckName("security")).toBe("review/security");
    expect(personaIdOf("review/security")).toBe("security");
    expect(personaIdOf("parallel-review")).toBeUndefined();
    expect(personaIdOf("review")).toBeUndefined();
    expect(personaIdOf(personaCheckName("infra-core"))).toBe("infra-core");
  });
});

describe("personaCheck", () => {
  test("waiting: in progress (pending, not failing), the progress in the title, Approve and Request changes buttons", () => {
    const spec = personaCheck(verdictOf(planPersona(), "waiting"));
    expectWithinLimits(spec);
    expect(spec.conclusion).toBeUndefined();
    expect(spec).toMatchObject({
      name: "review/security",
      status: "in_progress",
      title: "Waiting for Security Engineer review (0 of 1 approvals)",
    });
    expect(spec.actions).toEqual([
      { label: "Approve", description: "Approve as Security Engineer", identifier: "approve" },
      { label: "Request changes", description: "Request changes as Security Engineer", identifier: "request_changes" },
    ]);
    expect(spec.summary.startsWith("**Security Engineer** — waiting (0 of 1 approvals)\n")).toBe(true);
    expect(spec.summary).toContain("**Eligible:** team `security`, @sam");
    expect(spec.summary).toContain("**Why this review is required**\n- domain payments (Payment processing): 1 file");
    expect(spec.summary).toContain("**Files** (1)\n- `src/payments/charge.ts`");
    expect(spec.summary).toContain("**Criteria**\n\n_Payment processing_\n- [ ] PCI compliance verified");
    expect(spec.summary.endsWith(howToApprove("security"))).toBe(true);
  });

  test("waiting with some approvals shows the progress", () => {
    const spec = personaCheck(verdictOf(planPersona({ approvals: 2 }), "waiting", { approvals: [approval("sam")] }));
    expect(spec.title).toBe("Waiting for Security Engineer review (1 of 2 approvals)");
    expect(spec.summary).toContain("- ✅ @sam approved via review\n");
  });

  test("approved: success, the approvers in the title, only Request changes offered", () => {
    const spec = personaCheck(
      verdictOf(planPersona(), "approved", {
        approvals: [approval("sam"), approval("sue", { via: "button", carriedFrom: OLD })],
      }),
    );
    expectWithinLimits(spec);
    expect(spec).toMatchObject({ status: "completed", conclusion: "success", title: "Approved by @sam, @sue" });
    expect(spec.actions.map((a) => a.identifier)).toEqual(["request_changes"]);
    expect(spec.summary).toContain("**Security Engineer** — approved (1 of 1 approvals)");
    expect(spec.summary).toContain(
      "- ✅ @sue approved via button — carried over from 0123456: no changes in its paths",
    );
  });

  test("changes requested: failure, the requesters in the title, only Approve offered, the reason quoted", () => {
    const spec = personaCheck(
      verdictOf(planPersona(), "changes_requested", {
        changeRequests: [
          { user: "sue", via: "comment", at: "t", reason: "tokens are\nlogged" },
          { user: "sam", via: "review", at: "t" },
        ],
        approvals: [approval("bob")],
      }),
    );
    expectWithinLimits(spec);
    expect(spec).toMatchObject({
      status: "completed",
      conclusion: "failure",
      title: "Changes requested by @sue, @sam",
    });
    expect(spec.actions.map((a) => a.identifier)).toEqual(["approve"]);
    expect(spec.summary).toContain("- ❌ @sue requested changes via comment: “tokens are logged”");
    expect(spec.summary).toContain("- ❌ @sam requested changes via review (no reason given)");
    expect(spec.summary.indexOf("❌ @sue")).toBeLessThan(spec.summary.indexOf("✅ @bob"));
  });

  test("notices are listed as warnings", () => {
    const spec = personaCheck(
      verdictOf(planPersona(), "waiting", {
        notices: [
          {
            user: "mallory",
            via: "button",
            message:
              "@mallory clicked Approve via the check's button but is not a Security Engineer reviewer: not counted",
          },
        ],
      }),
    );
    expect(spec.summary).toContain(
      "- ⚠️ @mallory clicked Approve via the check's button but is not a Security Engineer reviewer: not counted\n",
    );
  });

  test("nobody eligible says so; no criteria means no criteria section", () => {
    const spec = personaCheck(verdictOf(planPersona({ teams: [], users: [], criteria: [] }), "waiting"));
    expect(spec.summary).toContain("**Eligible:** nobody (fix the review table)");
    expect(spec.summary).not.toContain("**Criteria**");
  });

  test("the file list stops at 50 and says how many more", () => {
    const files = Array.from({ length: 120 }, (_, i) => `src/f${i}.ts`);
    const spec = personaCheck(verdictOf(planPersona({ files }), "waiting"));
    expect(spec.summary).toContain("**Files** (120)");
    expect(spec.summary).toContain("- `src/f49.ts`\n- … and 70 more");
    expect(spec.summary).not.toContain("src/f50.ts");
  });

  test("a 100-character persona name: descriptions ≤ 40, labels ≤ 20, title ≤ 200", () => {
    const name = "N".repeat(100);
    for (const state of ["waiting", "approved", "changes_requested"] as const) {
      const spec = personaCheck(
        verdictOf(planPersona({ name }), state, {
          approvals: state === "approved" ? [approval("sam")] : [],
          changeRequests: state === "changes_requested" ? [{ user: "sue", via: "review", at: "t" }] : [],
        }),
      );
      expectWithinLimits(spec);
      for (const a of spec.actions) {
        expect(a.description).toHaveLength(40);
        expect(a.description.endsWith("…")).toBe(true);
      }
    }
    const waiting = personaCheck(verdictOf(planPersona({ name }), "waiting"));
    expect(waiting.actions.map((a) => a.description)).toEqual([
      `Approve as ${"N".repeat(28)}…`,
      `Request changes as ${"N".repeat(20)}…`,
    ]);
  });

  test("a long title is clipped to 200 with an ellipsis", () => {
    const approvals = Array.from({ length: 40 }, (_, i) => approval(`reviewer-number-${i}`));
    const spec = personaCheck(verdictOf(planPersona(), "approved", { approvals }));
    expect(spec.title).toHaveLength(200);
    expect(spec.title.endsWith("…")).toBe(true);
    expect(spec.title.startsWith("Approved by @reviewer-number-0, @reviewer-number-1")).toBe(true);
  });

  test("huge inputs: 10,000 files, very long names and criteria stay within 65,535 characters with the truncation note", () => {
    const name = "Very Long Persona Name ".repeat(50);
    const files = Array.from({ length: 10_000 }, (_, i) => `src/${"deep/".repeat(20)}file-${i}.ts`);
    const criteria = Array.from({ length: 30 }, (_, g) => ({
      source: `d${g}`,
      title: `Domain ${g} `.repeat(50),
      items: Array.from({ length: 100 }, (_, i) => `Criterion ${i}: ${"must hold ".repeat(30)}`),
    }));
    const reasons = Array.from({ length: 500 }, (_, i) => `domain d${i}: ${"x".repeat(100)}`);
    const notices = Array.from({ length: 2_000 }, (_, i) => ({
      user: `u${i}`,
      via: "review" as const,
      message: `@u${i} approved via a review but is not a ${name} reviewer: not counted`,
    }));
    for (const state of ["waiting", "approved", "changes_requested"] as const) {
      const spec = personaCheck(
        verdictOf(
          planPersona({
            name,
            files,
            criteria,
            reasons,
            teams: Array.from({ length: 100 }, (_, i) => `org/team-${i}`),
          }),
          state,
          {
            approvals: state === "approved" ? [approval("sam")] : [],
            changeRequests:
              state === "changes_requested" ? [{ user: "sue", via: "review", at: "t", reason: "r".repeat(500) }] : [],
            notices,
          },
        ),
      );
      expectWithinLimits(spec);
      expectTruncated(spec.summary);
    }
  });

  test("10,000 files: the list shows 50 and the count; long criteria are what gets truncated", () => {
    const files = Array.from({ length: 10_000 }, (_, i) => `src/${"deep/".repeat(20)}file-${i}.ts`);
    const criteria = [
      {
        source: "payments",
        title: "Payment processing",
        items: Array.from({ length: 1_000 }, (_, i) => `Criterion ${i}: ${"must hold ".repeat(30)}`),
      },
    ];
    const spec = personaCheck(verdictOf(planPersona({ files, criteria }), "waiting"));
    expectWithinLimits(spec);
    expect(spec.summary).toContain("**Files** (10000)");
    expect(spec.summary).toContain("file-49.ts`\n- … and 9950 more");
    expectTruncated(spec.summary);
    expect(spec.summary).not.toContain("Three ways to approve");
  });

  test("a summary that fits is not marked as truncated", () => {
    expect(personaCheck(verdictOf(planPersona(), "waiting")).summary).not.toContain("truncated");
  });
});

describe("retiredPersonaCheck", () => {
  test("neutral, no buttons, says it is no longer required", () => {
    const spec = retiredPersonaCheck("review/finance");
    expectWithinLimits(spec);
    expect(spec).toMatchObject({
      name: "review/finance",
      status: "completed",
      conclusion: "neutral",
      title: "No longer required",
      actions: [],
    });
    expect(spec.summary).toMatch(/^This persona's review is no longer required for this pull request: /);
    expect(spec.summary).toContain("review table");
  });
});

describe("gateCheck", () => {
  const security = planPersona();
  const finance = planPersona({ id: "finance", name: "Finance", users: ["fiona"], teams: [], domains: ["payments"] });
  const backend = planPersona({ id: "backend", name: "Backend Engineer", teams: ["backend"], users: [] });
  const payments: PlanDomain = {
    id: "payments",
    description: "Payment processing",
    files: ["src/payments/charge.ts"],
    personas: ["backend", "security", "finance"],
  };
  const plan: ReviewPlan = { domains: [payments], personas: [backend, security, finance], unmatched: [] };
  const ctx = (verdict: Verdict, over: Partial<GateContext> = {}): GateContext => ({
    gate: "parallel-review",
    tableFile: "reviewers.yml",
    plan,
    verdict,
    ...over,
  });

  test("waiting is in_progress with no conclusion, naming the waiting personas", () => {
    const verdict: Verdict = {
      state: "waiting",
      personas: [
        verdictOf(backend, "approved", { approvals: [approval("bob")] }),
        verdictOf(security, "waiting"),
        verdictOf(finance, "waiting"),
      ],
      reasons: ["Security Engineer: 0 of 1 approvals", "Finance: 0 of 1 approvals"],
    };
    const spec = gateCheck(ctx(verdict));
    expectWithinLimits(spec);
    expect(spec.status).toBe("in_progress");
    expect("conclusion" in spec).toBe(false);
    expect(spec.name).toBe("parallel-review");
    expect(spec.title).toBe("Waiting for Security Engineer, Finance");
    expect(spec.actions).toEqual([]);
    expect(spec.summary).toContain("- ⏳ Security Engineer: 0 of 1 approvals\n- ⏳ Finance: 0 of 1 approvals");
    expect(spec.summary).toContain("| Persona | State | Approvals | Domains |");
    expect(spec.summary).toContain("| Backend Engineer | ✅ approved | 1 of 1 | payments |");
    expect(spec.summary).toContain("| Security Engineer | ⏳ waiting | 0 of 1 | payments |");
    expect(spec.summary).toContain(
      "| payments — Payment processing | `src/payments/charge.ts` | ✅ Backend Engineer<br>⏳ Security Engineer<br>⏳ Finance |",
    );
    expect(spec.summary.endsWith("Rules read from `reviewers.yml` on the base branch.")).toBe(true);
  });

  test("pass: success, 'All N personas approved' (singular for one)", () => {
    const all: Verdict = {
      state: "pass",
      personas: [backend, security, finance].map((p) => verdictOf(p, "approved", { approvals: [approval("x")] })),
      reasons: [],
    };
    const spec = gateCheck(ctx(all));
    expectWithinLimits(spec);
    expect(spec).toMatchObject({ status: "completed", conclusion: "success", title: "All 3 personas approved" });
    expect(spec.summary.startsWith("| Persona |")).toBe(true);
    const one = gateCheck(
      ctx(
        { state: "pass", personas: [verdictOf(security, "approved", { approvals: [approval("sam")] })], reasons: [] },
        { plan: { domains: [], personas: [security], unmatched: [] } },
      ),
    );
    expect(one.title).toBe("All 1 persona approved");
  });

  test("fail: failure, the first reason as the title, every reason marked ⛔", () => {
    const verdict: Verdict = {
      state: "fail",
      personas: [
        verdictOf(security, "changes_requested", { changeRequests: [{ user: "sue", via: "review", at: "t" }] }),
      ],
      reasons: ["Security Engineer: changes requested by @sue", "second"],
    };
    const spec = gateCheck(ctx(verdict));
    expectWithinLimits(spec);
    expect(spec).toMatchObject({
      status: "completed",
      conclusion: "failure",
      title: "Security Engineer: changes requested by @sue",
    });
    expect(spec.summary).toContain("- ⛔ Security Engineer: changes requested by @sue\n- ⛔ second");
    expect(spec.summary).toContain("| Security Engineer | ❌ changes requested | 0 of 1 |");
  });

  test("fail without reasons is titled Blocked", () => {
    expect(gateCheck(ctx({ state: "fail", personas: [], reasons: [] })).title).toBe("Blocked");
  });

  test("no mandatory review needed: success, and the summary says why", () => {
    const none: ReviewPlan = { domains: [], personas: [], unmatched: [] };
    const spec = gateCheck(ctx({ state: "pass", personas: [], reasons: [] }, { plan: none }));
    expectWithinLimits(spec);
    expect(spec).toMatchObject({ status: "completed", conclusion: "success", title: "No mandatory review needed" });
    expect(spec.summary).toBe(
      "No changed file requires a persona under `reviewers.yml`.\nRules read from `reviewers.yml` on the base branch.",
    );
    const unmatched = gateCheck(
      ctx(
        { state: "pass", personas: [], reasons: [] },
        { plan: { domains: [], personas: [], unmatched: ["README.md", "docs/x.md"] } },
      ),
    );
    expect(unmatched.summary).toContain(
      "No changed file is in a domain of `reviewers.yml`; 2 files changed, none requires a persona.",
    );
    const single = gateCheck(
      ctx(
        { state: "pass", personas: [], reasons: [] },
        { plan: { domains: [], personas: [], unmatched: ["README.md"] } },
      ),
    );
    expect(single.summary).toContain("1 file changed, none requires a persona.");
  });

  test("a blocked gate with no personas still fails and shows the table header", () => {
    const spec = gateCheck(
      ctx(
        { state: "fail", personas: [], reasons: ["More than 3000 files changed"] },
        { plan: { domains: [], personas: [], unmatched: [] } },
      ),
    );
    expect(spec).toMatchObject({ conclusion: "failure", title: "More than 3000 files changed" });
    expect(spec.summary).not.toContain("No changed file");
  });

  test("a domain with many files shows five and how many more; pipes and newlines are escaped in cells", () => {
    const many: PlanDomain = {
      id: "pay|ments",
      description: "Pay\nments",
      files: Array.from({ length: 8 }, (_, i) => `src/p|${i}.ts`),
      personas: ["security", "ghost"],
    };
    const spec = gateCheck(
      ctx(
        {
          state: "waiting",
          personas: [verdictOf(planPersona({ name: "Sec|urity" }), "waiting")],
          reasons: ["Sec|urity: 0 of 1 approvals"],
        },
        { plan: { domains: [many], personas: [security], unmatched: [] } },
      ),
    );
    expect(spec.summary).toContain(
      "| pay\\|ments — Pay ments | `src/p\\|0.ts`<br>`src/p\\|1.ts`<br>`src/p\\|2.ts`<br>`src/p\\|3.ts`<br>`src/p\\|4.ts`<br>… and 3 more | ⏳ Sec\\|urity<br>ghost |",
    );
    expect(spec.summary).toContain("| Sec\\|urity | ⏳ waiting |");
  });

  test("a table change and unmatched files are mentioned", () => {
    const p: ReviewPlan = {
      domains: [payments],
      personas: [security],
      unmatched: ["a.md", "b.md", "c.md"],
      tableChange: { files: ["reviewers.yml"], personas: ["security"] },
    };
    const spec = gateCheck(
      ctx(
        {
          state: "waiting",
          personas: [verdictOf(security, "waiting")],
          reasons: ["Security Engineer: 0 of 1 approvals"],
        },
        { plan: p },
      ),
    );
    expect(spec.summary).toContain(
      "⚠️ This pull request changes the review table (`reviewers.yml`); it is reviewed under the base branch's table and needs security.",
    );
    expect(spec.summary).toContain("3 files match no domain.");
  });

  test("problems of the head's table are listed in a code block", () => {
    const problems: Problem[] = [
      {
        severity: "error",
        file: "reviewers.yml",
        line: 5,
        column: 5,
        path: "personas.x.colour",
        message: 'unknown key "colour"',
      },
      { severity: "warning", file: "reviewers.yml", line: 2, column: 3, path: "", message: "something odd" },
    ];
    const verdict: Verdict = {
      state: "fail",
      personas: [verdictOf(security, "waiting")],
      reasons: [
        "The review table as changed by this pull request has problems (listed below): fix them before merging.",
      ],
    };
    const spec = gateCheck(ctx(verdict, { headTableProblems: problems }));
    expect(spec.summary).toContain(
      [
        "**Problems in the review table as changed by this pull request** — fix them before merging:",
        "```",
        formatProblem(problems[0]!),
        formatProblem(problems[1]!),
        "```",
      ].join("\n"),
    );
    expect(gateCheck(ctx(verdict, { headTableProblems: [] })).summary).not.toContain("**Problems");
  });

  test("huge inputs stay within GitHub's limits with the truncation note", () => {
    const names = (i: number) => `Persona ${i} ${"with a very long name ".repeat(20)}`;
    const personas = Array.from({ length: 150 }, (_, i) =>
      planPersona({ id: `p${i}`, name: names(i), domains: Array.from({ length: 20 }, (_, d) => `domain-${d}`) }),
    );
    const domains: PlanDomain[] = Array.from({ length: 60 }, (_, d) => ({
      id: `domain-${d}`,
      description: "d".repeat(300),
      files: Array.from({ length: 50 }, (_, f) => `src/${d}/${f}.ts`),
      personas: personas.map((p) => p.id),
    }));
    const bigPlan: ReviewPlan = { domains, personas, unmatched: Array.from({ length: 10_000 }, (_, i) => `x/${i}`) };
    const waiting: Verdict = {
      state: "waiting",
      personas: personas.map((p) => verdictOf(p, "waiting")),
      reasons: personas.map((p) => `${p.name}: 0 of 1 approvals`),
    };
    for (const verdict of [
      waiting,
      { ...waiting, state: "fail" as const },
      {
        state: "pass" as const,
        personas: waiting.personas.map((p) => ({ ...p, state: "approved" as const })),
        reasons: [],
      },
    ]) {
      const spec = gateCheck(ctx(verdict, { plan: bigPlan }));
      expectWithinLimits(spec);
      expectTruncated(spec.summary);
    }
  });
});

describe("gateBlocked", () => {
  test("fails closed with the title and the details", () => {
    const spec = gateBlocked("parallel-review", "The review table on main is invalid", [
      "reviewers.yml:3:5 personas.x: bad",
      "second",
    ]);
    expectWithinLimits(spec);
    expect(spec).toEqual({
      name: "parallel-review",
      status: "completed",
      conclusion: "failure",
      title: "The review table on main is invalid",
      summary: "reviewers.yml:3:5 personas.x: bad\nsecond",
      actions: [],
    });
  });

  test("a long title and huge details are cut to GitHub's limits", () => {
    const spec = gateBlocked(
      "g",
      "t".repeat(500),
      Array.from({ length: 10_000 }, (_, i) => `problem ${i}: ${"z".repeat(50)}`),
    );
    expectWithinLimits(spec);
    expect(spec.title).toBe(`${"t".repeat(199)}…`);
    expectTruncated(spec.summary);
  });
});

describe("clip and fit", () => {
  test("clip keeps short strings and ends cut ones with an ellipsis, at exactly the limit", () => {
    expect(clip("abc", 3)).toBe("abc");
    expect(clip("abcd", 3)).toBe("ab…");
    expect(clip("", 0)).toBe("");
  });

  test("fit leaves a string at the limit alone and cuts one over it to exactly the limit", () => {
    expect(fit("x".repeat(MAX_OUTPUT))).toBe("x".repeat(MAX_OUTPUT));
    const cut = fit("x".repeat(MAX_OUTPUT + 1));
    expect(cut.length).toBeLessThanOrEqual(MAX_OUTPUT);
    expect(cut.length).toBeGreaterThan(MAX_OUTPUT - 10);
    expect(cut.endsWith(`\n\n${TRUNCATED}`)).toBe(true);
    const small = fit("abcdefghij".repeat(20), 120);
    expect(small.length).toBeLessThanOrEqual(120);
    expect(small.startsWith("abcdefghij".repeat(3))).toBe(true);
    expect(small.endsWith(TRUNCATED)).toBe(true);
  });

  test("howToApprove names the persona in all three ways", () => {
    const text = howToApprove("finance");
    expect(text).toContain("`Reviewed-for: finance`");
    expect(text).toContain("`/approve finance`");
    expect(text).toContain("`/request-changes finance <reason>`");
    expect(text).toContain("Click **Approve** (or **Request changes**) on this check.");
  });
});
