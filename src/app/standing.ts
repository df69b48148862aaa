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
}

export interface Standing {
  /** This pull request's records: the ledger's and the app's record comments'. */
  readonly known: RecordData[];
  /** Button deliveries already recorded (a redelivered click is recorded once). */
  readonly deliveries: Set<string>;
  /** Users' comments with commands no record covers yet (at most MAX_RECORDS_PER_RECONCILE, the oldest). */
  readonly unrecorded: Unrecorded[];
  /**
   * How many more request changes: this reconcile records none of them, and one may be an eligible
   * reviewer's, so its decision cannot pass. (More approvals waiting keep nothing green that should not be.)
   */
  readonly waiting: number;
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
  const pending = unrecordedComments(comments, isAppComment, recordedSources);
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
  const waiting = pending
    .slice(MAX_RECORDS_PER_RECONCILE)
    .filter((u) => u.commands.some((c) => c.kind === "request_changes")).length;
  return { known, deliveries, unrecorded, waiting, scopes, bases, actionsOf };
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
