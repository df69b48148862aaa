import {
  commandDigest,
  encodeRecord,
  UNKNOWN_SHA,
  type Command,
  type CommentInput,
  type GitHubUser,
  type RecordData,
  type Unrecorded,
  edited,
} from "../core/actions.js";
import type { ActionId } from "../core/checks.js";
import { criteriaItems, criterionKey, listCriteria, missingCriteria } from "../core/criteria.js";
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
  /** When the app received the click (a redelivery arrives late: this is only an upper bound). */
  readonly receivedAt: string;
  /**
   * When the clicked run last changed (its `completed_at`, else `started_at`, from the payload GitHub
   * signed): the click cannot be older. Undefined when the payload does not say.
   */
  readonly runUpdatedAt?: string;
}

/** Eligibility already looked up: may `login` review `persona`? */
export type Eligible = (persona: PlanPersona, login: string) => boolean;

export interface NewRecord {
  readonly data: RecordData;
  /** The comment body: what a person reads, with the record hidden inside. */
  readonly body: string;
}

/**
 * The time a click counts at. It is not in the payload; it lies between the clicked run's last change
 * and the app's first receipt. An approval takes the earliest moment, a change request the latest, so
 * a late (re)delivery never lets an old approval overtake the reviewer's later change request.
 */
export function clickTime(click: ButtonClick): string | undefined {
  if (click.action === "request_changes") return click.receivedAt;
  const run = click.runUpdatedAt !== undefined ? Date.parse(click.runUpdatedAt) : NaN;
  if (Number.isNaN(run)) return undefined;
  return new Date(Math.min(run, Date.parse(click.receivedAt))).toISOString();
}

/**
 * Is a comment written at `createdAt` about the head `headSha`? Only if that commit was already this
 * pull request's head when the comment was written (`headSince`: when the app first saw it become the
 * head, from the ledger) and no force-push happened since: otherwise (A → B → A, a fast-forward back to
 * a commit seen before) the head the reviewer looked at cannot be told, and the approval is tied to no
 * commit (it never carries over).
 */
export function commentCommit(
  createdAt: string,
  headSha: string,
  headSince: string | undefined,
  forcePushedAt: readonly string[],
): string {
  const t = Date.parse(createdAt);
  if (headSince === undefined || Date.parse(headSince) > t) return UNKNOWN_SHA;
  if (forcePushedAt.some((f) => Date.parse(f) >= t)) return UNKNOWN_SHA;
  return headSha;
}

/**
 * Records to write for this reconcile: the button click (once per delivery) and every user comment
 * whose commands have no record yet. Each record's text answers the user where they acted, including
 * why an attempt does not count.
 */
export function recordsToWrite(opts: {
  unrecorded: readonly Unrecorded[];
  deliveries: ReadonlySet<string>;
  click?: ButtonClick;
  /** The pull request and its base branch now: every record is stamped with them. */
  pr: number;
  base: string;
  headSha: string;
  /** Since when the current head has been this pull request's head, as far as the app knows. */
  headSince: string | undefined;
  /** When the pull request's branch was force-pushed (GitHub's issue events). */
  forcePushedAt: readonly string[];
  plan: ReviewPlan;
  author: string;
  selfApproval: boolean;
  eligible: Eligible;
}): NewRecord[] {
  const out: NewRecord[] = [];
  const { click } = opts;
  if (click && !opts.deliveries.has(click.delivery)) {
    const at = clickTime(click);
    const commands: Command[] = at === undefined ? [] : [{ kind: click.action, personas: [click.persona] }];
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
      ...(at !== undefined ? { at } : {}),
      pr: opts.pr,
      base: opts.base,
    };
    const errors =
      at === undefined ? ["The click's time cannot be established from GitHub's payload: click again."] : [];
    out.push({ data, body: encodeRecord(data, describe(opts, click.user, commands, click.sha, "button", errors)) });
  }
  for (const u of opts.unrecorded) {
    const user = u.comment.user!;
    if (isBot(user)) continue; // bots cannot approve; answering them could loop with another bot
    // An edited comment may have been edited by anyone with write access (GitHub still shows the
    // original author): its approvals never count, its change requests do, as of the edit.
    const wasEdited = edited(u.comment);
    const said = wasEdited ? u.commands.filter((c) => c.kind === "request_changes") : u.commands;
    const commands = said.map((c) => onlyCriteriaOf(opts.plan, c));
    const at = wasEdited ? u.comment.updatedAt : u.comment.createdAt;
    const sha = commentCommit(at, opts.headSha, opts.headSince, opts.forcePushedAt);
    const data: RecordData = {
      v: 1,
      via: "comment",
      user: user.login,
      ...(user.id !== undefined ? { userId: user.id } : {}),
      sha,
      commands,
      source: u.comment.id,
      digest: commandDigest(u.commands),
      at,
      pr: opts.pr,
      base: opts.base,
    };
    const dropped = u.commands.length - commands.length;
    const errors = [
      ...(dropped > 0
        ? [
            `@${user.login}'s comment was edited before it was recorded: an edited comment cannot approve (anyone with write access can edit it). Post a new comment to approve.`,
          ]
        : []),
      ...u.errors,
    ];
    const text = describe(opts, user, said, sha, "comment", errors, u.comment, u.ticked);
    out.push({ data, body: encodeRecord(data, text) });
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
  ticked?: ReadonlyMap<string, string>,
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
          `${cmd.kind === "approve" ? "✅" : "❌"} ${who} ${verb} as **${t.name}** on ${sha === UNKNOWN_SHA ? "a commit that cannot be established (the head moved or was force-pushed since: act again if it should count now)" : short(sha)} via ${where}${cmd.reason ? `: “${inert(cmd.reason)}”` : ""}.`,
        );
      if (!why && cmd.kind === "approve") lines.push(...acknowledgement(t, cmd));
    }
    if (cmd.kind === "approve" && cmd.criteria) {
      // A ticked item that is no criterion of the personas it approves for: name it, so a typo is fixed.
      const known = new Set(
        targets.flatMap((t) =>
          typeof t === "string" || refusal(opts, user, t) ? [] : criteriaItems(t.criteria).map(criterionKey),
        ),
      );
      const stray = cmd.criteria.filter((k) => !known.has(k)).map((k) => inert(ticked?.get(k) ?? k));
      if (stray.length > 0)
        lines.push(
          `⚠️ ticked ${listCriteria(stray)}: not a criterion of the personas approved here, so not acknowledged (copy the checklist from the persona's check).`,
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
      `<sub>Recorded from [comment ${source.id}](#issuecomment-${source.id}). It stands for what that comment said when it was recorded: editing or deleting the comment changes nothing; to change your mind, act again.</sub>`,
    );
  return lines.join("\n");
}

/**
 * The command as recorded: its acknowledgements only of criteria the personas it approves for have on
 * this pull request (the rest are answered as not criteria, and would only fill the ledger).
 */
function onlyCriteriaOf(plan: ReviewPlan, cmd: Command): Command {
  if (!cmd.criteria) return cmd;
  const personas = cmd.personas === "all" ? plan.personas : plan.personas.filter((p) => cmd.personas.includes(p.id));
  const known = new Set(personas.flatMap((p) => criteriaItems(p.criteria).map(criterionKey)));
  const criteria = cmd.criteria.filter((k) => known.has(k));
  const { criteria: _all, ...rest } = cmd;
  return criteria.length > 0 ? { ...rest, criteria } : rest;
}

/** What an approval acknowledges of a persona's criteria, and whether that is enough under require_criteria. */
function acknowledgement(persona: PlanPersona, cmd: Command): string[] {
  const all = criteriaItems(persona.criteria);
  if (all.length === 0) return [];
  const missing = missingCriteria(persona.criteria, cmd.criteria);
  const lines: string[] = [];
  if (cmd.criteria)
    lines.push(`☑️ Acknowledged ${all.length - missing.length} of ${all.length} of ${persona.name}'s criteria.`);
  if (persona.requireCriteria && missing.length > 0)
    lines.push(
      `⚠️ ${persona.name} requires every criterion to be acknowledged (require_criteria): this approval does not count. Not acknowledged: ${inert(listCriteria(missing))}.`,
    );
  return lines;
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
