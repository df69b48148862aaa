import type { ReviewPlan } from "./plan.js";
import type { ReviewTable } from "./types.js";

/**
 * The plan when the changed files cannot be known (GitHub lists at most 3,000 per pull request):
 * every persona of the table is required, failing closed rather than guessing which domains changed.
 */
export function planEverything(table: ReviewTable, reason: string): ReviewPlan {
  return {
    domains: [],
    unmatched: [],
    personas: table.personas.map((p) => ({
      id: p.id,
      name: p.name,
      domains: table.domains.filter((d) => d.require.some((r) => r.persona === p.id)).map((d) => d.id),
      files: [],
      approvals: p.approvals,
      teams: p.teams,
      users: p.users,
      criteria: [
        ...(p.criteria.length > 0 ? [{ source: "persona", title: p.name, items: p.criteria }] : []),
        ...table.domains.flatMap((d) =>
          d.require
            .filter((r) => r.persona === p.id && r.criteria.length > 0)
            .map((r) => ({ source: d.id, title: d.description ?? d.id, items: r.criteria })),
        ),
      ],
      reasons: [reason],
    })),
  };
}
