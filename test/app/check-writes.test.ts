import { describe, expect, test } from "@jest/globals";
import type { CheckRunSpec } from "../../src/core/checks.js";
import {
  MAX_MUTATIONS_PER_REQUEST,
  RIDING_COMMENTS,
  rideWithRuns,
  writeRuns,
  type RunWrite,
} from "../../src/github/checks.js";
import type { Octokit } from "../../src/github/client.js";
import { nodeId } from "../../src/simulator/util.js";
import { reconcileDeps, useFakeGitHub } from "../helpers/app-harness.js";
import { reconcile } from "../../src/app/reconcile.js";
import { isGraphQLQuery, queryName, testOctokit, type FakeGitHub } from "../helpers/fake-github.js";
import { events } from "../helpers/payloads.js";
import { until } from "../helpers/until.js";

/**
 * Check-run writes as one GraphQL request (src/github/checks.ts writeRuns): order, a vanished run, other
 * per-mutation errors. Every document goes through GitHub's published schema (the harness fails a test
 * that sent one GitHub would reject), and every mutation through the OpenAPI check of its REST twin.
 */
const fake = useFakeGitHub();
const TABLE = `version: 1
personas:
  security: { name: Security Engineer, teams: [security] }
domains:
  auth:
    paths: ["src/auth/"]
    require: [security]
`;

const REPO = nodeId("Repository", 1);
const spec = (name: string, over: Partial<CheckRunSpec> = {}): CheckRunSpec => ({
  name,
  status: "in_progress",
  title: `${name} waits`,
  summary: "s",
  actions: [],
  ...over,
});

function setup(): { gh: FakeGitHub; octokit: Octokit } {
  const { gh } = fake.fresh({ table: TABLE, files: [{ filename: "src/auth/a.ts" }] });
  return { gh, octokit: new testOctokit({ auth: "ghs_test" }) };
}

const planted = (gh: FakeGitHub, name: string) => {
  const run = {
    id: 100 + gh.runs.length,
    name,
    head_sha: gh.pull.headSha,
    status: "in_progress",
    conclusion: null,
    output: { title: "old", summary: "old" },
    actions: [],
    app_id: 4242,
    started_at: "2026-11-27T09:00:00Z",
  };
  gh.runs.push(run);
  return { id: run.id, nodeId: nodeId("CheckRun", run.id) };
};

describe("writeRuns", () => {
  test("creates and updates in one request, in the order given, stamping completedAt", async () => {
    const { gh, octokit } = setup();
    const older = planted(gh, "gate");
    const writes: RunWrite[] = [
      { create: spec("gate"), sha: gh.pull.headSha },
      { update: spec("gate", { status: "completed", conclusion: "cancelled", title: "Superseded" }), run: older },
      {
        create: spec("review/security", { actions: [{ label: "Approve", description: "d", identifier: "approve" }] }),
        sha: gh.pull.headSha,
      },
    ];
    const before = gh.log.length;
    expect(await writeRuns(octokit, REPO, writes, () => new Date("2026-11-30T12:00:00Z"))).toEqual({
      vanished: 0,
      commented: 0,
      commentFailures: [],
    });
    expect(gh.log.slice(before).map((l) => `${l.method} ${l.path}`)).toEqual(["POST /graphql"]);
    expect(gh.runWrites.map((w) => `${w.method} ${w.path.replace(/\d+$/, ":id")}`)).toEqual([
      "POST /repos/acme/shop/check-runs",
      "PATCH /repos/acme/shop/check-runs/:id",
      "POST /repos/acme/shop/check-runs",
    ]);
    expect(gh.runs.find((r) => r.id === older.id)).toMatchObject({
      status: "completed",
      conclusion: "cancelled",
      completed_at: "2026-11-30T12:00:00.000Z",
    });
    expect(gh.run("review/security")!.actions).toEqual([{ label: "Approve", description: "d", identifier: "approve" }]);
  });

  test("a run that vanished is skipped like REST's 404; the writes after it still happen", async () => {
    const { gh, octokit } = setup();
    const gone = planted(gh, "review/security");
    gh.runs = [];
    const result = await writeRuns(octokit, REPO, [
      { update: spec("review/security"), run: gone },
      { create: spec("gate"), sha: gh.pull.headSha },
    ]);
    expect(result).toEqual({ vanished: 1, commented: 0, commentFailures: [] });
    expect(gh.run("gate")).toBeDefined();
  });

  test("any other failed mutation fails the batch, after the others were applied", async () => {
    const { gh, octokit } = setup();
    const run = planted(gh, "review/security");
    gh.faults.push({ method: "PATCH", path: /\/check-runs\/\d+$/, status: 500, times: 1 });
    await expect(
      writeRuns(octokit, REPO, [
        { update: spec("review/security", { title: "new" }), run },
        { create: spec("gate"), sha: gh.pull.headSha },
      ]),
    ).rejects.toThrow(/Something went wrong/);
    expect(gh.run("gate")).toBeDefined();
    expect(gh.run("review/security")!.output.title).toBe("old");
  });

  const PR = nodeId("PullRequest", 7);
  const botComments = (gh: FakeGitHub) => gh.comments.filter((c) => c.user.type === "Bot").map((c) => c.body);

  test("comments go after the runs in the same request; one that fails is reported, never fatal", async () => {
    const { gh, octokit } = setup();
    const run = planted(gh, "review/security");
    gh.faults.push({ method: "POST", path: /\/issues\/7\/comments$/, status: 500, times: 1 });
    const before = gh.log.length;
    const result = await writeRuns(octokit, REPO, [
      { update: spec("review/security", { title: "new" }), run },
      { comment: "first record", subjectId: PR },
      { comment: "second record", subjectId: PR },
    ]);
    expect(gh.log.slice(before).map((l) => `${l.method} ${l.path}`)).toEqual(["POST /graphql"]);
    expect(result).toMatchObject({ vanished: 0, commented: 1 });
    expect(result.commentFailures).toEqual([expect.objectContaining({ type: "INTERNAL", path: ["w1"] })]);
    expect(gh.run("review/security")!.output.title).toBe("new");
    expect(botComments(gh)).toEqual(["second record"]);
  });

  test("a comment on a pull request GitHub does not know is reported like any failed comment", async () => {
    const { gh, octokit } = setup();
    const result = await writeRuns(octokit, REPO, [
      { create: spec("gate"), sha: gh.pull.headSha },
      { comment: "lost", subjectId: nodeId("PullRequest", 8) },
    ]);
    expect(result).toMatchObject({ vanished: 0, commented: 0 });
    expect(result.commentFailures).toEqual([expect.objectContaining({ type: "NOT_FOUND", path: ["w1"] })]);
    expect(gh.run("gate")).toBeDefined();
  });

  test("a request of comments alone that fails whole is reported, not thrown; with a run in it, it is thrown", async () => {
    const { gh, octokit } = setup();
    gh.faults.push({ method: "POST", path: /^\/graphql$/, status: 404, times: 2 });
    const alone = await writeRuns(octokit, REPO, [{ comment: "answer", subjectId: PR }]);
    expect(alone).toMatchObject({ vanished: 0, commented: 0 });
    expect(alone.commentFailures).toEqual([expect.objectContaining({ status: 404 })]);
    await expect(
      writeRuns(octokit, REPO, [
        { create: spec("gate"), sha: gh.pull.headSha },
        { comment: "answer", subjectId: PR },
      ]),
    ).rejects.toMatchObject({ status: 404 });
    expect(botComments(gh)).toEqual([]);
  });

  test("a failed check-run write still fails the batch when a comment in it failed too", async () => {
    const { gh, octokit } = setup();
    const run = planted(gh, "review/security");
    gh.faults.push({ method: "PATCH", path: /\/check-runs\/\d+$/, status: 500, times: 1 });
    gh.faults.push({ method: "POST", path: /\/issues\/7\/comments$/, status: 500, times: 1 });
    await expect(
      writeRuns(octokit, REPO, [
        { update: spec("review/security", { title: "new" }), run },
        { comment: "record", subjectId: PR },
      ]),
    ).rejects.toThrow(/Something went wrong/);
  });

  test("comments past a request's share go in the next request, after every run", async () => {
    const { gh, octokit } = setup();
    const names = Array.from({ length: MAX_MUTATIONS_PER_REQUEST - 1 }, (_, i) => `review/p${i}`);
    const before = gh.log.length;
    const result = await writeRuns(octokit, REPO, [
      ...names.map((n) => ({ create: spec(n), sha: gh.pull.headSha })),
      { comment: "one", subjectId: PR },
      { comment: "two", subjectId: PR },
    ]);
    expect(result).toEqual({ vanished: 0, commented: 2, commentFailures: [] });
    expect(gh.log.slice(before).filter((l) => l.path === "/graphql" && !isGraphQLQuery(l))).toHaveLength(2);
    expect(gh.runsOn().map((r) => r.name)).toEqual(names);
    expect(botComments(gh)).toEqual(["one", "two"]);
  });

  test(`exactly ${MAX_MUTATIONS_PER_REQUEST} writes are one request, and a completed run is stamped now by default`, async () => {
    const { gh, octokit } = setup();
    const names = Array.from({ length: MAX_MUTATIONS_PER_REQUEST }, (_, i) => `review/p${i}`);
    const before = gh.log.length;
    const from = Date.now();
    await writeRuns(
      octokit,
      REPO,
      names.map((n) => ({ create: spec(n, { status: "completed", conclusion: "success" }), sha: gh.pull.headSha })),
    );
    expect(gh.log.slice(before).filter((l) => l.path === "/graphql" && !isGraphQLQuery(l))).toHaveLength(1);
    const stamped = Date.parse(String(gh.run("review/p0")!.completed_at));
    expect(stamped).toBeGreaterThanOrEqual(from);
    expect(stamped).toBeLessThanOrEqual(Date.now());
  });

  test(`more than ${MAX_MUTATIONS_PER_REQUEST} writes go out in several requests, still in order`, async () => {
    const { gh, octokit } = setup();
    const names = Array.from({ length: 2 * MAX_MUTATIONS_PER_REQUEST + 1 }, (_, i) => `review/p${i}`);
    const before = gh.log.length;
    await writeRuns(
      octokit,
      REPO,
      names.map((n) => ({ create: spec(n), sha: gh.pull.headSha })),
    );
    expect(gh.log.slice(before).filter((l) => l.path === "/graphql" && !isGraphQLQuery(l))).toHaveLength(3);
    expect(gh.runsOn().map((r) => r.name)).toEqual(names);
  });
});

describe("writeRuns: which answers fail the batch", () => {
  /** A client whose GraphQL answer is these errors (as Octokit throws them), and what it was sent. */
  const answering = (errors: unknown[]) => {
    const sent: string[] = [];
    const octokit = {
      graphql: (query: string) => {
        sent.push(query);
        return Promise.reject(
          Object.assign(new Error("answered with errors"), { name: "GraphqlResponseError", errors, data: {} }),
        );
      },
    } as unknown as Octokit;
    return { octokit, sent };
  };
  const update = { update: spec("review/security"), run: { id: 1, nodeId: nodeId("CheckRun", 1) } };
  const comment = { comment: "record", subjectId: nodeId("PullRequest", 7) };

  test("an answer with an empty error list is no success: a batch with a run fails", async () => {
    await expect(writeRuns(answering([]).octokit, REPO, [update])).rejects.toThrow("answered with errors");
  });

  test("an error naming no write (no path, or an alias the app never sends) fails a batch with a run", async () => {
    for (const path of [undefined, ["x0"], ["w0 "], [["w0"]], []]) {
      const { octokit } = answering([{ type: "NOT_FOUND", message: "gone", ...(path ? { path } : {}) }]);
      await expect(writeRuns(octokit, REPO, [update])).rejects.toThrow("answered with errors");
    }
  });

  test("…and in a request of comments alone it is reported with the others, not thrown", async () => {
    const { octokit } = answering([{ message: "Something went wrong" }]);
    const result = await writeRuns(octokit, REPO, [comment, comment]);
    expect(result).toMatchObject({ vanished: 0, commented: 0 });
    expect(result.commentFailures).toEqual([expect.objectContaining({ name: "GraphqlResponseError" })]);
  });

  test("two failed comments count two, beside a vanished run", async () => {
    const { octokit } = answering([
      { type: "NOT_FOUND", path: ["w0"], message: "gone" },
      { type: "INTERNAL", path: ["w1"], message: "x" },
      { type: "INTERNAL", path: ["w2", "clientMutationId"], message: "y" },
    ]);
    const result = await writeRuns(octokit, REPO, [update, comment, comment, comment]);
    expect(result).toEqual({
      vanished: 1,
      commented: 1,
      commentFailures: [
        expect.objectContaining({ path: ["w1"] }),
        expect.objectContaining({ path: ["w2", "clientMutationId"] }),
      ],
    });
  });

  test("aliases past w9 name their write: a failed comment at w10 is reported, not fatal", async () => {
    const runs = Array.from({ length: 10 }, (_, i) => ({
      update: spec(`review/p${i}`),
      run: { id: i, nodeId: nodeId("CheckRun", i) },
    }));
    const { octokit } = answering([{ type: "INTERNAL", path: ["w10"], message: "x" }]);
    const result = await writeRuns(octokit, REPO, [...runs, comment]);
    expect(result).toMatchObject({ vanished: 0, commented: 0 });
    expect(result.commentFailures).toHaveLength(1);
  });
});

describe("rideWithRuns: which record comments share the check-run request", () => {
  const run = { create: spec("gate"), sha: "abc" };
  const comment = (n: number) => ({ comment: "x".repeat(n), subjectId: "PR_7" });
  test("a few small ones ride after the runs", () => {
    const few = Array.from({ length: RIDING_COMMENTS.count }, () => comment(RIDING_COMMENTS.characters / 4));
    expect(rideWithRuns([run], few)).toEqual({ withRuns: [run, ...few], apart: [] });
  });
  test("one more, or more characters, and all go apart, after the runs (a stranger's answers never lengthen a gate's write)", () => {
    const many = Array.from({ length: RIDING_COMMENTS.count + 1 }, () => comment(10));
    expect(rideWithRuns([run], many)).toEqual({ withRuns: [run], apart: many });
    const long = [comment(RIDING_COMMENTS.characters / 2), comment(RIDING_COMMENTS.characters / 2 + 1)];
    expect(rideWithRuns([run], long)).toEqual({ withRuns: [run], apart: long });
  });
  test("with no run to write, comments go alone", () => {
    expect(rideWithRuns([], [comment(10)])).toEqual({ withRuns: [], apart: [comment(10)] });
  });
});

describe("a reconcile's writes", () => {
  test("a stranger's answers do not ride in the write that opens or closes a gate: they follow in a request of their own", async () => {
    const { gh, probot } = fake.fresh({ table: TABLE, files: [{ filename: "src/auth/a.ts" }] });
    await probot.receive(events.pullRequest(gh, "opened") as never);
    // Five refused commands whose deliveries were lost: the next reconcile answers them all.
    for (let i = 0; i < RIDING_COMMENTS.count + 1; i++) gh.comment("mallory", `/approve security ${"x".repeat(2000)}`);
    gh.review("sam", "APPROVED");
    const before = gh.log.length;
    await probot.receive(events.review(gh, "submitted", "sam") as never);
    const mutations = gh.log
      .slice(before)
      .filter((l) => l.path === "/graphql" && !isGraphQLQuery(l))
      .map((l) => String((l.body as { query: string }).query));
    const gate = mutations.filter((q) => /CheckRun\(/.test(q));
    expect(gate.length).toBeGreaterThan(0);
    expect(gate.every((q) => !q.includes("addComment"))).toBe(true);
    const answers = mutations.filter((q) => !/CheckRun\(/.test(q));
    expect(answers.flatMap((q) => q.match(/addComment\(/g) ?? [])).toHaveLength(RIDING_COMMENTS.count + 1);
    expect(gh.run("parallel-review")!.conclusion).toBe("success");
  });

  test("the slot is held to read and to write the checks, given back for the courtesy writes, taken again before the next round reads", async () => {
    const { gh } = fake.fresh({
      table: `${TABLE.replace("teams: [security] }", "teams: [security], users: [fiona] }")}`,
      files: [{ filename: "src/auth/a.ts" }],
    });
    gh.notCollaborators.add("fiona"); // refused: the next round writes the notice onto the persona's check
    for (let i = 0; i < RIDING_COMMENTS.count + 1; i++) gh.comment("mallory", "/approve security"); // answers go apart
    const { slot, marks } = notingSlot(gh);
    const ref = { owner: gh.owner, repo: gh.repo, number: gh.pull.number };
    const outcome = await reconcile(reconcileDeps(), ref, undefined, {}, slot);
    expect(outcome.refused).toBeUndefined(); // the last round asked nobody again
    const kind = (i: number) => {
      const l = gh.log[i]!;
      if (l.path.endsWith("/requested_reviewers")) return "review request";
      if (l.method === "GET" || isGraphQLQuery(l)) return "read";
      return /CheckRun\(/.test(String((l.body as { query?: string }).query)) ? "checks" : "answers";
    };
    const heldAt = (i: number) => marks.filter((m) => m.at <= i).at(-1)?.held ?? false;
    const seen = gh.log.map((_, i) => `${kind(i)}: ${heldAt(i) ? "held" : "released"}`);
    expect([...new Set(seen)].sort()).toEqual([
      "answers: released",
      "checks: held",
      "read: held",
      "review request: released",
    ]);
    // Two rounds: each takes the slot before it reads; the first gives it back after its checks are written,
    // for its courtesy writes; the second, with none, keeps it to the end (the router gives it back).
    expect(marks.map((m) => m.held)).toEqual([true, false, true]);
    expect(kind(marks[2]!.at)).toBe("read");
    expect(gh.run("review/security")!.output.summary).toContain("@fiona could not be requested");
  });

  /** A slot that notes every real take and give-back, and where in GitHub's log each came. */
  function notingSlot(gh: FakeGitHub) {
    const marks: { at: number; held: boolean }[] = [];
    let held = false;
    const slot = {
      acquire: async () => {
        if (!held) marks.push({ at: gh.log.length, held: (held = true) });
      },
      release: () => {
        if (held) marks.push({ at: gh.log.length, held: (held = false) });
      },
    };
    return { slot, marks };
  }

  for (const answers of [0, RIDING_COMMENTS.count + 1])
    test(`a reconcile that opens the gate keeps its slot for the round after it (${answers} answers to write apart)`, async () => {
      const { gh } = fake.fresh({ table: TABLE, files: [{ filename: "src/auth/a.ts" }] });
      const ref = { owner: gh.owner, repo: gh.repo, number: gh.pull.number };
      await reconcile(reconcileDeps(), ref);
      for (let i = 0; i < answers; i++) gh.comment("mallory", "/approve security"); // a stranger's, refused
      gh.review("sam", "APPROVED");
      const { slot, marks } = notingSlot(gh);
      const before = gh.log.length;
      const outcome = await reconcile(reconcileDeps(), ref, undefined, {}, slot);
      expect(outcome.state).toBe("pass");
      const snapshots = gh.log.slice(before).filter((l) => queryName(l) === "PullSnapshot");
      // The first read (sam's membership asked after it), the confirming read, and the round after the gate opened.
      expect(snapshots).toHaveLength(3);
      const sent = gh.log.slice(before).filter((l) => !isGraphQLQuery(l) && l.method !== "GET");
      expect(sent.length).toBe(answers > 0 ? 2 : 1); // the gate's write, and the answers apart
      expect(marks.map((m) => m.held)).toEqual([true]); // taken once, never given back: the router's end does
      expect(gh.run("parallel-review")!.conclusion).toBe("success");
    });

  test("a run deleted between the read and the write does not fail the reconcile; its next round recreates it", async () => {
    const { gh, probot } = fake.fresh({ table: TABLE, files: [{ filename: "src/auth/a.ts" }] });
    await probot.receive(events.pullRequest(gh, "opened") as never);
    gh.review("sam", "APPROVED");
    let release!: () => void;
    gh.holds.push({ method: "POST", path: /^\/graphql$/, until: new Promise<void>((r) => (release = r)), times: 1 });
    const approving = probot.receive(events.review(gh, "submitted", "sam") as never);
    await until(
      () => gh.holds[0]!.times === 0,
      () => "the held request was never made",
    );
    gh.runs = gh.runs.filter((r) => r.name !== "review/security"); // gone while the batch was on its way
    release();
    await approving;
    expect(gh.run("review/security")!.conclusion).toBe("success");
    expect(gh.run("parallel-review")!.conclusion).toBe("success");
  });

  test("runs that vanish on every write: after three rounds the reconcile gives up, failing (the gate stays closed)", async () => {
    const { gh } = fake.fresh({ table: TABLE, files: [{ filename: "src/auth/a.ts" }] });
    const deps = reconcileDeps();
    const ref = { owner: gh.owner, repo: gh.repo, number: gh.pull.number };
    await reconcile(deps, ref);
    gh.review("sam", "APPROVED");
    // Every update answered NOT_FOUND (a lagging replica that never catches up): each round looks again.
    gh.faults.push({ method: "PATCH", path: /\/check-runs\/\d+$/, status: 404, times: 100 });
    const before = gh.log.length;
    await expect(reconcile(deps, ref)).rejects.toThrow(
      "the review state kept changing while the app wrote it: the gate stays closed and is evaluated again on the next event",
    );
    expect(gh.log.slice(before).filter((l) => l.path === "/graphql" && !isGraphQLQuery(l))).toHaveLength(3);
    expect(gh.run("parallel-review")!.conclusion).not.toBe("success");
  });
});
