import { describe, expect, test } from "@jest/globals";
import type { Probot } from "probot";
import { isGraphQLQuery, queryName, sha, type FakeGitHub } from "../helpers/fake-github.js";
import { events, type Delivery } from "../helpers/payloads.js";
import { reconcileDeps, useFakeGitHub } from "../helpers/app-harness.js";
import { TWO_TEAMS } from "../helpers/tables.js";
import { ReadCache, Recent } from "../../src/github/recent.js";
import { reconcile } from "../../src/app/reconcile.js";
import { until } from "../helpers/until.js";

/**
 * What the app remembers between reconciles (src/github/recent.ts) spares requests, and never opens a
 * gate: a decision to pass is made again on fresh answers.
 */
const fake = useFakeGitHub();
const TABLE = TWO_TEAMS;

let gh: FakeGitHub;
let probot: Probot;
const receive = (d: Delivery) => probot.receive(d as never);

function setup() {
  ({ gh, probot } = fake.fresh({
    table: TABLE,
    tablePath: ".github/reviewers.yml",
    files: [{ filename: "src/payments/charge.ts" }],
    teams: { backend: ["bob"], security: ["sam"] },
  }));
}

async function approve(login: string) {
  gh.review(login, "APPROVED");
  await receive(events.review(gh, "submitted", login));
}

describe("remembered answers never open the gate", () => {
  test("a reviewer removed from the team after approving: the remembered membership does not open it", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    await approve("sam"); // sam's membership of security is remembered from here
    gh.teams.set("security", new Set());
    const from = gh.log.length;
    await approve("bob");
    const gate = gh.run("parallel-review")!;
    expect(gate.conclusion).not.toBe("success");
    expect(gh.run("review/security")!.conclusion).not.toBe("success");
    // The first round, on the remembered answer, would pass: the confirming read lists both teams, sam is not
    // listed, and REST, asked about him, says he is no member.
    const [, confirming] = gh.log.slice(from).filter((l) => queryName(l) === "PullSnapshot");
    const vars = (confirming!.body as { variables: Record<string, string> }).variables;
    expect([vars.s0, vars.s1].sort()).toEqual(["backend", "security"]);
    expect(gh.log.slice(from).filter((l) => l.path.endsWith("/security/memberships/sam"))).toHaveLength(1);
  });

  test("the same removal with nothing remembered gives the same gate (the cache changes cost, not decisions)", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    gh.review("sam", "APPROVED");
    gh.teams.set("security", new Set());
    await approve("bob");
    expect(gh.run("parallel-review")!.conclusion).not.toBe("success");
  });

  test("a second pull request on the head is a blocker at once, though the first one's answer was remembered", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    await approve("sam");
    gh.sharedHead = [8]; // #8 opened elsewhere on the same commit; the app remembers "only #7"
    await approve("bob");
    const gate = gh.run("parallel-review")!;
    expect(gate.conclusion).toBe("failure");
    expect(gate.output.title).toContain("share the head commit");
  });

  test("with everything in order the gate opens; the same event sent again (a new delivery) writes nothing and reads less", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    await approve("sam");
    const before = gh.log.length;
    await approve("bob");
    expect(gh.run("parallel-review")!.conclusion).toBe("success");
    const opening = gh.log.length - before;
    const again = gh.log.length;
    await receive(events.review(gh, "submitted", "bob"));
    const redelivered = gh.log.slice(again);
    expect(redelivered.filter((l) => l.method !== "GET" && !isGraphQLQuery(l))).toEqual([]);
    expect(redelivered.length).toBeLessThan(opening);
    // Reads of the pull request: opening, the first, the confirming one and the round after the write (no
    // second confirmation in that round); again, the first and the confirming one of the passing gate.
    const pullReads = (from: number, to = gh.log.length) =>
      gh.log.slice(from, to).filter((l) => queryName(l) === "PullSnapshot").length;
    expect([pullReads(before, again), pullReads(again)]).toEqual([3, 2]);
    // The passing gate is confirmed on fresh answers (memberships asked again: sam's and bob's teams listed
    // by the confirming read itself, no query of their own), and stays as it is.
    expect(redelivered.filter((l) => queryName(l) === "TeamMembers")).toEqual([]);
    const confirming = redelivered.filter((l) => queryName(l) === "PullSnapshot")[1]!;
    expect((confirming.body as { query: string }).query).toContain("members(membership: ALL, first: 100)");
    expect(gh.run("parallel-review")!.conclusion).toBe("success");
  });
});

describe("a decision that does not open the gate", () => {
  // What the cache is for: only a decision to open the gate (and every round after its write) reads afresh.
  test("an event on a pull request still waiting: one read of it, the files, its head's pull requests and memberships remembered", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    await approve("sam"); // security approved, backend waits for bob
    const before = gh.log.length;
    await receive(events.comment(gh, "created", gh.comment("carol", "any news?")));
    const reads = gh.log.slice(before).map((l) => l.path.replace(/\?.*$/, ""));
    // One query (the pull request, its files, the pull requests on its head…); memberships remembered.
    expect(gh.log.slice(before).filter(isGraphQLQuery)).toHaveLength(1);
    expect(reads.filter((p) => /\/pulls\/7\/files$|\/commits\/\w+\/pulls$|\/memberships\//.test(p))).toEqual([]);
    expect(gh.run("parallel-review")!.conclusion).not.toBe("success");
  });

  test("a change request closes the gate in one round: a gate written closed is not read again", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    await approve("bob");
    const before = gh.log.length;
    gh.review("sam", "CHANGES_REQUESTED", "not like this");
    await receive(events.review(gh, "submitted", "sam"));
    expect(gh.run("parallel-review")!.conclusion).toBe("failure");
    // One read of the pull request (sam's teams asked together: a query of the teams' members).
    expect(gh.log.slice(before).filter((l) => queryName(l) === "PullSnapshot")).toHaveLength(1);
  });
});

describe("a gate that already passes", () => {
  test("is confirmed on fresh answers too: a member removed after the gate passed closes it at the next event", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    await approve("sam");
    await approve("bob");
    expect(gh.run("parallel-review")!.conclusion).toBe("success");
    gh.teams.set("security", new Set()); // sam leaves; the app still remembers sam as a member
    await receive(events.comment(gh, "created", gh.comment("carol", "ready to merge?")));
    expect(gh.run("parallel-review")!.conclusion).not.toBe("success");
  });
});

describe("a closed pull request", () => {
  test("closed unmerged: the reconcile is skipped and its green gate closed; merged: skipped, nothing written", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    await approve("sam");
    await approve("bob");
    expect(gh.run("parallel-review")!.conclusion).toBe("success");
    gh.pull = { ...gh.pull, state: "closed", merged: true };
    const writes = gh.writes().length;
    const merged = await direct().run();
    expect(merged).toMatchObject({ state: "skipped", created: [], updated: [], unchanged: [] });
    expect(gh.writes()).toHaveLength(writes);
    gh.pull = { ...gh.pull, merged: false };
    const closed = await direct().run();
    expect(closed).toMatchObject({ state: "skipped", created: [], updated: ["parallel-review"] });
    expect(gh.run("parallel-review")!.conclusion).toBe("cancelled");
  });
});

/** reconcile() called directly, as the router does, with the read cache chosen here (or none). */
function direct(cache?: ReadCache) {
  const deps = reconcileDeps(cache);
  const ref = { owner: gh.owner, repo: gh.repo, number: gh.pull.number };
  return { run: () => reconcile(deps, ref) };
}

/**
 * Holds the reconcile's n-th read of the pull request until `change` has been made to GitHub. Without hints
 * (a direct call) it is an assessment's first read, made before any other: `change` falls between two.
 */
function beforeRead(n: number, change: () => void) {
  const now = Promise.resolve();
  let release!: () => void;
  const later = new Promise<void>((r) => (release = r));
  const path = new RegExp(`^/repos/${gh.owner}/${gh.repo}/pulls/${gh.pull.number}$`);
  for (let i = 1; i < n; i++) gh.holds.push({ method: "GET", path, until: now, times: 1 });
  const hold = { method: "GET", path, until: later, times: 1 };
  gh.holds.push(hold);
  void (async () => {
    while (hold.times > 0) await new Promise((r) => setTimeout(r, 2));
    change();
    release();
  })();
}

/** Every write that made the gate green, whatever state it ended in. */
function gateOpenings(): unknown[] {
  const gateIds = new Set(gh.runs.filter((r) => r.name === "parallel-review").map((r) => String(r.id)));
  return gh.runWrites.filter((w) => {
    const body = w.body as { name?: string; conclusion?: string };
    const gate = w.method === "POST" ? body.name === "parallel-review" : gateIds.has(w.path.split("/").pop()!);
    return gate && body.conclusion === "success";
  });
}

describe("without a cache, a decision to open the gate is still confirmed by a second read", () => {
  // The second read narrows the race with another replica that records a change request meanwhile: the
  // gate is never written green on a first read followed by requests (memberships over REST), cache or not.
  test.each([
    ["waiting (nobody approved yet)", () => undefined, "in_progress"],
    // Another run (sam's persona check, the newest run on the head) is green: only the gate's own counts.
    ["waiting for bob, sam's check green", () => gh.review("sam", "APPROVED"), "in_progress"],
    // Completed but not green (when gatePasses decided the confirmation it had to look at the conclusion).
    ["closed by a change request", () => gh.review("sam", "CHANGES_REQUESTED", "not yet"), "completed"],
  ])("a gate %s: sam requests changes between the first read and the confirming one", async (_, before, status) => {
    setup();
    const { run } = direct();
    before();
    await run();
    const gate = gh.run("parallel-review")!;
    expect([gate.status, gate.conclusion === "success"]).toEqual([status, false]);
    gh.review("sam", "APPROVED");
    gh.review("bob", "APPROVED");
    beforeRead(2, () => gh.review("sam", "CHANGES_REQUESTED", "found a problem"));
    const outcome = await run();
    expect(outcome.state).toBe("fail");
    expect(gateOpenings()).toEqual([]);
    // The control: with nothing changing, the same reconcile opens it.
    gh.review("sam", "APPROVED");
    await run();
    expect(gh.run("parallel-review")!.conclusion).toBe("success");
  });

  test("a gate already green, read without a cache: the memberships asked after the read make it read again; nothing is written", async () => {
    setup();
    const { run } = direct();
    gh.review("sam", "APPROVED");
    gh.review("bob", "APPROVED");
    await run();
    expect(gh.run("parallel-review")!.conclusion).toBe("success");
    const before = gh.log.length;
    await run();
    expect(gh.log.slice(before).filter((l) => queryName(l) === "PullSnapshot")).toHaveLength(2);
    expect(gh.log.slice(before).filter((l) => l.method !== "GET" && !isGraphQLQuery(l))).toEqual([]);
  });
});

describe("the rounds after the write that opened a gate", () => {
  // Each round after a write is a fresh read too: an answer the confirming read just put into the cache
  // must not stand in for GitHub's after the write.
  test("a second pull request opened on the head while the opening write was on its way: the next round closes the gate", async () => {
    setup();
    const { run } = direct(new ReadCache());
    await run();
    gh.review("sam", "APPROVED");
    gh.review("bob", "APPROVED");
    let release!: () => void;
    gh.holds.push({
      method: "POST",
      path: /^\/graphql$/,
      body: /mutation/, // the opening write, not the reads
      until: new Promise<void>((r) => (release = r)),
      times: 1,
    });
    const opening = run();
    await until(
      () => gh.holds[0]!.times === 0,
      () => "the held request was never made",
    );
    gh.sharedHead = [8]; // opened on another replica; the cache remembers the confirming read's "only #7"
    release();
    await opening;
    expect(gateOpenings()).toHaveLength(1);
    const gate = gh.run("parallel-review")!;
    expect(gate.conclusion).toBe("failure");
    expect(gate.output.title).toContain("share the head commit");
  });

  // FINDING: the read confirming a pass ignored the pull requests remembered on the head (src/github/pulls.ts
  // `sharingHead`, `fresh`) and overwrote that memory with GitHub's list, which can lag behind one just
  // opened: a twin another reconcile of this process met between the first read and the confirming one was
  // dropped exactly when the pass was decided. The memory only adds blockers: it is used by every read now.
  test("a twin remembered between the first read and the confirming one is a blocker, though GitHub's list lags", async () => {
    setup();
    gh.review("sam", "APPROVED");
    gh.review("bob", "APPROVED");
    const cache = new ReadCache();
    const { run } = direct(cache); // nothing remembered: the memberships are asked after the first read
    let release!: () => void;
    const hold = {
      method: "POST",
      path: /^\/graphql$/,
      body: /query PullSnapshot/,
      until: new Promise<void>((r) => (release = r)),
      times: 1,
    };
    gh.holds.push({ ...hold, until: Promise.resolve(), times: 1 }); // the first read goes through
    gh.holds.push(hold); // the confirming read waits
    const opening = run();
    await until(
      () => hold.times === 0,
      () => "the confirming read was never made",
    );
    // #8 was just opened on the same commit and reconciled here; GitHub's list does not show it yet.
    cache.sharing.set(`${gh.owner}/${gh.repo}@${gh.pull.headSha}`.toLowerCase(), [7, 8]);
    release();
    await opening;
    const gate = gh.run("parallel-review")!;
    expect(gate.conclusion).toBe("failure");
    expect(gate.output.title).toContain("share the head commit");
  });

  // The rounds after the write decide on the confirming read's answers, not on the remembered ones the
  // first read used: they would undo what the confirming read found (and drop a review from the ledger).
  test("sue, remembered as no member but added since: the confirming read counts her, and the rounds after keep it so", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    const sue = gh.review("sue", "APPROVED");
    await receive(events.review(gh, "submitted", "sue")); // remembered: sue is no member of security
    await approve("bob");
    gh.teams.get("security")!.add("sue");
    const before = gh.runWrites.length;
    await approve("sam"); // the first read decides pass on sam's approval; the confirming one counts sue's too
    expect(gh.runWrites.slice(before).map((w) => w.path)).toEqual([
      `/repos/acme/shop/check-runs/${gh.run("parallel-review")!.id}`,
      `/repos/acme/shop/check-runs/${gh.run("review/security")!.id}`,
    ]);
    expect(gh.run("review/security")!.output.title).toBe("Approved by @sue");
    expect(gh.run("parallel-review")!.output.text).toContain(`"${sue.id}":"all"`);
  });
});

describe("merge queues", () => {
  test("a merge group's gate is judged on fresh answers: a removed member's remembered approval does not pass it", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    await approve("sam");
    await approve("bob");
    expect(gh.run("parallel-review")!.conclusion).toBe("success");
    gh.teams.set("security", new Set()); // sam leaves; nothing tells the app
    const group = sha("merge-group");
    await receive(events.mergeGroup(gh, group));
    expect(gh.run("parallel-review", group)!.conclusion).toBe("failure");
  });
});

describe("a delivery handled once", () => {
  test("GitHub's redelivery of an event this process handled costs no request; a new delivery of it does", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    gh.review("sam", "APPROVED");
    const delivery = events.review(gh, "submitted", "sam");
    await receive(delivery);
    const before = gh.log.length;
    await receive(delivery); // same X-GitHub-Delivery: a redelivery
    expect(gh.log.length).toBe(before);
    await receive(events.review(gh, "submitted", "sam")); // another delivery of the same kind is handled
    expect(gh.log.length).toBeGreaterThan(before);
  });

  test("a delivery whose handling failed is handled again when it is redelivered", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    gh.review("sam", "APPROVED");
    const delivery = events.review(gh, "submitted", "sam");
    gh.faults.push({ method: "GET", path: /\/pulls\/7\/reviews$/, status: 500, times: 10 });
    await expect(receive(delivery)).rejects.toThrow();
    gh.faults.length = 0;
    const before = gh.log.length;
    await receive(delivery);
    expect(gh.log.length).toBeGreaterThan(before);
    expect(gh.run("review/security")!.conclusion).toBe("success");
  });
});

describe("Recent", () => {
  test("forgets an answer after its time, and the oldest first when full", () => {
    let now = 0;
    const r = new Recent<number>(1000, 2, () => now);
    r.set("a", 1);
    r.set("b", 2);
    expect(r.get("a")).toBe(1);
    now = 999;
    expect(r.get("b")).toBe(2);
    now = 1000;
    expect(r.get("a")).toBeUndefined();
    r.set("c", 3);
    r.set("d", 4);
    r.set("e", 5); // over the bound: the oldest entry (c) goes
    expect(r.get("c")).toBeUndefined();
    expect([r.get("d"), r.get("e")]).toEqual([4, 5]);
    expect(r.size).toBe(2);
    r.delete("d");
    expect(r.get("d")).toBeUndefined();
  });
});
