import {
  captureScopes,
  edited,
  readRecords,
  recordActions,
  reviewActions,
  unrecordedComments,
  type CommentInput,
  type RecordData,
  type ReviewAction,
  type ReviewInput,
  type Unrecorded,
  UNKNOWN_SHA,
} from "../core/actions.js";
import {
  decodeLedger,
  mergeHeads,
  mergeLedgers,
  mergeRecords,
  type HeadEntry,
  type Ledger,
  type Push,
  type Scope,
} from "../core/ledger.js";
import type { PlanPersona } from "../core/plan.js";
import type { ButtonClick } from "./records.js";

/**
 * What stands on a pull request: the review actions its ledger, its reviews and the app's record comments
 * establish, and the ledger the app keeps for next time. Pure: the decisions that can open a gate are
 * unit-tested (and mutation-tested) here without a GitHub; reconcile.ts reads and writes around them.
 */

/** Records one reconcile writes at most: a flood of comments is answered over several events, never at once. */
export const MAX_RECORDS_PER_RECONCILE = 20;

/**
 * Which comments are the app's own records: written by a bot through this app. A user's comment made
 * through the app (a user-to-server token) carries the app's id too, but is no record of the app's.
 */
export function appCommentOf(appId: number): (c: CommentInput) => boolean {
  return (c) => c.user?.type === "Bot" && c.viaAppId === appId;
}

/**
 * The comments as the deliveries reported them where GitHub's copy was edited since (by anyone with write
 * access): what a delivery said a comment said wins over the comment now, and a deleted comment stays.
 * A delivered body is as written only at creation; one from before an edit (`changes.body.from`) comes
 * dated at that edit, so it can request changes, never approve (records.ts).
 */
export function withDelivered(
  listed: readonly CommentInput[],
  delivered?: ReadonlyMap<number, CommentInput>,
): CommentInput[] {
  if (!delivered) return [...listed];
  const out = listed.map((c) => {
    const d = delivered.get(c.id);
    // The listed comment was edited since: the delivered body is older (as written, or before an edit).
    if (!d || !edited(c)) return c;
    // An edit's delivery (its body already counts as edited): the change requests of GitHub's body count
    // too, in this reconcile, not only from the next one on (docs/security.md).
    return edited(d) && c.body !== d.body ? { ...d, laterBody: c.body } : d;
  });
  for (const d of delivered.values()) if (!listed.some((c) => c.id === d.id)) out.push(d);
  return out;
}

export interface StandingInput {
  readonly pull: { readonly number: number; readonly baseRef: string };
  /** The ledger the app's runs carry (every pull request's on a shared head). */
  readonly ledger: Ledger;
  readonly reviews: readonly ReviewInput[];
  readonly comments: readonly CommentInput[];
  readonly isAppComment: (c: CommentInput) => boolean;
  /** Review bodies as the deliveries reported them: the scope first seen. */
  readonly reviewBodies?: ReadonlyMap<number, string | null>;
  /** Comments whose words only this reconcile's deliveries still hold (deleted, or edited since: `lostWords`). */
  readonly delivered?: ReadonlySet<number>;
}

export interface Standing {
  /** This pull request's records: the ledger's and the app's record comments'. */
  readonly known: RecordData[];
  /** Button deliveries already recorded (a redelivered click is recorded once). */
  readonly deliveries: Set<string>;
  /** Users' comments with commands no record covers yet: at most MAX_RECORDS_PER_RECONCILE, the most urgent. */
  readonly unrecorded: Unrecorded[];
  /** The rest, in the same order: this reconcile records none of them (the caller judges whose they are). */
  readonly waiting: Unrecorded[];
  /** Review id → its scope as the app first saw it. */
  readonly scopes: Record<string, Scope>;
  /** Review id → the base when the app first saw it. */
  readonly bases: Record<string, string>;
  /** The actions the reviews and these records make: an approval given for another base counts for nothing. */
  readonly actionsOf: (records: readonly RecordData[]) => ReviewAction[];
}

export function standingOf(i: StandingInput): Standing {
  const { pull, ledger, reviews, comments, isAppComment } = i;
  // A ledger on a shared head may hold another pull request's records: only this one's count here.
  const known = mergeRecords(
    ledger.records.filter((r) => r.pr === pull.number),
    readRecords(comments, isAppComment),
  );
  const recordedSources = new Set(
    known.flatMap((r) => (r.via === "comment" && r.source !== undefined ? [r.source] : [])),
  );
  const deliveries = new Set(known.flatMap((r) => (r.delivery !== undefined ? [r.delivery] : [])));
  const pending = byUrgency(unrecordedComments(comments, isAppComment, recordedSources), i.delivered);
  const unrecorded = pending.slice(0, MAX_RECORDS_PER_RECONCILE);
  const scopes = captureScopes(ledger.scopes, reviews, i.reviewBodies);
  const bases: Record<string, string> = { ...ledger.bases };
  for (const r of reviews) bases[String(r.id)] ??= pull.baseRef;
  // An approval given while the pull request had another base approved another diff: it does not count.
  const retargeted = (a: ReviewAction, base: string | undefined) =>
    a.kind === "approve" && base !== undefined && base !== pull.baseRef;
  const actionsOf = (records: readonly RecordData[]) => [
    ...reviewActions(reviews, scopes).filter((a) => !retargeted(a, bases[a.ref.slice("review ".length)])),
    ...records.flatMap((r) => recordActions([r]).filter((a) => !retargeted(a, r.base))),
  ];
  const waiting = pending.slice(MAX_RECORDS_PER_RECONCILE);
  return { known, deliveries, unrecorded, waiting, scopes, bases, actionsOf };
}

/**
 * The comments whose words only this reconcile's deliveries hold: deleted since, or edited since (GitHub
 * shows other words). Recorded first, so that they count before the delivery is gone; a batch carries at
 * most MAX_RECORDS_PER_RECONCILE comment bodies (src/app/batch.ts), so all of them are recorded.
 */
export function lostWords(
  listed: readonly CommentInput[],
  delivered: ReadonlyMap<number, CommentInput> | undefined,
): Set<number> {
  if (!delivered || delivered.size === 0) return new Set();
  const now = new Map(listed.map((c) => [c.id, c.body]));
  return new Set([...delivered].filter(([id, c]) => now.get(id) !== c.body).map(([id]) => id));
}

/**
 * Which commands are recorded first when more wait than one reconcile records, each group in GitHub's
 * order (oldest first): the comments whose words only this reconcile's deliveries hold (`lostWords`), then
 * change requests (a flood of approvals cannot hold one back), then the rest.
 */
function byUrgency(pending: readonly Unrecorded[], delivered: ReadonlySet<number> = new Set()): Unrecorded[] {
  const rank = (u: Unrecorded) =>
    delivered.has(u.comment.id) ? 0 : u.commands.some((c) => c.kind === "request_changes") ? 1 : 2;
  return [...pending].sort((a, b) => rank(a) - rank(b)); // stable: oldest first within a group
}

/** People whose waiting commands are judged at most (each may cost a membership look-up): more, and none is. */
export const MAX_WAITING_AUTHORS = 20;

/** The waiting commands judged: all of them when at most MAX_WAITING_AUTHORS people made them, else none. */
export function judgedOf(waiting: readonly Unrecorded[]): readonly Unrecorded[] {
  const authors = new Set(waiting.map((u) => u.comment.user!.login.toLowerCase()));
  return authors.size <= MAX_WAITING_AUTHORS ? waiting : [];
}

/**
 * Commands waiting beyond the ones a reconcile records: those an eligible reviewer made for a persona they
 * review, or all of them when too many people made them to judge, keep the gate closed until recorded (a
 * change request, or an approval narrower than the one recorded, would change a persona's state). A
 * stranger's count for nothing, so a stranger's flood closes no gate.
 */
export function waitingBlockers(
  waiting: readonly Unrecorded[],
  judged: readonly Unrecorded[],
  personas: readonly PlanPersona[],
  eligible: (p: PlanPersona, login: string) => boolean,
): { readonly blockers: string[]; readonly held: number } {
  const counts = (u: Unrecorded) =>
    u.commands.some((c) =>
      personas.some((p) => (c.personas === "all" || c.personas.includes(p.id)) && eligible(p, u.comment.user!.login)),
    );
  const held = judged.length < waiting.length ? waiting : waiting.filter(counts);
  if (held.length === 0) return { blockers: [], held: 0 };
  const n = held.length;
  const who =
    judged.length < waiting.length ? `more than ${MAX_WAITING_AUTHORS} people made them` : "by eligible reviewers";
  const blocker = `${n} more comment${n === 1 ? "" : "s"} with review commands (${who}) ${n === 1 ? "waits" : "wait"} to be recorded: the app records ${MAX_RECORDS_PER_RECONCILE} per reconcile, change requests first, and reconciles again while some wait. The gate stays closed until ${n === 1 ? "it is" : "they are"} recorded; if it stays closed, any new comment or push makes the app try again, and deleting spam comments removes them from the wait.`;
  return { blockers: [blocker], held: n };
}

/**
 * Blockers for the clicks this process could not record: an unrecorded click stands (the gate stays closed)
 * until it is recorded or the same reviewer clicks again for that persona later (a redelivery of an older
 * click of theirs does not count as later).
 */
export function unsettledClicks(unsettled: readonly ButtonClick[], records: readonly RecordData[]): string[] {
  const clickedLater = (u: ButtonClick) =>
    records.some(
      (r) =>
        r.via === "button" &&
        r.user === u.user.login &&
        r.commands.some((c) => c.personas !== "all" && c.personas.includes(u.persona)) &&
        Date.parse(r.clickedAt ?? "") > Date.parse(u.receivedAt),
    );
  return unsettled
    .filter((u) => !records.some((r) => r.delivery === u.delivery) && !clickedLater(u))
    .map(
      (u) =>
        `@${u.user.login}'s click (${u.action === "approve" ? "Approve" : "Request changes"} as ${u.persona}) could not be recorded yet; the gate stays closed until it is (GitHub redelivers it) or @${u.user.login} acts again.`,
    );
}

export interface KeptInput {
  readonly baseRef: string;
  readonly personas: readonly PlanPersona[];
  readonly eligible: (p: PlanPersona, login: string) => boolean;
  readonly reviews: readonly ReviewInput[];
  readonly scopes: Readonly<Record<string, Scope>>;
  readonly bases: Readonly<Record<string, string>>;
  readonly records: readonly RecordData[];
  readonly pushes: readonly Push[];
  readonly heads: readonly HeadEntry[];
  readonly unrequestable: Readonly<Record<string, string>>;
}

/** The ledger to write: only what can count is kept, so strangers' attempts and their reviews' scopes cannot fill it. */
export function keptLedger(i: KeptInput): Ledger {
  const { reviews, bases } = i;
  const mayReview = (login: string) => i.personas.some((p) => i.eligible(p, login));
  // A review from before a retarget is kept too: its approval makes no eligibility claim (it no longer counts),
  // and forgetting its base would let the next reconcile stamp it with the new base and count it there.
  const keptReviews = new Set(
    reviews
      .filter((r) => r.user && (mayReview(r.user.login) || bases[String(r.id)] !== i.baseRef))
      .map((r) => String(r.id)),
  );
  const pick = <V>(m: Readonly<Record<string, V>>) =>
    Object.fromEntries(
      Object.entries(m).filter(([id]) => keptReviews.has(id) || !reviews.some((r) => String(r.id) === id)),
    );
  return {
    records: i.records.filter((r) => !r.isBot && mayReview(r.user)),
    scopes: pick(i.scopes),
    bases: pick(bases),
    ...(i.pushes.length > 0 ? { pushes: i.pushes } : {}),
    heads: mergeHeads(i.heads),
    ...(Object.keys(i.unrequestable).length > 0 ? { unrequestable: i.unrequestable } : {}),
  };
}

export interface LedgerSources {
  /** The app's runs on the head (and on the previous head after a push). */
  readonly runs: readonly { readonly text: string | null }[];
  readonly reviews: readonly ReviewInput[];
  readonly comments: readonly CommentInput[];
  readonly isAppComment: (c: CommentInput) => boolean;
  readonly headSha: string;
  /** The pull request's commits, oldest first. */
  readonly commits: readonly { readonly sha: string }[];
  /** The app's runs on another commit. */
  readonly runsOn: (sha: string) => Promise<readonly { readonly text: string | null }[]>;
}

/**
 * The ledger carried by the app's runs on the head (and the previous head after a push). On the first
 * sight of a head with no previous head known, it is looked for on the commits the pull request's
 * records and reviews name (the newest three), then on the pull request's newest three other commits.
 */
export async function readLedger(i: LedgerSources): Promise<Ledger> {
  const found = i.runs.map((r) => decodeLedger(r.text)).filter((l): l is Ledger => l !== undefined);
  if (found.length > 0) return mergeLedgers(found);
  const named = [
    ...readRecords(i.comments, i.isAppComment).map((r) => ({ sha: r.sha, at: r.at ?? "" })),
    ...i.reviews.map((r) => ({ sha: r.commitId ?? UNKNOWN_SHA, at: r.submittedAt ?? "" })),
  ]
    .filter((x) => x.sha !== UNKNOWN_SHA && x.sha !== i.headSha)
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || 0);
  const fromRuns = async (shas: readonly string[]) => {
    const lists = await Promise.all(shas.map((sha) => i.runsOn(sha)));
    return lists.flat().flatMap((r) => decodeLedger(r.text) ?? []);
  };
  const found2 = await fromRuns([...new Set(named.map((x) => x.sha))].slice(0, 3));
  if (found2.length > 0) return mergeLedgers(found2);
  // The previous head of an ordinary push is among the pull request's commits: look at the newest three.
  const older = i.commits
    .map((c) => c.sha)
    .filter((sha) => sha !== i.headSha)
    .slice(-3)
    .reverse();
  return mergeLedgers(await fromRuns(older)); // none: the empty ledger
}
