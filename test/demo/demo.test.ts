/**
 * `npm run demo` in-process: the payments scenario against the local GitHub simulator and the real app
 * server, printed as plain text (what CI sees). The gate must pass, mallory's click must be refused
 * where people can see it, every board must show the three personas, Finance must wait for Backend, and
 * the conflict radar must name the second pull request.
 */
import { expect, test } from "@jest/globals";
import { playPaymentsScenario } from "../../src/demo/scenario.js";

test("the payments scenario ends with a passing gate, shows the refusal and every persona on every board", async () => {
  let printed = "";
  const result = await playPaymentsScenario({ write: (s) => void (printed += s), tty: false });

  expect(result.failures).toEqual([]);
  expect(result.ok).toBe(true);
  expect(result.final.gate).toMatchObject({ state: "pass", conclusion: "success", title: "All 3 personas approved" });
  expect(result.validationErrors).toEqual([]);

  // Plain text: no ANSI escapes, no cursor movement.
  expect(printed).not.toMatch(/\x1b\[/);
  expect(result.boards).toHaveLength(9);
  for (const board of result.boards) {
    for (const persona of ["Backend Engineer", "Security Engineer", "Finance"]) expect(board).toContain(persona);
    expect(board).toContain("Gate parallel-review");
  }
  // The refusal: a record comment from the app, on the board and in the final output.
  expect(result.refusal).toMatch(/@mallory .*not a Security Engineer reviewer: not counted/);
  expect(result.boards[2]).toMatch(/@mallory clicked Approve .* not counted/);
  expect(printed).toContain("Refused: ");
  // The drama in order: the change request turns the gate red, the push resets sam's approval, the end is green.
  expect(result.boards[4]).toMatch(/Gate parallel-review: ❌ failing — Backend Engineer: changes requested by @bob/);
  expect(result.boards[5]).toMatch(/@sam's approval on \w+ no longer counts/);
  expect(result.boards[8]).toMatch(/Gate parallel-review: ✅ passed — All 3 personas approved/);
  expect(result.boards[8]).toMatch(/@fiona via button/);
  expect(result.boards[8]).toMatch(/@sam via review/);
  expect(result.boards[8]).toMatch(/@bob via comment/);
  expect(printed).toMatch(/✅ parallel-review passed: All 3 personas approved/);
  // Finance reviews after Backend in the demo's table: queued until @bob approves (step 7).
  expect(result.boards[0]).toMatch(/Finance +⏸ queued +Queued: waiting for Backend Engineer to approve first/);
  expect(result.boards[6]).toMatch(/Finance +⏳ waiting/);
  // The conflict radar names the other pull request on both.
  expect(printed).toContain("■ parallel-review/conflicts on #1 — neutral: Overlaps with #2");
  expect(printed).toContain("■ parallel-review/conflicts on #2 — neutral: Overlaps with #1");
}, 60_000);
