/** Pull request lifecycle actions: open, edit (title/body/base), draft ↔ ready, close/reopen, merge, merge queue. */
import type { MergeGroupRef } from "./events.js";
import { moveBranch } from "./actions-git.js";
import type { PullRequest, Repo } from "./state.js";
import type { DeliveryRecord } from "./webhooks.js";
import { applyChanges, identity, repoByName, requireUser, type World } from "./world.js";

export interface OpenPullOptions {
  title: string;
  head: string;
  /** Defaults to the repo's default branch. */
  base?: string;
  author: string;
  body?: string;
  draft?: boolean;
}

export interface PullResult {
  number: number;
  headSha: string;
  deliveries: DeliveryRecord[];
}

export function pullByNumber(w: World, repoName: string, n: number): { repo: Repo; pr: PullRequest } {
  const repo = repoByName(w, repoName);
  const pr = w.state.pullsOf(repo).get(n);
  if (!pr) throw new Error(`unknown pull request ${repoName}#${n}`);
  return { repo, pr };
}

const result = (w: World, pr: PullRequest, deliveries: DeliveryRecord[]): PullResult => ({
  number: pr.number,
  headSha: w.state.headSha(pr),
  deliveries,
});

export function openPull(w: World, repoName: string, o: OpenPullOptions): PullResult {
  const repo = repoByName(w, repoName);
  const base = o.base ?? repo.defaultBranch;
  const author = requireUser(w, o.author);
  const headSha = repo.branches.get(o.head);
  const baseSha = repo.branches.get(base);
  if (!headSha || !baseSha) throw new Error(`unknown branch ${headSha ? base : o.head}`);
  // The same rules GitHub applies in the UI/API.
  if ([...w.state.pullsOf(repo).values()].some((p) => p.state === "open" && p.head === o.head && p.base === base)) {
    throw new Error(`A pull request already exists for ${repo.owner}:${o.head}.`);
  }
  if (!repo.git.commitsBetween(baseSha, headSha).length) throw new Error(`No commits between ${base} and ${o.head}`);
  const at = w.now();
  const pr: PullRequest = {
    id: w.state.ids.pull.take(),
    number: repo.nextNumber++,
    repoId: repo.id,
    title: o.title,
    body: o.body ?? null,
    author,
    base,
    head: o.head,
    lastHeadSha: headSha,
    state: "open",
    draft: o.draft ?? false,
    merged: false,
    mergedAt: null,
    mergedBy: null,
    mergeCommitSha: null,
    createdAt: at,
    updatedAt: at,
    closedAt: null,
    requestedReviewers: [],
    requestedTeams: [],
  };
  w.state.pullsOf(repo).set(pr.number, pr);
  return result(w, pr, w.emit(w.events.pullRequest("opened", pr, author)));
}

export function setDraft(w: World, repoName: string, n: number, draft: boolean, sender?: string): PullResult {
  const { pr } = pullByNumber(w, repoName, n);
  if (pr.draft === draft) throw new Error(`#${n} is already ${draft ? "a draft" : "ready for review"}`);
  pr.draft = draft;
  pr.updatedAt = w.now();
  return result(
    w,
    pr,
    w.emit(
      w.events.pullRequest(draft ? "converted_to_draft" : "ready_for_review", pr, requireUser(w, sender ?? pr.author)),
    ),
  );
}

/** One `edited` webhook carrying `changes.{title,body,base}.from`, like GitHub. */
export function editPull(
  w: World,
  repoName: string,
  n: number,
  patch: { title?: string; body?: string; base?: string },
  sender?: string,
): PullResult {
  const { repo, pr } = pullByNumber(w, repoName, n);
  const changes: Record<string, unknown> = {};
  if (patch.title !== undefined && patch.title !== pr.title) {
    changes.title = { from: pr.title };
    pr.title = patch.title;
  }
  if (patch.body !== undefined && patch.body !== pr.body) {
    changes.body = { from: pr.body ?? "" };
    pr.body = patch.body;
  }
  if (patch.base !== undefined && patch.base !== pr.base) {
    if (!repo.branches.has(patch.base)) throw new Error(`unknown branch ${patch.base}`);
    changes.base = { ref: { from: pr.base }, sha: { from: w.state.baseSha(pr) } };
    pr.base = patch.base;
  }
  if (!Object.keys(changes).length) return result(w, pr, []);
  pr.updatedAt = w.now();
  return result(w, pr, w.emit(w.events.pullRequest("edited", pr, requireUser(w, sender ?? pr.author), { changes })));
}

export function closePull(w: World, repoName: string, n: number, sender?: string): PullResult {
  const { pr } = pullByNumber(w, repoName, n);
  if (pr.state === "closed") throw new Error(`#${n} is already closed`);
  pr.lastHeadSha = w.state.headSha(pr);
  pr.state = "closed";
  pr.closedAt = pr.updatedAt = w.now();
  return result(w, pr, w.emit(w.events.pullRequest("closed", pr, requireUser(w, sender ?? pr.author))));
}

export function reopenPull(w: World, repoName: string, n: number, sender?: string): PullResult {
  const { repo, pr } = pullByNumber(w, repoName, n);
  if (pr.state === "open" || pr.merged) throw new Error(`#${n} cannot be reopened`);
  if (!repo.branches.has(pr.head)) throw new Error(`head branch ${pr.head} is gone`);
  pr.state = "open";
  pr.closedAt = null;
  pr.updatedAt = w.now();
  pr.lastHeadSha = w.state.headSha(pr);
  return result(w, pr, w.emit(w.events.pullRequest("reopened", pr, requireUser(w, sender ?? pr.author))));
}

/** Builds the commit that merging the PR onto `onto` would produce (a two-parent merge commit). */
function mergeCommit(w: World, repo: Repo, pr: PullRequest, ontoSha: string, message: string, author: string) {
  const head = repo.git.get(w.state.headSha(pr));
  const onto = repo.git.get(ontoSha);
  const base = repo.git.mergeBase(ontoSha, head.sha);
  const changes = base ? repo.git.diff(base.files, head.files) : [];
  return repo.git.commitTree({
    parents: [ontoSha, head.sha],
    files: applyChanges(changes, onto),
    message,
    author: identity(w, author),
    timestamp: w.now(),
  });
}

export function mergePull(
  w: World,
  repoName: string,
  n: number,
  sender?: string,
): PullResult & { mergeCommitSha: string } {
  const { repo, pr } = pullByNumber(w, repoName, n);
  if (pr.state !== "open") throw new Error(`#${n} is not open`);
  const by = requireUser(w, sender ?? w.defaultUser());
  const merge = mergeCommit(
    w,
    repo,
    pr,
    w.state.baseSha(pr),
    `Merge pull request #${n} from ${repo.owner}/${pr.head}\n\n${pr.title}`,
    by,
  );
  pr.lastHeadSha = w.state.headSha(pr);
  Object.assign(pr, {
    state: "closed",
    merged: true,
    mergedBy: by,
    mergeCommitSha: merge.sha,
    mergedAt: w.now(),
    closedAt: w.now(),
    updatedAt: w.now(),
  });
  const deliveries = w.emit(w.events.pullRequest("closed", pr, by));
  deliveries.push(...moveBranch(w, repo, pr.base, merge, by, false));
  return { ...result(w, pr, deliveries), mergeCommitSha: merge.sha };
}

/** Queues the PR: a temporary gh-readonly-queue branch with base + PR, then merge_group checks_requested. */
export function startMergeGroup(
  w: World,
  repoName: string,
  n: number,
  sender?: string,
): MergeGroupRef & { deliveries: DeliveryRecord[] } {
  const { repo, pr } = pullByNumber(w, repoName, n);
  if (pr.state !== "open") throw new Error(`#${n} is not open`);
  const by = requireUser(w, sender ?? pr.author);
  const baseSha = w.state.baseSha(pr);
  const headSha = w.state.headSha(pr);
  const commit = mergeCommit(
    w,
    repo,
    pr,
    baseSha,
    `Merge pull request #${n} from ${repo.owner}/${pr.head}\n\n${pr.title}`,
    by,
  );
  const group: MergeGroupRef = {
    headSha: commit.sha,
    headRef: `gh-readonly-queue/${pr.base}/pr-${n}-${headSha}`,
    baseSha,
    baseRef: pr.base,
  };
  repo.branches.set(group.headRef, commit.sha);
  return { ...group, deliveries: w.emit(w.events.mergeGroup("checks_requested", repo, group, by)) };
}

/** Ends a merge group: "merged" fast-forwards the base and closes the PR as merged; otherwise it is dropped. */
export function finishMergeGroup(
  w: World,
  repoName: string,
  headRef: string,
  reason: "merged" | "invalidated" | "dequeued",
  sender?: string,
): DeliveryRecord[] {
  const repo = repoByName(w, repoName);
  const ref = headRef.replace(/^refs\/heads\//, "");
  const headSha = repo.branches.get(ref);
  const m = /^gh-readonly-queue\/(.+)\/pr-(\d+)-([0-9a-f]{40})$/.exec(ref);
  if (!headSha || !m) throw new Error(`unknown merge group ${headRef}`);
  const pr = w.state.pullsOf(repo).get(Number(m[2]))!;
  const by = requireUser(w, sender ?? pr.author);
  const group: MergeGroupRef = { headSha, headRef: ref, baseSha: repo.git.get(headSha).parents[0]!, baseRef: m[1]! };
  const deliveries = w.emit(w.events.mergeGroup("destroyed", repo, group, by, { reason }));
  repo.branches.delete(ref);
  if (reason !== "merged") return deliveries;
  pr.lastHeadSha = w.state.headSha(pr);
  Object.assign(pr, {
    state: "closed",
    merged: true,
    mergedBy: by,
    mergeCommitSha: headSha,
    mergedAt: w.now(),
    closedAt: w.now(),
    updatedAt: w.now(),
  });
  deliveries.push(...w.emit(w.events.pullRequest("closed", pr, by)));
  deliveries.push(...moveBranch(w, repo, group.baseRef, repo.git.get(headSha), by, false));
  return deliveries;
}
