import { describe, expect, test } from "@jest/globals";
import type { ReviewAction, Unrecorded } from "../../src/core/actions.js";
import type { PlanPersona } from "../../src/core/plan.js";
import { claimsOf, lookUpEligibility } from "../../src/app/eligibility.js";
import type { ButtonClick } from "../../src/app/records.js";
import { planPersona } from "../helpers/personas.js";

/**
 * Who may review as which persona: listed users (any case), members of listed teams; only the pairs some
 * action is about are looked up, and anything not looked up is not eligible.
 */

const persona = (id: string, users: string[], teams: string[] = []): PlanPersona => planPersona(id, { users, teams });
const SECURITY = persona("security", ["Sam", "Simon"], ["sec", "appsec"]);
const FINANCE = persona("finance", ["fiona"], ["money"]);
const TEAMS: Record<string, string[]> = { sec: ["sue"], appsec: ["ann"], money: ["sue"] };

function members() {
  const asked: string[] = [];
  const isMember = async (team: string, login: string) => {
    asked.push(`${team}:${login}`);
    return (TEAMS[team] ?? []).includes(login.toLowerCase());
  };
  return { asked, isMember };
}

describe("lookUpEligibility", () => {
  test("a listed user in any case, a member of any listed team; nobody else", async () => {
    const m = members();
    const eligible = await lookUpEligibility(
      [SECURITY, FINANCE],
      [
        { login: "sam", personas: "all" },
        { login: "ANN", personas: "all" },
        { login: "sue", personas: ["security"] },
        { login: "mallory", personas: "all" },
      ],
      m.isMember,
    );
    expect(eligible(SECURITY, "sam")).toBe(true);
    expect(eligible(SECURITY, "SAM")).toBe(true);
    expect(eligible(SECURITY, "ann")).toBe(true);
    expect(eligible(SECURITY, "sue")).toBe(true);
    expect(eligible(SECURITY, "mallory")).toBe(false);
    expect(eligible(FINANCE, "sam")).toBe(false);
    expect(eligible(FINANCE, "mallory")).toBe(false);
    // sue claimed security only: finance was not looked up, so it is not hers here although she is in money.
    expect(eligible(FINANCE, "sue")).toBe(false);
    expect(m.asked).not.toContain("money:sue");
    // A listed user needs no team look-up for that persona… but the team look-ups of a persona run together.
    expect(m.asked).toContain("money:ANN");
  });

  test("only the pairs some claim is about are looked up, each once", async () => {
    const m = members();
    const eligible = await lookUpEligibility(
      [SECURITY, FINANCE],
      [
        { login: "sue", personas: ["finance"] },
        { login: "Sue", personas: ["finance"] },
        { login: "bob", personas: ["other"] },
      ],
      m.isMember,
    );
    expect(m.asked.sort()).toEqual(["money:Sue"]);
    expect(eligible(FINANCE, "sue")).toBe(true);
    expect(eligible(SECURITY, "sue")).toBe(false);
    expect(eligible(SECURITY, "bob")).toBe(false);
  });

  test("no claims, no look-ups, nobody eligible", async () => {
    const m = members();
    const eligible = await lookUpEligibility([SECURITY], [], m.isMember);
    expect(m.asked).toEqual([]);
    expect(eligible(SECURITY, "sam")).toBe(false);
  });

  test("a failed look-up fails the whole decision (never taken for a no or a yes)", async () => {
    const failing = async () => {
      throw new Error("membership unknown");
    };
    await expect(lookUpEligibility([SECURITY], [{ login: "sue", personas: "all" }], failing)).rejects.toThrow(
      "membership unknown",
    );
  });
});

describe("claimsOf", () => {
  const action = (user: string, personas: readonly string[] | "all"): ReviewAction => ({
    user,
    isBot: false,
    kind: "approve",
    personas,
    sha: "a".repeat(40),
    at: "2024-05-01T10:00:00Z",
    via: "review",
    ref: "review 1",
  });
  test("the actions' users and personas, each command of an unrecorded comment, and the click's persona", () => {
    const unrecorded = {
      comment: { id: 1, user: { login: "carol" }, body: "", createdAt: "", updatedAt: "" },
      commands: [
        { kind: "approve", personas: ["finance"] },
        { kind: "request_changes", personas: "all" },
      ],
      errors: [],
    } as unknown as Unrecorded;
    const click = { user: { login: "dan" }, persona: "security" } as ButtonClick;
    expect(claimsOf([action("sam", "all"), action("sue", ["security"])], [unrecorded], click)).toEqual([
      { login: "sam", personas: "all" },
      { login: "sue", personas: ["security"] },
      { login: "carol", personas: ["finance"] },
      { login: "carol", personas: "all" },
      { login: "dan", personas: ["security"] },
    ]);
    expect(claimsOf([], [], undefined)).toEqual([]);
  });
});
