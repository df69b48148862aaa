import { count, type ReviewPlan } from "../core/plan.js";
import type { ChangedFile } from "../core/types.js";

/** Longest file list printed per domain or section; the rest is summarized as "… and N more". */
export const MAX_FILES = 10;

export interface PlanContext {
  readonly config: string;
  /** What was compared, e.g. "HEAD against main (merge base 1a2b3c)". */
  readonly source: string;
  /** The change, to mark added, removed, renamed and copied files. */
  readonly files: readonly ChangedFile[];
  /** settings.unmatched of the table, to say who reviews unmatched files. */
  readonly unmatchedPersonas: readonly string[];
  /** `after:` of the table applied to this plan: each persona's required prerequisites and stage. */
  readonly order?: {
    readonly after: ReadonlyMap<string, readonly string[]>;
    readonly stage: ReadonlyMap<string, number>;
  };
}

/** The plan for people: a domain table, then each persona with its checklist, unmatched files, and the table-change note. */
export function renderPlan(plan: ReviewPlan, ctx: PlanContext): string {
  const out: string[] = [];
  out.push(`Review plan: ${ctx.source}`);
  const byPath = new Map(ctx.files.map((f) => [f.path, f]));
  out.push(
    `Table ${ctx.config} · ${count(byPath.size, "changed file")} · ${count(plan.domains.length, "domain")} · ${count(plan.personas.length, "persona")} required`,
  );
  if (byPath.size === 0) {
    out.push("", "No changed files: nothing to review.");
    return out.join("\n") + "\n";
  }

  out.push("");
  if (plan.domains.length === 0) out.push("No domain is touched.");
  else {
    const rows: [string, string, string][] = [["DOMAIN", "FILES", "PERSONAS"]];
    for (const d of plan.domains) {
      capped(d.files).forEach((f, i) =>
        rows.push([i === 0 ? d.id : "", label(f, byPath.get(f)), i === 0 ? d.personas.join(", ") : ""]),
      );
    }
    out.push(...table(rows));
  }

  const stages = Math.max(0, ...(ctx.order ? [...ctx.order.stage.values()] : []));
  if (stages > 1) {
    // Only shown when the table orders something: parallel is the default and needs no line.
    out.push("", "Order (after: in the table; each stage is asked once the previous one approved)");
    for (let s = 1; s <= stages; s++)
      out.push(
        `  stage ${s}: ${plan.personas
          .filter((p) => ctx.order!.stage.get(p.id) === s)
          .map((p) => p.id)
          .join(", ")}`,
      );
  }

  if (plan.personas.length > 0) {
    out.push("", "Personas");
    for (const p of plan.personas) {
      const who = [
        p.teams.length > 0 ? `teams: ${p.teams.join(", ")}` : "",
        p.users.length > 0 ? `users: ${p.users.join(", ")}` : "",
      ]
        .filter(Boolean)
        .join(" · ");
      out.push("", `  ${p.name} [${p.id}] — needs ${count(p.approvals, "approval")}${who ? ` · ${who}` : ""}`);
      p.reasons.forEach((r, i) => out.push(`    ${i === 0 ? "why:" : "    "} ${r}`));
      const after = ctx.order?.after.get(p.id) ?? [];
      if (after.length > 0) out.push(`    after: ${after.join(", ")} (stage ${ctx.order!.stage.get(p.id)})`);
      if (p.criteria.length > 0) {
        out.push(
          `    criteria:${p.requireCriteria ? " (each approval must acknowledge every one: require_criteria)" : ""}`,
        );
        for (const g of p.criteria) {
          out.push(`      ${g.source === "persona" || g.title === g.source ? g.title : `${g.title} (${g.source})`}`);
          for (const item of g.items) out.push(`        - [ ] ${item}`);
        }
      }
    }
  }

  if (plan.unmatched.length > 0) {
    const who =
      ctx.unmatchedPersonas.length > 0
        ? `${ctx.unmatchedPersonas.join(", ")} review${ctx.unmatchedPersonas.length === 1 ? "s" : ""} them (settings.unmatched)`
        : "no persona is required for them (settings.unmatched is empty)";
    out.push("", `Unmatched files (${plan.unmatched.length}): no domain covers them; ${who}`);
    for (const f of capped(plan.unmatched)) out.push(`  ${f}`);
  }

  if (plan.tableChange) {
    const owners = plan.tableChange.personas;
    out.push(
      "",
      `Note: the review table itself changed (${plan.tableChange.files.join(", ")}): ${owners.join(", ")} must approve it (settings.config_owners).`,
    );
  }
  return out.join("\n") + "\n";
}

/** `new ← old` for a rename, `path (removed)`, …; a modified file is just its path. */
function label(path: string, f: ChangedFile | undefined): string {
  if (!f) return path;
  if (f.previousPath !== undefined && f.previousPath !== path)
    return `${path} ← ${f.previousPath}${f.status === "copied" ? " (copy)" : ""}`;
  return f.status === "added" || f.status === "removed" ? `${path} (${f.status})` : path;
}

/** At most MAX_FILES entries; when more, the last line says how many were left out. */
export function capped(files: readonly string[], max = MAX_FILES): string[] {
  if (files.length <= max) return [...files];
  return [...files.slice(0, max - 1), `… and ${files.length - (max - 1)} more`];
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, c) => Math.min(60, Math.max(...rows.map((r) => r[c]!.length))));
  return rows.map((r) =>
    r
      .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd(),
  );
}
