import type { FakeGitHub, FakeRun } from "../helpers/fake-github.js";
import type { Delivery } from "../helpers/payloads.js";

/**
 * The cast of issue 7's attacks, shared by the attack suites: security team = sam, sue, sasha (sasha
 * is also in backend); finance = fiona; platform = pat (the table's config owner); carol = the author,
 * with write access; mallory = no team.
 */
export const TABLE = `version: 1
personas:
  security: { name: Security Engineer, teams: [security] }
  backend: { name: Backend Engineer, teams: [backend] }
  finance: { name: Finance, users: [fiona] }
  platform: { name: Platform, users: [pat] }
domains:
  auth:
    paths: ["src/auth/"]
    require: [security]
  payments:
    paths: ["src/payments/"]
    require: [backend, finance]
settings:
  config_owners: [platform]
  distinct_reviewers: false
  request_reviews: false
`;
export const TEAMS = { security: ["sam", "sue", "sasha"], backend: ["sasha", "bob"] };
export const AUTH = [{ filename: "src/auth/login.ts" }];
export const AUTH_AND_PAYMENTS = [{ filename: "src/auth/login.ts" }, { filename: "src/payments/charge.ts" }];

/** What branch protection accepts: a completed run that succeeded, or was neutral or skipped. */
export const green = (r: FakeRun | undefined) =>
  r?.status === "completed" && ["success", "neutral", "skipped"].includes(r.conclusion ?? "");

/** The same delivery, sent by someone else (an edit or deletion by carol, say). */
export const sentBy = (gh: FakeGitHub, d: Delivery, login: string): Delivery => ({
  ...d,
  payload: { ...d.payload, sender: gh.userObj(login) },
});
