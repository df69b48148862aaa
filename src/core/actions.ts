import { createHash } from "node:crypto";
import { Parser } from "commonmark";

/**
 * Approvals and change requests, from the three places they come from: GitHub reviews, the persona
 * check's buttons, and `/approve` / `/request-changes` comments. Buttons and comments are recorded as
 * PR comments written by the app itself (a "record"), so they survive restarts and any replica can
 * recompute them from GitHub alone. A record counts only when the app wrote it (checked by the caller
 * through `isAppComment`) and, for a comment command, while the user's comment still says it.
 */

export type ActionKind = "approve" | "request_changes";
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
}

/** One user's statement about one or more personas. */
export interface ReviewAction {
  readonly user: string;
  readonly isBot: boolean;
  readonly kind: ActionKind;
  /** The personas it names, or "all" for every persona the user is eligible for. */
  readonly personas: readonly string[] | "all";
  /** The commit it was made on (UNKNOWN_SHA when it cannot be told); approvals are re-checked against later pushes. */
  readonly sha: string;
  /** GitHub's timestamp, for "the latest action wins". */
  readonly at: string;
  readonly via: Via;
  readonly reason?: string;
  /** Where it happened, for display (a review or comment id). */
  readonly ref: string;
}

/** A command found in a user's comment, parsed. */
export interface Command {
  readonly kind: ActionKind;
  readonly personas: readonly string[] | "all";
  readonly reason?: string;
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
    if (d.clickedAt !== undefined && (typeof d.clickedAt !== "string" || Number.isNaN(Date.parse(d.clickedAt))))
      return undefined;
    return d;
  } catch {
    return undefined;
  }
}

function isCommand(c: unknown): c is Command {
  if (typeof c !== "object" || c === null) return false;
  const { kind, personas, reason } = c as Record<string, unknown>;
  return (
    (kind === "approve" || kind === "request_changes") &&
    (personas === "all" || (Array.isArray(personas) && personas.every((p) => typeof p === "string"))) &&
    (reason === undefined || typeof reason === "string")
  );
}

/** At most this many commands per comment and personas per command: a stranger's comment costs bounded work. */
export const MAX_COMMANDS = 10;
export const MAX_PERSONAS = 10;
const PERSONA_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/**
 * Commands in a comment: lines starting with `/approve [persona …]` or `/request-changes <persona> <reason>`.
 * A line counts only where GitHub renders it as plain text of a top-level paragraph (CommonMark, as
 * GitHub parses it): code blocks (fenced or indented), HTML blocks and comments, quotes and lists never
 * approve, so quoting or commenting out someone's approval does not approve.
 */
export function parseCommands(body: string): { commands: Command[]; errors: string[] } {
  const commands: Command[] = [];
  const errors: string[] = [];
  let dropped = 0;
  for (const raw of paragraphLines(body)) {
    const line = raw.trim();
    const m = /^\/(approve|request-changes)(?=\s|$)(.*)$/i.exec(line);
    if (!m) continue;
    if (commands.length >= MAX_COMMANDS) {
      dropped++;
      continue;
    }
    const rest = m[2]!.trim();
    if (m[1]!.toLowerCase() === "approve") {
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
        continue;
      }
      commands.push({ kind: "approve", personas: ids.length === 0 ? "all" : ids });
    } else {
      const r = /^([A-Za-z0-9-]+)[:,]?\s*(.*)$/.exec(rest);
      if (!r || !PERSONA_ID.test(r[1]!.toLowerCase())) {
        errors.push(
          "`/request-changes` needs a persona and a reason, e.g. `/request-changes security tokens are logged`",
        );
        continue;
      }
      const reason = r[2]!.trim().slice(0, MAX_REASON);
      commands.push({ kind: "request_changes", personas: [r[1]!.toLowerCase()], ...(reason ? { reason } : {}) });
    }
  }
  if (dropped > 0)
    errors.push(`${dropped} more command${dropped === 1 ? "" : "s"} ignored: at most ${MAX_COMMANDS} per comment`);
  return { commands, errors };
}

/** The source lines of the comment's top-level paragraphs: what GitHub shows as ordinary text. */
function paragraphLines(body: string): string[] {
  const doc = new Parser().parse(body);
  const lines = body.split(/\r\n|\r|\n/);
  const out: string[] = [];
  for (let node = doc.firstChild; node; node = node.next) {
    if (node.type !== "paragraph") continue;
    const [[start], [end]] = node.sourcepos;
    for (let i = start; i <= end; i++) out.push(lines[i - 1] ?? "");
  }
  return out;
}

function clipText(s: string, max: number): string {
  const chars = [...s.replace(/`/g, "")];
  return chars.length <= max ? chars.join("") : chars.slice(0, max - 1).join("") + "…";
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

/** Actions from GitHub reviews. Dismissed and comment-only reviews carry no verdict. */
export function reviewActions(reviews: readonly ReviewInput[]): ReviewAction[] {
  const out: ReviewAction[] = [];
  for (const r of reviews) {
    const kind = r.state === "APPROVED" ? "approve" : r.state === "CHANGES_REQUESTED" ? "request_changes" : undefined;
    if (!kind || !r.user || !r.commitId || !r.submittedAt) continue;
    const scope = reviewedFor(r.body);
    const reason = kind === "request_changes" ? firstLine(r.body) : undefined;
    out.push({
      user: r.user.login,
      isBot: isBotUser(r.user),
      kind,
      personas: scope ?? "all",
      sha: r.commitId,
      at: r.submittedAt,
      via: "review",
      ref: `review ${r.id}`,
      ...(reason ? { reason } : {}),
    });
  }
  return out;
}

export interface RecordScan {
  /** Actions from genuine records whose source (if any) still says the same. */
  readonly actions: ReviewAction[];
  /** User comments with commands that have no current record yet: the reconcile records them. */
  readonly unrecorded: { comment: CommentInput; commands: Command[]; errors: string[]; digest: string }[];
  /** Delivery ids already recorded, so a redelivered button click is not recorded twice. */
  readonly deliveries: ReadonlySet<string>;
}

/**
 * Reads the PR's comments: records written by the app (others imitating one are ignored) and users'
 * commands. A comment record counts only while its source comment exists, is by the same user, and
 * still carries the same commands; an edited or deleted command stops counting.
 */
export function scanComments(
  comments: readonly CommentInput[],
  isAppComment: (c: CommentInput) => boolean,
): RecordScan {
  const byId = new Map(comments.map((c) => [c.id, c]));
  const recorded = new Set<string>();
  const deliveries = new Set<string>();
  const actions: ReviewAction[] = [];

  for (const c of comments) {
    if (!isAppComment(c)) continue;
    // Anyone with write access can edit any comment, the app's included; the app never edits a record,
    // so an edited one is not the app's word any more.
    if (edited(c)) continue;
    const rec = decodeRecord(c.body);
    if (!rec) continue;
    if (rec.delivery) deliveries.add(rec.delivery);
    let at =
      rec.clickedAt !== undefined && Date.parse(rec.clickedAt) < Date.parse(c.createdAt) ? rec.clickedAt : c.createdAt;
    let commands = rec.commands;
    if (rec.via === "comment") {
      const src = rec.source !== undefined ? byId.get(rec.source) : undefined;
      if (!src || src.user?.login !== rec.user) continue;
      const digest = commandDigest(parseCommands(src.body).commands);
      if (digest !== rec.digest) continue;
      recorded.add(`${src.id}:${digest}`);
      // An edited comment may have been edited by someone else (write access suffices, and GitHub
      // still shows the original author): its approvals never count, its change requests do, as of the edit.
      if (edited(src)) {
        commands = commands.filter((cmd) => cmd.kind === "request_changes");
        at = src.updatedAt;
      } else at = src.createdAt;
    }
    for (const cmd of commands) {
      actions.push({
        user: rec.user,
        isBot: rec.isBot === true,
        kind: cmd.kind,
        personas: cmd.personas,
        sha: rec.sha,
        at,
        via: rec.via,
        ref: rec.via === "comment" ? `comment ${rec.source}` : `record ${c.id}`,
        ...(cmd.reason ? { reason: cmd.reason } : {}),
      });
    }
  }

  const unrecorded: RecordScan["unrecorded"][number][] = [];
  for (const c of comments) {
    if (isAppComment(c) || !c.user) continue;
    const { commands, errors } = parseCommands(c.body);
    if (commands.length === 0 && errors.length === 0) continue;
    const digest = commandDigest(commands);
    if (!recorded.has(`${c.id}:${digest}`)) unrecorded.push({ comment: c, commands, errors, digest });
  }
  return { actions, unrecorded, deliveries };
}

function firstLine(body: string | null): string | undefined {
  const line = body
    ?.split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l && !/^Reviewed-for:/i.test(l));
  return line ? line.slice(0, MAX_REASON) : undefined;
}
