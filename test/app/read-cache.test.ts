import { describe, expect, test } from "@jest/globals";
import type { Probot } from "probot";
import { isGraphQLQuery, sha, type FakeGitHub } from "../helpers/fake-github.js";
import { events, type Delivery } from "../helpers/payloads.js";
import { useFakeGitHub } from "../helpers/app-harness.js";
import { TWO_TEAMS } from "../helpers/tables.js";
import { Recent } from "../../src/github/recent.js";

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
    await approve("bob");
    const gate = gh.run("parallel-review")!;
    expect(gate.conclusion).not.toBe("success");
    expect(gh.run("review/security")!.conclusion).not.toBe("success");
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
    // The passing gate is confirmed on fresh answers (memberships asked again), and stays as it is.
    expect(redelivered.some((l) => /\/memberships\//.test(l.path))).toBe(true);
    expect(gh.run("parallel-review")!.conclusion).toBe("success");
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
