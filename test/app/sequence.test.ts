import { beforeEach, describe, expect, test } from "@jest/globals";
import type { Probot } from "probot";
import type { FakeGitHub } from "../helpers/fake-github.js";
import { events, type Delivery } from "../helpers/payloads.js";
import { useFakeGitHub } from "../helpers/app-harness.js";
import { TABLE } from "../helpers/tables.js";

/** The shared table with Finance reviewing after Backend (the business logic settles once the API does). */
const ORDERED = TABLE.replace("    users: [fiona]\n", "    users: [fiona]\n    after: [backend]\n");

const fake = useFakeGitHub();
let gh: FakeGitHub;
let probot: Probot;
const receive = (d: Delivery) => probot.receive(d as never);
const requests = () => gh.writes().filter((w) => w.path.endsWith("/requested_reviewers"));
const approve = async (login: string) => {
  gh.review(login, "APPROVED");
  await receive(events.review(gh, "submitted", login));
};

beforeEach(() => {
  ({ gh, probot } = fake.fresh({ table: ORDERED, files: [{ filename: "src/payments/charge.ts" }] }));
});

describe("a persona that reviews after another", () => {
  test("is queued, not asked, and the gate names it as next", async () => {
    await receive(events.pullRequest(gh, "opened"));
    const finance = gh.run("review/finance")!;
    expect(finance.status).toBe("queued");
    expect(finance.conclusion).toBeNull();
    expect(finance.output.title).toBe("Queued: waiting for Backend Engineer to approve first");
    expect(finance.actions.map((a) => a.identifier)).toEqual(["request_changes"]);
    expect(requests().map((r) => r.body)).toEqual([{ reviewers: [], team_reviewers: ["backend", "security"] }]);
    const gate = gh.run("parallel-review")!;
    expect(gate.status).toBe("in_progress");
    expect(gate.output.title).toBe("Waiting for Backend Engineer, Security Engineer; then Finance");
    expect(gate.output.summary).toContain("stage 1: Backend Engineer, Security Engineer → stage 2: Finance");
  });

  test("is asked once its prerequisite approved — once — and the gate passes after it", async () => {
    await receive(events.pullRequest(gh, "opened"));
    await approve("bob");
    expect(gh.run("review/finance")!.status).toBe("in_progress");
    expect(requests().map((r) => r.body)).toEqual([
      { reviewers: [], team_reviewers: ["backend", "security"] },
      { reviewers: ["fiona"], team_reviewers: [] },
    ]);
    await approve("sam");
    await receive(events.pullRequest(gh, "synchronize"));
    expect(requests()).toHaveLength(2); // never re-sent
    await approve("fiona");
    const gate = gh.run("parallel-review")!;
    expect(gate.conclusion).toBe("success");
    // The passed gate shows the pull request's own figures; Finance's clock starts when Backend approved.
    expect(gate.output.summary).toContain("**Parallel effectiveness of this pull request**");
    expect(gate.output.summary).toMatch(/\| Finance \| \d{4}-\d\d-\d\d \d\d:\d\d UTC \| \d+ s \|/);
    expect(gate.output.summary).toMatch(/Parallel elapsed .* one after another: \*\*\d+ % time saved\*\*\./);
  });

  test("an early approval does not count and the check says so", async () => {
    await receive(events.pullRequest(gh, "opened"));
    await approve("fiona");
    const finance = gh.run("review/finance")!;
    expect(finance.status).toBe("queued");
    expect(finance.output.summary).toContain("@fiona's approval does not count yet");
    await approve("bob");
    await approve("sam");
    expect(gh.run("parallel-review")!.status).toBe("in_progress");
    expect(gh.run("review/finance")!.output.summary).toContain("was given before Backend Engineer approved");
    await approve("fiona");
    expect(gh.run("parallel-review")!.conclusion).toBe("success");
  });

  test("a push that makes Backend's approval stale queues Finance again; Finance re-approves after Backend", async () => {
    await receive(events.pullRequest(gh, "opened"));
    await approve("bob");
    await approve("sam");
    await approve("fiona");
    expect(gh.run("parallel-review")!.conclusion).toBe("success");
    const before = gh.pull.headSha;
    gh.push("head-2", [{ filename: "src/payments/charge.ts" }], [{ filename: "src/payments/charge.ts" }]);
    await receive(events.pullRequest(gh, "synchronize", { before }));
    expect(gh.run("review/finance")!.status).toBe("queued");
    await approve("bob");
    await approve("sam");
    expect(gh.run("review/finance")!.status).toBe("in_progress");
    expect(gh.run("parallel-review")!.status).toBe("in_progress");
    await approve("fiona");
    expect(gh.run("parallel-review")!.conclusion).toBe("success");
  });
});
