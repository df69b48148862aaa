/** Repository scenario actions: create repos and branches, push commits (push + synchronize webhooks). */
import { ZERO_SHA } from "./events.js";
import type { Commit, FileEdits } from "./git.js";
import { ObjectStore } from "./git.js";
import type { Repo } from "./state.js";
import type { DeliveryRecord } from "./webhooks.js";
import { identity, repoByName, requireUser, type World } from "./world.js";

export interface PushOptions {
  /** path → new content, or null to delete the file. */
  files: FileEdits;
  message?: string;
  /** Login of the pusher/author; defaults to the simulator's default user. */
  author?: string;
  /** Parent commit; anything other than the branch tip makes this a force push. */
  parent?: string;
}

export interface PushResult {
  sha: string;
  before: string;
  deliveries: DeliveryRecord[];
}

export function createRepo(
  w: World,
  name: string,
  opts: { defaultBranch?: string; files?: Record<string, string>; private?: boolean; author?: string } = {},
): Repo {
  const owner = w.state.org;
  if (w.state.repo(owner, name)) throw new Error(`repo ${owner}/${name} exists`);
  const at = w.now();
  const repo: Repo = {
    id: w.state.ids.repo.take(),
    name,
    owner,
    defaultBranch: opts.defaultBranch ?? "main",
    private: opts.private ?? true,
    branches: new Map(),
    git: new ObjectStore(),
    createdAt: at,
    pushedAt: at,
    nextNumber: 1,
  };
  const root = repo.git.commit({
    parents: [],
    edits: opts.files ?? { "README.md": `# ${name}\n` },
    message: "Initial commit",
    author: identity(w, opts.author ?? w.defaultUser()),
    timestamp: at,
  });
  repo.branches.set(repo.defaultBranch, root.sha);
  w.state.repos.set(`${owner}/${name}`.toLowerCase(), repo);
  return repo;
}

/** Creates `branch` at `from` (a ref, default: default branch), optionally with a first commit of `files`. */
export function createBranch(
  w: World,
  repoName: string,
  branch: string,
  opts: { from?: string; files?: FileEdits; author?: string; message?: string } = {},
): PushResult {
  const repo = repoByName(w, repoName);
  if (repo.branches.has(branch)) throw new Error(`branch ${branch} exists`);
  const start = w.state.resolveRef(repo, opts.from ?? repo.defaultBranch);
  if (!start) throw new Error(`unknown ref ${opts.from}`);
  repo.branches.set(branch, start);
  const deliveries = emitPush(
    w,
    repo,
    branch,
    ZERO_SHA,
    start,
    [],
    requireUser(w, opts.author ?? w.defaultUser()),
    false,
  );
  if (!opts.files) return { sha: start, before: ZERO_SHA, deliveries };
  const pushed = push(w, repoName, branch, {
    files: opts.files,
    ...(opts.author ? { author: opts.author } : {}),
    ...(opts.message ? { message: opts.message } : {}),
  });
  return { ...pushed, deliveries: [...deliveries, ...pushed.deliveries] };
}

export function push(w: World, repoName: string, branch: string, opts: PushOptions): PushResult {
  const repo = repoByName(w, repoName);
  const before = repo.branches.get(branch);
  if (!before) throw new Error(`unknown branch ${branch}`);
  const pusher = requireUser(w, opts.author ?? w.defaultUser());
  const parent = opts.parent ?? before;
  const at = w.now();
  const commit = repo.git.commit({
    parents: [parent],
    edits: opts.files,
    message: opts.message ?? `Update ${Object.keys(opts.files).join(", ")}`,
    author: identity(w, pusher),
    timestamp: at,
  });
  const forced = !repo.git.ancestors(commit.sha).has(before);
  return { sha: commit.sha, before, deliveries: moveBranch(w, repo, branch, commit, pusher, forced) };
}

/** `git push --force` of an existing commit (A → B → A): the branch moves back, GitHub records a force-push. */
export function forcePush(w: World, repoName: string, branch: string, sha: string, pusherLogin: string): PushResult {
  const repo = repoByName(w, repoName);
  const before = repo.branches.get(branch);
  if (!before) throw new Error(`unknown branch ${branch}`);
  const pusher = requireUser(w, pusherLogin);
  return { sha, before, deliveries: moveBranch(w, repo, branch, repo.git.get(sha), pusher, true) };
}

/** Moves a branch and sends what GitHub sends: push, check_suite requested, then synchronize for open PRs. */
export function moveBranch(
  w: World,
  repo: Repo,
  branch: string,
  to: Commit,
  pusher: string,
  forced: boolean,
): DeliveryRecord[] {
  const before = repo.branches.get(branch) ?? ZERO_SHA;
  const newCommits = before === ZERO_SHA ? [to] : repo.git.commitsBetween(before, to.sha);
  repo.branches.set(branch, to.sha);
  repo.pushedAt = w.now();
  const deliveries = emitPush(w, repo, branch, before, to.sha, newCommits, pusher, forced);
  deliveries.push(...requestSuite(w, repo, branch, before, to.sha, pusher));
  for (const pr of w.state.pullsOf(repo).values()) {
    if (pr.state !== "open" || pr.head !== branch) continue;
    pr.lastHeadSha = to.sha;
    pr.updatedAt = w.now();
    if (forced)
      w.state.issueEvents.push({
        id: w.state.ids.issueEvent.take(),
        repoId: repo.id,
        issueNumber: pr.number,
        event: "head_ref_force_pushed",
        actor: pusher,
        commitId: to.sha,
        createdAt: w.now(),
      });
    deliveries.push(...w.emit(w.events.pullRequest("synchronize", pr, pusher, { before, after: to.sha })));
  }
  return deliveries;
}

function emitPush(
  w: World,
  repo: Repo,
  branch: string,
  before: string,
  after: string,
  commits: Commit[],
  pusher: string,
  forced: boolean,
): DeliveryRecord[] {
  const rendered = commits.map((c) => ({
    commit: c,
    changes: repo.git.diff(c.parents[0] ? repo.git.get(c.parents[0]).files : new Map(), c.files),
  }));
  return w.emit(w.events.push(repo, branch, before, after, rendered, pusher, forced));
}

/** GitHub creates a check suite for every app with checks permission on each push and tells it so. */
function requestSuite(
  w: World,
  repo: Repo,
  branch: string,
  before: string,
  after: string,
  pusher: string,
): DeliveryRecord[] {
  const appId = w.state.appId;
  if (w.state.suites.some((s) => s.repoId === repo.id && s.appId === appId && s.headSha === after)) return [];
  const at = w.now();
  const suite = {
    id: w.state.ids.suite.take(),
    repoId: repo.id,
    appId,
    headSha: after,
    headBranch: branch,
    before: before === ZERO_SHA ? null : before,
    createdAt: at,
    updatedAt: at,
  };
  w.state.suites.push(suite);
  return w.emit(w.events.checkSuite("requested", suite, pusher));
}
