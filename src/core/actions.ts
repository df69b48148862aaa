import { createHash } from "node:crypto";
import { Parser, type Node } from "commonmark";
import { criterionKey, isCriterionKey, MAX_ACKNOWLEDGED } from "./criteria.js";
import { effectiveScope, type Scope } from "./ledger.js";

/**
 * Approvals and change requests, from the three places they come from: GitHub reviews, the persona
 * check's buttons, and `/approve` / `/request-changes` comments. Buttons and comments are recorded as
 * PR comments written by the app itself (a "record"), so they survive restarts and any replica can
 * recompute them from GitHub alone. A record counts only when the app wrote it (checked by the caller
 * through `isAppComment`) and, for a comment command, while the user's comment still says it.
 */

export type ActionKind = "approve" | "request_changes";
/** What an action does to its author's stance: a dismissed review withdraws it (neither approves nor blocks). */
export type ActionEffect = ActionKind | "withdraw";
export type Via = "review" | "button" | "comment";

export interface GitHubUser {
  readonly login: string;
  readonly id?: number;
  /** "User", "Bot" or "Organization" as GitHub reports it. */
  readonly type?: string;
}

export interface ReviewInput {
  readonly id: number;
  readonly user: GitHubUser | null;
  readonly state: string;
  readonly body: string | null;
  readonly commitId: string | null;
  readonly submittedAt: string | null;
}

export interface CommentInput {
  readonly id: number;
  readonly user: GitHubUser | null;
  readonly body: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** `performed_via_github_app.id`: set when a GitHub App wrote the comment. */
  readonly viaAppId?: number;
  /**
   * An edit's delivery gives the body before the edit (`body`, counted as edited: it can only request
   * changes); this is the body GitHub shows now, edited since. Its change requests count too — nothing else.
   */
  readonly laterBody?: string;
}

/** One user's statement about one or more personas. */
export interface ReviewAction {
  readonly user: string;
  readonly isBot: boolean;
  readonly kind: ActionEffect;
  /** The personas it names, or "all" for every persona the user is eligible for. */
  readonly personas: readonly string[] | "all";
  /** The commit it was made on (UNKNOWN_SHA when it cannot be told); approvals are re-checked against later pushes. */
  readonly sha: string;
  /** GitHub's timestamp, for "the latest action wins". */
  readonly at: string;
  readonly via: Via;
  readonly reason?: string;
  /** The criteria an approval acknowledges (digests, see criteria.ts); absent when it acknowledges none. */
  readonly criteria?: readonly string[];
  /** Where it happened, for display (a review or comment id). */
  readonly ref: string;
}

/** A command found in a user's comment, parsed. */
export interface Command {
  readonly kind: ActionKind;
  readonly personas: readonly string[] | "all";
  readonly reason?: string;
  /** `/approve` only: the criteria ticked (`- [x] …`) in the task list right under it, as digests. */
  readonly criteria?: readonly string[];
}

/** What the app stores in a record comment (inside an HTML comment, invisible in the rendered PR). */
export interface RecordData {
  readonly v: 1;
  readonly via: "button" | "comment";
  readonly user: string;
  readonly userId?: number;
  readonly isBot?: boolean;
  readonly sha: string;
  readonly commands: readonly Command[];
  /** Button: the webhook delivery id, so a redelivered click is recorded once. */
  readonly delivery?: string;
  /** Button: when the app received the click; a record written late still sorts at the click. */
  readonly clickedAt?: string;
  /** Comment: the source comment id and a digest of its commands when recorded. */
  readonly source?: number;
  readonly digest?: string;
  /**
   * When the action happened, as far as GitHub's facts allow: a comment's creation (or its edit), the
   * earliest moment a click can have happened for an approval, the latest for a change request.
   */
  readonly at?: string;
  /** The pull request and base branch it was recorded for: it never counts for another, or after a retarget. */
  readonly pr?: number;
  readonly base?: string;
}

/**
 * The app's marker is always the last thing in a record and its JSON never contains `>` (encodeRecord
 * escapes it). Matching only that closing marker means text quoted from a user above it — a reason that
 * embeds a fake marker — can never be decoded in its place.
 */
/** The sha of an approval whose commit cannot be told (recorded after the head moved): it never carries over. */
export const UNKNOWN_SHA = "unknown";

const RECORD_RE = /<!-- parallel-review:record (\{[^>]*\}) -->\s*$/;
const MAX_REASON = 500;

export function encodeRecord(data: RecordData, text: string): string {
  // `--` cannot appear inside an HTML comment; JSON.stringify never emits `-->` once `>` is escaped.
  return `${text}\n\n<!-- parallel-review:record ${JSON.stringify(data).replace(/>/g, "\\u003e").replace(/--/g, "-\\u002d")} -->`;
}

export function decodeRecord(body: string): RecordData | undefined {
  const m = RECORD_RE.exec(body);
  if (!m) return undefined;
  try {
    const d = JSON.parse(m[1]!) as RecordData;
    if (
      d.v !== 1 ||
      (d.via !== "button" && d.via !== "comment") ||
      typeof d.user !== "string" ||
      typeof d.sha !== "string" ||
      !Array.isArray(d.commands) ||
      !d.commands.every(isCommand)
    )
      return undefined;
    for (const t of [d.clickedAt, d.at])
      if (t !== undefined && (typeof t !== "string" || Number.isNaN(Date.parse(t)))) return undefined;
    return d;
  } catch {
    return undefined;
  }
}

function isCommand(c: unknown): c is Command {
  if (typeof c !== "object" || c === null) return false;
  const { kind, personas, reason, criteria } = c as Record<string, unknown>;
  return (
    (kind === "approve" || kind === "request_changes") &&
    (personas === "all" || (Array.isArray(personas) && personas.every((p) => typeof p === "string"))) &&
    (reason === undefined || typeof reason === "string") &&
    (criteria === undefined ||
      (kind === "approve" &&
        Array.isArray(criteria) &&
        criteria.length <= MAX_ACKNOWLEDGED &&
        criteria.every(isCriterionKey)))
  );
}

/** At most this many commands per comment and personas per command: a stranger's comment costs bounded work. */
export const MAX_COMMANDS = 10;
export const MAX_PERSONAS = 10;
const PERSONA_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** What a comment says: its commands, why an attempt does not count, and the text of each ticked criterion (by digest). */
export interface ParsedComment {
  commands: Command[];
  errors: string[];
  /** Digest → the ticked item's text, to name an item that matches no criterion in the app's answer (absent when none). */
  ticked?: Map<string, string>;
}

/**
 * Commands in a comment: lines starting with `/approve [persona …]` or `/request-changes <persona> <reason>`.
 * A line counts only where GitHub renders it as plain text of a top-level paragraph (CommonMark, as
 * GitHub parses it): code blocks (fenced or indented), HTML blocks and comments, quotes and lists never
 * approve, so quoting or commenting out someone's approval does not approve.
 *
 * An `/approve` line may be followed directly by a top-level task list: its ticked items (`- [x] text`)
 * acknowledge the criteria of that text. Only that list counts (a checklist elsewhere, nested, or quoted
 * acknowledges nothing), so an acknowledgement is always part of the approval it belongs to.
 */
export function parseCommands(body: string): ParsedComment {
  const commands: Command[] = [];
  const errors: string[] = [];
  const ticked = new Map<string, string>();
  let dropped = 0;
  let stray = false;
  for (const para of paragraphs(body)) {
    let last: Command | undefined;
    for (const [i, raw] of para.lines.entries()) {
      const line = raw.trim();
      const m = /^\/(approve|request-changes)(?=\s|$)(.*)$/i.exec(line);
      if (!m) continue;
      if (commands.length >= MAX_COMMANDS) {
        dropped++;
        continue;
      }
      const cmd = parseCommand(m[1]!.toLowerCase(), m[2]!.trim(), errors);
      if (cmd) commands.push(cmd);
      if (i === para.lines.length - 1) last = cmd;
    }
    if (para.checklist === undefined) continue;
    if (last?.kind !== "approve") {
      if (para.checklist.length > 0) stray = true;
      continue;
    }
    if (para.checklist.length > MAX_ACKNOWLEDGED) {
      // Unrecognised (too long) narrows: the approval stands, acknowledging nothing.
      errors.push(`a checklist acknowledges at most ${MAX_ACKNOWLEDGED} criteria; this one acknowledged none`);
      continue;
    }
    if (para.checklist.length === 0) continue;
    const keys = [...new Set(para.checklist.map(criterionKey))];
    para.checklist.forEach((t) => ticked.set(criterionKey(t), t));
    commands[commands.length - 1] = { ...last, criteria: keys };
  }
  if (stray && commands.some((c) => c.kind === "approve"))
    errors.push(
      "ticked criteria count only in a task list directly under the `/approve` line (no other text between): none were acknowledged from the other list",
    );
  if (dropped > 0)
    errors.push(`${dropped} more command${dropped === 1 ? "" : "s"} ignored: at most ${MAX_COMMANDS} per comment`);
  return { commands, errors, ...(ticked.size > 0 ? { ticked } : {}) };
}

function parseCommand(verb: string, rest: string, errors: string[]): Command | undefined {
  if (verb === "approve") {
    const tokens = [
      ...new Set(
        rest
          .split(/[\s,]+/)
          .filter(Boolean)
          .map((s) => s.toLowerCase()),
      ),
    ];
    const ids = tokens.filter((t) => PERSONA_ID.test(t));
    // Syntax the app does not recognise narrows: an approval with a bad persona name approves nothing.
    if (ids.length !== tokens.length || ids.length > MAX_PERSONAS) {
      errors.push(
        tokens.length > MAX_PERSONAS
          ? `\`/approve\` names at most ${MAX_PERSONAS} personas; this one was not counted`
          : `\`/approve ${clipText(rest, 60)}\` is not a list of persona ids (letters, digits and dashes): not counted`,
      );
      return undefined;
    }
    return { kind: "approve", personas: ids.length === 0 ? "all" : ids };
  }
  const r = /^([A-Za-z0-9-]+)[:,]?\s*(.*)$/.exec(rest);
  if (!r || !PERSONA_ID.test(r[1]!.toLowerCase())) {
    errors.push("`/request-changes` needs a persona and a reason, e.g. `/request-changes security tokens are logged`");
    return undefined;
  }
  const reason = r[2]!.trim().slice(0, MAX_REASON);
  return { kind: "request_changes", personas: [r[1]!.toLowerCase()], ...(reason ? { reason } : {}) };
}

interface Paragraph {
  /** The source lines of a top-level paragraph: what GitHub shows as ordinary text. */
  readonly lines: string[];
  /** When a top-level list follows it directly: the text of each ticked item (`[x] text`). */
  readonly checklist?: string[];
}

/** The comment's top-level paragraphs, each with the checklist that follows it, if any. */
function paragraphs(body: string): Paragraph[] {
  const doc = new Parser().parse(body);
  const lines = body.split(/\r\n|\r|\n/);
  const out: Paragraph[] = [];
  for (let node = doc.firstChild; node; node = node.next) {
    if (node.type !== "paragraph") continue;
    const next = node.next;
    out.push({
      lines: sourceLines(lines, node),
      ...(next?.type === "list" ? { checklist: tickedItems(lines, next) } : {}),
    });
  }
  return out;
}

/** The ticked items of a list, as the source writes them (so Markdown in a criterion matches the table's text). */
function tickedItems(lines: readonly string[], list: Node): string[] {
  const out: string[] = [];
  for (let item = list.firstChild; item; item = item.next) {
    const para = item.firstChild;
    if (para?.type !== "paragraph") continue;
    const [first, ...more] = sourceLines(lines, para);
    const text = [first!.slice(para.sourcepos[0][1] - 1), ...more].join(" ");
    const m = /^\[[xX]\][ \t]+(\S.*)$/.exec(text.trim());
    if (m) out.push(m[1]!.replace(/\s+/g, " ").trim());
  }
  return out;
}

function sourceLines(lines: readonly string[], node: Node): string[] {
  const [[start], [end]] = node.sourcepos;
  const out: string[] = [];
  for (let i = start; i <= end; i++) out.push(lines[i - 1] ?? "");
  return out;
}

function clipText(s: string, max: number): string {
  const chars = [...s.replace(/`/g, "")];
  return chars.length <= max ? chars.join("") : chars.slice(0, max - 1).join("") + "…";
}

/**
 * A review's scope from its body. A `Reviewed-for:` line the app does not recognise (more than
 * MAX_PERSONAS names, or names that are not persona ids) narrows: an approval counts for nothing, a
 * change request for every persona.
 */
export function scopeOf(kind: ActionKind, body: string | null): Scope {
  const named = reviewedFor(body);
  if (named === undefined) return "all";
  if (named.length <= MAX_PERSONAS && named.every((p) => PERSONA_ID.test(p))) return named;
  return kind === "approve" ? [] : "all";
}

/** `Reviewed-for: security, finance` in a review body limits the review to those personas. */
export function reviewedFor(body: string | null): string[] | undefined {
  if (!body) return undefined;
  const m = /^[ \t]*Reviewed-for:[ \t]*(\S.*)$/im.exec(body);
  if (!m) return undefined;
  return [
    ...new Set(
      m[1]!
        .split(/[\s,]+/)
        .filter(Boolean)
        .map((s) => s.toLowerCase()),
    ),
  ];
}

export function commandDigest(commands: readonly Command[]): string {
  return createHash("sha256").update(JSON.stringify(commands)).digest("hex").slice(0, 16);
}

export function edited(c: CommentInput): boolean {
  return c.updatedAt !== c.createdAt;
}

export function isBotUser(user: GitHubUser | null): boolean {
  return !user || user.type === "Bot" || user.login.endsWith("[bot]");
}

/**
 * Actions from GitHub reviews. Dismissed and comment-only reviews carry no verdict. A review's state,
 * author, commit and time are GitHub's and nobody else can change them; its body can be edited by anyone
 * with write access, so its `Reviewed-for:` scope is combined with the one the app first saw (`scopes`).
 */
export function reviewActions(
  reviews: readonly ReviewInput[],
  scopes: Readonly<Record<string, Scope>> = {},
): ReviewAction[] {
  const out: ReviewAction[] = [];
  for (const r of reviews) {
    if (r.state === "DISMISSED" && r.user && r.submittedAt) {
      // A dismissal (GitHub's own control) withdraws what the review said — and so supersedes what its
      // author said before it: an approval the dismissed change request replaced does not come back.
      out.push({
        user: r.user.login,
        isBot: isBotUser(r.user),
        kind: "withdraw",
        personas: scopeOf("request_changes", r.body),
        sha: r.commitId ?? UNKNOWN_SHA,
        at: r.submittedAt,
        via: "review",
        ref: `review ${r.id}`,
      });
      continue;
    }
    const kind = r.state === "APPROVED" ? "approve" : r.state === "CHANGES_REQUESTED" ? "request_changes" : undefined;
    if (!kind || !r.user || !r.commitId || !r.submittedAt) continue;
    const personas = effectiveScope(kind, scopes[String(r.id)], scopeOf(kind, r.body));
    const reason = kind === "request_changes" ? firstLine(r.body) : undefined;
    out.push({
      user: r.user.login,
      isBot: isBotUser(r.user),
      kind,
      personas,
      sha: r.commitId,
      at: r.submittedAt,
      via: "review",
      ref: `review ${r.id}`,
      ...(reason ? { reason } : {}),
    });
  }
  return out;
}

/** The scope of each verdict-carrying review as first seen: kept from `known`, else from the event's body or the current one. */
export function captureScopes(
  known: Readonly<Record<string, Scope>>,
  reviews: readonly ReviewInput[],
  firstBodies: ReadonlyMap<number, string | null> = new Map(),
): Record<string, Scope> {
  const out: Record<string, Scope> = { ...known };
  for (const r of reviews) {
    if (r.state !== "APPROVED" && r.state !== "CHANGES_REQUESTED") continue;
    // Every body the app has seen narrows what the review counts for (see effectiveScope): the first
    // capture may already be someone else's edit, and the submission's delivery may come later.
    const kind = r.state === "APPROVED" ? "approve" : "request_changes";
    let scope = effectiveScope(kind, out[String(r.id)], scopeOf(kind, r.body));
    if (firstBodies.has(r.id)) scope = effectiveScope(kind, scope, scopeOf(kind, firstBodies.get(r.id)!));
    out[String(r.id)] = scope;
  }
  return out;
}

/**
 * The records in the app's own comments: written by this app (checked by the caller through
 * `isAppComment`) and never edited — the app never edits a record, so an edited one is not its word.
 * They are the audit trail; the gate's ledger keeps a copy that nobody else can delete or edit.
 */
export function readRecords(
  comments: readonly CommentInput[],
  isAppComment: (c: CommentInput) => boolean,
): RecordData[] {
  const out: RecordData[] = [];
  for (const c of comments) {
    if (!isAppComment(c) || edited(c)) continue;
    const rec = decodeRecord(c.body);
    // Records written before `at` existed sort at their click or at the record itself.
    if (rec) out.push(rec.at !== undefined ? rec : { ...rec, at: rec.clickedAt ?? c.createdAt });
  }
  return out;
}

/**
 * What records say, as actions. A comment record stands for what the comment said when the app read
 * it: editing or deleting that comment later — by anyone — changes nothing (to change your mind, act again).
 */
export function recordActions(records: readonly RecordData[]): ReviewAction[] {
  const out: ReviewAction[] = [];
  for (const rec of records) {
    if (rec.at === undefined) continue; // a time that cannot be established never counts
    for (const cmd of rec.commands)
      out.push({
        user: rec.user,
        isBot: rec.isBot === true,
        kind: cmd.kind,
        personas: cmd.personas,
        sha: rec.sha,
        at: rec.at,
        via: rec.via,
        ref: rec.via === "comment" ? `comment ${rec.source}` : `click ${rec.delivery}`,
        ...(cmd.reason ? { reason: cmd.reason } : {}),
        ...(cmd.kind === "approve" && cmd.criteria ? { criteria: cmd.criteria } : {}),
      });
  }
  return out;
}

export interface Unrecorded {
  readonly comment: CommentInput;
  readonly commands: Command[];
  readonly errors: string[];
  /** Ticked criteria by digest → text (see ParsedComment). */
  readonly ticked?: ReadonlyMap<string, string>;
}

/** Users' comments with commands (or failed attempts at one) that no record covers yet: the reconcile records them. */
export function unrecordedComments(
  comments: readonly CommentInput[],
  isAppComment: (c: CommentInput) => boolean,
  recordedSources: ReadonlySet<number>,
): Unrecorded[] {
  const out: Unrecorded[] = [];
  for (const c of comments) {
    // A bot's command is never recorded (bots cannot approve; answering one could loop with another bot):
    // left out here, it cannot take the place of a person's among the commands a reconcile records.
    if (isAppComment(c) || isBotUser(c.user) || recordedSources.has(c.id)) continue;
    const { commands: said, errors, ticked } = parseCommands(c.body);
    const commands = [...said, ...laterChangeRequests(c, said)];
    if (commands.length > 0 || errors.length > 0)
      out.push({ comment: c, commands, errors, ...(ticked ? { ticked } : {}) });
  }
  return out;
}

/** The change requests of a comment's later body that its body does not make already. */
function laterChangeRequests(c: CommentInput, said: readonly Command[]): Command[] {
  if (c.laterBody === undefined) return [];
  const known = new Set(said.map((k) => JSON.stringify(k)));
  return parseCommands(c.laterBody).commands.filter(
    (k) => k.kind === "request_changes" && !known.has(JSON.stringify(k)),
  );
}

function firstLine(body: string | null): string | undefined {
  const line = body
    ?.split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l && !/^Reviewed-for:/i.test(l));
  return line ? line.slice(0, MAX_REASON) : undefined;
}
