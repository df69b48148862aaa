import type { PlanPersona } from "../../src/core/plan.js";

/** A persona of a plan, as the plan gives it, for tests that are given plans and eligibility (no table). */
export function planPersona(id: string, over: Partial<PlanPersona> = {}): PlanPersona {
  return {
    id,
    name: id,
    domains: [],
    files: [],
    approvals: 1,
    teams: [],
    users: [],
    criteria: [],
    reasons: [],
    ...over,
  };
}
