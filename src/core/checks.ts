import { count, type ReviewPlan } from "./plan.js";
import type { Problem } from "./types.js";
import { formatProblem } from "./config.js";
import { approvedCount, short, type PersonaVerdict, type Verdict } from "./verdict.js";
import { queuedFor, type SequencedVerdict } from "./sequence.js";
import { effectLines, type PrEffect } from "./effectiveness.js";
import { criteriaItems, criterionKey } from "./criteria.js";

/**
 * The check runs the app wants to see on a head commit, as plain data: the adapter compares them with
 * what GitHub has and writes only the difference. GitHub's limits are enforced here so a long table
 * never turns into an API error: 65,535 characters per summary/text, action label ≤ 20, description ≤ 40,
 * identifier ≤ 20.
 */
export interface CheckRunSpec {
  readonly name: string;
  /** `queued` is a persona that reviews after others (`after:`) and is not asked yet. */
  readonly status: "queued" | "in_progress" | "completed";
  readonly conclusion?: "success" | "failure" | "neutral" | "action_required" | "skipped" | "cancelled";
  readonly title: string;
  readonly summary: string;
  readonly text?: string;
  readonly actions: readonly CheckAction[];
}

export interface CheckAction {
  readonly label: string;
  readonly description: string;
  readonly identifier: ActionId;
}

export type ActionId = "approve" | "request_changes";

export const PERSONA_PREFIX = "review/";
export const MAX_OUTPUT = 65_535;
const MAX_TITLE = 200;
const MAX_FILES = 50;

/**
 * The gate's check-run name for a pull request into `base`. A check run belongs to a commit, not to a
 * pull request: a gate that passed for a pull request into some other branch (whose table — perhaps
 * the author's own — required nothing) would satisfy the default branch's protection for any pull
 * request from the same commit. So only pull requests into the default branch use the plain name; any
 * other base gets `<gate>: <base>` (policy-bot names its status the same way), and its protection rule
 * requires that name. An unknown default branch counts as "other" (fail closed).
 */
export function gateName(tableGate: string | undefined, base: string, defaultBranch: string | undefined): string {
  const gate = tableGate ?? "parallel-review";
  return defaultBranch !== undefined && base === defaultBranch ? gate : `${gate}: ${base}`;
}

export function personaCheckName(personaId: string): string {
  return PERSONA_PREFIX + personaId;
}

export function personaIdOf(checkName: string): string | undefined {
  return checkName.startsWith(PERSONA_PREFIX) ? checkName.slice(PERSONA_PREFIX.length) : undefined;
}

export function personaCheck(v: PersonaVerdict): CheckRunSpec {
  const p = v.persona;
  const approve = action("Approve", `Approve as ${p.name}`, "approve");
  const reject = action("Request changes", `Request changes as ${p.name}`, "request_changes");
  const progress = `${approvedCount(v)} of ${p.approvals}`;
  const queued = queuedFor(v);
  let head: Pick<CheckRunSpec, "conclusion" | "title" | "actions"> & { status?: "in_progress" | "queued" };
  if (queued.length > 0)
    // Not asked yet: no conclusion (GitHub shows "Queued"), and only a change request can be given now.
    head = { status: "queued", title: `Queued: waiting for ${queued.join(", ")} to approve first`, actions: [reject] };
  else if (v.state === "approved")
    head = {
      conclusion: "success",
      title: `Approved by ${v.approvals.map((a) => `@${a.user}`).join(", ")}`,
      actions: [reject],
    };
  else if (v.state === "changes_requested")
    head = {
      conclusion: "failure",
      title: `Changes requested by ${v.changeRequests.map((c) => `@${c.user}`).join(", ")}`,
      actions: [approve],
    };
  else
    // Waiting reads as pending: `action_required` is a completed conclusion that the merge box and the
    // status rollup show as failing. An in-progress run keeps its buttons (docs/github-app.md).
    head = {
      status: "in_progress",
      title: `Waiting for ${p.name} review (${progress} approvals)`,
      actions: [approve, reject],
    };

  const lines: string[] = [];
  lines.push(`**${p.name}** — ${stateWord(v)} (${progress} approvals)`, "");
  if (queued.length > 0)
    lines.push(
      `⏸️ ${p.name} reviews after ${queued.join(", ")} (\`after:\` in the review table). Its reviewers are asked once they have approved; an approval given before then does not count.`,
      "",
    );
  for (const c of v.changeRequests)
    lines.push(
      `- ❌ @${c.user} requested changes via ${c.via}${c.reason ? `: ${quote(c.reason)}` : " (no reason given)"}`,
    );
  for (const a of v.approvals)
    lines.push(
      `- ✅ @${a.user} approved via ${a.via}${a.carriedFrom ? ` — carried over from ${short(a.carriedFrom)}: no changes in its paths` : ""}`,
    );
  for (const n of v.notices) lines.push(`- ⚠️ ${n.message}`);
  if (v.changeRequests.length + v.approvals.length + v.notices.length > 0) lines.push("");
  lines.push(`**Eligible:** ${eligibleText(p.teams, p.users)}`, "");
  lines.push("**Why this review is required**", ...p.reasons.map((r) => `- ${r}`), "");
  lines.push(`**Files** (${p.files.length})`, ...fileList(p.files), "");
  if (p.criteria.length > 0) lines.push(...criteriaLines(v), "");
  lines.push(howToApprove(p.id));
  return {
    name: personaCheckName(p.id),
    status: queued.length > 0 ? "queued" : "completed",
    ...head,
    title: clip(head.title, MAX_TITLE),
    summary: fit(lines.join("\n")),
  };
}

/**
 * The persona's criteria, each ticked with who acknowledged it, then the comment that acknowledges them:
 * a reviewer copies it, ticks what they checked and posts it (src/core/actions.ts parses it).
 */
function criteriaLines(v: PersonaVerdict): string[] {
  const p = v.persona;
  const lines = [
    p.requireCriteria
      ? "**Criteria** — an approval counts only when it acknowledges every one (`require_criteria`)"
      : "**Criteria**",
  ];
  for (const g of p.criteria) {
    lines.push("", `_${g.title}_`);
    for (const item of g.items) {
      const by = v.acknowledged?.[criterionKey(item)] ?? [];
      lines.push(
        by.length > 0 ? `- [x] ${item} — acknowledged by ${by.map((u) => `@${u}`).join(", ")}` : `- [ ] ${item}`,
      );
    }
  }
  const items = criteriaItems(p.criteria);
  const fence = "`".repeat(Math.max(3, ...items.map((i) => longestRun(i, "`") + 1)));
  lines.push(
    "",
    `To acknowledge criteria, approve with a comment: \`/approve ${p.id}\` and, directly under it, the criteria you checked ticked (\`[x]\`). A review or the Approve button acknowledges none.`,
    fence,
    `/approve ${p.id}`,
    ...items.map((i) => `- [ ] ${i}`),
    fence,
  );
  return lines;
}

function longestRun(s: string, ch: string): number {
  let best = 0;
  let run = 0;
  for (const c of s) best = Math.max(best, (run = c === ch ? run + 1 : 0));
  return best;
}

/** A persona check the plan no longer requires (a push removed its files, or the base table or base branch changed). */
export function retiredPersonaCheck(name: string): CheckRunSpec {
  return {
    name,
    status: "completed",
    conclusion: "neutral",
    title: "No longer required",
    summary:
      "This persona's review is no longer required for this pull request: no changed file is in a domain that requires it under the base branch's review table.",
    actions: [],
  };
}

export interface GateContext {
  readonly gate: string;
  readonly tableFile: string;
  readonly plan: ReviewPlan;
  readonly verdict: Verdict;
  /** Problems of the table as changed by this PR, shown so the author can fix them before merging. */
  readonly headTableProblems?: readonly Problem[];
  /** Problems of the base table found against GitHub (teams or users that do not exist). */
  readonly baseTableProblems?: readonly Problem[];
  /** The passed gate's parallel-effectiveness figures (src/core/effectiveness.ts). */
  readonly effect?: PrEffect | undefined;
}

export function gateCheck(ctx: GateContext): CheckRunSpec {
  const { plan, verdict } = ctx;
  const personas = verdict.personas;
  const lines: string[] = [];
  let title: string;
  let status: CheckRunSpec["status"] = "completed";
  let conclusion: CheckRunSpec["conclusion"];
  if (verdict.state === "pass") {
    conclusion = "success";
    title = personas.length === 0 ? "No mandatory review needed" : `All ${count(personas.length, "persona")} approved`;
  } else if (verdict.state === "waiting") {
    // Waiting must look like waiting: in progress, not a red failure.
    status = "in_progress";
    const waiting = personas.filter((p) => p.state === "waiting" && queuedFor(p).length === 0);
    const queued = personas.filter((p) => queuedFor(p).length > 0);
    title = `Waiting for ${waiting.map((p) => p.persona.name).join(", ")}${queued.length > 0 ? `${waiting.length > 0 ? "; then " : ""}${queued.map((p) => p.persona.name).join(", ")}` : ""}`;
  } else {
    conclusion = "failure";
    title = verdict.reasons[0] ?? "Blocked";
  }

  if (verdict.reasons.length > 0)
    lines.push(...verdict.reasons.map((r) => `- ${verdict.state === "fail" ? "⛔" : "⏳"} ${r}`), "");
  if (ctx.baseTableProblems && ctx.baseTableProblems.length > 0) {
    lines.push(
      `**Problems in the review table on the base branch** — fix them there (a pull request that changes the table):`,
      "```",
      ...ctx.baseTableProblems.map(formatProblem),
      "```",
      "",
    );
  }
  if (ctx.headTableProblems && ctx.headTableProblems.length > 0) {
    lines.push(
      `**Problems in the review table as changed by this pull request** — fix them before merging:`,
      "```",
      ...ctx.headTableProblems.map(formatProblem),
      "```",
      "",
    );
  }
  if (personas.length === 0 && verdict.state === "pass") {
    lines.push(
      plan.unmatched.length > 0
        ? `No changed file is in a domain of \`${ctx.tableFile}\`; ${count(plan.unmatched.length, "file")} changed, none requires a persona.`
        : `No changed file requires a persona under \`${ctx.tableFile}\`.`,
    );
  } else {
    const stages = (verdict as Partial<SequencedVerdict>).stages ?? [];
    const staged = stages.length > 1;
    const stageOf = (id: string) => stages.findIndex((s) => s.includes(id)) + 1;
    if (staged)
      lines.push(
        `**Order** (\`after:\` in the review table): ${stages.map((s, i) => `stage ${i + 1}: ${s.map((id) => cell(personas.find((p) => p.persona.id === id)?.persona.name ?? id)).join(", ")}`).join(" → ")}`,
        "",
      );
    lines.push(
      `|${staged ? " Stage |" : ""} Persona | State | Approvals | Domains |`,
      `|${staged ? "---|" : ""}---|---|---|---|`,
    );
    const rows = staged ? [...personas].sort((a, b) => stageOf(a.persona.id) - stageOf(b.persona.id)) : personas;
    for (const p of rows)
      lines.push(
        `|${staged ? ` ${stageOf(p.persona.id)} |` : ""} ${cell(p.persona.name)} | ${stateIcon(p)} ${stateWord(p)} | ${approvedCount(p)} of ${p.persona.approvals} | ${cell(p.persona.domains.join(", ") || p.persona.reasons.join("; "))} |`,
      );
    lines.push("");
    if (plan.domains.length > 0) {
      lines.push(
        "**Mandatory-review table for this pull request**",
        "",
        "| Domain | Files | Personas |",
        "|---|---|---|",
      );
      for (const d of plan.domains) {
        const shown =
          d.files
            .slice(0, 5)
            .map((f) => `\`${cell(f)}\``)
            .join("<br>") + (d.files.length > 5 ? `<br>… and ${d.files.length - 5} more` : "");
        const states = d.personas.map((id) => {
          const pv = personas.find((x) => x.persona.id === id);
          return pv ? `${stateIcon(pv)} ${cell(pv.persona.name)}` : id;
        });
        lines.push(
          `| ${cell(d.id)}${d.description ? ` — ${cell(d.description)}` : ""} | ${shown} | ${states.join("<br>")} |`,
        );
      }
      lines.push("");
    }
    if (plan.tableChange)
      lines.push(
        `⚠️ This pull request changes the review table (${plan.tableChange.files.map((f) => `\`${f}\``).join(", ")}); it is reviewed under the base branch's table and needs ${plan.tableChange.personas.join(", ")}.`,
        "",
      );
    if (plan.unmatched.length > 0) lines.push(`${count(plan.unmatched.length, "file")} match no domain.`, "");
    if (ctx.effect && verdict.state === "pass") lines.push(...effectLines(ctx.effect), "");
  }
  lines.push(`Rules read from \`${ctx.tableFile}\` on the base branch.`);
  return {
    name: ctx.gate,
    status,
    ...(conclusion ? { conclusion } : {}),
    title: clip(title, MAX_TITLE),
    summary: fit(lines.join("\n")),
    actions: [],
  };
}

/** The gate when no plan can be trusted (invalid table, too many files, an error): fails closed with the reason. */
export function gateBlocked(gate: string, title: string, details: readonly string[]): CheckRunSpec {
  return {
    name: gate,
    status: "completed",
    conclusion: "failure",
    title: clip(title, MAX_TITLE),
    summary: fit(details.join("\n")),
    actions: [],
  };
}

export function howToApprove(personaId: string): string {
  return [
    "**Three ways to approve**",
    `1. Submit a GitHub review with **Approve**: it counts for every persona you can review; add a line \`Reviewed-for: ${personaId}\` to limit it.`,
    "2. Click **Approve** (or **Request changes**) on this check.",
    `3. Comment \`/approve ${personaId}\`, or \`/request-changes ${personaId} <reason>\`.`,
  ].join("\n");
}

function action(label: string, description: string, identifier: ActionId): CheckAction {
  return { label: clip(label, 20), description: clip(description, 40), identifier };
}

function stateWord(p: PersonaVerdict): string {
  const queued = queuedFor(p);
  if (queued.length > 0) return `queued, after ${queued.join(", ")}`;
  return p.state === "approved" ? "approved" : p.state === "changes_requested" ? "changes requested" : "waiting";
}

function stateIcon(p: PersonaVerdict): string {
  if (queuedFor(p).length > 0) return "⏸️";
  return p.state === "approved" ? "✅" : p.state === "changes_requested" ? "❌" : "⏳";
}

function eligibleText(teams: readonly string[], users: readonly string[]): string {
  const parts = [...teams.map((t) => `team \`${t}\``), ...users.map((u) => `@${u}`)];
  return parts.join(", ") || "nobody (fix the review table)";
}

function fileList(files: readonly string[]): string[] {
  const out = files.slice(0, MAX_FILES).map((f) => `- \`${f}\``);
  if (files.length > MAX_FILES) out.push(`- … and ${files.length - MAX_FILES} more`);
  return out;
}

function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function quote(s: string): string {
  return `“${s.replace(/\r?\n/g, " ")}”`;
}

/** At most `max` characters, counted and cut by code point so an emoji is never split. */
export function clip(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : chars.slice(0, max - 1).join("") + "…";
}

/**
 * Keeps an output within GitHub's limit, saying so when it cut. GitHub counts the 65,535 in bytes of
 * UTF-8 ("exceeds a maximum bytesize"), and summaries are full of multi-byte characters (✅, —, …).
 */
export function fit(s: string, max = MAX_OUTPUT): string {
  if (Buffer.byteLength(s, "utf8") <= max) return s;
  const note = "\n\n… (truncated: the full list is longer than GitHub allows in a check run)";
  const budget = max - Buffer.byteLength(note, "utf8");
  let bytes = 0;
  let end = 0;
  for (const ch of s) {
    const n = Buffer.byteLength(ch, "utf8");
    if (bytes + n > budget) break;
    bytes += n;
    end += ch.length;
  }
  return s.slice(0, end) + note;
}
