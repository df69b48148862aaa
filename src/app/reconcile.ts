import { reviewActions, scanComments, UNKNOWN_SHA, type CommentInput, type ReviewAction } from "../core/actions.js";
import {
  gateBlocked,
  gateCheck,
  personaCheck,
  personaIdOf,
  retiredPersonaCheck,
  type CheckRunSpec,
} from "../core/checks.js";
import { formatProblem, parseTable } from "../core/config.js";
import { planEverything } from "../core/plan-all.js";
import { planReview, type PlanPersona, type ReviewPlan } from "../core/plan.js";
import { TABLE_PATHS, type ChangedFile, type Problem, type ReviewTable } from "../core/types.js";
import { evaluate, type Verdict } from "../core/verdict.js";
import { sequence } from "../core/sequence.js";
import { passedGateEffect } from "./effect.js";
import { createRun, listOwnRuns, sameRun, updateRun, type ExistingRun } from "../github/checks.js";
import type { Octokit, PullRef } from "../github/client.js";
import {
  changedBetween,
  createComment,
  getPull,
  listComments,
  listFiles,
  listReviews,
  MAX_PR_FILES,
  pullsForCommit,
  requestReviewers,
  type PullRequest,
} from "../github/pulls.js";
import { readFile, readTable } from "../github/table.js";
import { Memberships } from "../github/teams.js";
import { recordsToWrite, type ButtonClick } from "./records.js";
import { reviewRequests } from "./requests.js";

export interface Deps {
  readonly octokit: Octokit;
  readonly appId: number;
  readonly log: { info(o: object, msg?: string): void; warn(o: object, msg?: string): void };
}

export interface Outcome {
  readonly state: "skipped" | "no-table" | Verdict["state"];
  readonly headSha?: string;
  readonly created: string[];
  readonly updated: string[];
  readonly unchanged: string[];
  readonly records: number;
  readonly requested: { users: string[]; teams: string[] };
}

/**
 * The one idempotent step every event of a pull request leads to: read the state from GitHub, make the
 * plan and the verdict, write only the difference. Running it twice writes nothing the second time.
 */
export async function reconcile(deps: Deps, ref: PullRef, click?: ButtonClick, hints: Hints = {}): Promise<Outcome> {
  const assessment = await assess(deps, ref, click, hints);
  return apply(deps, ref, assessment);
}

/** Facts from the event that only improve the output; the reconcile is correct without them. */
export interface Hints {
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
}

/** Reads and decides; writes nothing (except that merge queues reuse it to judge a PR). */
export async function assess(deps: Deps, ref: PullRef, click?: ButtonClick, hints: Hints = {}): Promise<Assessment> {
  const { octokit, appId } = deps;
  const repo = { owner: ref.owner, repo: ref.repo };
  const pull = await getPull(octokit, ref);
  const none = { records: [], requests: { users: [], teams: [] } };
  if (pull.state !== "open") return { pull, existing: [], wanted: [], state: "skipped", ...none };

  const [load, existing, sharing] = await Promise.all([
    readTable(octokit, repo, pull.baseRef),
    listOwnRuns(octokit, repo, pull.headSha, appId),
    pullsForCommit(octokit, repo, pull.headSha),
  ]);
  if (load.kind === "absent") {
    // No table: the app posts nothing; runs it posted before the table was removed are closed, not left red.
    const wanted = existing.map((r) => ({
      ...retiredPersonaCheck(r.name),
      title: "No review table",
      summary: `The base branch \`${pull.baseRef}\` has no \`.github/reviewers.yml\` or \`reviewers.yml\`: parallel-review requires no review here.`,
    }));
    return { pull, existing, wanted, state: "no-table", ...none };
  }
  const gate = load.result.table?.settings.gate ?? "parallel-review";
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
    ];
    return { pull, existing, wanted, state: "fail", ...none };
  }
  const table = load.result.table;

  const tooMany = pull.changedFiles > MAX_PR_FILES;
  const previous = hints.previousHead && hints.previousHead !== pull.headSha ? hints.previousHead : undefined;
  const [files, reviews, comments, before] = await Promise.all([
    tooMany ? Promise.resolve([] as ChangedFile[]) : listFiles(octokit, ref),
    listReviews(octokit, ref),
    listComments(octokit, ref),
    previous ? listOwnRuns(octokit, repo, previous, appId) : Promise.resolve([] as ExistingRun[]),
  ]);
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
  if (tooMany || files.length >= MAX_PR_FILES) {
    const why = `this pull request changes ${pull.changedFiles} files, more than the ${MAX_PR_FILES} GitHub lists: every persona must review, and the gate stays closed — split the change`;
    blockers.push(
      `More than ${MAX_PR_FILES} files changed: GitHub cannot list them all, so the changed domains cannot be known. Split the pull request.`,
    );
    plan = planEverything(table, why);
  } else plan = planReview(table, files, [...new Set([...TABLE_PATHS, ...load.files])]);

  const headTableProblems = plan.tableChange ? await headTable(octokit, ref, pull, files) : [];
  if (headTableProblems.some((p) => p.severity === "error"))
    blockers.push(
      `The review table as changed by this pull request has problems (listed below): fix them before merging.`,
    );

  const isAppComment = (c: CommentInput) => c.user?.type === "Bot" && c.viaAppId === appId;
  let scan = scanComments(comments, isAppComment);

  // Eligibility for everyone who acted or may act in this reconcile, looked up concurrently.
  const members = new Memberships(octokit, ref.owner, pull.ownerIsOrg);
  // Only the (persona, user) pairs some action is about: a review or `/approve` for all personas the user
  // can review, a named persona (Reviewed-for, a button, a command) for that persona alone.
  const claims: { login: string; personas: readonly string[] | "all" }[] = [
    ...[...reviewActions(reviews), ...scan.actions].map((a) => ({ login: a.user, personas: a.personas })),
    ...scan.unrecorded.flatMap((u) => u.commands.map((c) => ({ login: u.comment.user!.login, personas: c.personas }))),
    ...(click ? [{ login: click.user.login, personas: [click.persona] }] : []),
  ];
  const eligibility = await lookUpEligibility(plan.personas, claims, members);
  const eligible = (p: PlanPersona, login: string) => eligibility.get(`${p.id}:${login.toLowerCase()}`) === true;

  const headSeenAt = existing
    .map((r) => r.startedAt)
    .filter((t): t is string => t !== null)
    .sort((a, b) => Date.parse(a) - Date.parse(b))[0];
  const records = recordsToWrite({
    scan,
    ...(click ? { click } : {}),
    headSha: pull.headSha,
    headSeenAt,
    plan,
    author: pull.author.login,
    selfApproval: table.settings.self_approval,
    eligible,
  });
  // Judge as if the records were already written, so one reconcile reaches the final state.
  if (records.length > 0) {
    const now = new Date().toISOString();
    const pending = records.map((r, i) => ({
      id: -1 - i,
      user: { login: "pending", type: "Bot" },
      body: r.body,
      createdAt: now,
      updatedAt: now,
      viaAppId: appId,
    }));
    scan = scanComments([...comments, ...pending], isAppComment);
  }

  const actions: ReviewAction[] = [...reviewActions(reviews), ...scan.actions];
  const changedSince = await compareApprovals(octokit, ref, table, actions, pull.headSha);
  const unordered = evaluate({
    table,
    plan,
    actions,
    author: pull.author.login,
    headSha: pull.headSha,
    isReviewer: (p, login) => eligible(p as PlanPersona, login),
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
    gateCheck({ gate, tableFile: load.file, plan, verdict, headTableProblems, effect }),
    ...verdict.personas.map(personaCheck),
    ...[...retired].sort().map((name) => retiredPersonaCheck(name)),
  ];
  const requests =
    table.settings.request_reviews && !(pull.draft && table.settings.drafts === "wait")
      ? reviewRequests({
          pull,
          verdict,
          reviews,
          org: ref.owner,
          isTeamMember: (team, login) => members.isMember(team, login),
        })
      : Promise.resolve({ users: [], teams: [] });
  const superseded = before.filter((r) => r.name === gate && r.conclusion === "success");
  return { pull, existing, wanted, verdict, records, requests: await requests, state: verdict.state, superseded };
}

async function apply(deps: Deps, ref: PullRef, a: Assessment): Promise<Outcome> {
  const { octokit } = deps;
  const repo = { owner: ref.owner, repo: ref.repo };
  // Records first: if we crash after them, the next reconcile still sees every approval.
  for (const r of a.records) await createComment(octokit, ref, r.body);

  const created: string[] = [];
  const updated: string[] = [];
  const unchanged: string[] = [];
  await Promise.all(
    a.wanted.map(async (spec) => {
      const have = a.existing.filter((r) => r.name === spec.name); // oldest first
      const newest = have.at(-1);
      // GitHub shows the newest run of a name. A completed run cannot be reopened, so waiting again
      // when the newest is completed means a new run; older twins are brought in line too.
      if (!newest || (spec.status !== "completed" && newest.status === "completed")) {
        await createRun(octokit, repo, a.pull.headSha, spec);
        created.push(spec.name);
        return;
      }
      const targets = spec.status === "completed" ? have : have.filter((r) => r.status !== "completed");
      const stale = targets.filter((r) => !sameRun(r, spec));
      if (stale.length === 0) return void unchanged.push(spec.name);
      await Promise.all(stale.map((r) => updateRun(octokit, repo, r.id, spec)));
      updated.push(spec.name);
    }),
  );

  const supersede = gateBlocked(a.wanted[0]?.name ?? "parallel-review", "Superseded by a newer commit", [
    `The pull request's head moved to ${a.pull.headSha.slice(0, 7)}; this commit's reviews no longer apply to it.`,
  ]);
  await Promise.all((a.superseded ?? []).map((r) => updateRun(octokit, repo, r.id, supersede)));

  if (a.requests.users.length + a.requests.teams.length > 0) {
    try {
      await requestReviewers(octokit, ref, a.requests.users, a.requests.teams);
    } catch (err) {
      // A reviewer who cannot be requested (no access, left the org) must not stop the gate from being right.
      deps.log.warn({ err, requests: a.requests }, "could not request reviewers");
    }
  }
  const outcome = {
    state: a.state,
    headSha: a.pull.headSha,
    created: created.sort(),
    updated: updated.sort(),
    unchanged: unchanged.sort(),
    records: a.records.length,
    requested: a.requests,
  };
  deps.log.info({ pr: `${ref.owner}/${ref.repo}#${ref.number}`, ...outcome }, "reconciled");
  return outcome;
}

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
  const texts = await Promise.all(
    changed.map(async (f) => ({ file: f.path, text: await readFile(octokit, ref, f.path, pull.headSha) })),
  );
  return texts.flatMap(({ file, text }) =>
    text === undefined
      ? []
      : parseTable({ file, text }).problems.filter(
          (p) => p.severity === "error" || !p.message.includes("is not required"),
        ),
  );
}
