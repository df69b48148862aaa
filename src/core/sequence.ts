import type { ReviewPlan } from "./plan.js";
import type { ReviewTable } from "./types.js";
import { approvedCount, type Notice, type PersonaVerdict, type Verdict } from "./verdict.js";

/**
 * Reviews in sequence where the table says so (`after:`), in parallel everywhere else.
 *
 * Rules (docs/configuration.md, "Reviewing in order"):
 * - Only the personas this pull request requires are ordered. A prerequisite the PR does not require is
 *   passed through: its own prerequisites that the PR requires still come first, and one with none is
 *   satisfied — never a deadlock.
 * - A persona is *queued* while any prerequisite has not approved: its check says whom it waits for, no
 *   review request goes out for it, and the gate cannot pass.
 * - An approval counts only when given at or after the moment its prerequisites were all approved. An
 *   early approval (given while queued) does not count; neither does one that predates a prerequisite's
 *   re-approval after a push made that prerequisite's approval stale — the prerequisite's reviewers
 *   changed their minds about settled code, so the dependent reviews the new state again.
 * - Change requests count at any time: anyone eligible may stop a merge.
 */

export interface SequencedPersonaVerdict extends PersonaVerdict {
  /** 1 for personas that wait for nobody; otherwise one more than the latest stage it waits for. */
  readonly stage: number;
  /** The required personas that come first (`after`, through personas the PR does not require). */
  readonly after: readonly string[];
  /** Names of the prerequisites that have not approved yet: non-empty means queued. */
  readonly waitingFor: readonly string[];
}

export interface SequencedVerdict extends Verdict {
  readonly personas: readonly SequencedPersonaVerdict[];
  /** Persona ids per stage, first stage first; one stage when nothing is ordered. */
  readonly stages: readonly (readonly string[])[];
}

/** For each required persona, the required personas it comes after, and its stage. */
export function orderOf(
  table: ReviewTable,
  required: readonly string[],
): { after: Map<string, string[]>; stage: Map<string, number> } {
  const need = new Set(required);
  const byId = new Map(table.personas.map((p) => [p.id, p]));
  const after = new Map<string, string[]>();
  for (const id of required) {
    // Walk `after` edges, stepping through personas this PR does not require.
    const found = new Set<string>();
    const seen = new Set<string>([id]);
    const todo = [...(byId.get(id)?.after ?? [])];
    while (todo.length > 0) {
      const next = todo.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      if (need.has(next)) found.add(next);
      else todo.push(...(byId.get(next)?.after ?? []));
    }
    after.set(
      id,
      required.filter((r) => found.has(r)),
    );
  }
  return { after, stage: stages(required, after) };
}

/**
 * Stage = length of the longest chain of prerequisites (Kahn's order, iterative: a table with a chain
 * of thousands of personas cannot overflow the stack). Personas left on a cycle — only possible in a
 * table built without validation — wait for nobody on it.
 */
function stages(required: readonly string[], after: ReadonlyMap<string, readonly string[]>): Map<string, number> {
  const stage = new Map<string, number>();
  const missing = new Map(required.map((id) => [id, (after.get(id) ?? []).length]));
  const dependents = new Map<string, string[]>();
  for (const id of required)
    for (const pre of after.get(id) ?? []) (dependents.get(pre) ?? dependents.set(pre, []).get(pre)!).push(id);
  const ready = required.filter((id) => missing.get(id) === 0);
  for (const id of ready) stage.set(id, 1);
  while (ready.length > 0) {
    const id = ready.pop()!;
    for (const d of dependents.get(id) ?? []) {
      stage.set(d, Math.max(stage.get(d) ?? 1, stage.get(id)! + 1));
      const left = missing.get(d)! - 1;
      missing.set(d, left);
      if (left === 0) ready.push(d);
    }
  }
  for (const id of required) if (!stage.has(id)) stage.set(id, 1);
  return stage;
}

/** Persona ids of the plan grouped by stage, in the table's order within a stage. */
export function planStages(table: ReviewTable, plan: ReviewPlan): string[][] {
  const ids = plan.personas.map((p) => p.id);
  const { stage } = orderOf(table, ids);
  return groupByStage(ids, stage);
}

function groupByStage(ids: readonly string[], stage: ReadonlyMap<string, number>): string[][] {
  const out: string[][] = [];
  for (const id of ids) (out[stage.get(id)! - 1] ??= []).push(id);
  return out.filter((s) => s !== undefined);
}

/** Applies the order to a verdict made without it. Only ever takes approvals away: it cannot open the gate. */
export function sequence(table: ReviewTable, verdict: Verdict): SequencedVerdict {
  const ids = verdict.personas.map((p) => p.persona.id);
  const { after, stage } = orderOf(table, ids);
  const done = new Map<string, SequencedPersonaVerdict>();
  const byStage = [...verdict.personas].sort((a, b) => stage.get(a.persona.id)! - stage.get(b.persona.id)!);
  for (const v of byStage) {
    // A prerequisite not judged yet can only be on a cycle (a table built without validation): it counts
    // as waiting, so its dependents stay queued (fail closed).
    const pre = (after.get(v.persona.id) ?? []).map(
      (id) =>
        done.get(id) ?? {
          ...verdict.personas.find((p) => p.persona.id === id)!,
          state: "waiting" as const,
          stage: 0,
          after: [],
          waitingFor: [],
        },
    );
    done.set(v.persona.id, ordered(v, pre, stage.get(v.persona.id)!));
  }
  const personas = verdict.personas.map((p) => done.get(p.persona.id)!);
  const stages = groupByStage(ids, stage);
  if (verdict.state === "fail") return { ...verdict, personas, stages };
  const open = personas.filter((p) => p.state !== "approved");
  if (open.length === 0) return { ...verdict, personas, stages };
  return {
    state: "waiting",
    personas,
    stages,
    reasons: open.map((p) =>
      p.waitingFor.length > 0
        ? `${p.persona.name}: queued, waiting for ${p.waitingFor.join(", ")} to approve first`
        : `${p.persona.name}: ${approvedCount(p)} of ${p.persona.approvals} approvals`,
    ),
  };
}

function ordered(v: PersonaVerdict, pre: readonly SequencedPersonaVerdict[], stage: number): SequencedPersonaVerdict {
  const after = pre.map((p) => p.persona.id);
  const waitingFor = pre.filter((p) => p.state !== "approved").map((p) => p.persona.name);
  if (pre.length === 0) return { ...v, stage, after, waitingFor };
  const readyAt = waitingFor.length > 0 ? Infinity : Math.max(...pre.map(approvedAt));
  const notices: Notice[] = [...v.notices];
  const approvals = v.approvals.filter((a) => {
    if (instant(a.at) >= readyAt) return true;
    notices.push({
      user: a.user,
      via: a.via,
      message:
        waitingFor.length > 0
          ? `@${a.user}'s approval does not count yet: ${v.persona.name} reviews after ${waitingFor.join(", ")}; approve again once they have approved`
          : `@${a.user}'s approval was given before ${pre.map((p) => p.persona.name).join(", ")} approved this state of the change: approve again`,
    });
    return false;
  });
  const state =
    v.state === "changes_requested" ? v.state : approvals.length >= v.persona.approvals ? "approved" : "waiting";
  return { ...v, state, approvals, notices, stage, after, waitingFor: state === "changes_requested" ? [] : waitingFor };
}

/** When a persona became approved: the instant its last needed approval arrived (approvals are sorted by time). */
function approvedAt(p: PersonaVerdict): number {
  return instant(p.approvals[p.persona.approvals - 1]!.at);
}

function instant(at: string): number {
  return Date.parse(at) || 0;
}

/** Is this persona queued (waiting for others before it is asked)? Plain verdicts never are. */
export function queuedFor(v: PersonaVerdict): readonly string[] {
  return (v as Partial<SequencedPersonaVerdict>).waitingFor ?? [];
}
