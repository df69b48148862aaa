import type { Probot } from "probot";
import { gateBlocked, gateName, personaIdOf, type CheckRunSpec } from "../core/checks.js";
import { TABLE_PATHS } from "../core/types.js";
import { createRun, listOwnRuns, updateRun } from "../github/checks.js";
import { withRetries, type Octokit, type PullRef, type RequestCounter } from "../github/client.js";
import { forgetSharing, openPullsOnBase, pullsForCommit } from "../github/pulls.js";
import { ReadCache, Recent } from "../github/recent.js";
import { readTable } from "../github/table.js";
import { assess, reconcile, type Deps, type Hints, type Outcome } from "./reconcile.js";
import { carriedLedger, gateNames } from "./write-plan.js";
import { ConflictRadar, RadarHook, type RadarOptions } from "./radar.js";
import type { ButtonClick } from "./records.js";
import type { CommentInput } from "../core/actions.js";
import { registerHeal, type HealOptions } from "./heal.js";
import { KeyedSerializer, type KeyedRunner } from "./serialize.js";
import { KeyedSlots, RECONCILES_PER_INSTALLATION, type Slot } from "./slots.js";
import { UnsettledClicks } from "./unsettled.js";
import { carriesFacts, hintsOf, PendingFacts } from "./batch.js";

export interface AppOptions {
  /** This app's id: its check runs and record comments are recognised by it. Default: APP_ID. */
  readonly appId?: number;
  /** How many open pull requests a push that changes the table re-evaluates at most. */
  readonly maxPullsPerPush?: number;
  /** Longest wait honoured for a secondary-rate-limit `retry-after`. */
  readonly maxRetryWaitMs?: number;
  /** Observes every GitHub request (tests and the benchmark count them). */
  readonly counter?: RequestCounter;
  /** Reconciles running at once in this process (default 128); the rest wait their turn (src/app/slots.ts). */
  readonly maxConcurrentReconciles?: number;
  /** Of those, at most this many for one installation (default 16): a burst batches its deliveries. */
  readonly maxReconcilesPerInstallation?: number;
  /** The reconcile slots themselves (the service passes its own to report them); replaces the two limits above. */
  readonly slots?: KeyedSlots;
  /** Longest wait for one GitHub request before it counts as failed (default 10 s): a hung read must not hold a gate open. */
  readonly requestTimeoutMs?: number;
  /** The clock for times the app writes and receipt times (tests give the fake GitHub's). */
  readonly now?: () => Date;
  /** Wait before confirming that a review table is really gone (default 1 s). */
  readonly confirmAbsentMs?: number;
  /** Bounds of the conflict radar (open pull requests compared, other radars rewritten per event). */
  readonly radar?: RadarOptions;
  /** Called with each reconcile's outcome (tests, demo). */
  readonly onOutcome?: (pr: PullRef, outcome: Outcome) => void;
  /** Runs the reconciles of one pull request one at a time (default: in this process; src/service adds Redis). */
  readonly serializer?: KeyedRunner;
  /** Installation sweeps and the periodic resync (src/app/heal.ts). */
  readonly heal?: HealOptions;
}

/* Minimal shapes of the payload fields the router reads. */
interface Repo {
  id: number;
  name: string;
  owner: { login: string };
}
interface UserRef {
  login: string;
  id?: number;
  type?: string;
}

/** Reconciles one delivery may add to record commands waiting beyond those one reconcile records. */
export const MAX_FOLLOW_UPS = 50;

/** A pull request's key for the serializer, the batches and the follow-ups (GitHub's names ignore case). */
const keyOf = (pr: PullRef) => `${pr.owner}/${pr.repo}#${pr.number}`.toLowerCase();

/**
 * The thin router: every event that can change a pull request's review state leads to one
 * `reconcile` of that pull request, serialized per pull request.
 */
export function createApp(options: AppOptions = {}) {
  const serializer = options.serializer ?? new KeyedSerializer();
  const slots =
    options.slots ??
    new KeyedSlots(
      options.maxConcurrentReconciles ?? 128,
      options.maxReconcilesPerInstallation ?? RECONCILES_PER_INSTALLATION,
    );
  const unsettled = new UnsettledClicks();
  const facts = new PendingFacts(); // deliveries waiting for their pull request's next reconcile
  const following = new Set<string>(); // pull requests whose waiting commands a delivery is recording
  const cache = new ReadCache(); // answers kept between reconciles: src/github/recent.ts
  const handled = new Recent<true>(60 * 60_000, 20_000); // deliveries handled here: see onceEach
  return (probot: Probot) => {
    const app = { on: onceEach(probot, handled) };
    const appId = options.appId ?? Number(process.env.APP_ID);
    if (!Number.isInteger(appId) || appId <= 0)
      throw new Error(
        "APP_ID must be set to this GitHub App's id (a number): parallel-review recognises its own checks and records by it",
      );
    const maxPulls = options.maxPullsPerPush ?? 100;
    const radar = new RadarHook(new ConflictRadar(options.radar)); // after a PR's reconcile: src/app/radar.ts

    const deps = (octokit: Octokit, log: Deps["log"]): Deps => ({
      octokit: withRetries(octokit, {
        ...(options.maxRetryWaitMs !== undefined ? { maxWaitMs: options.maxRetryWaitMs } : {}),
        ...(options.requestTimeoutMs !== undefined ? { timeoutMs: options.requestTimeoutMs } : {}),
        ...(options.counter ? { counter: options.counter } : {}),
      }),
      appId,
      log,
      cache,
      ...(options.confirmAbsentMs !== undefined ? { confirmAbsentMs: options.confirmAbsentMs } : {}),
      ...(options.now ? { now: options.now } : {}),
    });

    // One reconcile of the pull request, with a delivery's facts (a click, review and comment bodies, a push).
    const reconcileNow = async (
      d: Deps,
      pr: PullRef,
      key: string,
      slot: Slot,
      click?: ButtonClick,
      extra: Hints = {},
    ) => {
      try {
        const outcome = await reconcile(d, pr, click, { ...extra, unsettled: unsettled.of(key) }, slot);
        if (click) unsettled.settle(key, click);
        options.onOutcome?.(pr, outcome);
        return outcome;
      } catch (err) {
        // A click lives only in its delivery until it is recorded: until then the gate stays closed.
        if (click) unsettled.add(key, click);
        await reportFailure(d, pr, err);
        throw err;
      }
    };
    // A reconcile holds one of its installation's slots while it reads, decides and writes its checks. An
    // installation is an account's: its repositories' owner names it (GitHub logins are case-insensitive).
    const inSlot = <T>(pr: PullRef, job: (slot: Slot) => Promise<T>) => slots.run(pr.owner.toLowerCase(), job);
    // The reconcile of a batch: taken right before it reads, once it has a slot, so it reads after every
    // delivery that joined. Nothing to do when an earlier reconcile already took the batch this job was for.
    const reconcileBatch = (d: Deps, pr: PullRef, key: string) =>
      inSlot(pr, async (slot) => {
        const batch = facts.take(key);
        if (!batch) return undefined;
        batch.settle(reconcileNow(d, pr, key, slot, batch.click, hintsOf(batch)));
        return batch.done;
      });

    // A reconcile of its own, in the pull request's turn: never joined nor skipped.
    const inTurn = (d: Deps, pr: PullRef, click?: ButtonClick, extra: Hints = {}) =>
      serializer.run(keyOf(pr), () => inSlot(pr, (slot) => reconcileNow(d, pr, keyOf(pr), slot, click, extra)));

    // Deliveries for one pull request that wait behind its running reconcile share the next one: their
    // facts are gathered into a batch (src/app/batch.ts). A push, or facts that cannot share the open
    // batch, get a reconcile of their own, in order.
    const runOnce = async (d: Deps, pr: PullRef, click?: ButtonClick, extra: Hints = {}) => {
      const key = keyOf(pr);
      const batch = facts.join(key, { ...(click ? { click } : {}), hints: extra });
      if (!batch) return inTurn(d, pr, click, extra);
      let failed = false;
      await serializer.coalesce(key, () => reconcileBatch(d, pr, key)).catch(() => void (failed = true));
      // Not taken: the runner skipped the job (Redis: another worker's reconcile of the pull request is
      // waiting; it reads what ours would but lacks this batch's facts, and if it fails, its delivery is
      // retried), or failed it before it started (Redis unreachable, a lease that stayed busy: then nobody
      // may reconcile what this delivery says changed, a stricter table say). A batch with facts, or one
      // whose job failed, then gets a reconcile of its own here; a batch without facts that was skipped
      // needs none. That reconcile failing fails the delivery, which GitHub delivers again.
      if (facts.claim(key, batch))
        batch.settle(
          carriesFacts(batch) || failed ? inTurn(d, pr, batch.click, hintsOf(batch)) : Promise.resolve(undefined),
        );
      return batch.done;
    };

    // Commands waiting beyond the ones a reconcile records keep the gate closed when an eligible reviewer
    // made one, or too many people did (src/app/standing.ts waitingBlockers): the pull request is reconciled
    // again at once while each reconcile leaves fewer of them, rather than wait for someone to act. One that
    // leaves as many (its records could not be written) stops; so does the bound (the next event goes on).
    // One delivery per pull request runs these at a time (the others' deliveries return their own outcome),
    // and a follow-up's failure is logged, not the delivery's: its own reconcile succeeded, and the failed
    // one's report closed the gate. Follow-ups run in turn, never coalesced: with Redis a skipped job is safe
    // only because the waiting one's delivery is retried if it fails, and a follow-up has no delivery.
    const run = async (d: Deps, pr: PullRef, click?: ButtonClick, extra: Hints = {}) => {
      const outcome = await runOnce(d, pr, click, extra);
      const key = keyOf(pr);
      let held = outcome?.held ?? 0;
      if (held === 0 || following.has(key)) return outcome;
      following.add(key);
      try {
        for (let i = 0; i < MAX_FOLLOW_UPS && held > 0; i++) {
          const now = (await inTurn(d, pr)).held ?? 0;
          if (now >= held) break;
          held = now;
        }
      } catch (err) {
        d.log.warn(
          { err, pr },
          "a reconcile recording waiting commands failed: the gate stays closed until the next event",
        );
      } finally {
        following.delete(key);
      }
      return outcome;
    };

    const prRef = (repo: Repo, number: number): PullRef => ({ owner: repo.owner.login, repo: repo.name, number });
    registerHeal(probot, (d, pr) => run(d, pr), deps, options.heal);

    app.on(["pull_request.opened", "pull_request.reopened", "pull_request.ready_for_review"], async (ctx) => {
      const d = deps(ctx.octokit, ctx.log);
      const pr = ctx.payload.pull_request;
      const outcome = await run(d, prRef(ctx.payload.repository, pr.number));
      await radar.after(d, ctx.payload, undefined, outcome?.seen);
    });

    app.on("pull_request.synchronize", async (ctx) => {
      // The sender is who pushed: kept in the ledger for settings.contributor_approval.
      const { before, sender, pull_request: pr } = ctx.payload;
      const after = pr.head.sha;
      const pushed = typeof before === "string" && before !== after && /^[0-9a-f]{40}$/.test(before);
      const d = deps(ctx.octokit, ctx.log);
      forgetSharing(
        cache.sharing,
        { owner: ctx.payload.repository.owner.login, repo: ctx.payload.repository.name },
        before,
      );
      const outcome = await run(d, prRef(ctx.payload.repository, pr.number), undefined, {
        previousHead: before,
        ...(pushed ? { push: { user: sender.login, before, after } } : {}),
      });
      await radar.after(d, ctx.payload, ctx.payload.before, outcome?.seen);
    });

    app.on("pull_request.edited", async (ctx) => {
      // Only a new base can change the plan (other table, other diff); title edits cannot.
      if (!ctx.payload.changes.base) return;
      const d = deps(ctx.octokit, ctx.log);
      const pr = ctx.payload.pull_request;
      const outcome = await run(d, prRef(ctx.payload.repository, pr.number));
      await radar.after(d, ctx.payload, undefined, outcome?.seen);
    });

    // A closed or merged pull request leaves the radars that named it.
    app.on(
      ["pull_request_review.submitted", "pull_request_review.edited", "pull_request_review.dismissed"],
      async (ctx) => {
        // The body as submitted (or as it was before an edit) is the review's scope as its author wrote it.
        const { review } = ctx.payload;
        const changes = (ctx.payload as { changes?: { body?: { from?: string | null } } }).changes;
        const body = ctx.payload.action === "edited" ? changes?.body?.from : review.body;
        const hints: Hints = {
          ...(body !== undefined ? { reviewBodies: new Map([[review.id, body ?? null]]) } : {}),
        };
        await run(
          deps(ctx.octokit, ctx.log),
          prRef(ctx.payload.repository, ctx.payload.pull_request.number),
          undefined,
          hints,
        );
      },
    );

    app.on("pull_request.closed", async (ctx) => {
      const { pull_request: pr, repository } = ctx.payload;
      const d = deps(ctx.octokit, ctx.log);
      await run(d, prRef(repository, pr.number));
      // Other open pull requests from the same commit share its checks: judge them now.
      const repo = { owner: repository.owner.login, repo: repository.name };
      forgetSharing(cache.sharing, repo, pr.head.sha);
      const others = (await pullsForCommit(d.octokit, repo, pr.head.sha)).filter((n) => n !== pr.number);
      await each(others, (number) => run(d, prRef(repository, number)));
      await radar.after(d, ctx.payload); // the radars that named it drop it
    });

    app.on(["issue_comment.created", "issue_comment.edited", "issue_comment.deleted"], async (ctx) => {
      const { issue, comment, action } = ctx.payload;
      if (!issue.pull_request) return;
      // Our own record comments need no reaction (and reacting would loop); their deletion does.
      if (action !== "deleted" && comment.performed_via_github_app?.id === appId) return;
      // GitHub's signed delivery says what the comment said when it was written (`changes.body.from`
      // before an edit): an edit or deletion by someone else before the app read it changes nothing.
      const changes = (ctx.payload as { changes?: { body?: { from?: string } } }).changes;
      const original = action === "edited" ? changes?.body?.from : comment.body;
      const seen: CommentInput | undefined =
        original === undefined || comment.performed_via_github_app
          ? undefined
          : {
              id: comment.id,
              user: userOf(comment.user as UserRef),
              body: original,
              createdAt: comment.created_at,
              // An edited comment's body before the edit is the original only if it was not edited before,
              // which the delivery cannot tell (someone with write access may have edited it twice): it
              // counts as an edited body, as of this edit — it can request changes, never approve.
              updatedAt: comment.updated_at,
            };
      await run(
        deps(ctx.octokit, ctx.log),
        prRef(ctx.payload.repository, issue.number),
        undefined,
        seen ? { commentBodies: new Map([[seen.id, seen]]) } : {},
      );
    });

    app.on("check_run.requested_action", async (ctx) => {
      const { check_run: cr, requested_action: ra, sender } = ctx.payload;
      const persona = personaIdOf(cr.name);
      if (
        cr.app?.id !== appId ||
        !persona ||
        !ra ||
        (ra.identifier !== "approve" && ra.identifier !== "request_changes")
      )
        return;
      const d = deps(ctx.octokit, ctx.log);
      const click: ButtonClick = {
        persona,
        action: ra.identifier,
        user: userOf(sender),
        sha: cr.head_sha,
        delivery: ctx.id,
        receivedAt: (options.now?.() ?? new Date()).toISOString(),
        ...(cr.completed_at || cr.started_at ? { runUpdatedAt: cr.completed_at ?? cr.started_at } : {}),
      };
      await each(await prsOf(d, ctx.payload.repository, cr.head_sha, cr.pull_requests), (number) =>
        run(d, prRef(ctx.payload.repository, number), click),
      );
    });

    app.on("check_run.rerequested", async (ctx) => {
      const cr = ctx.payload.check_run;
      if (cr.app?.id !== appId) return;
      const d = deps(ctx.octokit, ctx.log);
      await each(await prsOf(d, ctx.payload.repository, cr.head_sha, cr.pull_requests), (number) =>
        run(d, prRef(ctx.payload.repository, number)),
      );
    });

    app.on("check_suite.rerequested", async (ctx) => {
      const cs = ctx.payload.check_suite;
      const d = deps(ctx.octokit, ctx.log);
      await each(await prsOf(d, ctx.payload.repository, cs.head_sha, cs.pull_requests), (number) =>
        run(d, prRef(ctx.payload.repository, number)),
      );
    });

    app.on("push", async (ctx) => {
      const { ref, commits, repository } = ctx.payload;
      if (!ref.startsWith("refs/heads/")) return;
      const paths = commits.flatMap((c) => [...(c.added ?? []), ...(c.modified ?? []), ...(c.removed ?? [])]);
      const d = deps(ctx.octokit, ctx.log);
      const repo = { owner: repository.owner?.login ?? repository.owner?.name ?? "", repo: repository.name };
      const branch = ref.slice("refs/heads/".length);
      let touched = paths.some((p) => (TABLE_PATHS as readonly string[]).includes(p));
      // A same-repository `_extends` file is part of the table too: a YAML change is checked against the
      // branch's table (a conditional read, usually a free 304).
      if (!touched && paths.some((p) => /\.ya?ml$/.test(p))) {
        const load = await readTable(d.octokit, repo, branch);
        touched = load.kind === "loaded" && load.files.some((f) => paths.includes(f));
      }
      // A push may list only some commits (GitHub caps the list); a forced or large push is re-evaluated to be safe.
      if (!touched && !ctx.payload.forced && commits.length < 20) return;
      const numbers = await openPullsOnBase(d.octokit, repo, branch, maxPulls);
      if (numbers.length === maxPulls)
        ctx.log.warn(
          { repo, max: maxPulls },
          "table changed: re-evaluated only the most recently updated open pull requests",
        );
      await each(numbers, (number) => run(d, { ...repo, number }));
    });

    app.on("merge_group.checks_requested", async (ctx) => {
      const { merge_group: mg, repository } = ctx.payload;
      if (!repository) return;
      const d = deps(ctx.octokit, ctx.log);
      const repo = { owner: repository.owner.login, repo: repository.name };
      await judgeMergeGroup(
        d,
        repo,
        mg.head_sha,
        mg.head_ref,
        mg.base_ref,
        repository.default_branch,
        (n) => unsettled.of(keyOf({ ...repo, number: n })),
        (n, job) => serializer.run(keyOf({ ...repo, number: n }), job),
      );
    });
  };
}

/**
 * `app.on`, skipping a delivery (`X-GitHub-Delivery`) whose handler already finished without error in
 * this process: GitHub's redelivery of an event that was handled repeats its body, not news, and every
 * change since came with its own event. A failed delivery is handled again (heal redelivers those). A
 * skip only ever spares work: it cannot open a gate. Bounded: an hour, 20,000 deliveries.
 */
function onceEach(app: Probot, handled: Recent<true>): Probot["on"] {
  let handlers = 0;
  const on = (events: Parameters<Probot["on"]>[0], handler: (ctx: { id: string }) => Promise<void>) => {
    const which = handlers++;
    app.on(events, async (ctx: { id: string }) => {
      const key = `${which}:${ctx.id}`;
      if (handled.get(key)) return;
      await handler(ctx);
      handled.set(key, true);
    });
  };
  return on as unknown as Probot["on"];
}

/**
 * Runs the job for every pull request, one after another, and only then reports failures: one broken
 * pull request must not leave the others judged under an old table.
 */
async function each(numbers: readonly number[], job: (n: number) => Promise<unknown>): Promise<void> {
  const errors: unknown[] = [];
  for (const n of numbers) await job(n).catch((err: unknown) => errors.push(err));
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} pull requests could not be reconciled`);
}

function userOf(u: UserRef): ButtonClick["user"] {
  return { login: u.login, ...(u.id !== undefined ? { id: u.id } : {}), ...(u.type ? { type: u.type } : {}) };
}

/** The open pull requests of a commit: from the payload when GitHub included them, else asked for. */
async function prsOf(
  d: Deps,
  repo: Repo,
  sha: string,
  fromPayload: readonly { number: number; head?: { sha?: string }; base?: { repo?: { id?: number } } }[] | undefined,
): Promise<number[]> {
  // GitHub lists pull requests of other repositories here too — a fork's, whose numbers are its own and whose
  // name is its parent's (palantir/policy-bot#807): only an entry whose base is this repository by its
  // immutable id, on this commit, names one of this repository's pull requests. Any other shape is asked of
  // GitHub instead (the pull requests of this repository whose head is the commit).
  const own = (fromPayload ?? [])
    .filter((p) => p.base?.repo?.id === repo.id && p.head?.sha === sha)
    .map((p) => p.number);
  if (own.length > 0) return own;
  return pullsForCommit(d.octokit, { owner: repo.owner.login, repo: repo.name }, sha);
}

/**
 * A merge queue asks for the gate on the group's merge commit. The group's head ref names the pull
 * request it was built for (`gh-readonly-queue/<base>/pr-<n>-<sha>`); the gate passes when that pull
 * request passes under the base branch's current table, so queues never stall on a missing check.
 */
async function judgeMergeGroup(
  d: Deps,
  repo: { owner: string; repo: string },
  headSha: string,
  headRef: string,
  baseRef: string,
  defaultBranch: string | undefined,
  unsettledOf: (pr: number) => readonly ButtonClick[],
  inTurn: (pr: number, job: () => Promise<void>) => Promise<void>,
): Promise<void> {
  const base = baseRef.replace(/^refs\/heads\//, "");
  // The name the queue waits for: the base's (a non-default base's has its own), the table's once read.
  let gate = gateName(undefined, base, defaultBranch);
  try {
    const load = await readTable(d.octokit, repo, base);
    if (load.kind === "absent") return;
    gate = gateName(load.result.table?.settings.gate, base, defaultBranch);
    const numbers = [...headRef.matchAll(/pr-(\d+)-/g)].map((m) => Number(m[1]));
    const failures: string[] = [];
    if (!load.result.table) failures.push(`the review table on ${baseRef} is invalid`);
    if (numbers.length === 0) failures.push(`cannot tell which pull request the merge group ${headRef} is for`);
    // Read and written in the pull request's turn (the router's serializer, across workers with Redis): a
    // reconcile of it that closes the group's gate (src/app/reconcile.ts queueClosing) cannot land between
    // this decision's read and its green write. GitHub builds one group per pull request; a ref naming more
    // takes the first one's turn.
    const judge = async () => {
      for (const number of numbers) {
        // Fresh: this decision opens the group's gate, so nothing remembered may feed it (src/github/recent.ts).
        const a = await assess(d, { ...repo, number }, undefined, { unsettled: unsettledOf(number) }, undefined, true);
        if (a.state !== "pass") failures.push(`#${number}: ${a.verdict?.reasons[0] ?? a.state}`);
      }
      await createRun(d.octokit, repo, headSha, groupGate(gate, numbers, failures));
    };
    await (numbers.length > 0 ? inTurn(numbers[0]!, judge) : judge());
  } catch (err) {
    // A queue waiting on a gate that never comes stalls silently: say why on the group's commit, under the
    // name it waits for.
    const why = [`${err instanceof Error ? err.message : String(err)}`, "", "Re-queue the pull request to try again."];
    await createRun(
      d.octokit,
      repo,
      headSha,
      gateBlocked(gate, "parallel-review could not judge this merge group", why),
    ).catch(() => undefined);
    throw err;
  }
}

/** The gate on a merge group's commit: success when every pull request it names passed, else why not. */
function groupGate(gate: string, numbers: readonly number[], failures: readonly string[]): CheckRunSpec {
  if (failures.length > 0)
    return gateBlocked(
      gate,
      "Mandatory reviews incomplete",
      failures.map((f) => `- ${f}`),
    );
  return {
    name: gate,
    status: "completed",
    conclusion: "success",
    title: `Mandatory reviews complete for ${numbers.map((n) => `#${n}`).join(", ")}`,
    summary: "Every pull request in this merge group passed its review gate under the base branch's current table.",
    actions: [],
  };
}

/** Fail closed and say so: an error on our side must never leave a stale green gate. */
async function reportFailure(d: Deps, pr: PullRef, err: unknown): Promise<void> {
  d.log.warn({ err, pr }, "reconcile failed");
  try {
    const { data } = await d.octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", {
      owner: pr.owner,
      repo: pr.repo,
      pull_number: pr.number,
    });
    const [load, runs] = await Promise.all([
      readTable(d.octokit, pr, data.base.ref).catch(() => undefined),
      listOwnRuns(d.octokit, pr, data.head.sha, d.appId).catch(() => []),
    ]);
    if (load?.kind === "absent") return;
    // The gate's name comes from the table; if the table cannot be read, fail every gate-like run the
    // app has on the head (a custom gate must not stay green), and the default one.
    // Every gate-like name the app has on the head is closed, the table's current one included: a
    // renamed gate's old runs must not stay green because this reconcile failed.
    const names = new Set([
      load?.kind === "loaded"
        ? gateName(load.result.table?.settings.gate, data.base.ref, data.base.repo.default_branch)
        : "parallel-review",
      ...gateNames(runs),
    ]);
    const message = err instanceof Error ? err.message : String(err);
    const hint =
      (err as { status?: number }).status === 403
        ? "GitHub refused the app (403): check that the app still has the permissions listed in app.yml and is installed on this repository."
        : "It is evaluated again on the next event; use **Re-run** on this check to retry now.";
    const blocked = (gate: string) => ({
      ...gateBlocked(gate, "parallel-review could not evaluate this pull request", [
        `The review state could not be read or written (${message.slice(0, 500)}), so the gate stays closed.`,
        "",
        hint,
      ]),
      ...carriedLedger(runs),
    });
    // Every run of the name is closed, not only a new one: no older twin may stay green (see apply).
    await Promise.all(
      [...names].map(async (gate) => {
        const have = runs.filter((r) => r.name === gate);
        if (have.length === 0) await createRun(d.octokit, pr, data.head.sha, blocked(gate), d.now?.());
        else await Promise.all(have.map((r) => updateRun(d.octokit, pr, r.id, blocked(gate), d.now?.())));
      }),
    );
  } catch (second) {
    d.log.warn({ err: second, pr }, "could not report the failure on the gate either");
  }
}
