import type { PrEffect } from "../core/effectiveness.js";
import {
  captureScopes,
  readRecords,
  recordActions,
  reviewActions,
  unrecordedComments,
  UNKNOWN_SHA,
  type CommentInput,
  type RecordData,
  type ReviewAction,
  type ReviewInput,
} from "../core/actions.js";
import {
  decodeLedger,
  encodeLedger,
  ledgerFits,
  MAX_LEDGER_RECORDS,
  mergeLedgers,
  mergeHeads,
  mergePushes,
  mergeRecords,
  EMPTY_LEDGER,
  type Ledger,
  type Push,
} from "../core/ledger.js";
import { contributionsOf, MAX_PR_COMMITS, type PullCommit } from "../github/contributors.js";
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
import { listOwnRuns, sameRun, writeRuns, type ExistingRun, type RunWrite } from "../github/checks.js";
import type { Octokit, PullRef } from "../github/client.js";
import {
  changedBetween,
  createComment,
  MAX_PR_FILES,
  requestReviewers,
  sharingHead,
  type PullRequest,
} from "../github/pulls.js";
import { readSnapshot } from "../github/snapshot.js";
import { loadTable, readChangedTable, readTable, type TableLoad } from "../github/table.js";
import { Memberships } from "../github/teams.js";
import type { ReadCache } from "../github/recent.js";
import { recordsToWrite, type ButtonClick } from "./records.js";
import { directoryProblems } from "./directory.js";
import { reviewRequests } from "./requests.js";

export interface Deps {
  readonly octokit: Octokit;
  readonly appId: number;
  /** The clock for times the app writes (tests give the fake GitHub's). */
  readonly now?: () => Date;
  /** How long to wait before confirming that the table is really gone (default 1 s). */
  readonly confirmAbsentMs?: number;
  readonly log: { info(o: object, msg?: string): void; warn(o: object, msg?: string): void };
  /** Answers kept between reconciles (src/github/recent.ts); never used by a decision to open the gate. */
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
 */
export async function reconcile(deps: Deps, ref: PullRef, click?: ButtonClick, given: Hints = {}): Promise<Outcome> {
  let hints = given;
  let outcome: Outcome | undefined;
  // mutation-range: rounds
  const members = new Map<string, Memberships>(); // memberships are looked up once per reconcile, not per round
  const fresh = new Map<string, Memberships>(); // …and once more, bypassing the cache, before a pass
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let assessment = await assess(deps, ref, click, hints, round === 0 ? members : fresh, round > 0);
    // Opening the gate is the one write that cannot be taken back in time (a merge may follow at
    // once): a decision to pass is confirmed by a fresh read, bypassing every cache, before it is
    // written, so a decision made on remembered answers, or before another replica recorded a change
    // request, never reaches GitHub.
    // A gate that already passes is confirmed too: left as it is, it is a decision to pass as well, and a
    // remembered membership must not keep it green after the member left.
    if (assessment.state === "pass" && round === 0 && (deps.cache || !gatePasses(assessment)))
      assessment = await assess(deps, ref, click, hints, fresh, true);
    const written = await apply(deps, ref, assessment);
    outcome = outcome ? combine(outcome, written) : written;
    const gate = assessment.wanted[0]?.name;
    // A refused review request is written into the ledger and onto the persona's check next round.
    if (written.refused) hints = { ...hints, unrequestable: { ...hints.unrequestable, ...written.refused } };
    const wroteGate = gate !== undefined && [...written.created, ...written.updated].includes(gate);
    // A gate opened is read again until a round changes nothing: a change request that another replica
    // recorded between our confirming read and our write is then seen and the gate closed before we
    // finish, so the last gate anyone writes was decided after every write it could have missed.
    // A gate written closed needs no second look: a stale closed gate fails safe, and the event that
    // made it stale (or the hourly resync) evaluates it again. Answers to attempts (record comments,
    // notices) change no decision, so a flood of refused comments cannot keep the loop going.
    // A run GitHub said was gone (perhaps a green twin a lagging replica of GitHub's could not find) is
    // looked for again: the next round recreates it or closes it, and if it never can, the reconcile fails
    // and the failure report closes the gate.
    if (!(wroteGate && assessment.state === "pass") && !written.refused && !written.vanished) return outcome;
  }
  throw new Error(
    "the review state kept changing while the app wrote it: the gate stays closed and is evaluated again on the next event",
  );
}

/** Does GitHub already show the wanted gate as passing (so a passing decision changes nothing)? */
function gatePasses(a: Assessment): boolean {
  const gate = a.wanted[0];
  const newest = gate && a.existing.filter((r) => r.name === gate.name).at(-1);
  return newest?.status === "completed" && newest.conclusion === "success";
}
// mutation-range-end

/** Rounds of read → decide → write per reconcile; the last must write nothing. */
const MAX_ROUNDS = 3;

function combine(a: Outcome, b: Outcome): Outcome {
  const union = (x: string[], y: string[]) => [...new Set([...x, ...y])].sort();
  return {
    ...b,
    created: union(a.created, b.created),
    updated: union(a.updated, b.updated),
    unchanged: b.unchanged.filter((n) => !a.created.includes(n) && !a.updated.includes(n)),
    records: a.records + b.records,
    requested: {
      users: union(a.requested.users, b.requested.users),
      teams: union(a.requested.teams, b.requested.teams),
    },
  };
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
}

/** Reads and decides; writes nothing (except that merge queues reuse it to judge a PR). */
export async function assess(
  deps: Deps,
  ref: PullRef,
  click?: ButtonClick,
  hints: Hints = {},
  memo = new Map<string, Memberships>(),
  fresh = false,
): Promise<Assessment> {
  const { octokit, appId } = deps;
  const repo = { owner: ref.owner, repo: ref.repo };
  // One request reads the pull request and everything that depends on it (src/github/snapshot.ts).
  const snap = await readSnapshot(octokit, ref, appId, hints.previousHead);
  const { pull } = snap;
  const none = { records: [], requests: { users: [], teams: [] } };
  // mutation-range: closed-pull-request
  if (pull.state !== "open") {
    // A check run belongs to the commit: a closed pull request's green gate would pass any other pull
    // request opened from the same head until that one is judged. Merged ones keep theirs.
    if (pull.merged) return { pull, existing: [], wanted: [], state: "skipped", ...none };
    const existing = snap.runs;
    const carried = carriedLedger(existing);
    const wanted = gateNames(existing).map((name) => ({ ...closedGate(name, pull.number), ...carried }));
    return { pull, existing, wanted, state: "skipped", ...none };
  }
  // mutation-range-end

  // mutation-range: file-count
  const tooMany = pull.changedFiles > MAX_PR_FILES;
  // mutation-range-end
  const existing = snap.runs;
  const before = hints.previousHead && hints.previousHead !== pull.headSha ? snap.previousRuns : [];
  const sharing = sharingHead(deps.cache?.sharing, repo, pull.headSha, pull.number, snap.sharing, fresh);
  const files = tooMany ? [] : snap.files;
  const { reviews, comments: listed } = snap;
  const carried = carriedLedger(existing);
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

  // mutation-range: app-comment
  const isAppComment = (c: CommentInput) => c.user?.type === "Bot" && c.viaAppId === appId;
  // mutation-range-end
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
    readLedger(octokit, repo, [...existing, ...before], reviews, comments, isAppComment, appId, pull, snap.commits),
  ]);
  if (baseTableProblems.length > 0)
    blockers.push(
      `The review table names teams or users GitHub does not know, or a persona nobody can satisfy (listed below): fix the table on ${pull.baseRef}.`,
    );
  if (headTableProblems.some((p) => p.severity === "error"))
    blockers.push(
      `The review table as changed by this pull request has problems (listed below): fix them before merging.`,
    );
  // A ledger on a shared head may hold another pull request's records: only this one's count here.
  // mutation-range: ledger-records
  const ours = <T extends { pr?: number }>(x: T) => x.pr === pull.number;
  const known = mergeRecords(ledgerIn.records.filter(ours), readRecords(comments, isAppComment));
  const recordedSources = new Set(
    known.flatMap((r) => (r.via === "comment" && r.source !== undefined ? [r.source] : [])),
  );
  const deliveries = new Set(known.flatMap((r) => (r.delivery !== undefined ? [r.delivery] : [])));
  const unrecorded = unrecordedComments(comments, isAppComment, recordedSources).slice(0, MAX_RECORDS_PER_RECONCILE);
  const scopes = captureScopes(ledgerIn.scopes, reviews, hints.reviewBodies);
  const bases: Record<string, string> = { ...ledgerIn.bases };
  for (const r of reviews) bases[String(r.id)] ??= pull.baseRef;
  // An approval given while the pull request had another base approved another diff: it does not count.
  const retargeted = (a: ReviewAction, base: string | undefined) =>
    a.kind === "approve" && base !== undefined && base !== pull.baseRef;
  const actionsOf = (records: readonly RecordData[]) => [
    ...reviewActions(reviews, scopes).filter((a) => !retargeted(a, bases[a.ref.slice("review ".length)])),
    ...records.flatMap((r) => recordActions([r]).filter((a) => !retargeted(a, r.base))),
  ];
  const knownActions = actionsOf(known);
  // mutation-range-end

  // Eligibility for everyone who acted or may act in this reconcile, looked up concurrently.
  const memoKey = `${ref.owner}:${pull.ownerIsOrg}`;
  const members = memo.get(memoKey) ?? new Memberships(octokit, ref.owner, pull.ownerIsOrg, deps.cache?.members, fresh);
  memo.set(memoKey, members);
  // Only the (persona, user) pairs some action is about: a review or `/approve` for all personas the user
  // can review, a named persona (Reviewed-for, a button, a command) for that persona alone.
  const claims: { login: string; personas: readonly string[] | "all" }[] = [
    ...knownActions.map((a) => ({ login: a.user, personas: a.personas })),
    ...unrecorded.flatMap((u) => u.commands.map((c) => ({ login: u.comment.user!.login, personas: c.personas }))),
    ...(click ? [{ login: click.user.login, personas: [click.persona] }] : []),
  ];
  const eligibility = await lookUpEligibility(plan.personas, claims, members);
  const forcePushedAt = snap.forcePushes;
  // mutation-range: eligible
  const eligible = (p: PlanPersona, login: string) => eligibility.get(`${p.id}:${login.toLowerCase()}`) === true;
  // mutation-range-end

  // When did the current head become this pull request's head? A new entry when it differs from the
  // last one the ledger knows (a push, a force-push, a fast-forward back to an older commit).
  const knownHeads = (ledgerIn.heads ?? []).filter(ours);
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
    ...(ledgerIn.pushes ?? []).filter(ours),
    ...(hints.push ? [{ ...hints.push, pr: pull.number }] : []),
  ]);
  // Only what can count is kept: strangers' attempts and their reviews' scopes would only fill it.
  // mutation-range: ledger-kept
  const mayReview = (login: string) => plan.personas.some((p) => eligible(p, login));
  // A review from before a retarget is kept too: its approval makes no eligibility claim (it no longer counts),
  // and forgetting its base would let the next reconcile stamp it with the new base and count it there.
  const keptReviews = new Set(
    reviews
      .filter((r) => r.user && (mayReview(r.user.login) || bases[String(r.id)] !== pull.baseRef))
      .map((r) => String(r.id)),
  );
  const pick = <V>(m: Readonly<Record<string, V>>) =>
    Object.fromEntries(
      Object.entries(m).filter(([id]) => keptReviews.has(id) || !reviews.some((r) => String(r.id) === id)),
    );
  const ledger: Ledger = {
    records: allRecords.filter((r) => !r.isBot && mayReview(r.user)),
    scopes: pick(scopes),
    bases: pick(bases),
    ...(pushes.length > 0 ? { pushes } : {}),
    heads: mergeHeads(heads),
    ...(Object.keys(unrequestable).length > 0 ? { unrequestable } : {}),
  };
  // mutation-range-end
  if (!ledgerFits(ledger))
    blockers.push(
      `More review actions are recorded on this pull request than the app can keep (${MAX_LEDGER_RECORDS} at most): the gate stays closed. Open a new pull request.`,
    );
  // An unrecorded click stands until it is recorded or the same reviewer clicks again for that persona
  // later (a redelivery of an older click of theirs does not count as later).
  const clickedLater = (u: ButtonClick) =>
    allRecords.some(
      (r) =>
        r.via === "button" &&
        r.user === u.user.login &&
        r.commands.some((c) => c.personas !== "all" && c.personas.includes(u.persona)) &&
        Date.parse(r.clickedAt ?? "") > Date.parse(u.receivedAt),
    );
  for (const u of hints.unsettled ?? [])
    if (!allRecords.some((r) => r.delivery === u.delivery) && !clickedLater(u))
      blockers.push(
        `@${u.user.login}'s click (${u.action === "approve" ? "Approve" : "Request changes"} as ${u.persona}) could not be recorded yet; the gate stays closed until it is (GitHub redelivers it) or @${u.user.login} acts again.`,
      );

  const actions: ReviewAction[] = actionsOf(allRecords);
  const [changedSince, contributed] = await Promise.all([
    compareApprovals(octokit, ref, table, actions, pull.headSha),
    contributorsOf(octokit, ref, table, plan, actions, withUnknownPushers(heads, pushes), blockers, snap.commits),
  ]);
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
  const superseded = before.filter((r) => r.name === gate && r.conclusion === "success");
  return {
    pull,
    existing,
    wanted,
    verdict,
    records,
    requests: await requests,
    state: verdict.state,
    superseded,
    effect,
    seen: {
      headSha: pull.headSha,
      baseRef: pull.baseRef,
      table: load,
      ...(tooMany || files.length >= MAX_PR_FILES ? {} : { files }),
    },
  };
}

/** Conclusions branch protection accepts. */
const PASSING = new Set(["success", "neutral", "skipped"]);

// mutation-range: passes
function passes(r: ExistingRun): boolean {
  return r.status === "completed" && PASSING.has(r.conclusion ?? "");
}

/** An older twin of a run that is waiting again: closed, keeping the ledger it carries. */
function supersededTwin(spec: CheckRunSpec, runs: readonly ExistingRun[], id: number): CheckRunSpec {
  return {
    ...gateBlocked(spec.name, "Superseded by a newer run of this check", [
      `A newer \`${spec.name}\` run on this commit says: ${spec.title}.`,
    ]),
    conclusion: "cancelled",
    ...carriedLedger(runs.filter((r) => r.id === id)),
  };
}
// mutation-range-end

async function apply(deps: Deps, ref: PullRef, a: Assessment): Promise<Outcome> {
  const { octokit } = deps;
  const now = () => deps.now?.() ?? new Date();

  // Every check-run write of the reconcile in one GraphQL request, gate first: with GitHub's write
  // pacing (a second between writes) the gate and every persona check appear together.
  const { writes, created, updated, unchanged } = planWrites(a);
  const { vanished } = writes.length > 0 ? await writeRuns(octokit, a.pull.repoNodeId, writes, now) : { vanished: 0 };

  // The ledger went out with the gate: the record comments are the audit trail and the reviewer's
  // answer, so one that cannot be written is logged, not fatal (the decision is already recorded).
  let records = 0;
  for (const r of a.records)
    await createComment(octokit, ref, r.body).then(
      () => records++,
      (err: unknown) => deps.log.warn({ err, pr: ref }, "could not write a record comment (the ledger has it)"),
    );

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
  };
  deps.log.info({ pr: `${ref.owner}/${ref.repo}#${ref.number}`, ...outcome }, "reconciled");
  return a.seen ? { ...outcome, seen: a.seen } : outcome;
}

// mutation-range: plan-writes
/**
 * The check-run writes that make GitHub show `a.wanted`, in the order they must happen: per wanted run
 * (gate first) a new run before the twins it closes; then the previous head's green gates, closed.
 */
function planWrites(a: Assessment): { writes: RunWrite[]; created: string[]; updated: string[]; unchanged: string[] } {
  const writes: RunWrite[] = [];
  const created: string[] = [];
  const updated: string[] = [];
  const unchanged: string[] = [];
  const rewrite = (run: ExistingRun, spec: CheckRunSpec) => writes.push({ update: spec, run });
  const closeTwin = (spec: CheckRunSpec) => (r: ExistingRun) => rewrite(r, supersededTwin(spec, a.existing, r.id));
  for (const spec of a.wanted) {
    const have = a.existing.filter((r) => r.name === spec.name); // oldest first
    const newest = have.at(-1);
    // GitHub documents no rule for several runs of one name on a commit (the newest, or any failure,
    // or any success may be what branch protection reads), so every twin must agree with the newest:
    // when the wanted state does not pass, no older twin may still say it passes.
    const passingTwins = spec.status === "completed" ? [] : have.filter(passes);
    // A completed run cannot be reopened, so waiting again when the newest is completed means a new run.
    // A queued persona that becomes actionable gets a new run too: its start is when reviewers could
    // first act, the earliest moment a click on it can have happened (see clickTime).
    const unqueued = newest?.status === "queued" && spec.status !== "queued";
    if (!newest || (spec.status !== "completed" && newest.status === "completed") || unqueued) {
      writes.push({ create: spec, sha: a.pull.headSha });
      [...passingTwins, ...(unqueued ? have.filter((r) => r.status === "queued") : [])].forEach(closeTwin(spec));
      created.push(spec.name);
      continue;
    }
    const targets = spec.status === "completed" ? have : have.filter((r) => r.status !== "completed");
    const stale = targets.filter((r) => !sameRun(r, spec));
    if (stale.length + passingTwins.length === 0) {
      unchanged.push(spec.name);
      continue;
    }
    stale.forEach((r) => rewrite(r, spec));
    passingTwins.forEach(closeTwin(spec));
    updated.push(spec.name);
  }
  const supersede = gateBlocked(a.wanted[0]?.name ?? "parallel-review", "Superseded by a newer commit", [
    `The pull request's head moved to ${a.pull.headSha.slice(0, 7)}; this commit's reviews no longer apply to it.`,
  ]);
  for (const r of a.superseded ?? []) rewrite(r, { ...supersede, ...carriedLedger([r]) });
  return { writes, created, updated, unchanged };
}
// mutation-range-end

// mutation-range: eligibility
async function lookUpEligibility(
  personas: readonly PlanPersona[],
  claims: readonly { login: string; personas: readonly string[] | "all" }[],
  members: Memberships,
): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  const pairs = new Map<string, [PlanPersona, string]>();
  for (const c of claims)
    for (const p of personas)
      if (c.personas === "all" || c.personas.includes(p.id))
        pairs.set(`${p.id}:${c.login.toLowerCase()}`, [p, c.login]);
  await Promise.all(
    [...pairs].map(async ([key, [p, login]]) => {
      const listed = p.users.some((u) => u.toLowerCase() === login.toLowerCase());
      out.set(key, listed || (await Promise.all(p.teams.map((t) => members.isMember(t, login)))).some(Boolean));
    }),
  );
  return out;
}
// mutation-range-end

/** Who pushed a head the pull request had is unknown when its `synchronize` delivery never came. */
const UNKNOWN_PUSHER = "*";

// mutation-range: contributors
/**
 * The pushes in the ledger, plus one by an unknown pusher for every head after the first that no
 * recorded push leads to: anyone may have pushed it, so nobody's approval counts for the files it
 * changed until the delivery is redelivered.
 */
function withUnknownPushers(heads: readonly { sha: string; pr: number }[], pushes: readonly Push[]): Push[] {
  const out = [...pushes];
  for (let i = 1; i < heads.length; i++)
    if (!pushes.some((p) => p.after === heads[i]!.sha))
      out.push({ user: UNKNOWN_PUSHER, before: heads[i - 1]!.sha, after: heads[i]!.sha, pr: heads[i]!.pr });
  return out;
}

/**
 * Who contributed to which persona's files (settings.contributor_approval off): only approvers are
 * looked up, from the pull request's commits (authors, committers) and the pushes in the ledger.
 */
async function contributorsOf(
  octokit: Octokit,
  ref: PullRef,
  table: ReviewTable,
  plan: ReviewPlan,
  actions: readonly ReviewAction[],
  pushes: readonly Push[],
  blockers: string[],
  commits: readonly PullCommit[],
): Promise<(p: PlanPersona, login: string) => boolean> {
  const none = () => false;
  if (table.settings.contributor_approval) return none;
  const approvers = [...new Set(actions.filter((a) => a.kind === "approve" && !a.isBot).map((a) => a.user))];
  if (approvers.length === 0) return none;
  if (commits.length >= MAX_PR_COMMITS) {
    blockers.push(
      `This pull request has ${MAX_PR_COMMITS} or more commits, more than GitHub lists: who contributed which files cannot be established (settings.contributor_approval). Squash or split it.`,
    );
    return none;
  }
  const people = new Set(
    [...commits.flatMap((c) => c.people), ...pushes.map((p) => p.user)].map((l) => l.toLowerCase()),
  );
  const suspects = approvers.filter((a) => people.has(a.toLowerCase()));
  if (people.has(UNKNOWN_PUSHER)) suspects.push(UNKNOWN_PUSHER);
  if (suspects.length === 0) return none;
  const touched = new Set<string>();
  for (const c of await contributionsOf(octokit, ref, commits, pushes, suspects)) {
    const ids =
      c.files === null ? plan.personas.map((p) => p.id) : planReview(table, c.files).personas.map((p) => p.id);
    for (const id of ids) touched.add(`${id}:${c.login.toLowerCase()}`);
  }
  const unknown = plan.personas.filter((p) => touched.has(`${p.id}:${UNKNOWN_PUSHER}`));
  if (unknown.length > 0)
    blockers.push(
      `Who pushed some commits of this pull request is not known (a push's delivery never reached the app), and they change files of ${unknown.map((p) => p.name).join(", ")}: approvals for them wait until GitHub redelivers the push's \`synchronize\` event, or a new push is made.`,
    );
  return (p, login) => touched.has(`${p.id}:${login.toLowerCase()}`) || touched.has(`${p.id}:${UNKNOWN_PUSHER}`);
}
// mutation-range-end

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

/** Names of runs the app keeps beside the gate and persona checks (never taken for an old gate). */
export const AUX_PREFIX = "parallel-review/";

/** The gate-like runs the app has on a commit: everything but persona checks and auxiliary runs. */
export function gateNames(runs: readonly ExistingRun[]): string[] {
  return [...new Set(runs.map((r) => r.name))].filter((n) => personaIdOf(n) === undefined && !n.startsWith(AUX_PREFIX));
}

/** The ledger the runs already carry, to keep in any gate-like run rewritten without a fresh decision. */
export function carriedLedger(runs: readonly ExistingRun[]): { text?: string } {
  const found = runs.map((r) => decodeLedger(r.text)).filter((l): l is Ledger => l !== undefined);
  return found.length > 0 ? { text: encodeLedger(mergeLedgers(found)) } : {};
}

/**
 * Gates the table no longer names (`settings.gate` was renamed): branch protection may still require
 * the old name, so it is closed, never left green.
 */
function renamedGates(existing: readonly ExistingRun[], gate: string): CheckRunSpec[] {
  return gateNames(existing)
    .filter((n) => n !== gate)
    .map((n) =>
      gateBlocked(n, `Renamed: this gate is now \`${gate}\``, [
        `The review table's \`settings.gate\` now names this pull request's gate \`${gate}\`; this check no longer passes.`,
        "",
        `Require \`${gate}\` in branch protection instead of \`${n}\`.`,
      ]),
    );
}

function closedGate(name: string, number: number): CheckRunSpec {
  return {
    name,
    status: "completed",
    conclusion: "cancelled",
    title: "Pull request closed without merging",
    summary: `#${number} was closed without merging, so its reviews do not carry to another pull request from this commit. Reopen it to evaluate it again.`,
    actions: [],
  };
}

function withDelivered(listed: readonly CommentInput[], delivered?: ReadonlyMap<number, CommentInput>): CommentInput[] {
  if (!delivered || delivered.size === 0) return [...listed];
  const out = listed.map((c) => {
    const d = delivered.get(c.id);
    return d && d.updatedAt === d.createdAt && c.updatedAt !== c.createdAt ? d : c;
  });
  for (const d of delivered.values()) if (!listed.some((c) => c.id === d.id)) out.push(d);
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

/** Records one reconcile writes at most: a flood of comments is answered over several events, never at once. */
const MAX_RECORDS_PER_RECONCILE = 20;

/**
 * The ledger carried by the app's runs on the head (and the previous head after a push). On the first
 * sight of a head with no previous head known, it is looked for on the commits the pull request's
 * records and reviews name (the newest three).
 */
// mutation-range: read-ledger
async function readLedger(
  octokit: Octokit,
  repo: { owner: string; repo: string },
  runs: readonly ExistingRun[],
  reviews: readonly ReviewInput[],
  comments: readonly CommentInput[],
  isAppComment: (c: CommentInput) => boolean,
  appId: number,
  pull: PullRequest,
  commits: readonly PullCommit[],
): Promise<Ledger> {
  const found = runs.map((r) => decodeLedger(r.text)).filter((l): l is Ledger => l !== undefined);
  if (found.length > 0) return mergeLedgers(found);
  const named = [
    ...readRecords(comments, isAppComment).map((r) => ({ sha: r.sha, at: r.at ?? "" })),
    ...reviews.map((r) => ({ sha: r.commitId ?? UNKNOWN_SHA, at: r.submittedAt ?? "" })),
  ]
    .filter((x) => x.sha !== UNKNOWN_SHA && x.sha !== pull.headSha)
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || 0);
  const fromRuns = async (shas: readonly string[]) => {
    const lists = await Promise.all(shas.map((sha) => listOwnRuns(octokit, repo, sha, appId)));
    return lists.flat().flatMap((r) => decodeLedger(r.text) ?? []);
  };
  const shas = [...new Set(named.map((x) => x.sha))].slice(0, 3);
  const found2 = shas.length > 0 ? await fromRuns(shas) : [];
  if (found2.length > 0) return mergeLedgers(found2);
  // The previous head of an ordinary push is among the pull request's commits: look at the newest three.
  const older = commits
    .map((c) => c.sha)
    .filter((sha) => sha !== pull.headSha)
    .slice(-3)
    .reverse();
  return older.length > 0 ? mergeLedgers(await fromRuns(older)) : EMPTY_LEDGER;
}
// mutation-range-end

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
