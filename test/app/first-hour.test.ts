import { describe, expect, test } from "@jest/globals";
import { events, type Delivery } from "../helpers/payloads.js";
import { useFakeGitHub } from "../helpers/app-harness.js";
import { TABLE } from "../helpers/tables.js";

/** Issue 11, items 2 and 3: names GitHub does not know, and reviewers who cannot be requested. */
const fake = useFakeGitHub();
const FILES = [{ filename: "src/payments/charge.ts" }];

describe("teams and users the table names must exist (item 2)", () => {
  test("a misspelt team fails the gate at the table's line, instead of ignoring a real member forever", async () => {
    const table = TABLE.replace("teams: [security]", "teams: [secuirty]");
    const { gh, probot } = fake.fresh({ table, files: FILES });
    const line = table.split("\n").findIndex((l) => l.includes("secuirty")) + 1;
    await probot.receive(events.pullRequest(gh, "opened") as never);
    const gate = gh.run("parallel-review")!;
    expect(gate.conclusion).toBe("failure");
    expect(gate.output.summary).toContain(`reviewers.yml:${line}:`);
    expect(gate.output.summary).toContain('team "secuirty" does not exist in acme, or this app cannot see it');
  });

  test("a user GitHub does not know fails the gate; a persona nobody can satisfy is named", async () => {
    const { gh, probot } = fake.fresh({ table: TABLE, files: FILES });
    gh.missingUsers.add("fiona");
    await probot.receive(events.pullRequest(gh, "opened") as never);
    const gate = gh.run("parallel-review")!;
    expect(gate.conclusion).toBe("failure");
    expect(gate.output.summary).toContain('user "fiona" does not exist on GitHub');
  });

  test("a team with no active member cannot satisfy its persona", async () => {
    const { gh, probot } = fake.fresh({ table: TABLE, files: FILES, teams: { backend: [], security: ["sam"] } });
    await probot.receive(events.pullRequest(gh, "opened") as never);
    expect(gh.run("parallel-review")!.output.summary).toContain("nobody can satisfy Backend Engineer");
  });

  test("a table whose names all exist is not blocked", async () => {
    const { gh, probot } = fake.fresh({ table: TABLE, files: FILES });
    await probot.receive(events.pullRequest(gh, "opened") as never);
    expect(gh.run("parallel-review")!.status).toBe("in_progress");
  });
});

describe("one reviewer who cannot be requested does not sink the others (item 3)", () => {
  test("the others are requested one by one; the persona's check says who could not be, and why; never asked again", async () => {
    const { gh, probot } = fake.fresh({ table: TABLE, files: FILES });
    gh.notCollaborators.add("fiona");
    const receive = (d: Delivery) => probot.receive(d as never);
    await receive(events.pullRequest(gh, "opened"));
    expect(gh.pull.requestedTeams.sort()).toEqual(["backend", "security"]);
    const finance = gh.run("review/finance")!;
    expect(finance.output.summary).toContain("@fiona could not be requested for review (Reviews may only be requested");
    expect(gh.run("parallel-review")!.status).toBe("in_progress"); // the gate is not changed by it
    const before = gh.writes().filter((w) => w.path.endsWith("/requested_reviewers")).length;
    await receive(events.pullRequest(gh, "reopened"));
    expect(gh.writes().filter((w) => w.path.endsWith("/requested_reviewers")).length).toBe(before);
    expect(gh.run("review/finance")!.output.summary).toContain("@fiona could not be requested");
  });
});
