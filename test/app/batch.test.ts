import { describe, expect, test } from "@jest/globals";
import { carriesFacts, hintsOf, PendingFacts } from "../../src/app/batch.js";
import type { Outcome } from "../../src/app/reconcile.js";
import type { ButtonClick } from "../../src/app/records.js";
import type { Probot } from "probot";
import { createProbot, queryName, type FakeGitHub } from "../helpers/fake-github.js";
import { useFakeGitHub } from "../helpers/app-harness.js";
import { CountingSerializer } from "../helpers/counting-serializer.js";
import { events } from "../helpers/payloads.js";
import { until } from "../helpers/until.js";

const click = (delivery: string, persona = "security"): ButtonClick => ({
  persona,
  action: "approve",
  user: { login: "sam", id: 7 },
  sha: "a".repeat(40),
  delivery,
  receivedAt: "2024-01-01T00:00:00Z",
});
const comment = (id: number, body: string) => ({
  id,
  user: { login: "bob" },
  body,
  createdAt: "2024-01-01T00:00:00Z",
  updatedAt: "2024-01-01T00:00:00Z",
});

describe("PendingFacts: which deliveries share a pull request's next reconcile", () => {
  test("a review body, a comment and a click join one batch; its reconcile gets all three", () => {
    const facts = new PendingFacts();
    const a = facts.join("pr", { hints: { reviewBodies: new Map([[1, "Reviewed-for: security"]]) } });
    const b = facts.join("pr", { hints: { commentBodies: new Map([[2, comment(2, "/approve backend")]]) } });
    const c = facts.join("pr", { click: click("d1") });
    const d = facts.join("pr", {}); // "look again"
    expect(new Set([a, b, c, d]).size).toBe(1);
    const batch = facts.take("pr")!;
    expect(batch).toBe(a);
    expect(batch.click?.delivery).toBe("d1");
    expect(hintsOf(batch)).toEqual({
      reviewBodies: new Map([[1, "Reviewed-for: security"]]),
      commentBodies: new Map([[2, comment(2, "/approve backend")]]),
    });
    expect(carriesFacts(batch)).toBe(true);
    expect(facts.size).toBe(0);
  });

  test("at most as many comment bodies as one reconcile records: the next gets a reconcile of its own", () => {
    const facts = new PendingFacts();
    const body = (id: number) => ({ hints: { commentBodies: new Map([[id, comment(id, "/approve")]]) } });
    for (let id = 1; id <= 20; id++) expect(facts.join("pr", body(id))).toBeDefined();
    expect(facts.join("pr", body(21))).toBeUndefined();
    expect(facts.join("pr", body(20))).toBeDefined(); // the same body again adds none
    expect(facts.join("pr", { click: click("d1") })).toBeDefined(); // nor does a click
    expect(facts.take("pr")!.commentBodies.size).toBe(20);
    const two = new Map([
      [1, comment(1, "/approve")],
      [2, comment(2, "/approve")],
    ]);
    for (let id = 3; id <= 20; id++) facts.join("other", body(id));
    expect(facts.join("other", { hints: { commentBodies: two } })).toBeDefined(); // 18 + 2
    expect(facts.join("other", body(21))).toBeUndefined();
  });

  test("what cannot be merged without losing a fact gets a reconcile of its own", () => {
    const facts = new PendingFacts();
    facts.join("pr", { click: click("d1"), hints: { reviewBodies: new Map([[1, "first"]]) } });
    facts.join("pr", { hints: { commentBodies: new Map([[2, comment(2, "/approve")]]) } });
    // A second click: a reconcile records one click.
    expect(facts.join("pr", { click: click("d2") })).toBeUndefined();
    // Another body of the same review (an edit's `from`) or comment narrows the first: not merged away.
    expect(facts.join("pr", { hints: { reviewBodies: new Map([[1, "edited"]]) } })).toBeUndefined();
    expect(facts.join("pr", { hints: { commentBodies: new Map([[2, comment(2, "/approve security")]]) } })).toBe(
      undefined,
    );
    // A push: its pusher and previous head are the push's alone.
    expect(facts.join("pr", { hints: { previousHead: "b".repeat(40) } })).toBeUndefined();
    expect(facts.join("pr", { hints: { push: { user: "carol", before: "b", after: "c" } } })).toBeUndefined();
    // The same body delivered twice (a redelivery) is one fact.
    expect(facts.join("pr", { hints: { reviewBodies: new Map([[1, "first"]]) } })).toBeDefined();
    // Other pull requests have batches of their own.
    expect(facts.join("other", { click: click("d2") })).toBeDefined();
  });

  test("each kind of fact alone is a fact (a batch of it is reconciled even when its job was skipped); hints carry only what it has", () => {
    const facts = new PendingFacts();
    const only = (key: string, f: Parameters<PendingFacts["join"]>[1]) => facts.join(key, f)!;
    const clicked = only("a", { click: click("d1") });
    const reviewed = only("b", { hints: { reviewBodies: new Map([[1, "first"]]) } });
    const commented = only("c", { hints: { commentBodies: new Map([[2, comment(2, "/approve")]]) } });
    const nothing = only("d", {});
    expect([clicked, reviewed, commented, nothing].map(carriesFacts)).toEqual([true, true, true, false]);
    expect(hintsOf(clicked)).toEqual({});
    expect(hintsOf(nothing)).toEqual({});
    expect(hintsOf(reviewed)).toEqual({ reviewBodies: new Map([[1, "first"]]) });
    expect(hintsOf(commented)).toEqual({ commentBodies: new Map([[2, comment(2, "/approve")]]) });
  });

  test("a batch is closed when taken: later deliveries open the next one", () => {
    const facts = new PendingFacts();
    const first = facts.join("pr", { click: click("d1") })!;
    expect(facts.take("pr")).toBe(first);
    expect(first.taken).toBe(true);
    const second = facts.join("pr", { click: click("d2") })!;
    expect(second).not.toBe(first);
    expect(facts.take("pr")).toBe(second);
    expect(facts.take("pr")).toBeUndefined();
  });

  test("claim: a batch no reconcile took is taken once by one of its deliveries", () => {
    const facts = new PendingFacts();
    const batch = facts.join("pr", { click: click("d1") })!;
    expect(facts.claim("pr", batch)).toBe(true);
    expect(facts.claim("pr", batch)).toBe(false);
    expect(facts.take("pr")).toBeUndefined();
    const next = facts.join("pr", {})!;
    expect(carriesFacts(next)).toBe(false);
    facts.take("pr");
    expect(facts.claim("pr", next)).toBe(false);
  });

  test("every delivery of a batch gets its reconcile's outcome, or its error", async () => {
    const facts = new PendingFacts();
    const ok = facts.join("a", {})!;
    ok.settle(Promise.resolve({ state: "pass" } as Outcome));
    await expect(ok.done).resolves.toEqual({ state: "pass" });
    const failed = facts.join("b", {})!;
    failed.settle(Promise.reject(new Error("GitHub said no")));
    await expect(failed.done).rejects.toThrow("GitHub said no");
  });
});

const TABLE = `version: 1
personas:
  security: { name: Security Engineer, teams: [security] }
  backend: { name: Backend Engineer, teams: [backend] }
  finance: { name: Finance, users: [fiona] }
domains:
  auth:
    paths: ["src/auth/"]
    require: [security, backend, finance]
`;
const fake = useFakeGitHub();

/** A pull request opened under TABLE, with every reconcile's outcome collected. */
async function opened() {
  const { gh } = fake.fresh({
    table: TABLE,
    files: [{ filename: "src/auth/a.ts" }],
    teams: { security: ["sam"], backend: ["bob"] },
  });
  const outcomes: Outcome[] = [];
  const serializer = new CountingSerializer();
  const probot = createProbot({ onOutcome: (_pr, o) => outcomes.push(o), serializer });
  await probot.receive(events.pullRequest(gh, "opened") as never);
  return { gh, probot, outcomes, serializer };
}

/** A reconcile of the pull request running, its read held until `release`. */
async function reconcileHeld(gh: FakeGitHub, probot: Probot) {
  let release!: () => void;
  gh.holds.push({ method: "POST", path: /^\/graphql$/, until: new Promise<void>((r) => (release = r)), times: 1 });
  const running = probot.receive(events.rerequested(gh, "parallel-review") as never);
  await until(
    () => gh.holds[0]!.times === 0,
    () => "the held request was never made",
  );
  return { release, running };
}

describe("the router: approvals that arrive together", () => {
  test("three approvals waiting behind a running reconcile share one; each one's facts count", async () => {
    const { gh, probot, outcomes, serializer } = await opened();
    expect(outcomes).toHaveLength(1);

    // A reconcile of the pull request is running (its read held), when three approvals arrive: a review
    // (its body narrows it to security), a `/approve backend` comment and fiona's Approve button.
    const { release, running } = await reconcileHeld(gh, probot);
    const handed = serializer.handed;
    gh.review("sam", "APPROVED", "Reviewed-for: security");
    const review = probot.receive(events.review(gh, "submitted", "sam") as never);
    const c = gh.comment("bob", "/approve backend");
    const commented = probot.receive(events.comment(gh, "created", c) as never);
    const clicked = probot.receive(events.click(gh, "review/finance", "approve", "fiona") as never);
    await serializer.until(handed + 3); // all three are waiting behind the held reconcile, in one batch
    // Reads of the pull request (team-membership queries aside).
    const pullReads = () => gh.log.filter((l) => queryName(l) === "PullSnapshot").length;
    const queries = pullReads();
    release();
    await Promise.all([running, review, commented, clicked]);

    // The held one, then ONE reconcile for all three (a passing decision reads twice more to confirm).
    expect(outcomes).toHaveLength(3);
    expect(outcomes.at(-1)!.state).toBe("pass");
    expect(pullReads() - queries).toBeLessThanOrEqual(1 + 3);
    for (const p of ["security", "backend", "finance"]) expect(gh.run(`review/${p}`)!.conclusion).toBe("success");
    expect(gh.run("parallel-review")!.conclusion).toBe("success");
    // The click and the comment are recorded (the click's record comment names its delivery).
    expect(gh.comments.some((x) => x.body.includes('"via":"button"') && x.body.includes('"user":"fiona"'))).toBe(true);
  });

  test("two clicks waiting together get a reconcile each, in order, and both are recorded", async () => {
    const { gh, probot, outcomes, serializer } = await opened();
    const { release, running } = await reconcileHeld(gh, probot);
    const handed = serializer.handed;
    const first = probot.receive(events.click(gh, "review/finance", "approve", "fiona") as never);
    const second = probot.receive(events.click(gh, "review/security", "approve", "sam") as never);
    await serializer.until(handed + 2); // both are waiting behind the held reconcile
    release();
    await Promise.all([running, first, second]);
    expect(outcomes).toHaveLength(4);
    expect(gh.run("review/finance")!.conclusion).toBe("success");
    expect(gh.run("review/security")!.conclusion).toBe("success");
    expect(gh.comments.filter((x) => x.body.includes('"via":"button"'))).toHaveLength(2);
  });
});
