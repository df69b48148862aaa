import { describe, expect, test } from "@jest/globals";
import type { Probot } from "probot";
import type { FakeGitHub } from "../helpers/fake-github.js";
import { events, type Delivery } from "../helpers/payloads.js";
import { useFakeGitHub } from "../helpers/app-harness.js";
import { Recent } from "../../src/github/recent.js";

/**
 * What the app remembers between reconciles (src/github/recent.ts) spares requests, and never opens a
 * gate: a decision to pass is made again on fresh answers.
 */
const fake = useFakeGitHub();
const TABLE = `version: 1
personas:
  backend: { name: Backend Engineer, teams: [backend] }
  security: { name: Security Engineer, teams: [security] }
domains:
  payments:
    paths: ["src/payments/"]
    require: [backend, security]
`;

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

  test("with everything in order the gate opens, and a redelivery of the same event reads less", async () => {
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
    expect(redelivered.filter((l) => l.method !== "GET")).toEqual([]);
    expect(redelivered.length).toBeLessThan(opening);
    expect(redelivered.some((l) => /\/memberships\//.test(l.path))).toBe(false);
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
