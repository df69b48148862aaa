/**
 * The payments scenario, played against the real app and the local GitHub simulator (src/dev/stack.ts):
 * carol changes src/payments/, the bundled reviewers.yml asks for a Backend Engineer, a Security
 * Engineer and Finance, and approvals arrive through all three ways — a GitHub review, a check's
 * button, a comment command — with a refused click, a change request and a push in between. After
 * each step the board (the persona checks and the gate, as the app wrote them) is drawn again.
 */
import { readFileSync } from "node:fs";
import { parseTable } from "../core/config.js";
import { startStack, type Stack } from "../dev/stack.js";
import {
  describeChange,
  icon,
  paint,
  personaDigest,
  readBoard,
  renderBoard,
  trimOutput,
  type Board,
  type Style,
} from "./board.js";

export interface DemoOptions {
  /** Where the demo prints (process.stdout in `npm run demo`, a buffer in tests). */
  readonly write: (text: string) => void;
  /** A terminal: colors, the board redrawn in place, pauses between steps. */
  readonly tty?: boolean;
  /** Terminal width, to keep redrawn lines from wrapping. */
  readonly columns?: number;
  /** Pause after each step on a terminal (ignored otherwise). */
  readonly pauseMs?: number;
  /** The table to play with; default the bundled reviewers.yml at the package root. */
  readonly tableText?: string;
}

export interface DemoResult {
  readonly ok: boolean;
  /** Why the demo failed (empty when ok). */
  readonly failures: string[];
  /** Each board as printed, without colors: one per step. */
  readonly boards: string[];
  readonly final: Board;
  readonly refusal?: string;
  readonly validationErrors: readonly string[];
  readonly webhooks: number;
  readonly apiRequests: number;
  readonly elapsedMs: number;
}

const REPO = "shop";
const TABLE_URL = new URL("../../reviewers.yml", import.meta.url);

export function bundledTable(): string {
  return readFileSync(TABLE_URL, "utf8");
}

/** The demo's table: the bundled one with Finance reviewing after Backend (`after:`), to show a persona waiting its turn. */
export function demoTable(): string {
  const text = bundledTable();
  const finance = "  finance:\n    name: Finance\n    teams: [finance]\n";
  if (!text.includes(finance))
    throw new Error("the bundled reviewers.yml no longer has the Finance persona the demo orders");
  return text.replace(finance, finance + "    after: [backend]\n");
}

interface Step {
  /** Who acts (their actions are kept in distinct seconds, see below). */
  readonly actor: string;
  /** Who did what, and which of the three ways. */
  readonly caption: string;
  readonly act: () => Promise<unknown>;
}

export async function playPaymentsScenario(opts: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const tty = opts.tty ?? false;
  const style: Style = { color: tty };
  const out = new Screen(opts.write, tty, opts.columns ?? 100);
  const tableText = opts.tableText ?? demoTable();
  const parsed = parseTable({ file: ".github/reviewers.yml", text: tableText });
  if (!parsed.table)
    throw new Error(`the bundled reviewers.yml is invalid: ${parsed.problems.map((p) => p.message).join("; ")}`);
  const gateName = parsed.table.settings.gate;

  const stack: Stack = await startStack({ simulator: { validation: true } });
  const { sim } = stack;
  try {
    // The organization: reviewers in their teams, every other team the table names (empty), and mallory.
    for (const u of ["carol", "dan", "bob", "sam", "fiona", "mallory"]) sim.createUser(u);
    const members: Record<string, string[]> = { backend: ["bob"], security: ["sam"], finance: ["fiona"] };
    const teams = new Set([
      ...Object.keys(members),
      ...parsed.table.personas.flatMap((p) => p.teams.filter((t) => !t.includes("/"))),
    ]);
    for (const t of teams) sim.createTeam(t, { members: members[t] ?? [] });
    sim.createRepo(REPO, {
      files: {
        ".github/reviewers.yml": tableText,
        "src/payments/charge.ts":
          "export async function charge(card: string, cents: number) {\n  for (;;) { try { return await psp.charge(card, cents); } catch { /* retry */ } }\n}\n",
        "src/payments/refund.ts":
          "export async function refund(chargeId: string) {\n  return psp.refund(chargeId);\n}\n",
        "README.md": "# shop\n",
      },
    });
    await sim.createBranch(REPO, "retry-safe-charges", {
      author: "carol",
      message: "Make charges and refunds retry-safe",
      files: {
        "src/payments/charge.ts":
          "export async function charge(card: string, cents: number, key: string) {\n  for (let i = 0; i < 3; i++) { try { return await psp.charge(card, cents, { idempotencyKey: key }); } catch (e) { if (i === 2) throw e; } }\n}\n",
        "src/payments/refund.ts":
          "export async function refund(chargeId: string, key: string) {\n  return psp.refund(chargeId, { idempotencyKey: key });\n}\n",
      },
    });

    // dan's change, opened during the scenario: it touches a file #1 touches too, for the conflict radar.
    await sim.createBranch(REPO, "refund-fees", {
      author: "dan",
      message: "Charge a fee on refunds",
      files: {
        "src/payments/refund.ts":
          "export async function refund(chargeId: string) {\n  return psp.refund(chargeId, { fee: FEE });\n}\n",
      },
    });

    let number = 0;
    let second = 0;
    let firstHead = "";
    const runId = (check: string) => {
      const run = sim.checkRuns(REPO, sim.pullRequest(REPO, number).headSha, { latest: true, name: check })[0];
      if (!run) throw new Error(`no ${check} check on #${number}`);
      return run.id;
    };
    const steps: Step[] = [
      {
        actor: "carol",
        caption:
          "@carol opens #1 “Make charges retry-safe”, changing src/payments/charge.ts and refund.ts → the app reads reviewers.yml from main: domain payments",
        act: async () => {
          const pr = await sim.openPullRequest(REPO, {
            title: "Make charges retry-safe",
            head: "retry-safe-charges",
            author: "carol",
          });
          number = pr.number;
          firstHead = pr.headSha;
        },
      },
      {
        actor: "dan",
        caption:
          "@dan opens #2 “Charge a fee on refunds”, also changing src/payments/refund.ts → the conflict radar (check parallel-review/conflicts) names #2 on #1 and #1 on #2",
        act: async () => {
          second = (
            await sim.openPullRequest(REPO, { title: "Charge a fee on refunds", head: "refund-fees", author: "dan" })
          ).number;
        },
      },
      {
        actor: "mallory",
        caption: "@mallory (in no security team) clicks [Approve] on review/security — way 2, the check's button",
        act: () => sim.clickCheckRunAction(REPO, runId("review/security"), "approve", "mallory"),
      },
      {
        actor: "sam",
        caption: "@sam submits a GitHub review: Approve — way 1, a review (counts for every persona @sam can review)",
        act: () =>
          sim.submitReview(REPO, number, {
            user: "sam",
            state: "APPROVED",
            body: "PCI scope unchanged, no credentials. LGTM.",
          }),
      },
      {
        actor: "bob",
        caption: "@bob comments “/request-changes backend retry loop can double-charge” — way 3, a comment command",
        act: () =>
          sim.comment(REPO, number, { user: "bob", body: "/request-changes backend retry loop can double-charge" }),
      },
      {
        actor: "carol",
        caption:
          "@carol pushes a fix touching only src/payments/charge.ts → payments changed: approvals of payments personas reset (on_push: changed-domains); @bob's change request stands",
        act: () =>
          sim.pushToPullRequest(REPO, number, {
            message: "Reuse the idempotency key across retries",
            files: {
              "src/payments/charge.ts":
                "export async function charge(card: string, cents: number, key: string) {\n  return withRetries(3, () => psp.charge(card, cents, { idempotencyKey: key }));\n}\n",
            },
          }),
      },
      {
        actor: "bob",
        caption:
          "@bob comments “/approve backend” — way 3, a comment command → Finance's turn: it reviews after Backend (after: in the table)",
        act: () =>
          sim.comment(REPO, number, { user: "bob", body: "Retries now reuse the key, thanks.\n/approve backend" }),
      },
      {
        actor: "sam",
        caption: "@sam reviews the fix and approves again — way 1, a GitHub review",
        act: () =>
          sim.submitReview(REPO, number, {
            user: "sam",
            state: "APPROVED",
            body: "Re-checked after the push.\nReviewed-for: security",
          }),
      },
      {
        actor: "fiona",
        caption: "@fiona clicks [Approve] on review/finance — way 2, the check's button",
        act: () => sim.clickCheckRunAction(REPO, runId("review/finance"), "approve", "fiona"),
      },
    ];

    out.line(
      paint(style, ["bold"], "parallel-review demo — the payments scenario") +
        paint(style, ["dim"], ` (local GitHub simulator at ${sim.url}, app at ${stack.webhookUrl})`),
    );
    out.line("");
    const boards: string[] = [];
    let previous: Board | undefined;
    const lastSecond = new Map<string, number>();
    for (const [i, step] of steps.entries()) {
      // GitHub's timestamps are to the second, and when one user's approval and change request share a
      // second the app counts the change request (fail closed). People do not act twice in a second;
      // without pauses this script would, so a user's next action waits for the next second.
      const last = lastSecond.get(step.actor);
      if (last !== undefined && Date.now() < (last + 1) * 1000) await sleep((last + 1) * 1000 - Date.now());
      await step.act();
      lastSecond.set(step.actor, Math.floor(Date.now() / 1000));
      await sim.idle({ timeoutMs: 10_000 });
      const board = readBoard(sim, REPO, number, gateName);
      const change = describeChange(previous, board);
      const head = `[${i + 1}/${steps.length}] ${step.caption}`;
      const frameLines = [
        paint(style, ["bold", "cyan"], head),
        paint(style, ["dim"], `  → ${change}`),
        ...renderBoard(board, style),
      ];
      boards.push([head, `  → ${change}`, ...renderBoard(board, { color: false })].join("\n"));
      out.frame(frameLines, paint(style, ["dim"], `✓ ${head}  → ${change}`));
      previous = board;
      if (tty && i < steps.length - 1) await sleep(opts.pauseMs ?? 1300);
    }
    out.done();

    // The final check outputs, as GitHub would show them.
    const final = readBoard(sim, REPO, number, gateName);
    const runs = sim.checkRuns(REPO, final.headSha, { latest: true });
    out.line("");
    out.line(
      paint(
        style,
        ["bold"],
        `Final check outputs on ${final.headSha.slice(0, 7)} (first push ${firstHead.slice(0, 7)}):`,
      ),
    );
    for (const name of [gateName, ...final.personas.map((p) => p.check)]) {
      const run = runs.find((r) => r.name === name);
      if (!run) continue;
      out.line("");
      out.line(
        paint(
          style,
          ["bold"],
          `■ ${name} — ${run.status === "completed" ? run.conclusion : run.status}: ${run.output.title}`,
        ),
      );
      for (const l of name === gateName
        ? trimOutput(run.output.summary ?? "", 24)
        : personaDigest(run.output.summary ?? ""))
        out.line(`  ${l}`);
    }

    // The conflict radar on both pull requests.
    const radars = [number, second].map((n) => ({
      n,
      run: sim.checkRuns(REPO, sim.pullRequest(REPO, n).headSha, {
        latest: true,
        name: "parallel-review/conflicts",
      })[0],
    }));
    for (const { n, run } of radars) {
      if (!run) continue;
      out.line("");
      out.line(paint(style, ["bold"], `■ parallel-review/conflicts on #${n} — ${run.conclusion}: ${run.output.title}`));
      for (const l of trimOutput(run.output.summary ?? "", 6)) out.line(`  ${l}`);
    }

    // Checks: the gate passed, the refusal was shown, nothing broke GitHub's schema, every webhook was answered.
    const failures: string[] = [];
    if (!boards[0]?.includes("Queued: waiting for Backend Engineer"))
      failures.push("Finance did not wait for Backend on the first board");
    for (const { n, run } of radars) {
      const other = n === number ? second : number;
      if (run?.output.title !== `Overlaps with #${other}`)
        failures.push(`the conflict radar of #${n} does not name #${other}: ${run?.output.title ?? "no check"}`);
    }
    const gateRun = runs.find((r) => r.name === gateName);
    if (gateRun?.conclusion !== "success")
      failures.push(
        `the gate did not pass: ${gateRun ? `${gateRun.status}/${gateRun.conclusion}: ${gateRun.output.title}` : "no gate check"}`,
      );
    const refusal = sim
      .comments(REPO, number)
      .find((c) => c.byApp && c.body.includes("@mallory") && c.body.includes("not counted"))
      ?.body.split("\n")[0];
    if (!refusal) failures.push("mallory's click was not refused with a record comment");
    if (!boards.some((b) => b.includes("@mallory") && b.includes("not counted")))
      failures.push("the refusal did not show on the board");
    if (sim.validationErrors.length > 0)
      failures.push(
        `the simulator found ${sim.validationErrors.length} OpenAPI problems: ${sim.validationErrors.slice(0, 3).join(" | ")}`,
      );
    const unanswered = sim.deliveries.filter((d) => d.status !== 200);
    if (unanswered.length > 0)
      failures.push(
        `${unanswered.length} webhook deliveries were not answered 200: ${unanswered.map((d) => `${d.event}.${d.action ?? ""} → ${d.status ?? "not sent"}`).join(", ")}`,
      );

    const elapsedMs = Date.now() - started;
    const approvers = final.personas.map((p) => `${p.name} ${p.who.join(", ") || "—"}`).join("; ");
    out.line("");
    if (refusal) out.line(paint(style, ["yellow"], `Refused: ${refusal}`));
    const stats = sim.stats();
    const summary =
      failures.length === 0
        ? `${icon("pass")} ${gateName} passed: ${gateRun?.output.title} (${approvers}). ${steps.length} steps, ${sim.deliveries.length} webhooks, ${stats.total} GitHub API requests (${stats.notModified} of them 304), 0 OpenAPI problems, ${(elapsedMs / 1000).toFixed(1)} s.`
        : `${icon("fail")} demo failed:\n${failures.map((f) => `  - ${f}`).join("\n")}`;
    out.line(paint(style, ["bold", failures.length === 0 ? "green" : "red"], summary));
    return {
      ok: failures.length === 0,
      failures,
      boards,
      final,
      ...(refusal ? { refusal } : {}),
      validationErrors: [...sim.validationErrors],
      webhooks: sim.deliveries.length,
      apiRequests: stats.total,
      elapsedMs,
    };
  } finally {
    await stack.stop();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Output: on a terminal the current frame (the finished steps' one-line captions, then the live
 * board) is redrawn in place; otherwise every board is printed after the previous one.
 */
class Screen {
  private history: string[] = [];
  private height = 0;

  constructor(
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
    private readonly columns: number,
  ) {}

  line(text: string): void {
    this.write(text + "\n");
  }

  frame(lines: string[], doneCaption: string): void {
    if (!this.tty) {
      this.write(lines.join("\n") + "\n\n");
      return;
    }
    const shown = [...this.history, ...lines].map((l) => clipVisible(l, this.columns - 1));
    this.write((this.height > 0 ? `\x1b[${this.height}A\x1b[0J` : "") + shown.join("\n") + "\n");
    this.height = shown.length;
    this.history.push(doneCaption);
  }

  done(): void {
    this.height = 0;
  }
}

/** Cuts a line with ANSI codes to `max` terminal columns (emoji counted as two), so a redraw never wraps. */
function clipVisible(s: string, max: number): string {
  let width = 0;
  let out = "";
  for (let i = 0; i < s.length;) {
    const esc = /^\x1b\[[0-9;]*m/.exec(s.slice(i));
    if (esc) {
      out += esc[0];
      i += esc[0].length;
      continue;
    }
    const cp = s.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    const w = cp === 0xfe0f ? 0 : cp >= 0x1f000 || (cp >= 0x2300 && cp <= 0x27bf) ? 2 : 1;
    if (width + w > max - 1 && i + ch.length < s.length) return out + "…\x1b[0m";
    width += w;
    out += ch;
    i += ch.length;
  }
  return out;
}
