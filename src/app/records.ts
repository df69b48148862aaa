import {
  commandDigest,
  encodeRecord,
  UNKNOWN_SHA,
  type Command,
  type CommentInput,
  type GitHubUser,
  type RecordData,
  type RecordScan,
} from "../core/actions.js";
import type { ActionId } from "../core/checks.js";
import type { PlanPersona, ReviewPlan } from "../core/plan.js";
import { short } from "../core/verdict.js";

/** A click on a persona check's button, as the check_run.requested_action event reports it. */
export interface ButtonClick {
  readonly persona: string;
  readonly action: ActionId;
  readonly user: GitHubUser;
  /** The commit the check run (and so the click) belongs to. */
  readonly sha: string;
  readonly delivery: string;
  /** When the app received the click (the record may be written later, behind other events). */
  readonly receivedAt: string;
}

/** Eligibility already looked up: may `login` review `persona`? */
export type Eligible = (persona: PlanPersona, login: string) => boolean;

export interface NewRecord {
  readonly data: RecordData;
  /** The comment body: what a person reads, with the record hidden inside. */
  readonly body: string;
}

/**
 * Records to write for this reconcile: the button click (once per delivery) and every user comment
 * whose commands have no current record. Each record's text answers the user where they acted,
 * including why an attempt does not count.
 */
export function recordsToWrite(opts: {
  scan: RecordScan;
  click?: ButtonClick;
  headSha: string;
  /** When the app first saw the current head (its earliest check run there), if it has. */
  headSeenAt: string | undefined;
  plan: ReviewPlan;
  author: string;
  selfApproval: boolean;
  eligible: Eligible;
}): NewRecord[] {
  const out: NewRecord[] = [];
  const { click, scan } = opts;
  if (click && !scan.deliveries.has(click.delivery)) {
    const commands: Command[] = [{ kind: click.action, personas: [click.persona] }];
    const data: RecordData = {
      v: 1,
      via: "button",
      user: click.user.login,
      ...(click.user.id !== undefined ? { userId: click.user.id } : {}),
      ...(isBot(click.user) ? { isBot: true } : {}),
      sha: click.sha,
      commands,
      delivery: click.delivery,
      clickedAt: click.receivedAt,
    };
    out.push({ data, body: encodeRecord(data, describe(opts, click.user, commands, click.sha, "button", [])) });
  }
  for (const u of scan.unrecorded) {
    const user = u.comment.user!;
    if (isBot(user)) continue; // bots cannot approve; answering them could loop with another bot
    // A comment is tied to the head only if it was written after the app saw that head; an older one
    // (recorded late: the app was down, or its record was deleted) may predate a push and never carries over.
    const seen = opts.headSeenAt !== undefined && Date.parse(u.comment.updatedAt) >= Date.parse(opts.headSeenAt);
    const data: RecordData = {
      v: 1,
      via: "comment",
      user: user.login,
      ...(user.id !== undefined ? { userId: user.id } : {}),
      sha: seen ? opts.headSha : UNKNOWN_SHA,
      commands: u.commands,
      source: u.comment.id,
      digest: commandDigest(u.commands),
    };
    out.push({
      data,
      body: encodeRecord(data, describe(opts, user, u.commands, opts.headSha, "comment", u.errors, u.comment)),
    });
  }
  return out;
}

function describe(
  opts: { plan: ReviewPlan; author: string; selfApproval: boolean; eligible: Eligible },
  user: GitHubUser,
  commands: readonly Command[],
  sha: string,
  via: "button" | "comment",
  errors: readonly string[],
  source?: CommentInput,
): string {
  const who = `@${user.login}`;
  const where = via === "button" ? "the check's button" : "a comment";
  const lines: string[] = [];
  for (const cmd of commands) {
    const verb =
      cmd.kind === "approve"
        ? via === "button"
          ? "clicked Approve"
          : "approved"
        : via === "button"
          ? "clicked Request changes"
          : "requested changes";
    const targets =
      cmd.personas === "all"
        ? opts.plan.personas
        : cmd.personas.map((id) => opts.plan.personas.find((p) => p.id === id) ?? id);
    if (cmd.kind === "approve" && source && source.updatedAt !== source.createdAt) {
      lines.push(
        `⚠️ ${who}'s comment was edited: an edited comment cannot approve (anyone with write access can edit it). Post a new comment to approve.`,
      );
      continue;
    }
    for (const t of targets) {
      if (typeof t === "string") {
        lines.push(
          `⚠️ ${who} ${verb} for \`${inert(t).replace(/`/g, "")}\`, but no such persona is required on this pull request: not counted.`,
        );
        continue;
      }
      const why = refusal(opts, user, t);
      if (why && cmd.personas === "all") continue; // `/approve` alone speaks for the personas you can review
      if (why) lines.push(`⚠️ ${who} ${verb} as **${t.name}** but ${why}: not counted.`);
      else
        lines.push(
          `${cmd.kind === "approve" ? "✅" : "❌"} ${who} ${verb} as **${t.name}** on ${sha === UNKNOWN_SHA ? "an earlier commit (recorded late: approve again if it should count now)" : short(sha)} via ${where}${cmd.reason ? `: “${inert(cmd.reason)}”` : ""}.`,
        );
    }
    if (cmd.personas === "all" && !targets.some((t) => typeof t !== "string" && !refusal(opts, user, t))) {
      lines.push(`⚠️ ${who} ${verb}, but is not a reviewer for any persona this pull request requires: not counted.`);
    }
  }
  for (const e of errors) lines.push(`⚠️ ${e}`);
  if (lines.length === 0) lines.push(`${who}'s comment no longer carries a review command.`);
  if (source)
    lines.push(
      "",
      `<sub>Recorded from [comment ${source.id}](#issuecomment-${source.id}). Editing or deleting that comment withdraws what it says.</sub>`,
    );
  return lines.join("\n");
}

function refusal(
  opts: { author: string; selfApproval: boolean; eligible: Eligible },
  user: GitHubUser,
  persona: PlanPersona,
): string | undefined {
  if (isBot(user)) return "bots cannot approve";
  if (user.login === opts.author && !opts.selfApproval) return "is the pull request's author";
  if (!opts.eligible(persona, user.login)) return `is not a ${persona.name} reviewer`;
  return undefined;
}

/** A user's words quoted in a record: no HTML comments (they could hide text) and no mentions (no pings). */
function inert(text: string): string {
  return text.replace(/<!--|-->/g, (m) => (m === "<!--" ? "&lt;!--" : "--&gt;")).replace(/@(?=\w)/g, "@\u200b");
}

function isBot(u: GitHubUser): boolean {
  return u.type === "Bot" || u.login.endsWith("[bot]");
}
