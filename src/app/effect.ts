import type { ReviewAction } from "../core/actions.js";
import { attribute, measurePr, type PrEffect } from "../core/effectiveness.js";
import type { PlanPersona } from "../core/plan.js";
import { orderOf } from "../core/sequence.js";
import type { ReviewTable } from "../core/types.js";
import type { Verdict } from "../core/verdict.js";

/**
 * The pull request's parallel-effectiveness figures for the passed gate's summary (src/core/effectiveness.ts);
 * none while the gate does not pass, or when GitHub did not say when the pull request was opened.
 */
export function passedGateEffect(opts: {
  readonly verdict: Verdict;
  readonly table: ReviewTable;
  readonly pull: { readonly number: number; readonly createdAt?: string; readonly author: { readonly login: string } };
  readonly actions: readonly ReviewAction[];
  readonly eligible: (p: PlanPersona, login: string) => boolean;
}): PrEffect | undefined {
  const { verdict, table, pull } = opts;
  if (verdict.state !== "pass" || !pull.createdAt || verdict.personas.length === 0) return undefined;
  const personas = verdict.personas.map((v) => v.persona);
  const byId = new Map(personas.map((p) => [p.id, p]));
  return measurePr({
    number: pull.number,
    openedAt: pull.createdAt,
    personas,
    after: orderOf(
      table,
      personas.map((p) => p.id),
    ).after,
    actions: attribute(
      opts.actions.filter((a): a is typeof a & { kind: "approve" | "request_changes" } => a.kind !== "withdraw"),
      personas,
      (id, login) => opts.eligible(byId.get(id)!, login),
      pull.author.login,
      table.settings.self_approval,
    ),
  });
}
