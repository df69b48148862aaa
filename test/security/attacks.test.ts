import { describe, expect, test } from "@jest/globals";
import type { Probot } from "probot";
import { APP_SLUG, createProbot, sha, tick, type FakeGitHub } from "../helpers/fake-github.js";
import { events, type Delivery } from "../helpers/payloads.js";
import { useFakeGitHub } from "../helpers/app-harness.js";
import { AUTH, AUTH_AND_PAYMENTS, green, sentBy, TABLE, TEAMS } from "./cast.js";
import { until } from "../helpers/until.js";

/**
 * Issue 7: every attack that got through the gate, as a regression test. The cast: security team =
 * sam, sue, sasha (sasha is also in backend); finance = fiona; platform = pat (config owner); carol =
 * the author, with write access; mallory = no team. "Green" is what branch protection would accept.
 */

const fake = useFakeGitHub();
let gh: FakeGitHub;
let probot: Probot;

function setup(files = AUTH, table = TABLE) {
  ({ gh, probot } = fake.fresh({ table, files, teams: TEAMS }));
}
const receive = (d: Delivery, app = probot) => app.receive(d as never);
const failing = (d: Delivery, app = probot) => app.receive(d as never).catch(() => "failed");
const gate = () => gh.run("parallel-review")!;
const as = (d: Delivery, login: string): Delivery => sentBy(gh, d, login);

async function approveByReview(login: string, body = "") {
  gh.review(login, "APPROVED", body);
  await receive(events.review(gh, "submitted", login));
}

function reviewEdited(review: { id: number; body: string }, from: string, editor: string): Delivery {
  const d = as(events.review(gh, "edited", editor), editor);
  const payload = d.payload as { review: Record<string, unknown> };
  return {
    ...d,
    payload: {
      ...d.payload,
      review: { ...payload.review, ...review, user: gh.userObj(reviewAuthor(review.id)) },
      changes: { body: { from } },
    },
  };
}
const reviewAuthor = (id: number) => gh.reviews.find((r) => r.id === id)!.user.login;

describe("A. editing or deleting others' comments, reviews or the app's records changes no persona's state", () => {
  test("carol deletes sue's /request-changes comment: the gate stays red", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    await approveByReview("sam");
    const c = gh.comment("sue", "/request-changes security tokens are logged");
    await receive(events.comment(gh, "created", c));
    expect(gate().conclusion).toBe("failure");
    gh.comments = gh.comments.filter((x) => x.id !== c.id);
    await receive(as(events.comment(gh, "deleted", c), "carol"));
    expect(gate().conclusion).toBe("failure");
    expect(gh.run("review/security")!.conclusion).toBe("failure");
  });

  test("carol edits sue's /request-changes comment to 'thanks': the gate stays red", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    await approveByReview("sam");
    const c = gh.comment("sue", "/request-changes security tokens are logged");
    await receive(events.comment(gh, "created", c));
    c.body = "thanks";
    c.updated_at = tick();
    await receive(as(events.comment(gh, "edited", c), "carol"));
    expect(gate().conclusion).toBe("failure");
  });

  test("carol deletes the comment and the app's record of it: the ledger still holds it", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    await approveByReview("sam");
    const c = gh.comment("sue", "/request-changes security tokens are logged");
    await receive(events.comment(gh, "created", c));
    const record = gh.comments.find((x) => x.performed_via_github_app)!;
    gh.comments = [];
    await receive(as(events.comment(gh, "deleted", record), "carol"));
    await receive(as(events.comment(gh, "deleted", c), "carol"));
    await receive(events.pullRequest(gh, "reopened"));
    expect(gate().conclusion).toBe("failure");
  });

  test("sue clicked Request changes; carol deletes the app's record of the click: the gate stays red", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    await approveByReview("sam");
    await receive(events.click(gh, "review/security", "request_changes", "sue"));
    expect(gate().conclusion).toBe("failure");
    const record = gh.comments.find((x) => x.performed_via_github_app)!;
    gh.comments = gh.comments.filter((x) => x !== record);
    await receive(as(events.comment(gh, "deleted", record), "carol"));
    expect(gate().conclusion).toBe("failure");
    await receive(events.pullRequest(gh, "reopened"));
    expect(gate().conclusion).toBe("failure");
  });

  test("carol edits the app's record of sue's click: the gate stays red", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    await approveByReview("sam");
    await receive(events.click(gh, "review/security", "request_changes", "sue"));
    const record = gh.comments.find((x) => x.performed_via_github_app)!;
    record.body = "nothing to see";
    record.updated_at = tick();
    await receive(as(events.comment(gh, "edited", record), "carol"));
    expect(gate().conclusion).toBe("failure");
  });

  test("carol adds Reviewed-for: finance to sue's change request review: the security block stands", async () => {
    setup(AUTH_AND_PAYMENTS);
    await receive(events.pullRequest(gh, "opened"));
    await approveByReview("sam", "Reviewed-for: security");
    await approveByReview("bob");
    await receive(events.click(gh, "review/finance", "approve", "fiona"));
    const r = gh.review("sue", "CHANGES_REQUESTED", "tokens are logged");
    await receive(events.review(gh, "submitted", "sue"));
    expect(gate().conclusion).toBe("failure");
    const original = r.body;
    r.body = "tokens are logged\nReviewed-for: finance";
    await receive(reviewEdited(r, original, "carol"));
    expect(gh.run("review/security")!.conclusion).toBe("failure");
    expect(gate().conclusion).toBe("failure");
  });

  test("the edit's delivery is lost: the scope the app first saw still decides", async () => {
    setup(AUTH_AND_PAYMENTS);
    await receive(events.pullRequest(gh, "opened"));
    await approveByReview("sam", "Reviewed-for: security");
    await approveByReview("bob");
    await receive(events.click(gh, "review/finance", "approve", "fiona"));
    const r = gh.review("sue", "CHANGES_REQUESTED", "tokens are logged");
    await receive(events.review(gh, "submitted", "sue"));
    r.body = "tokens are logged\nReviewed-for: finance";
    await receive(events.pullRequest(gh, "reopened"));
    expect(gate().conclusion).toBe("failure");
  });

  test("carol removes Reviewed-for: backend from sasha's approval: it still does not count for Security", async () => {
    setup(AUTH_AND_PAYMENTS);
    await receive(events.pullRequest(gh, "opened"));
    const r = gh.review("sasha", "APPROVED", "Reviewed-for: backend");
    await receive(events.review(gh, "submitted", "sasha"));
    await receive(events.click(gh, "review/finance", "approve", "fiona"));
    expect(gh.run("review/backend")!.conclusion).toBe("success");
    expect(gh.run("review/security")!.conclusion).not.toBe("success");
    r.body = "LGTM";
    await receive(reviewEdited(r, "Reviewed-for: backend", "carol"));
    expect(gh.run("review/security")!.conclusion).not.toBe("success");
    expect(green(gate())).toBe(false);
  });

  test("the same edit made before the app handled the submission: the submitted body decides", async () => {
    setup(AUTH_AND_PAYMENTS);
    await receive(events.pullRequest(gh, "opened"));
    const r = gh.review("sasha", "APPROVED", "Reviewed-for: backend");
    const submitted = events.review(gh, "submitted", "sasha"); // carries the body as submitted
    r.body = "LGTM"; // carol's edit lands before the delivery is handled
    await receive(submitted);
    await receive(events.click(gh, "review/finance", "approve", "fiona"));
    expect(gh.run("review/security")!.conclusion).not.toBe("success");
    expect(green(gate())).toBe(false);
  });
});

describe("B. an approval is bound to the commit the reviewer saw", () => {
  test("M → S → M: sam's /approve written while S was the head does not approve M", async () => {
    setup();
    const m = gh.pull.headSha;
    await receive(events.pullRequest(gh, "opened")); // checks on M
    gh.push("S", AUTH, AUTH);
    await receive(events.pullRequest(gh, "synchronize", { before: m }));
    const c = gh.comment("sam", "/approve security"); // sam looked at S
    gh.forcePush("head-1"); // back to M, before the app handles sam's comment
    expect(gh.pull.headSha).toBe(m);
    await receive(events.comment(gh, "created", c));
    expect(gh.run("review/security")!.conclusion).not.toBe("success");
    await receive(events.pullRequest(gh, "synchronize", { before: sha("S") }));
    expect(gh.run("review/security")!.conclusion).not.toBe("success");
    expect(green(gate())).toBe(false);
  });

  test("the same comment with no force-push in between approves the head it was written on", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    const c = gh.comment("sam", "/approve security");
    await receive(events.comment(gh, "created", c));
    expect(gh.run("review/security")!.conclusion).toBe("success");
  });

  test("a redelivered old click does not overtake the reviewer's later change request", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    await approveByReview("sam");
    // sue clicks Approve while the app cannot write its check runs (every attempt fails)…
    gh.faults.push({ method: "PATCH", path: /\/check-runs\/\d+$/, status: 500, times: 40 });
    const click = events.click(gh, "review/security", "approve", "sue");
    expect(await failing(click)).toBe("failed");
    gh.faults = [];
    // …then requests changes by review; later GitHub redelivers the old click.
    gh.review("sue", "CHANGES_REQUESTED", "found a problem");
    await receive(events.review(gh, "submitted", "sue"));
    expect(gate().conclusion).toBe("failure");
    await receive(click);
    expect(gate().conclusion).toBe("failure");
    expect(gh.run("review/security")!.conclusion).toBe("failure");
  });
});

describe("C. stale writes, hangs, a vanishing table, unrecorded clicks", () => {
  test("two replicas: a stale decision written last is corrected before its reconcile ends", async () => {
    setup();
    const replicaA = probot;
    const replicaB = createProbot();
    // Opened on B: A remembers nothing of this pull request (not even which teams to list in its read), so
    // its decision asks sam's membership over REST after its read, as any decision may that a list does not answer.
    await receive(events.pullRequest(gh, "opened"), replicaB);
    let release!: () => void;
    gh.holds.push({
      method: "GET",
      path: /\/memberships\/sam$/,
      until: new Promise<void>((r) => (release = r)),
      times: 1,
    });
    gh.review("sam", "APPROVED");
    const slow = receive(events.review(gh, "submitted", "sam"), replicaA); // waits on sam's membership
    await until(
      () => gh.holds[0]!.times === 0,
      () => "the held request was never made",
    );
    const c = gh.comment("sue", "/request-changes security tokens are logged");
    await receive(events.comment(gh, "created", c), replicaB);
    expect(gate().conclusion).toBe("failure");
    release();
    await slow;
    expect(gate().conclusion).toBe("failure");
    expect(
      gh
        .runsOn()
        .filter((r) => r.name === "parallel-review")
        .every((r) => !green(r)),
    ).toBe(true);
  });

  test("a read that never answers fails the reconcile (closed gate) instead of holding it open", async () => {
    ({ gh } = fake.fresh({ table: TABLE, files: AUTH, teams: TEAMS }));
    probot = createProbot({ requestTimeoutMs: 50 });
    await receive(events.pullRequest(gh, "opened"));
    await approveByReview("sam");
    expect(gate().conclusion).toBe("success");
    let release!: () => void;
    const never = new Promise<void>((r) => (release = r));
    gh.holds.push({ method: "POST", path: /^\/graphql$/, until: never, times: 100 }); // the reconcile's read
    const c = gh.comment("sue", "/request-changes security tokens are logged");
    expect(await failing(events.comment(gh, "created", c))).toBe("failed");
    expect(green(gate())).toBe(false);
    gh.holds = [];
    release();
    await receive(events.pullRequest(gh, "reopened")); // the next event is not stuck behind the hung one
    expect(gate().conclusion).toBe("failure");
  }, 30_000);

  test("a single 404 on the table does not turn a waiting gate neutral", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    expect(gate().status).toBe("in_progress");
    gh.faults.push({ method: "GET", path: /\/contents\/reviewers\.yml$/, status: 404, times: 1 });
    await receive(events.pullRequest(gh, "reopened"));
    expect(gh.faults.map((f) => f.times)).toEqual([0]); // the query's read of the table met the 404
    expect(gate().status).toBe("in_progress");
    expect(gh.run("review/security")!.status).toBe("in_progress");
  });

  test("a table that is really gone (two reads) retires the runs", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    gh.setFile("main", "reviewers.yml", undefined);
    await receive(events.pullRequest(gh, "reopened"));
    expect(gate().conclusion).toBe("neutral");
  });

  test("a click whose record cannot be written keeps the gate closed until it is recorded", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    await approveByReview("sam");
    expect(gate().conclusion).toBe("success");
    // Neither the ledger (in the runs) nor the record comment (in the same request) can be written.
    gh.faults.push({ method: "PATCH", path: /\/check-runs\/\d+$/, status: 500, times: 40 });
    gh.faults.push({ method: "POST", path: /\/issues\/7\/comments$/, status: 500, times: 40 });
    const click = events.click(gh, "review/security", "request_changes", "sue");
    expect(await failing(click)).toBe("failed");
    gh.faults = [];
    await receive(events.pullRequest(gh, "reopened")); // an unrelated event
    expect(green(gate())).toBe(false);
    expect(gate().output.summary).toContain("could not be recorded");
    await receive(click); // GitHub redelivers it
    expect(gate().conclusion).toBe("failure");
    expect(gh.run("review/security")!.conclusion).toBe("failure");
    expect(gate().output.summary).not.toContain("could not be recorded");
  });

  test("the record comment is written though the runs' writes in its request fail: the next event reads the click from it", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    await approveByReview("sam");
    gh.faults.push({ method: "PATCH", path: /\/check-runs\/\d+$/, status: 500, times: 40 });
    expect(await failing(events.click(gh, "review/security", "request_changes", "sue"))).toBe("failed");
    gh.faults = [];
    expect(gh.comments.filter((c) => c.user.login === `${APP_SLUG}[bot]`)).toHaveLength(1);
    await receive(events.pullRequest(gh, "reopened")); // an unrelated event
    expect(gate().conclusion).toBe("failure");
    expect(gate().output.summary).toContain("changes requested by @sue");
    expect(gate().output.summary).not.toContain("could not be recorded");
  });
});

describe("D. policy gaps", () => {
  test("sam pushes his own src/auth change onto carol's PR: his approval does not count for Security", async () => {
    setup();
    gh.commits = [
      { sha: sha("c1"), author: "carol", files: AUTH },
      { sha: sha("c2"), author: "sam", files: [{ filename: "src/auth/token.ts" }] },
    ];
    await receive(events.pullRequest(gh, "opened"));
    await approveByReview("sam");
    expect(gh.run("review/security")!.conclusion).not.toBe("success");
    expect(gh.run("review/security")!.output.summary).toContain("pushed or authored commits");
    await approveByReview("sue");
    expect(gate().conclusion).toBe("success");
  });

  test("the pusher counts even when the commit names someone else as its author", async () => {
    setup();
    const before = gh.pull.headSha;
    gh.commits = [{ sha: sha("S"), author: "carol", files: AUTH }];
    gh.push("S", AUTH, [{ filename: "src/auth/token.ts" }]);
    await receive(as(events.pullRequest(gh, "synchronize", { before }), "sam"));
    await approveByReview("sam");
    expect(gh.run("review/security")!.conclusion).not.toBe("success");
  });

  test("a contributor who touched only other files can still approve", async () => {
    setup();
    gh.commits = [
      { sha: sha("c1"), author: "carol", files: AUTH },
      { sha: sha("c2-docs"), author: "sam", files: [{ filename: "docs/readme.md" }] },
    ];
    await receive(events.pullRequest(gh, "opened"));
    await approveByReview("sam");
    expect(gh.run("review/security")!.conclusion).toBe("success");
  });

  test("settings.contributor_approval: true lets contributors approve", async () => {
    setup(AUTH, TABLE.replace("request_reviews: false", "request_reviews: false\n  contributor_approval: true"));
    gh.commits = [{ sha: sha("c2"), author: "sam", files: AUTH }];
    await receive(events.pullRequest(gh, "opened"));
    await approveByReview("sam");
    expect(gh.run("review/security")!.conclusion).toBe("success");
  });

  test("a closed (unmerged) pull request's green gate is closed, so another PR from its head cannot use it", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    await approveByReview("sam");
    expect(gate().conclusion).toBe("success");
    gh.pull.state = "closed";
    await receive(events.pullRequest(gh, "closed"));
    expect(gate().conclusion).toBe("cancelled");
    expect(
      gh
        .runsOn()
        .filter((r) => r.name === "parallel-review")
        .every((r) => !green(r)),
    ).toBe(true);
  });

  test("a merged pull request keeps its green gate: what merged was judged, and the run is its record", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    await approveByReview("sam");
    expect(gate().conclusion).toBe("success");
    gh.pull = { ...gh.pull, state: "closed", merged: true };
    await receive(events.pullRequest(gh, "closed"));
    expect(gate().conclusion).toBe("success");
  });

  test("the base table renames the gate: the old gate's run is closed, not left green", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    await approveByReview("sam");
    expect(gate().conclusion).toBe("success");
    gh.setFile("main", "reviewers.yml", TABLE.replace("settings:\n", "settings:\n  gate: mandatory-review\n"));
    await receive(events.push(gh, "refs/heads/main", ["reviewers.yml"]));
    expect(gh.run("mandatory-review")!.conclusion).toBe("success");
    expect(gate().conclusion).toBe("failure");
    expect(gate().output.title).toContain("mandatory-review");
  });
});

describe("E. input a stranger controls", () => {
  test("a 64,015-character /approve by mallory is answered within GitHub's limits and the PR stays judgeable", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    const body = `/approve ${Array.from({ length: 10_731 }, (_, i) => `p${i}`).join(" ")}`.slice(0, 64_015);
    await receive(events.comment(gh, "created", gh.comment("mallory", body)));
    const answer = gh.comments.at(-1)!;
    expect(answer.performed_via_github_app).not.toBeNull();
    expect(Buffer.byteLength(answer.body)).toBeLessThan(65_536);
    await approveByReview("sam");
    expect(gate().conclusion).toBe("success");
  });

  test.each([
    ["an indented code block", "Do not merge yet; when it is ready I will write\n\n    /approve security\n"],
    ["an HTML comment", "<!--\n/approve security\n-->"],
  ])("/approve inside %s does not count", async (_what, body) => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    await receive(events.comment(gh, "created", gh.comment("sam", body)));
    expect(gh.run("review/security")!.conclusion).not.toBe("success");
  });
});

describe("F. several runs of one name on a commit", () => {
  test("an older green twin of the gate does not outlive a newer waiting run", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    const current = gate();
    gh.runs.unshift({ ...current, id: current.id - 500, status: "completed", conclusion: "success" });
    await receive(events.pullRequest(gh, "reopened"));
    const gates = gh.runsOn().filter((r) => r.name === "parallel-review");
    expect(gates.length).toBe(2);
    expect(gates.every((r) => !green(r))).toBe(true);
  });

  test("a failure reported after an error closes every run of the gate's name", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    await approveByReview("sam");
    const current = gate();
    gh.runs.unshift({ ...current, id: current.id - 500 });
    gh.faults.push({ method: "GET", path: /\/pulls\/7\/reviews$/, status: 403, times: 1 });
    expect(await failing(events.pullRequest(gh, "reopened"))).toBe("failed");
    expect(
      gh
        .runsOn()
        .filter((r) => r.name === "parallel-review")
        .every((r) => !green(r)),
    ).toBe(true);
  });
});
