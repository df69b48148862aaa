import { describe, expect, test } from "@jest/globals";
import fc from "fast-check";
import { UNKNOWN_SHA, type ActionKind, type ReviewAction, type Via } from "../../src/core/actions.js";
import { planReview } from "../../src/core/plan.js";
import {
  DEFAULT_SETTINGS,
  type ChangedFile,
  type Persona,
  type ReviewTable,
  type Settings,
} from "../../src/core/types.js";
import {
  approvedCount,
  evaluate,
  short,
  type PersonaVerdict,
  type Verdict,
  type VerdictInput,
} from "../../src/core/verdict.js";

/**
 * evaluate() as a pure function: tables are built as data (not parsed), eligibility is a map, and the
 * compare results of pushes are given directly.
 */

const HEAD = "h".repeat(40);
const OLD = "0123456789abcdef0123456789abcdef01234567";

function persona(id: string, name: string, approvals = 1, users: string[] = []): Persona {
  return { id, name, teams: [], users, approvals, criteria: [] };
}

function table(
  settings: Partial<Settings> = {},
  approvals: Partial<Record<"backend" | "security" | "finance", number>> = {},
): ReviewTable {
  return {
    file: "reviewers.yml",
    personas: [
      persona("backend", "Backend Engineer", approvals.backend ?? 1),
      persona("security", "Security Engineer", approvals.security ?? 1),
      persona("finance", "Finance", approvals.finance ?? 1),
    ],
    domains: [
      {
        id: "payments",
        description: "Payment processing",
        paths: ["src/payments/"],
        ignore: [],
        require: [
          { persona: "backend", criteria: [] },
          { persona: "security", criteria: [] },
          { persona: "finance", criteria: [] },
        ],
      },
      { id: "iam", paths: ["*.tf"], ignore: [], require: [{ persona: "security", criteria: [] }] },
      { id: "api", paths: ["src/api/"], ignore: [], require: [{ persona: "backend", criteria: [] }] },
    ],
    // Off unless a test turns it on: most tests here are about one persona's approvals; the
    // distinct_reviewers tests below (and the default, on) choose it explicitly.
    settings: { ...DEFAULT_SETTINGS, distinct_reviewers: false, ...settings },
  };
}

const files = (...paths: string[]): ChangedFile[] => paths.map((path) => ({ path, status: "modified" }));

/** Who may review what. */
const MEMBERS: Record<string, string[]> = {
  backend: ["bob", "sam", "carol", "ci[bot]"],
  security: ["sam", "sue", "carol", "ci[bot]"],
  finance: ["fiona", "carol", "ci[bot]"],
};
const isReviewer = (p: { id: string }, login: string) => (MEMBERS[p.id] ?? []).includes(login);

let clock = 0;
const T = (n: number) => new Date(Date.UTC(2024, 4, 1, 10, 0, n)).toISOString();

function act(
  user: string,
  kind: ActionKind,
  personas: string[] | "all" = "all",
  opts: { at?: string; via?: Via; sha?: string; reason?: string; isBot?: boolean } = {},
): ReviewAction {
  return {
    user,
    isBot: opts.isBot ?? user.endsWith("[bot]"),
    kind,
    personas,
    sha: opts.sha ?? HEAD,
    at: opts.at ?? T(clock++),
    via: opts.via ?? "review",
    ref: `ref-${user}`,
    ...(opts.reason ? { reason: opts.reason } : {}),
  };
}
const approve = (user: string, personas: string[] | "all" = "all", opts: Parameters<typeof act>[3] = {}) =>
  act(user, "approve", personas, opts);
const reject = (user: string, personas: string[] | "all" = "all", opts: Parameters<typeof act>[3] = {}) =>
  act(user, "request_changes", personas, opts);

function run(over: Partial<VerdictInput> & { changed?: string[] }): Verdict {
  const t = over.table ?? table();
  const plan = over.plan ?? planReview(t, files(...(over.changed ?? ["src/payments/charge.ts"])));
  return evaluate({
    table: t,
    plan,
    actions: [],
    author: "carol",
    headSha: HEAD,
    isReviewer,
    changedSince: new Map(),
    blockers: [],
    ...over,
  });
}

const byId = (v: Verdict, id: string): PersonaVerdict => {
  const p = v.personas.find((x) => x.persona.id === id);
  if (!p) throw new Error(`no persona ${id} in the verdict`);
  return p;
};
const states = (v: Verdict) => Object.fromEntries(v.personas.map((p) => [p.persona.id, p.state]));
const users = (p: PersonaVerdict) => p.approvals.map((a) => a.user);
const messages = (p: PersonaVerdict) => p.notices.map((n) => n.message);

describe("the gate with nothing or everything to do", () => {
  test("no required persona → pass, no reasons", () => {
    const v = run({ changed: ["README.md"] });
    expect(v).toEqual({ state: "pass", personas: [], reasons: [] });
  });

  test("no required persona but a blocker → fail with the blocker", () => {
    const v = run({ changed: ["README.md"], blockers: ["More than 3000 files changed"] });
    expect(v).toEqual({ state: "fail", personas: [], reasons: ["More than 3000 files changed"] });
  });

  test("nobody acted → every persona waits, the gate names each with its count, in plan order", () => {
    const v = run({});
    expect(v.state).toBe("waiting");
    expect(states(v)).toEqual({ backend: "waiting", security: "waiting", finance: "waiting" });
    expect(v.reasons).toEqual([
      "Backend Engineer: 0 of 1 approvals",
      "Security Engineer: 0 of 1 approvals",
      "Finance: 0 of 1 approvals",
    ]);
  });

  test("every persona approved → pass", () => {
    const v = run({ actions: [approve("bob"), approve("sue"), approve("fiona")] });
    expect(v.state).toBe("pass");
    expect(v.reasons).toEqual([]);
  });

  test("blockers fail the gate even when every persona approved, and come first in the reasons", () => {
    const v = run({
      actions: [approve("bob"), approve("sue"), approve("fiona")],
      blockers: ["The review table as changed by this pull request has problems"],
    });
    expect(v.state).toBe("fail");
    expect(states(v)).toEqual({ backend: "approved", security: "approved", finance: "approved" });
    expect(v.reasons).toEqual(["The review table as changed by this pull request has problems"]);
    const both = run({
      actions: [approve("bob"), reject("sue", ["security"]), approve("fiona")],
      blockers: ["B1", "B2"],
    });
    expect(both.reasons).toEqual(["B1", "B2", "Security Engineer: changes requested by @sue"]);
  });

  test("only the waiting personas are named while waiting", () => {
    const v = run({ actions: [approve("bob"), approve("fiona")] });
    expect(v.state).toBe("waiting");
    expect(v.reasons).toEqual(["Security Engineer: 0 of 1 approvals"]);
  });
});

describe("approvals needed > 1", () => {
  const t = table({}, { security: 2 });

  test("one approval of two waits; two distinct users approve", () => {
    const one = run({ table: t, actions: [approve("sam", ["security"])] });
    expect(byId(one, "security").state).toBe("waiting");
    expect(one.reasons).toContain("Security Engineer: 1 of 2 approvals");
    const two = run({ table: t, actions: [approve("sam", ["security"]), approve("sue", ["security"])] });
    expect(byId(two, "security").state).toBe("approved");
    expect(users(byId(two, "security"))).toEqual(["sam", "sue"]);
  });

  test("the same user approving twice, by different means, counts once", () => {
    const v = run({
      table: t,
      actions: [
        approve("sam"),
        approve("sam", ["security"], { via: "button" }),
        approve("sam", ["security"], { via: "comment" }),
      ],
    });
    const s = byId(v, "security");
    expect(s.state).toBe("waiting");
    expect(s.approvals).toHaveLength(1);
    expect(s.approvals[0]!.via).toBe("comment");
  });

  test("approvedCount never exceeds the number needed", () => {
    const v = run({ actions: [approve("sam", ["security"]), approve("sue", ["security"])] });
    expect(byId(v, "security").approvals).toHaveLength(2);
    expect(approvedCount(byId(v, "security"))).toBe(1);
  });
});

describe("the latest action per user per persona wins", () => {
  test("approve then request changes → changes requested; the reverse → approved; input order is irrelevant", () => {
    const a = approve("sue", "all", { at: "2024-05-01T10:00:00Z" });
    const r = reject("sue", ["security"], { at: "2024-05-01T11:00:00Z", via: "comment", reason: "found a leak" });
    for (const actions of [
      [a, r],
      [r, a],
    ]) {
      const s = byId(run({ actions }), "security");
      expect(s.state).toBe("changes_requested");
      expect(s.approvals).toEqual([]);
      expect(s.changeRequests).toEqual([
        { user: "sue", via: "comment", at: "2024-05-01T11:00:00Z", reason: "found a leak" },
      ]);
    }
    const r2 = reject("sue", ["security"], { at: "2024-05-01T10:00:00Z" });
    const a2 = approve("sue", ["security"], { at: "2024-05-01T11:00:00Z", via: "button" });
    for (const actions of [
      [r2, a2],
      [a2, r2],
    ]) {
      const s = byId(run({ actions }), "security");
      expect(s.state).toBe("approved");
      expect(s.changeRequests).toEqual([]);
      expect(s.approvals).toEqual([{ user: "sue", via: "button", sha: HEAD, at: "2024-05-01T11:00:00Z" }]);
    }
  });

  test("per persona: a later request for one persona leaves the user's approval of another standing", () => {
    const v = run({
      actions: [approve("sam", "all", { at: T(1) }), reject("sam", ["backend"], { at: T(2), reason: "no tests" })],
    });
    expect(byId(v, "backend").state).toBe("changes_requested");
    expect(byId(v, "security").state).toBe("approved");
    expect(v.state).toBe("fail");
    expect(v.reasons).toEqual(["Backend Engineer: changes requested by @sam"]);
  });

  test("a change request by one eligible user blocks even with enough approvals", () => {
    const v = run({
      actions: [
        approve("sam", ["security"]),
        reject("sue", ["security"], { reason: "tokens are logged" }),
        approve("bob"),
        approve("fiona"),
      ],
    });
    const s = byId(v, "security");
    expect(s.state).toBe("changes_requested");
    expect(users(s)).toEqual(["sam"]);
    expect(s.changeRequests.map((c) => [c.user, c.reason])).toEqual([["sue", "tokens are logged"]]);
    expect(v.state).toBe("fail");
    expect(v.reasons).toEqual(["Security Engineer: changes requested by @sue"]);
  });

  test("several requesters are all named, in time order", () => {
    const v = run({ actions: [reject("sue", ["security"], { at: T(5) }), reject("sam", ["security"], { at: T(3) })] });
    expect(byId(v, "security").changeRequests.map((c) => c.user)).toEqual(["sam", "sue"]);
    expect(v.reasons).toEqual(["Security Engineer: changes requested by @sam, @sue"]);
  });

  test("a change request without a reason has no reason key", () => {
    const c = byId(run({ actions: [reject("sue", ["security"])] }), "security").changeRequests[0]!;
    expect("reason" in c).toBe(false);
  });

  test("approvals come out in time order whatever the input order", () => {
    const acts = [approve("sue", ["security"], { at: T(30) }), approve("sam", ["security"], { at: T(10) })];
    expect(users(byId(run({ actions: acts }), "security"))).toEqual(["sam", "sue"]);
  });

  test("property: with distinct timestamps the verdict does not depend on the order of the actions", () => {
    const who = fc.constantFrom("bob", "sam", "sue", "fiona", "carol", "mallory", "ci[bot]");
    const personas = fc.oneof(
      fc.constant<"all">("all"),
      fc.subarray(["backend", "security", "finance", "ghost"], { minLength: 1 }),
    );
    const action = fc.record({
      user: who,
      kind: fc.constantFrom<ActionKind>("approve", "request_changes"),
      personas,
      via: fc.constantFrom<Via>("review", "button", "comment"),
      old: fc.boolean(),
    });
    const t = table({ on_push: "changed-domains" }, { security: 2 });
    fc.assert(
      fc.property(
        fc.array(action, { maxLength: 10 }).chain((raw) => {
          const actions = raw.map((a, i) =>
            act(a.user, a.kind, a.personas, { at: T(i), via: a.via, sha: a.old ? OLD : HEAD, reason: `r${i}` }),
          );
          return fc.tuple(
            fc.constant(actions),
            fc.shuffledSubarray(actions, { minLength: actions.length, maxLength: actions.length }),
          );
        }),
        ([actions, shuffled]) => {
          const changedSince = new Map([[OLD, files("main.tf")]]);
          const a = run({ table: t, actions, changedSince });
          const b = run({ table: t, actions: shuffled, changedSince });
          expect(b).toEqual(a);
          // The gate is consistent with the personas.
          const anyBlocked = a.personas.some((p) => p.state === "changes_requested");
          const allApproved = a.personas.every((p) => p.state === "approved");
          expect(a.state).toBe(anyBlocked ? "fail" : allApproved ? "pass" : "waiting");
          for (const p of a.personas) {
            expect(p.state === "approved").toBe(
              p.changeRequests.length === 0 && p.approvals.length >= p.persona.approvals,
            );
            for (const x of [...p.approvals, ...p.changeRequests]) {
              expect(x.user).not.toBe("carol");
              expect(x.user).not.toBe("ci[bot]");
              expect(isReviewer(p.persona, x.user)).toBe(true);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("eligibility", () => {
  test("a named attempt by a non-reviewer is answered with a notice in the exact format, and not counted", () => {
    const v = run({
      actions: [
        approve("mallory", ["security"]),
        approve("mallory", ["security"], { via: "button" }),
        approve("mallory", ["security"], { via: "comment" }),
        reject("mallory", ["security"], { via: "review" }),
        reject("mallory", ["security"], { via: "button" }),
        reject("mallory", ["security"], { via: "comment" }),
      ],
    });
    const s = byId(v, "security");
    expect(s.state).toBe("waiting");
    expect(s.approvals).toEqual([]);
    expect(s.changeRequests).toEqual([]);
    expect(messages(s)).toEqual([
      "@mallory approved via a review but is not a Security Engineer reviewer: not counted",
      "@mallory clicked Approve via the check's button but is not a Security Engineer reviewer: not counted",
      "@mallory approved via a comment but is not a Security Engineer reviewer: not counted",
      "@mallory requested changes via a review but is not a Security Engineer reviewer: not counted",
      "@mallory clicked Request changes via the check's button but is not a Security Engineer reviewer: not counted",
      "@mallory requested changes via a comment but is not a Security Engineer reviewer: not counted",
    ]);
    expect(s.notices.map((n) => [n.user, n.via])).toEqual([
      ["mallory", "review"],
      ["mallory", "button"],
      ["mallory", "comment"],
      ["mallory", "review"],
      ["mallory", "button"],
      ["mallory", "comment"],
    ]);
    expect(v.state).toBe("waiting");
  });

  test("a change request by a non-reviewer does not block", () => {
    const v = run({ actions: [approve("sue", ["security"]), reject("bob", ["security"], { reason: "nope" })] });
    expect(byId(v, "security").state).toBe("approved");
    expect(messages(byId(v, "security"))).toEqual([
      "@bob requested changes via a review but is not a Security Engineer reviewer: not counted",
    ]);
  });

  test("an all-persona review by someone outside a persona produces no notice there, and counts where they are eligible", () => {
    const v = run({ actions: [approve("mallory"), approve("bob"), reject("fiona")] });
    for (const p of v.personas) {
      expect(p.notices.filter((n) => n.user === "mallory")).toEqual([]);
      expect(users(p)).not.toContain("mallory");
    }
    expect(users(byId(v, "backend"))).toEqual(["bob"]);
    expect(messages(byId(v, "security"))).toEqual([]);
    expect(byId(v, "security").changeRequests).toEqual([]);
    expect(byId(v, "finance").state).toBe("changes_requested");
  });

  test("a named persona that is not required is simply ignored", () => {
    const v = run({ changed: ["main.tf"], actions: [approve("fiona", ["finance"])] });
    expect(v.personas.map((p) => p.persona.id)).toEqual(["security"]);
    expect(byId(v, "security").notices).toEqual([]);
  });

  test("the author never counts, named or not, approving or requesting changes", () => {
    const v = run({
      actions: [
        approve("carol"),
        approve("carol", ["finance"], { via: "button" }),
        reject("carol", ["security"], { via: "comment" }),
      ],
    });
    expect(v.personas.every((p) => p.approvals.length === 0 && p.changeRequests.length === 0)).toBe(true);
    expect(messages(byId(v, "backend"))).toEqual([]);
    expect(messages(byId(v, "finance"))).toEqual([
      "@carol clicked Approve via the check's button but the pull request's author cannot review it (settings.self_approval is off): not counted",
    ]);
    expect(messages(byId(v, "security"))).toEqual([
      "@carol requested changes via a comment but the pull request's author cannot review it (settings.self_approval is off): not counted",
    ]);
    expect(v.state).toBe("waiting");
  });

  test("with self_approval the author counts like any eligible reviewer", () => {
    const v = run({ table: table({ self_approval: true }), actions: [approve("carol")] });
    expect(v.state).toBe("pass");
    expect(v.personas.every((p) => users(p).join() === "carol")).toBe(true);
  });

  test("self_approval does not make the author eligible where they are not a reviewer", () => {
    const v = run({
      table: table({ self_approval: true }),
      author: "mallory",
      actions: [approve("mallory", ["security"])],
    });
    expect(byId(v, "security").state).toBe("waiting");
    expect(messages(byId(v, "security"))).toEqual([
      "@mallory approved via a review but is not a Security Engineer reviewer: not counted",
    ]);
  });

  test("bots never count, even listed as reviewers and even with self_approval; only named attempts are answered", () => {
    const v = run({
      table: table({ self_approval: true }),
      actions: [
        approve("ci[bot]"),
        approve("renovate", ["security"], { isBot: true }),
        reject("ci[bot]", ["finance"], { via: "button" }),
      ],
    });
    expect(v.personas.every((p) => p.approvals.length === 0 && p.changeRequests.length === 0)).toBe(true);
    expect(messages(byId(v, "backend"))).toEqual([]);
    expect(messages(byId(v, "security"))).toEqual([
      "@renovate approved via a review but bots cannot approve: not counted",
    ]);
    expect(messages(byId(v, "finance"))).toEqual([
      "@ci[bot] clicked Request changes via the check's button but bots cannot approve: not counted",
    ]);
  });

  test("eligibility is asked per persona with the plan's persona", () => {
    const asked: [string, string][] = [];
    run({ actions: [approve("sam")], isReviewer: (p, login) => (asked.push([p.id, login]), false) });
    expect(asked.sort()).toEqual([
      ["backend", "sam"],
      ["finance", "sam"],
      ["security", "sam"],
    ]);
  });
});

describe("on_push", () => {
  const twoDomains = ["src/payments/charge.ts", "main.tf"];

  test("keep: an approval on an earlier commit counts and says where it came from", () => {
    const v = run({
      table: table({ on_push: "keep" }),
      actions: [approve("fiona", "all", { sha: OLD }), approve("sue", "all")],
    });
    expect(byId(v, "finance").approvals).toEqual([
      { user: "fiona", via: "review", sha: OLD, at: expect.any(String), carriedFrom: OLD },
    ]);
    expect("carriedFrom" in byId(v, "security").approvals[0]!).toBe(false);
    expect(byId(v, "finance").notices).toEqual([]);
  });

  test("dismiss: any approval on an earlier commit no longer counts; one on the head does", () => {
    const v = run({
      table: table({ on_push: "dismiss" }),
      changed: twoDomains,
      actions: [approve("fiona", "all", { sha: OLD }), approve("sue"), approve("bob", "all", { sha: OLD })],
      changedSince: new Map([[OLD, files("main.tf")]]),
    });
    expect(byId(v, "finance").state).toBe("waiting");
    expect(messages(byId(v, "finance"))).toEqual([
      "@fiona's approval on 0123456 no longer counts: new commits were pushed (settings.on_push: dismiss)",
    ]);
    expect(messages(byId(v, "backend"))).toEqual([
      "@bob's approval on 0123456 no longer counts: new commits were pushed (settings.on_push: dismiss)",
    ]);
    expect(byId(v, "security").state).toBe("approved");
  });

  test("a change request on an earlier commit still blocks, whatever on_push says", () => {
    for (const on_push of ["keep", "dismiss", "changed-domains"] as const) {
      const v = run({ table: table({ on_push }), actions: [reject("sue", ["security"], { sha: OLD })] });
      expect(byId(v, "security").state).toBe("changes_requested");
    }
  });

  describe("changed-domains", () => {
    test("carried over when no file of the persona's domains changed; stale, naming the files, when one did", () => {
      const v = run({
        changed: twoDomains,
        actions: [
          approve("fiona", "all", { sha: OLD }),
          approve("sue", "all", { sha: OLD }),
          approve("bob", "all", { sha: OLD }),
        ],
        changedSince: new Map([[OLD, files("main.tf", "docs/unrelated.md")]]),
      });
      expect(byId(v, "finance").state).toBe("approved");
      expect(byId(v, "finance").approvals[0]!.carriedFrom).toBe(OLD);
      expect(byId(v, "backend").approvals[0]!.carriedFrom).toBe(OLD);
      expect(byId(v, "security").state).toBe("waiting");
      expect(messages(byId(v, "security"))).toEqual([
        "@sue's approval on 0123456 no longer counts: files it reviews changed since: main.tf",
      ]);
    });

    test("more than five changed files are summarised", () => {
      const changed = files(...["a", "b", "c", "d", "e", "f", "g"].map((x) => `infra/${x}.tf`));
      const v = run({
        changed: twoDomains,
        actions: [approve("sue", ["security"], { sha: OLD })],
        changedSince: new Map([[OLD, changed]]),
      });
      expect(messages(byId(v, "security"))).toEqual([
        "@sue's approval on 0123456 no longer counts: files it reviews changed since: infra/a.tf, infra/b.tf, infra/c.tf, infra/d.tf, infra/e.tf and 2 more",
      ]);
    });

    test("a rename out of the persona's domain makes its approval stale", () => {
      const v = run({
        actions: [approve("fiona", ["finance"], { sha: OLD })],
        changedSince: new Map([
          [OLD, [{ path: "src/other/charge.ts", previousPath: "src/payments/charge.ts", status: "renamed" }]],
        ]),
      });
      expect(byId(v, "finance").state).toBe("waiting");
      expect(messages(byId(v, "finance"))[0]).toContain("files it reviews changed since: src/other/charge.ts");
    });

    test("an empty compare (nothing changed since) carries every approval over", () => {
      const v = run({
        actions: [
          approve("fiona", "all", { sha: OLD }),
          approve("sue", "all", { sha: OLD }),
          approve("bob", "all", { sha: OLD }),
        ],
        changedSince: new Map([[OLD, []]]),
      });
      expect(v.state).toBe("pass");
    });

    test("an unknown compare (missing or null) makes the approval stale: fail closed", () => {
      for (const changedSince of [new Map(), new Map([[OLD, null]])]) {
        const v = run({ actions: [approve("fiona", ["finance"], { sha: OLD })], changedSince });
        expect(byId(v, "finance").state).toBe("waiting");
        expect(messages(byId(v, "finance"))).toEqual([
          "@fiona's approval on 0123456 no longer counts: 0123456 cannot be compared with the head (force-pushed or unknown)",
        ]);
      }
    });

    test("a change of the review table since makes the config owners' approvals stale", () => {
      const t = table({ config_owners: ["security"] });
      const v = run({
        table: t,
        actions: [approve("sue", ["security"], { sha: OLD }), approve("fiona", ["finance"], { sha: OLD })],
        changedSince: new Map([[OLD, files("reviewers.yml")]]),
      });
      expect(byId(v, "security").state).toBe("waiting");
      expect(messages(byId(v, "security"))[0]).toBe(
        "@sue's approval on 0123456 no longer counts: files it reviews changed since: reviewers.yml",
      );
      expect(byId(v, "finance").state).toBe("approved");
    });
  });
});

describe("distinct_reviewers", () => {
  const distinct = table({ distinct_reviewers: true });
  const COUNTED_ELSEWHERE =
    "@sam's approval is counted for another persona (settings.distinct_reviewers: one person may satisfy only one persona)";

  test("greedy would fail, matching succeeds: sam (backend or security) goes to security, bob to backend", () => {
    // sam approves first, so a greedy pass would give sam to backend (first in the plan) and leave security empty.
    const acts = [
      approve("sam", "all", { at: T(1) }),
      approve("bob", "all", { at: T(2) }),
      approve("fiona", "all", { at: T(3) }),
    ];
    for (const actions of [acts, [...acts].reverse()]) {
      const v = run({ table: distinct, actions });
      expect(users(byId(v, "backend"))).toEqual(["bob"]);
      expect(users(byId(v, "security"))).toEqual(["sam"]);
      expect(users(byId(v, "finance"))).toEqual(["fiona"]);
      expect(messages(byId(v, "backend"))).toEqual([COUNTED_ELSEWHERE]);
      expect(v.state).toBe("pass");
    }
  });

  test("without distinct_reviewers one person may satisfy several personas", () => {
    const v = run({
      table: table({ distinct_reviewers: false }),
      actions: [approve("carol"), approve("sam")],
      author: "someone-else",
    });
    expect(users(byId(v, "backend"))).toEqual(["carol", "sam"]);
    expect(users(byId(v, "security"))).toEqual(["carol", "sam"]);
    expect(users(byId(v, "finance"))).toEqual(["carol"]);
    expect(v.state).toBe("pass");
  });

  test("no assignment exists → one persona keeps waiting and so does the gate", () => {
    // sam is the only approver of both backend and security.
    const v = run({ table: distinct, actions: [approve("sam"), approve("fiona")] });
    const counted = [byId(v, "backend"), byId(v, "security")].map((p) => p.approvals.length);
    expect(counted.sort()).toEqual([0, 1]);
    expect(v.state).toBe("waiting");
    const loser = [byId(v, "backend"), byId(v, "security")].find((p) => p.approvals.length === 0)!;
    expect(loser.state).toBe("waiting");
    expect(messages(loser)).toEqual([COUNTED_ELSEWHERE]);
    expect(v.reasons).toEqual([`${loser.persona.name}: 0 of 1 approvals`]);
  });

  test("a persona needing two distinct people gets two, the others are matched around them", () => {
    const t = table({ distinct_reviewers: true }, { security: 2 });
    const v = run({ table: t, actions: [approve("sam"), approve("sue"), approve("bob"), approve("fiona")] });
    expect(users(byId(v, "security")).sort()).toEqual(["sam", "sue"]);
    expect(users(byId(v, "backend"))).toEqual(["bob"]);
    expect(v.state).toBe("pass");
  });

  test("a persona with changes requested takes no one, so its approvers are free for others; the gate fails", () => {
    const v = run({ table: distinct, actions: [approve("sam"), reject("sue", ["security"]), approve("fiona")] });
    expect(byId(v, "security").state).toBe("changes_requested");
    expect(users(byId(v, "backend"))).toEqual(["sam"]);
    expect(v.state).toBe("fail");
  });
});

describe("short", () => {
  test("seven characters of a sha", () => {
    expect(short(OLD)).toBe("0123456");
    expect(short("abc")).toBe("abc");
  });
});

describe("plan personas are passed through", () => {
  test("each verdict carries its plan persona, in plan order", () => {
    const t = table();
    const plan = planReview(t, files("src/payments/x.ts", "main.tf"));
    const v = run({ table: t, plan });
    expect(v.personas.map((p) => p.persona)).toEqual(plan.personas);
  });
});

/** Behaviour the mutation run of verdict.ts (docs/testing.md) showed no test pinned down. */
describe("contributors, dismissals, untied approvals and ordering", () => {
  const CONTRIBUTED =
    "pushed or authored commits that change Security Engineer's files (settings.contributor_approval is off)";
  /** sam pushed commits that change Security's files (and only those). */
  const contributed = (p: { id: string }, login: string) => login === "sam" && p.id === "security";

  test("a contributor's approval does not count for the files they changed, named or not, and is answered", () => {
    const v = run({ actions: [approve("sam"), approve("sue", ["security"])], contributed });
    expect(users(byId(v, "security"))).toEqual(["sue"]);
    expect(users(byId(v, "backend"))).toEqual(["sam"]);
    expect(messages(byId(v, "security"))).toEqual([`@sam approved via a review but ${CONTRIBUTED}: not counted`]);
    const named = run({ actions: [approve("sam", ["security"], { via: "button" })], contributed });
    expect(messages(byId(named, "security"))).toEqual([
      `@sam clicked Approve via the check's button but ${CONTRIBUTED}: not counted`,
    ]);
  });

  test("with settings.contributor_approval on, a contributor counts like any eligible reviewer", () => {
    const v = run({ table: table({ contributor_approval: true }), actions: [approve("sam")], contributed });
    expect(users(byId(v, "security"))).toEqual(["sam"]);
    expect(messages(byId(v, "security"))).toEqual([]);
  });

  test("a dismissal withdraws its author's approval (and change request) without a notice, even from a stranger", () => {
    const withdraw = (user: string, at: string): ReviewAction => ({
      ...approve(user, ["security"], { at }),
      kind: "withdraw",
    });
    const v = run({
      actions: [
        approve("sue", ["security"], { at: T(1) }),
        withdraw("sue", T(2)),
        reject("sam", ["security"], { at: T(3) }),
        withdraw("sam", T(4)),
        withdraw("mallory", T(5)),
      ],
    });
    const s = byId(v, "security");
    expect(s.state).toBe("waiting");
    expect(s.approvals).toEqual([]);
    expect(s.changeRequests).toEqual([]);
    expect(s.notices).toEqual([]);
  });

  test("an approval tied to no commit never carries over, and says why", () => {
    const v = run({
      actions: [approve("sue", ["security"], { sha: UNKNOWN_SHA })],
      changedSince: new Map([[UNKNOWN_SHA, []]]),
    });
    expect(byId(v, "security").state).toBe("waiting");
    expect(messages(byId(v, "security"))).toEqual([
      "@sue's approval no longer counts: it was recorded after new commits were pushed, so it cannot be tied to a commit: approve again",
    ]);
    const dismiss = run({
      table: table({ on_push: "dismiss" }),
      actions: [approve("sue", ["security"], { sha: UNKNOWN_SHA })],
    });
    expect(messages(byId(dismiss, "security"))).toEqual(messages(byId(v, "security")));
  });

  test("a stale approval names at most five changed files, and counts the rest", () => {
    const five = ["a", "b", "c", "d", "e"].map((x) => `src/payments/${x}.ts`);
    const stale = (changed: string[]) =>
      messages(
        byId(
          run({
            actions: [approve("sue", ["security"], { sha: OLD })],
            changedSince: new Map([[OLD, files(...changed)]]),
          }),
          "security",
        ),
      );
    expect(stale(five)).toEqual([
      `@sue's approval on 0123456 no longer counts: files it reviews changed since: ${five.join(", ")}`,
    ]);
    expect(stale([...five, "src/payments/f.ts", "src/payments/g.ts"])).toEqual([
      `@sue's approval on 0123456 no longer counts: files it reviews changed since: ${five.join(", ")} and 2 more`,
    ]);
  });

  test("approvals and change requests are listed by the time of each user's latest action", () => {
    const v = run({
      table: table({ self_approval: true }, { security: 3 }),
      author: "zed",
      actions: [
        approve("sue", ["security"], { at: T(1) }),
        approve("sam", ["security"], { at: T(2) }),
        approve("carol", ["security"], { at: T(3) }),
        approve("sue", ["security"], { at: T(4) }),
        reject("fiona", ["finance"], { at: T(1) }),
        reject("carol", ["finance"], { at: T(2) }),
        reject("fiona", ["finance"], { at: T(3), reason: "again" }),
      ],
    });
    expect(users(byId(v, "security"))).toEqual(["sam", "carol", "sue"]);
    expect(byId(v, "finance").changeRequests.map((c) => c.user)).toEqual(["carol", "fiona"]);
  });

  test("a persona with changes requested frees its approvers even when it comes first in the plan", () => {
    // sam may review backend and security; backend (first in the plan) is blocked by bob, so sam goes to security.
    const v = run({
      table: table({ distinct_reviewers: true }),
      actions: [approve("sam"), reject("bob", ["backend"]), approve("fiona")],
    });
    expect(byId(v, "backend").state).toBe("changes_requested");
    expect(users(byId(v, "security"))).toEqual(["sam"]);
    expect(byId(v, "security").state).toBe("approved");
  });

  test("the word all is never read as a list of persona ids (a persona may be called al)", () => {
    const t = table();
    const withAl: ReviewTable = {
      ...t,
      personas: [...t.personas, persona("al", "Audit Log")],
      domains: [
        ...t.domains,
        { id: "audit", paths: ["audit/"], ignore: [], require: [{ persona: "al", criteria: [] }] },
      ],
    };
    const v = run({ table: withAl, changed: ["audit/log.ts"], actions: [approve("mallory")] });
    expect(v.personas.map((p) => p.persona.id)).toEqual(["al"]);
    expect(byId(v, "al").notices).toEqual([]);
  });
});
