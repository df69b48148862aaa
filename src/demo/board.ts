/**
 * The demo's live board: what the app shows on a pull request (its persona checks and the gate), read
 * back from the simulator and drawn as a compact table. Plain text when `color` is off (CI, tests, a
 * pipe); ANSI colors when it is on (a terminal).
 */
import type { GitHubSimulator } from "../simulator/index.js";

export type PersonaState = "approved" | "changes_requested" | "waiting" | "queued" | "retired";
export type GateState = "pass" | "waiting" | "fail" | "none";

export interface PersonaRow {
  readonly check: string;
  readonly name: string;
  readonly state: PersonaState;
  /** "@sam via review", "@bob via comment: “reason”" — from the check's summary. */
  readonly who: string[];
  /** ⚠️ lines of the check: refused attempts, approvals that no longer count. */
  readonly notices: string[];
}

export interface Board {
  readonly headSha: string;
  readonly personas: PersonaRow[];
  readonly gate: {
    readonly name: string;
    readonly state: GateState;
    readonly title: string;
    readonly conclusion: string | null;
  };
}

/** The newest run of each of the app's checks on the pull request's current head. */
export function readBoard(sim: GitHubSimulator, repo: string, number: number, gateName = "parallel-review"): Board {
  const headSha = sim.pullRequest(repo, number).headSha;
  const runs = sim.checkRuns(repo, headSha, { latest: true });
  const gateRun = runs.find((r) => r.name === gateName);
  const gate: Board["gate"] = gateRun
    ? {
        name: gateName,
        state: gateRun.status !== "completed" ? "waiting" : gateRun.conclusion === "success" ? "pass" : "fail",
        title: gateRun.output.title ?? "",
        conclusion: gateRun.conclusion,
      }
    : { name: gateName, state: "none", title: "not posted", conclusion: null };
  const summaryOrder = gateRun?.output.summary ?? "";
  const personas = runs
    .filter((r) => r.name.startsWith("review/"))
    .map((r): PersonaRow => {
      const summary = r.output.summary ?? "";
      const name = /^\*\*(.+?)\*\* —/m.exec(summary)?.[1] ?? r.name.slice("review/".length);
      const state: PersonaState =
        r.status === "queued"
          ? "queued"
          : r.conclusion === "success"
            ? "approved"
            : r.conclusion === "failure"
              ? "changes_requested"
              : r.conclusion === "neutral"
                ? "retired"
                : "waiting";
      const bullets = summary.split("\n").filter((l) => l.startsWith("- "));
      const who = bullets
        .filter((l) => l.startsWith("- ✅ ") || l.startsWith("- ❌ "))
        .map((l) =>
          l
            .slice(4)
            .replace(/ (approved|requested changes) via /, " via ")
            .replace(/ — carried over from (\w+): no changes in its paths/, " (carried over from $1)"),
        );
      const notices = bullets.filter((l) => l.startsWith("- ⚠️ ")).map((l) => l.slice(2));
      // A queued persona (after: in the table) has no reviewer yet: say whom it waits for instead.
      if (state === "queued" && who.length === 0) who.push(r.output.title ?? "queued");
      return { check: r.name, name, state, who, notices };
    })
    // The gate lists personas in plan order; keep that order on the board.
    .sort((a, b) => rank(summaryOrder, a.name) - rank(summaryOrder, b.name) || a.check.localeCompare(b.check));
  return { headSha, personas, gate };
}

function rank(summary: string, name: string): number {
  const i = summary.indexOf(`| ${name} |`);
  return i < 0 ? Number.MAX_SAFE_INTEGER : i;
}

const ICON: Record<PersonaState | GateState, string> = {
  approved: "✅",
  pass: "✅",
  changes_requested: "❌",
  fail: "❌",
  waiting: "⏳",
  queued: "⏸",
  retired: "➖",
  none: "➖",
};
const WORD: Record<PersonaState | GateState, string> = {
  approved: "approved",
  pass: "passed",
  changes_requested: "changes requested",
  fail: "failing",
  waiting: "waiting",
  queued: "queued",
  retired: "not required",
  none: "not posted",
};

export interface Style {
  readonly color: boolean;
}

const SGR = {
  reset: "\x1b[0m",
  bold: "\x1b[1m",
  dim: "\x1b[2m",
  red: "\x1b[31m",
  green: "\x1b[32m",
  yellow: "\x1b[33m",
  cyan: "\x1b[36m",
} as const;

export function paint(style: Style, codes: ReadonlyArray<keyof typeof SGR>, text: string): string {
  return style.color && codes.length > 0 ? codes.map((c) => SGR[c]).join("") + text + SGR.reset : text;
}

function tone(state: PersonaState | GateState): Array<keyof typeof SGR> {
  return state === "approved" || state === "pass"
    ? ["green"]
    : state === "changes_requested" || state === "fail"
      ? ["red"]
      : state === "waiting" || state === "queued"
        ? ["yellow"]
        : ["dim"];
}

export function icon(state: PersonaState | GateState): string {
  return ICON[state];
}

/** The board as lines: one row per persona, then the gate, then the checks' notices. */
export function renderBoard(b: Board, style: Style): string[] {
  const nameW = Math.max(7, ...b.personas.map((p) => p.name.length));
  const stateW = Math.max(...b.personas.map((p) => WORD[p.state].length), 5);
  const pad = (s: string, w: number) => s + " ".repeat(Math.max(0, w - s.length));
  const lines = [paint(style, ["dim"], `  ${pad("Persona", nameW)}  ${pad("State", stateW + 3)}  Who`)];
  for (const p of b.personas) {
    const who = p.who.length > 0 ? p.who.join("; ") : "—";
    lines.push(
      `  ${pad(p.name, nameW)}  ${ICON[p.state]} ${paint(style, tone(p.state), pad(WORD[p.state], stateW))}  ${who}`,
    );
  }
  const gateWord = b.gate.state === "waiting" ? "in progress" : WORD[b.gate.state];
  lines.push(
    `  ${paint(style, ["bold"], `Gate ${b.gate.name}`)}: ${ICON[b.gate.state]} ${paint(style, [...tone(b.gate.state), "bold"], gateWord)} — ${b.gate.title}`,
  );
  for (const p of b.personas) for (const n of p.notices) lines.push(paint(style, ["yellow"], `  ${n} (${p.check})`));
  return lines;
}

/** What changed from one board to the next: "Security Engineer ⏳→✅, gate ⏳→❌". */
export function describeChange(before: Board | undefined, after: Board): string {
  if (!before)
    return after.personas.length > 0
      ? `${after.personas.length} persona checks and the gate appeared together`
      : "no checks posted";
  const parts: string[] = [];
  for (const p of after.personas) {
    const was = before.personas.find((q) => q.check === p.check);
    if (!was) parts.push(`${p.name} appeared ${ICON[p.state]}`);
    else if (was.state !== p.state) parts.push(`${p.name} ${ICON[was.state]}→${ICON[p.state]}`);
    for (const n of p.notices) if (!was?.notices.includes(n)) parts.push(`new notice on ${p.check}`);
  }
  if (before.gate.state !== after.gate.state) parts.push(`gate ${ICON[before.gate.state]}→${ICON[after.gate.state]}`);
  return parts.length > 0 ? parts.join(", ") : "no change on the board";
}

/** A check output shortened for the terminal: blank lines dropped, at most `maxLines` lines of at most `width` characters. */
export function trimOutput(summary: string, maxLines = 10, width = 110): string[] {
  const lines = summary
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => l.replace(/<br>/g, ", "));
  const shown = lines
    .slice(0, maxLines)
    .map((l) => ([...l].length > width ? [...l].slice(0, width - 1).join("") + "…" : l));
  if (lines.length > maxLines) shown.push(`… (${lines.length - maxLines} more lines)`);
  return shown;
}

/** A persona check's summary in brief: its state, who acted, notices, who may review, and the criteria checklist. */
export function personaDigest(summary: string, width = 110): string[] {
  const lines = summary.split("\n");
  const keep = lines.filter((l, i) => i === 0 || /^- (✅|❌|⚠️) /.test(l) || l.startsWith("**Eligible:**"));
  // The checklist, not the copyable `/approve` snippet in the fenced block after it.
  const fence = lines.findIndex((l) => l.startsWith("```"));
  const criteria = lines
    .slice(0, fence < 0 ? lines.length : fence)
    .filter((l) => /^- \[[ x]\] /.test(l))
    .map((l) => l.slice(6));
  if (criteria.length > 0) keep.push(`**Criteria** (${criteria.length}): ${criteria.join("; ")}`);
  const files = /^\*\*Files\*\* \((\d+)\)/m.exec(summary)?.[1];
  if (files) keep.push(`**Files** (${files}), then how to approve in three ways`);
  return keep.map((l) => ([...l].length > width ? [...l].slice(0, width - 1).join("") + "…" : l));
}
