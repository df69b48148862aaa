import type { PrEffect } from "../core/effectiveness.js";
import { UNKNOWN_SHA, type CommentInput, type ReviewAction } from "../core/actions.js";
import { encodeLedger, ledgerFits, MAX_LEDGER_RECORDS, mergePushes, mergeRecords, type Push } from "../core/ledger.js";
import { contributionsOf } from "../github/contributors.js";
import {
  gateBlocked,
  gateName,
  gateCheck,
  personaCheck,
  personaIdOf,
  retiredPersonaCheck,
  type CheckRunSpec,
} from "../core/checks.js";
import { formatProblem } from "../core/config.js";
import { planEverything } from "../core/plan-all.js";
import { planReview, type PlanPersona, type ReviewPlan } from "../core/plan.js";
import { TABLE_PATHS, type ChangedFile, type Problem, type ReviewTable } from "../core/types.js";
import { evaluate, type PersonaVerdict, type Verdict } from "../core/verdict.js";
import { sequence } from "../core/sequence.js";
import { passedGateEffect } from "./effect.js";
import { listOwnRuns, rideWithRuns, writeRuns, type ExistingRun, type Write } from "../github/checks.js";
import { counting, type Octokit, type PullRef } from "../github/client.js";
import { changedBetween, MAX_PR_FILES, requestReviewers, sharingHead, type PullRequest } from "../github/pulls.js";
import { readSnapshot, type Snapshot } from "../github/snapshot.js";
import { loadTable, readChangedTable, readTable, type TableLoad } from "../github/table.js";
import { MAX_TEAMS_PER_QUERY, Memberships, type TeamRef } from "../github/teams.js";
import type { ReadCache } from "../github/recent.js";
import { recordsToWrite, type ButtonClick } from "./records.js";
import { directoryProblems } from "./directory.js";
import { reviewRequests } from "./requests.js";
import { inRounds } from "./rounds.js";
import { printOf, settled } from "./settled.js";
import { rememberTeams, teamsOf, teamsToList } from "./listing.js";
import { ALWAYS_HELD, type Slot } from "./slots.js";
import { carriedLedger, closedGates, planWrites, renamedGates } from "./write-plan.js";
import {
  appCommentOf,
  judgedOf,
  keptLedger,
  lostWords,
  readLedger,
  standingOf,
  unsettledClicks,
  waitingBlockers,
  withDelivered,
} from "./standing.js";
import { claimsOf, lookUpEligibility } from "./eligibility.js";
import { contributorsOf, withUnknownPushers } from "./contributors.js";

export interface Deps {
  readonly octokit: Octokit;
  readonly appId: number;
  /** The clock for times the app writes (tests give the fake GitHub's). */
  readonly now?: () => Date;
  /** How long to wait before confirming that the table is really gone (default 1 s). */
  readonly confirmAbsentMs?: number;
  readonly log: { info(o: object, msg?: string): void; warn(o: object, msg?: string): void };
  /**
   * Answers kept between reconciles (src/github/recent.ts): a decision to pass that used one is read again
   * without it before it is written (src/app/rounds.ts); the teams it names only choose what a read lists.
   */
  readonly cache?: ReadCache;
}

export interface Outcome {
  readonly state: "skipped" | "no-table" | Verdict["state"];
  readonly headSha?: string;
  readonly created: string[];
  readonly updated: string[];
  readonly unchanged: string[];
  readonly records: number;
  readonly requested: { users: string[]; teams: string[] };
  /** The passed gate's parallel-effectiveness figures, when it passed (src/core/effectiveness.ts). */
  readonly effect?: PrEffect;
  /** Reviewers GitHub refused to request in this reconcile, and why. */
  readonly refused?: Readonly<Record<string, string>>;
  /** Runs GitHub said were gone when the app updated them: the next round lists again and recreates them. */
  readonly vanished?: number;
  /** What the last round read of the pull request, for the conflict radar after it (src/app/radar.ts). */
  readonly seen?: Seen;
  /** The last round found the pass written before it unchanged and did not decide again (src/app/settled.ts). */
  readonly stood?: true;
  /** Commands waiting beyond those recorded that keep the gate closed: the router reconciles again. */
  readonly held?: number;
}

/** Reads of one reconcile another step of the same event may reuse instead of reading again. */
export interface Seen {
  readonly headSha: string;
  readonly baseRef: string;
  readonly table: TableLoad;
  /** The changed files, when GitHub listed them all. */
  readonly files?: readonly ChangedFile[];
}

/**
 * The one idempotent step every event of a pull request leads to: read the state from GitHub, make the
 * plan and the verdict, write only the difference. Running it twice writes nothing the second time.
 * `slot` is the router's claim on a reconcile slot (src/app/slots.ts): held to read, decide and write the
 * checks; given back for the courtesy writes after them, unless this round opened the gate; taken again
 * before another round reads.
 */
export async function reconcile(
  deps: Deps,
  ref: PullRef,
  click?: ButtonClick,
  given: Hints = {},
  slot: Slot = ALWAYS_HELD,
): Promise<Outcome> {
  // The first read's memberships (the cache allowed). Every later read — the one confirming a pass, each round
  // after a write — answers its own afresh, with its own lists and look-ups: an answer one of them got must
  // not stand for the next, which reads to see what changed since (a member who left, say).
  const members = new Map<string, Memberships>();
  // The teams the first round asked about, for a later read to list (beyond the first 50: asked as before).
  const asked = () => [...members.values()].flatMap((m) => m.teamsAsked()).slice(0, MAX_TEAMS_PER_QUERY);
  return inRounds<Assessment, Outcome, Hints>(
    {
      decide: async (hints, mode, settles) => {
        await slot.acquire(); // given back by the previous round's courtesy writes
        if (mode.memberships === "first") {
          // An approval may open the gate: its first read lists the members of the teams the last plan's
          // personas name, so that its pass may need no confirming read (src/app/listing.ts).
          const listed = teamsToList(deps.cache?.teams, ref, click, hints);
          const a = await assess(deps, ref, click, hints, members, mode.fresh, listed);
          rememberTeams(deps.cache?.teams, ref, a.personaTeams ?? []); // none when no table decided
          return a;
        }
        // After a pass was written: the same teams listed as by the read it was decided on, so that a state
        // unchanged but for the app's writes is recognised without deciding again (src/app/settled.ts).
        if (settles?.decidedOn)
          return assess(deps, ref, click, hints, new Map(), mode.fresh, settles.listed ?? [], settles);
        // A read with fresh memberships lists the teams the first round asked about in the same query: its
        // look-ups need no request of their own (a login not listed is still asked over REST).
        return assess(deps, ref, click, hints, new Map(), mode.fresh, asked());
      },
      write: (a) => apply(deps, ref, a, slot),
    },
    given,
  );
}

/** Facts from the event: they make the reconcile more exact, never less safe. */
export interface Hints {
  /** Review bodies as the delivery reported them (at submission, or before an edit): the scope first seen. */
  readonly reviewBodies?: ReadonlyMap<number, string | null>;
  /** Comments as the delivery reported them (before an edit, or when deleted): what the author wrote. */
  readonly commentBodies?: ReadonlyMap<number, CommentInput>;
  /** Reviewers GitHub just refused to request (from the previous round's writes). */
  readonly unrequestable?: Readonly<Record<string, string>>;
  /** Clicks this process could not record: each keeps the gate closed until it is recorded or superseded. */
  readonly unsettled?: readonly ButtonClick[];
  /** The push that triggered this reconcile and who made it (the `synchronize` sender): kept in the ledger. */
  readonly push?: Push;
  /** The head before a push: its persona checks that the new head no longer needs are closed as neutral on the new head. */
  readonly previousHead?: string;
}

interface Assessment {
  readonly pull: PullRequest;
  readonly existing: readonly ExistingRun[];
  readonly wanted: readonly CheckRunSpec[];
  readonly verdict?: Verdict;
  readonly records: readonly { body: string }[];
  readonly requests: { users: string[]; teams: string[] };
  readonly state: Outcome["state"];
  /** Gate runs on the previous head that still say success: a force-push back must not find them green. */
  readonly superseded?: readonly ExistingRun[];
  /** The passed gate's parallel-effectiveness figures (for /metrics). */
  readonly effect?: PrEffect | undefined;
  readonly seen?: Seen;
  /** Every answer the decision rests on came with its one read (src/app/rounds.ts). */
  readonly readTogether?: boolean;
  /** The teams the plan's personas name: who approves next is asked about these (src/app/listing.ts). */
  readonly personaTeams?: readonly TeamRef[];
  /** The teams whose members this assessment's read listed. */
  readonly listed?: readonly TeamRef[];
  /**
   * A decision to pass that came with its one read: that read, for the round after its write to compare
   * with (printed only then: most passes leave a green gate as it is and have no round after).
   */
  readonly decidedOn?: Snapshot;
  /** The decision of the round before, standing unchanged (src/app/settled.ts). */
  readonly stood?: true;
  /** Commands waiting beyond those recorded that keep the gate closed (src/app/standing.ts waitingBlockers). */
  readonly held?: number;
}

/** Reads and decides; writes nothing (except that merge queues reuse it to judge a PR). */
export async function assess(
  deps: Deps,
  ref: PullRef,
  click?: ButtonClick,
  hints: Hints = {},
  memo = new Map<string, Memberships>(),
  fresh = false,
  teams: readonly TeamRef[] = [],
  settles?: Assessment,
): Promise<Assessment> {
  const { appId } = deps;
  // Every request of this assessment is counted: one made after the snapshot's (a membership looked up
  // over REST, a page more) lets others' writes land between what it read and what it decides.
  const counted = counting(deps.octokit);
  const octokit = counted.octokit;
  const repo = { owner: ref.owner, repo: ref.repo };
  // One request reads the pull request and everything that depends on it (src/github/snapshot.ts), and
  // the members of `teams` when asked.
  const snap = await readSnapshot(octokit, ref, appId, hints.previousHead, teams);
  // The round after a pass was written: the decision stands when this read shows its state, changed
  // only by its own writes (src/app/settled.ts); anything else is decided again on this read.
  const stands = settles && stillStands(settles, snap, hints, appId);
  if (stands) return stands;
  const { pull } = snap;
  const none = { records: [], requests: { users: [], teams: [] } };
  // mutation-range: closed-pull-request
  if (pull.state !== "open") {
    // A check run belongs to the commit: a closed pull request's green gate would pass any other pull
    // request opened from the same head until that one is judged. Merged ones keep theirs.
    return { pull, existing: snap.runs, wanted: closedGates(pull, snap.runs), state: "skipped", ...none };
  }
  // mutation-range-end

  // mutation-range: file-count
  const tooMany = pull.changedFiles > MAX_PR_FILES;
  // mutation-range-end
  const existing = snap.runs;
  const before = previousHeadRuns(snap, hints);
  const sharing = sharingHead(deps.cache?.sharing, repo, pull.headSha, pull.number, snap.sharing);
  const files = tooMany ? [] : snap.files;
  const { reviews, comments: listed } = snap;
  // A table that was there must not vanish on one read (a 404 from a lagging replica of GitHub's):
  // when the app has runs on this head, the absence is confirmed by a second read before they retire.
  let load: TableLoad = snap.table ? await loadTable(octokit, repo, snap.table) : { kind: "absent" };
  if (load.kind === "absent" && existing.length > 0) {
    await new Promise((r) => setTimeout(r, deps.confirmAbsentMs ?? 1000));
    load = await readTable(octokit, repo, pull.baseRef);
  }
  if (load.kind === "absent") {
    // No table: the app posts nothing; runs it posted before the table was removed are closed, not left red.
    const wanted = existing.map((r) => ({
      ...retiredPersonaCheck(r.name),
      title: "No review table",
      summary: `The base branch \`${pull.baseRef}\` has no \`.github/reviewers.yml\` or \`reviewers.yml\`: parallel-review requires no review here.`,
    }));
    return { pull, existing, wanted, state: "no-table", ...none };
  }
  const gate = gateName(load.result.table?.settings.gate, pull.baseRef, pull.defaultBranch);
  if (!load.result.table) {
    // The ledger the runs carry stays in every gate rewritten without a decision (decoded only here).
    const carried = carriedLedger(existing);
    const problems = load.result.problems.filter((p) => p.severity === "error");
    const wanted = [
      gateBlocked(gate, `The review table on ${pull.baseRef} is invalid`, [
        `\`${load.file}\` on the base branch \`${pull.baseRef}\` has ${problems.length} problem${problems.length === 1 ? "" : "s"}. Until it is fixed no pull request into \`${pull.baseRef}\` can pass this gate.`,
        "",
        "```",
        ...load.result.problems.map(formatProblem),
        "```",
      ]),
      ...renamedGates(existing, gate),
    ].map((spec) => ({ ...spec, ...carried }));
    return { pull, existing, wanted, state: "fail", ...none };
  }
  const table = load.result.table;

  // What a delivery says a comment said wins over the comment now (edited or deleted since by anyone).
  const comments = withDelivered(listed, hints.commentBodies);
  const blockers: string[] = [];
  // Check runs belong to a commit, not a pull request: two open pull requests with one head would
  // overwrite each other's gate, and the lenient one could turn the strict one green.
  const others = sharing.filter((n) => n !== pull.number);
  if (others.length > 0)
    blockers.push(
      `Pull requests ${[pull.number, ...others]
        .sort((a, b) => a - b)
        .map((n) => `#${n}`)
        .join(
          ", ",
        )} share the head commit ${pull.headSha.slice(0, 7)}; checks belong to a commit, so their reviews cannot be told apart. Close all but one, or push a distinct commit to each.`,
    );
  let plan: ReviewPlan;
  // mutation-range: too-many-files
  if (tooMany || files.length >= MAX_PR_FILES) {
    // mutation-range-end
    const why = `this pull request changes ${pull.changedFiles} files, more than the ${MAX_PR_FILES} GitHub lists: every persona must review, and the gate stays closed — split the change`;
    blockers.push(
      `More than ${MAX_PR_FILES} files changed: GitHub cannot list them all, so the changed domains cannot be known. Split the pull request.`,
    );
    plan = planEverything(table, why);
  } else plan = planReview(table, files, [...new Set([...TABLE_PATHS, ...load.files])]);

  const isAppComment = appCommentOf(appId);
  // Second round, together: the table as changed, the directory, and what the app recorded — its
  // ledger (in its own check runs: nobody else can change it) and its record comments (the audit
  // trail; a deleted or edited one is still in the ledger).
  const [headTableProblems, baseTableProblems, ledgerIn] = await Promise.all([
    plan.tableChange ? headTable(octokit, ref, pull, files) : Promise.resolve([] as Problem[]),
    directoryProblems({
      octokit,
      owner: ref.owner,
      ownerIsOrg: pull.ownerIsOrg,
      personas: plan.personas,
      file: load.file,
      text: load.text,
    }),
    readLedger({
      runs: [...existing, ...before],
      reviews,
      comments,
      isAppComment,
      headSha: pull.headSha,
      commits: snap.commits,
      runsOn: (sha) => listOwnRuns(octokit, repo, sha, appId),
    }),
  ]);
  if (baseTableProblems.length > 0)
    blockers.push(
      `The review table names teams or users GitHub does not know, or a persona nobody can satisfy (listed below): fix the table on ${pull.baseRef}.`,
    );
  if (headTableProblems.some((p) => p.severity === "error"))
    blockers.push(
      `The review table as changed by this pull request has problems (listed below): fix them before merging.`,
    );
  const { known, deliveries, unrecorded, waiting, scopes, bases, actionsOf } = standingOf({
    pull,
    ledger: ledgerIn,
    reviews,
    comments,
    isAppComment,
    ...(hints.reviewBodies ? { reviewBodies: hints.reviewBodies } : {}),
    delivered: lostWords(listed, hints.commentBodies),
  });
  const knownActions = actionsOf(known);

  // Eligibility for everyone who acted or may act in this reconcile, looked up concurrently.
  const memoKey = `${ref.owner}:${pull.ownerIsOrg}`;
  let members = memo.get(memoKey);
  if (!members) {
    members = new Memberships(octokit, ref.owner, pull.ownerIsOrg, deps.cache?.members, fresh);
    if (snap.members) members.preload(snap.members); // listed by this very read
    memo.set(memoKey, members);
  }
  // Commands waiting beyond the ones this reconcile records are judged too when few people made them: one
  // of an eligible reviewer's (a change request, a narrower approval) keeps the gate closed until recorded.
  const judged = judgedOf(waiting);
  const eligible = await lookUpEligibility(
    plan.personas,
    claimsOf(knownActions, [...unrecorded, ...judged], click),
    (team, login) => members.isMember(team, login),
  );
  const forcePushedAt = snap.forcePushes;

  // When did the current head become this pull request's head? A new entry when it differs from the
  // last one the ledger knows (a push, a force-push, a fast-forward back to an older commit).
  const knownHeads = (ledgerIn.heads ?? []).filter((h) => h.pr === pull.number);
  const heads =
    knownHeads.at(-1)?.sha === pull.headSha
      ? knownHeads
      : [...knownHeads, { sha: pull.headSha, at: toSecond(deps.now?.() ?? new Date()), pr: pull.number }];
  const headSince = heads.at(-1)!.at;
  const records = recordsToWrite({
    unrecorded,
    deliveries,
    ...(click ? { click } : {}),
    pr: pull.number,
    base: pull.baseRef,
    headSha: pull.headSha,
    headSince,
    forcePushedAt,
    plan,
    author: pull.author.login,
    selfApproval: table.settings.self_approval,
    eligible,
  });
  // Judge as if the records were already written, so one reconcile reaches the final state.
  const allRecords = mergeRecords(
    known,
    records.map((r) => r.data),
  );
  const unrequestable = { ...ledgerIn.unrequestable, ...hints.unrequestable };
  const pushes = mergePushes([
    ...(ledgerIn.pushes ?? []).filter((p) => p.pr === pull.number),
    ...(hints.push ? [{ ...hints.push, pr: pull.number }] : []),
  ]);
  const ledger = keptLedger({
    baseRef: pull.baseRef,
    personas: plan.personas,
    eligible,
    reviews,
    scopes,
    bases,
    records: allRecords,
    pushes,
    heads,
    unrequestable,
  });
  if (!ledgerFits(ledger))
    blockers.push(
      `More review actions are recorded on this pull request than the app can keep (${MAX_LEDGER_RECORDS} at most): the gate stays closed. Open a new pull request.`,
    );
  blockers.push(...unsettledClicks(hints.unsettled ?? [], allRecords));
  const waitingHeld = waitingBlockers(waiting, judged, plan.personas, eligible);
  blockers.push(...waitingHeld.blockers);

  const actions: ReviewAction[] = actionsOf(allRecords);
  const allPushes = withUnknownPushers(heads, pushes);
  const [changedSince, contributors] = await Promise.all([
    compareApprovals(octokit, ref, table, actions, pull.headSha),
    contributorsOf({
      table,
      plan,
      actions,
      pushes: allPushes,
      commits: snap.commits,
      contributions: (logins) => contributionsOf(octokit, ref, snap.commits, allPushes, logins),
    }),
  ]);
  blockers.push(...contributors.blockers);
  const contributed = contributors.contributed;
  const unordered = evaluate({
    table,
    plan,
    actions,
    author: pull.author.login,
    headSha: pull.headSha,
    isReviewer: (p, login) => eligible(p as PlanPersona, login),
    contributed,
    changedSince,
    blockers,
  });
  const verdict = sequence(table, unordered); // `after:` in the table: queued personas (src/core/sequence.ts)

  const required = new Set(plan.personas.map((p) => p.id));
  const retired = new Set(
    [...existing, ...before]
      .map((r) => r.name)
      .filter((name) => personaIdOf(name) !== undefined && !required.has(personaIdOf(name)!)),
  );
  const effect = passedGateEffect({ verdict, table, pull, actions, eligible }); // src/core/effectiveness.ts
  const wanted: CheckRunSpec[] = [
    {
      ...gateCheck({ gate, tableFile: load.file, plan, verdict, headTableProblems, baseTableProblems, effect }),
      text: encodeLedger(ledger),
    },
    ...verdict.personas.map((v) => personaCheck(withRequestNotes(v, unrequestable))),
    ...[...retired].sort().map((name) => retiredPersonaCheck(name)),
    ...renamedGates(existing, gate).map((spec) => ({ ...spec, text: encodeLedger(ledger) })),
  ];
  const requests =
    table.settings.request_reviews && !(pull.draft && table.settings.drafts === "wait")
      ? reviewRequests({
          pull,
          verdict,
          reviews,
          org: ref.owner,
          isTeamMember: (team, login) => members.isMember(team, login),
        }).then(({ users, teams }) => ({
          users: users.filter((u) => !(`user:${u.toLowerCase()}` in unrequestable)),
          teams: teams.filter((t) => !(`team:${t.toLowerCase()}` in unrequestable)),
        }))
      : Promise.resolve({ users: [], teams: [] });
  const superseded = greenGates(before, gate);
  const requested = await requests;
  members.forgetListed(); // a later round asks afresh whom this read's lists did not answer
  // The snapshot's one request and nothing remembered: the decision rests on that read alone.
  const readTogether = counted.calls() === 1 && ![...memo.values()].some((m) => m.usedRemembered);
  return {
    pull,
    existing,
    wanted,
    verdict,
    records,
    requests: requested,
    state: verdict.state,
    superseded,
    effect,
    readTogether,
    ...(waitingHeld.held > 0 ? { held: waitingHeld.held } : {}),
    personaTeams: teamsOf(plan.personas, ref.owner, pull.ownerIsOrg),
    listed: teams,
    ...(readTogether && verdict.state === "pass" ? { decidedOn: snap } : {}),
    seen: {
      headSha: pull.headSha,
      baseRef: pull.baseRef,
      table: load,
      ...(tooMany || files.length >= MAX_PR_FILES ? {} : { files }),
    },
  };
}

/** The app's runs on the head before a push (none when there was no push). */
function previousHeadRuns(snap: Snapshot, hints: Hints): readonly ExistingRun[] {
  return hints.previousHead && hints.previousHead !== snap.pull.headSha ? snap.previousRuns : [];
}

/** Gates on the previous head that still say success. */
function greenGates(before: readonly ExistingRun[], gate: string | undefined): ExistingRun[] {
  return before.filter((r) => r.name === gate && r.conclusion === "success");
}

/**
 * The decision written in the round before, again, when this read shows the state it was decided on,
 * changed only by its writes (src/app/settled.ts): its runs as it wanted them, its records, nothing else.
 * There is nothing left to write: no records, the runs as GitHub now shows them.
 */
function stillStands(a: Assessment, snap: Snapshot, hints: Hints, appId: number): Assessment | undefined {
  if (!a.decidedOn) return undefined;
  const isOwn = appCommentOf(appId);
  const superseded = greenGates(previousHeadRuns(snap, hints), a.wanted[0]?.name);
  const same = settled({
    was: printOf(a.decidedOn, isOwn, a.wanted),
    now: snap,
    isOwn,
    wrote: a.records.map((r) => r.body),
    wanted: a.wanted,
    superseded,
  });
  if (!same) return undefined;
  const { decidedOn: _decidedOn, ...decision } = a;
  return { ...decision, existing: snap.runs, superseded, records: [], stood: true };
}

const NOTHING_WRITTEN = { vanished: 0, commented: 0, commentFailures: [] } as const;

async function apply(deps: Deps, ref: PullRef, a: Assessment, slot: Slot): Promise<Outcome> {
  const { octokit } = deps;
  const now = () => deps.now?.() ?? new Date();

  // Every check-run write of the reconcile in one GraphQL request, gate first, and a few small record
  // comments after them (src/github/checks.ts rideWithRuns): with GitHub's write pacing (a second between
  // writes) the gate and every persona check appear together, and those comments take no slot of their own.
  const { writes, created, updated, unchanged } = planWrites({
    wanted: a.wanted,
    existing: a.existing,
    headSha: a.pull.headSha,
    ...(a.superseded ? { superseded: a.superseded } : {}),
  });
  const comments = a.records.map((r) => ({ comment: r.body, subjectId: a.pull.nodeId }));
  const { withRuns, apart } = rideWithRuns(writes, comments);
  const batch = async (w: readonly Write[]) =>
    w.length > 0 ? writeRuns(octokit, a.pull.repoNodeId, w, now) : NOTHING_WRITTEN;
  // The group's gate is closed even when the pull request's own writes failed: it would merge on its old
  // decision meanwhile, and closing it is right whenever this gate does not pass.
  const { vanished, commented, commentFailures } = await batch(withRuns).finally(() => closeGroup(deps, ref, a, now));
  // What is left are courtesy writes, which wait behind every check-run write in the installation's pacing
  // lane (src/github/writes.ts isCheckWrite): the slot goes to another reconcile meanwhile, so answers to a
  // stranger's commands on many pull requests cannot hold every slot (src/app/slots.ts). Kept when there are
  // none, and when this round opened the gate: the round after it must read at once, not behind the queue,
  // whatever answers a stranger made this round write (only eligible approvals open a gate).
  const opened = a.state === "pass" && [...created, ...updated].includes(a.wanted[0]?.name ?? "");
  const courtesy = apart.length > 0 || a.requests.users.length + a.requests.teams.length > 0;
  if (courtesy && !opened) slot.release();
  const after = await batch(apart);
  const records = commented + after.commented;
  // The ledger went out with the gate: the record comments are the audit trail and the reviewer's
  // answer, so one that cannot be written is logged, not fatal (the decision is already recorded).
  for (const err of [...commentFailures, ...after.commentFailures])
    deps.log.warn({ err, pr: ref }, "could not write a record comment (the ledger has it)");

  const refused = await requestEach(deps, ref, a.requests);
  const outcome = {
    state: a.state,
    headSha: a.pull.headSha,
    ...(a.effect ? { effect: a.effect } : {}),
    created: created.sort(),
    updated: updated.sort(),
    unchanged: unchanged.sort(),
    records,
    requested: a.requests,
    ...(Object.keys(refused).length > 0 ? { refused } : {}),
    ...(vanished > 0 ? { vanished } : {}),
    ...(a.stood ? { stood: true as const } : {}),
    ...(a.held ? { held: a.held } : {}),
  };
  deps.log.info({ pr: `${ref.owner}/${ref.repo}#${ref.number}`, ...outcome }, "reconciled");
  return a.seen ? { ...outcome, seen: a.seen } : outcome;
}

/**
 * A pull request in its base's merge queue whose gate does not pass now (a change request, a missing
 * approval, an invalid table): the merge group GitHub built for it got its gate when it was queued
 * (src/app/router.ts judgeMergeGroup) and would merge on that decision, so the gate is closed on the group's
 * commit too, and GitHub takes the pull request out of the queue. Queued again, its new group is judged
 * afresh. Nothing for a pull request that needs no gate (no table, closed) or that GitHub did not say is
 * queued; nor when the entry names the pull request's own head (not a group's commit).
 */
function queueClosing(
  a: Pick<Assessment, "state" | "wanted" | "pull">,
): { create: CheckRunSpec; sha: string } | undefined {
  const gate = a.wanted[0];
  const group = a.pull.queueHead;
  if ((a.state !== "fail" && a.state !== "waiting") || !gate || !group || group === a.pull.headSha) return undefined;
  const spec = gateBlocked(gate.name, "Mandatory reviews incomplete", [
    `#${a.pull.number} no longer passes its review gate: ${gate.title}`,
    "",
    "GitHub takes it out of the merge queue; queue it again once its gate passes.",
  ]);
  return { create: spec, sha: group };
}

/**
 * Writes `queueClosing` on the group's commit, after the pull request's own writes (failed or not) and apart
 * from them: the group may be gone by then (merged, rebuilt, dequeued), and a refusal there must not fail the
 * reconcile of the pull request, whose own gate is what it decided. Once a minute per group and process at
 * most (the cache), however many events the pull request gets meanwhile.
 */
async function closeGroup(deps: Deps, ref: PullRef, a: Assessment, now: () => Date): Promise<void> {
  const closing = queueClosing(a);
  if (!closing) return;
  const key = `${ref.owner}/${ref.repo}@${closing.sha}`.toLowerCase();
  if (deps.cache?.groups.get(key)) return;
  try {
    await writeRuns(deps.octokit, a.pull.repoNodeId, [closing], now);
    deps.cache?.groups.set(key, true);
  } catch (err) {
    deps.log.warn({ err, pr: ref }, "could not close the gate on the pull request's merge group");
  }
}

/** For settings.on_push = changed-domains: what changed since each approved commit (null = unknown). */
async function compareApprovals(
  octokit: Octokit,
  ref: PullRef,
  table: ReviewTable,
  actions: readonly ReviewAction[],
  head: string,
): Promise<Map<string, ChangedFile[] | null>> {
  const out = new Map<string, ChangedFile[] | null>();
  if (table.settings.on_push !== "changed-domains") return out;
  const shas = new Set(
    actions.filter((a) => a.kind === "approve" && a.sha !== head && a.sha !== UNKNOWN_SHA).map((a) => a.sha),
  );
  await Promise.all([...shas].map(async (sha) => out.set(sha, await changedBetween(octokit, ref, sha, head))));
  return out;
}

/** GitHub's timestamps are to the second: an entry stamped within the second compares as GitHub's would. */
function toSecond(d: Date): string {
  return new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/**
 * Review requests, all at once; if GitHub refuses the batch (one reviewer without access sinks it),
 * each reviewer alone, so the others are still asked. Who could not be requested, and why, is returned
 * for the ledger and the persona's check. A failure to request never changes the gate.
 */
async function requestEach(
  deps: Deps,
  ref: PullRef,
  requests: { users: readonly string[]; teams: readonly string[] },
): Promise<Record<string, string>> {
  const refused: Record<string, string> = {};
  if (requests.users.length + requests.teams.length === 0) return refused;
  try {
    await requestReviewers(deps.octokit, ref, requests.users, requests.teams);
    return refused;
  } catch (err) {
    deps.log.warn({ err, requests }, "could not request reviewers together: asking each alone");
  }
  const one = async (key: string, users: string[], teams: string[]) => {
    try {
      await requestReviewers(deps.octokit, ref, users, teams);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      refused[key] = why.replace(/\s+/g, " ").slice(0, 200);
    }
  };
  for (const u of requests.users) await one(`user:${u.toLowerCase()}`, [u], []);
  for (const t of requests.teams) await one(`team:${t.toLowerCase()}`, [], [t]);
  return refused;
}

/** A persona's verdict with a notice for each of its reviewers GitHub refused to request. */
function withRequestNotes(v: PersonaVerdict, refused: Readonly<Record<string, string>>): PersonaVerdict {
  const all: [string, string | undefined][] = [
    ...v.persona.users.map((u): [string, string | undefined] => [`@${u}`, refused[`user:${u.toLowerCase()}`]]),
    ...v.persona.teams.map((t): [string, string | undefined] => [
      `team \`${t}\``,
      refused[`team:${t.split("/").pop()!.toLowerCase()}`],
    ]),
  ];
  const notes = all.filter((x): x is [string, string] => x[1] !== undefined);
  if (notes.length === 0) return v;
  return {
    ...v,
    notices: [
      ...v.notices,
      ...notes.map(([who, why]) => ({
        user: who,
        via: "review" as const,
        message: `${who} could not be requested for review (${why}): give them access to the repository, or fix the table`,
      })),
    ],
  };
}

/** Problems of the table files as this PR changes them (a deleted table has none: the base table governs). */
async function headTable(
  octokit: Octokit,
  ref: PullRef,
  pull: PullRequest,
  files: readonly ChangedFile[],
): Promise<Problem[]> {
  const changed = files.filter(
    (f) => f.status !== "removed" && (f.path === ".github/reviewers.yml" || f.path === "reviewers.yml"),
  );
  const problems = await Promise.all(changed.map((f) => readChangedTable(octokit, ref, f.path, pull.headSha)));
  return problems.flat().filter((p) => p.severity === "error" || !p.message.includes("is not required"));
}
