import type { CommentInput, GitHubUser, ReviewInput } from "../core/actions.js";
import { TABLE_PATHS, type ChangedFile } from "../core/types.js";
import { listOwnRuns, type ExistingRun } from "./checks.js";
import { partialData, type Octokit, type PullRef } from "./client.js";
import { listPullCommits, type PullCommit } from "./contributors.js";
import {
  changedFiles,
  forcePushTimes,
  listComments,
  listReviews,
  MAX_PR_FILES,
  pullsForCommit,
  type PullRequest,
} from "./pulls.js";
import { fullPage, ownRuns, type RunsData } from "./own-runs.js";
import { snapshotQuery } from "./snapshot-query.js";
import { readFile } from "./table.js";
import { listedMembers, teamVariables, type TeamRef, type TeamsData } from "./teams.js";

/** Everything one reconcile reads about a pull request, as of one GraphQL request (plus REST where it must). */
export interface Snapshot {
  readonly pull: PullRequest;
  /** The review table file on the base branch (the first of TABLE_PATHS there), or undefined. */
  readonly table: { readonly file: string; readonly text: string } | undefined;
  /** The app's check runs on the head, oldest first. */
  readonly runs: readonly ExistingRun[];
  /** …and on the previous head, when one was asked for (after a push). */
  readonly previousRuns: readonly ExistingRun[];
  /** Open pull requests of this repository whose head is this one's head (this one included). */
  readonly sharing: readonly number[];
  /** The changed files; empty when there are more than GitHub lists (the caller checks `changedFiles`). */
  readonly files: readonly ChangedFile[];
  readonly reviews: readonly ReviewInput[];
  readonly comments: readonly CommentInput[];
  /** The pull request's commits, oldest first (at most 250, as GitHub lists them). */
  readonly commits: readonly PullCommit[];
  /** When the pull request's branch was force-pushed (GitHub's own `head_ref_force_pushed` events). */
  readonly forcePushes: readonly string[];
  /** The members GitHub listed of the teams asked for (those it answered as asked; src/github/teams.ts). */
  readonly members?: ReadonlyMap<TeamRef, ReadonlySet<string>>;
}

/**
 * Reads a pull request's state in one GraphQL request. What GraphQL cannot say exactly is read again over
 * REST, together: a list longer than its first page, renamed files (GraphQL gives no old path, and a
 * renamed file leaves its old domain too), runs when the newest commit is not yet the head GitHub reports.
 *
 * The app's own comments are the ones its installation's bot user wrote: `viewer` in the same request
 * (the installation token's user), compared by immutable id. A user acting through the app with a
 * user-to-server token is not that bot, so cannot write a "record".
 */
export async function readSnapshot(
  octokit: Octokit,
  ref: PullRef,
  appId: number,
  previousHead?: string,
  teams: readonly TeamRef[] = [],
): Promise<Snapshot> {
  const data = await query(octokit, snapshotQuery(teams.length), {
    owner: ref.owner,
    repo: ref.repo,
    number: ref.number,
    appId,
    previous: previousHead ?? "0000000000000000000000000000000000000000",
    hasPrevious: previousHead !== undefined,
    ...teamVariables(teams),
  });
  const repo = data.repository;
  const pr = repo?.pullRequest;
  if (!repo || !pr) throw new Error(`pull request ${ref.owner}/${ref.repo}#${ref.number} not found`);
  const botId = data.viewer?.databaseId ?? undefined;
  const pull = pullOf(repo, pr);
  const head = pr.head?.nodes?.[0]?.commit;
  const atHead = head?.oid === pull.headSha;
  const fullName = `${ref.owner}/${ref.repo}`.toLowerCase();
  const renamed = pr.files.nodes.some((f) => f.changeType === "RENAMED" || f.changeType === "COPIED");
  const tooMany = pull.changedFiles > MAX_PR_FILES;
  const runsOf = (c: RunsData | null | undefined) => (c ? ownRuns(c, appId) : undefined);
  const [table, runs, previousRuns, sharing, files, reviews, comments, commits, forcePushes] = await Promise.all([
    tableOf(octokit, ref, pr),
    (atHead && runsOf(head)) || listOwnRuns(octokit, ref, pull.headSha, appId),
    !previousHead
      ? ([] as ExistingRun[])
      : runsOf(repo.previous) || (repo.previous ? listOwnRuns(octokit, ref, previousHead, appId) : []),
    // A full page may hide a twin: GitHub lists oldest first, and counts pull requests that only contain
    // the head (anyone can open those), so 20 decoys would push a second pull request on this head out.
    atHead && !fullPage(head.associatedPullRequests)
      ? head.associatedPullRequests.nodes
          .filter(
            (p) =>
              p.state === "OPEN" &&
              p.headRefOid === pull.headSha &&
              p.baseRepository?.nameWithOwner.toLowerCase() === fullName,
          )
          .map((p) => p.number)
      : pullsForCommit(octokit, ref, pull.headSha),
    tooMany
      ? ([] as ChangedFile[])
      : fullPage(pr.files) || renamed
        ? changedFiles(octokit, ref, { expected: pull.changedFiles })
        : pr.files.nodes.map(fileOf),
    fullPage(pr.reviews) ? listReviews(octokit, ref) : pr.reviews.nodes.map(reviewOf),
    fullPage(pr.comments) ? listComments(octokit, ref) : pr.comments.nodes.map((c) => commentOf(c, botId, appId)),
    // More than the page: REST lists up to GitHub's 250 (src/github/contributors.ts).
    pr.commits.totalCount > pr.commits.nodes.length ? listPullCommits(octokit, ref) : pr.commits.nodes.map(commitOf),
    pr.forcePushes.totalCount > pr.forcePushes.nodes.length
      ? forcePushTimes(octokit, ref)
      : pr.forcePushes.nodes.flatMap((e) => (e.createdAt ? [e.createdAt] : [])),
  ]);
  return {
    pull,
    table,
    runs,
    previousRuns,
    sharing: [...new Set([...sharing, pull.number])].sort((a, b) => a - b),
    files,
    reviews,
    comments,
    commits,
    forcePushes,
    ...(teams.length > 0 ? { members: listedMembers(teams, data) } : {}),
  };
}

/**
 * The query, answered whole, or with errors only where it lists a team's members (an organization the
 * installation cannot see: those teams are then not listed, and their look-ups go to REST). Any other error
 * fails the read, as it always did.
 */
async function query(octokit: Octokit, document: string, variables: Record<string, unknown>): Promise<SnapshotData> {
  try {
    return await octokit.graphql<SnapshotData>(document, variables);
  } catch (err) {
    // An error only in the teams' member lists (aliases m0, m1…) or in the merge queue entry (a field the
    // app's permissions may not reach) leaves the rest standing: those are then not known, as before.
    const data = partialData<SnapshotData>(
      err,
      (path) => (typeof path[0] === "string" && /^m\d+$/.test(path[0])) || isQueueEntry(path),
    );
    if (data?.repository) return data;
    throw err;
  }
}

const isQueueEntry = (path: readonly unknown[]) =>
  path[0] === "repository" && path[1] === "pullRequest" && path[2] === "mergeQueueEntry";

function pullOf(repo: RepositoryData, pr: PullData): PullRequest {
  return {
    number: pr.number,
    nodeId: pr.id,
    state: pr.state === "OPEN" ? "open" : "closed",
    merged: pr.merged,
    draft: pr.isDraft,
    author: personOf(pr.author) ?? { login: "ghost" },
    headSha: pr.headRefOid,
    baseRef: pr.baseRefName,
    baseSha: pr.baseRefOid,
    defaultBranch: repo.defaultBranchRef?.name,
    changedFiles: pr.changedFiles,
    requestedUsers: pr.reviewRequests.nodes.flatMap((r) =>
      r.requestedReviewer?.__typename === "User" && r.requestedReviewer.login ? [r.requestedReviewer.login] : [],
    ),
    requestedTeams: pr.reviewRequests.nodes.flatMap((r) =>
      r.requestedReviewer?.__typename === "Team" && r.requestedReviewer.slug ? [r.requestedReviewer.slug] : [],
    ),
    ownerIsOrg: repo.owner.__typename === "Organization",
    repoNodeId: repo.id,
    ...(pr.mergeQueueEntry?.headCommit?.oid ? { queueHead: pr.mergeQueueEntry.headCommit.oid } : {}),
    createdAt: pr.createdAt,
  };
}

/**
 * The table file as the base branch has it. A file GraphQL will not give whole (truncated or binary) is
 * read over REST, whose answer the parser then judges like any other.
 */
async function tableOf(octokit: Octokit, ref: PullRef, pr: PullData): Promise<Snapshot["table"]> {
  const target = pr.baseRef?.target;
  const entries = [target?.dotGithub, target?.root];
  for (const [i, entry] of entries.entries()) {
    const blob = entry?.object;
    if (!blob) continue;
    const file = TABLE_PATHS[i]!;
    if (!blob.isBinary && !blob.isTruncated && typeof blob.text === "string") return { file, text: blob.text };
    const text = await readFile(octokit, ref, file, pr.baseRefName);
    if (text === undefined) throw new Error(`${file} on ${pr.baseRefName} vanished while it was read`);
    return { file, text };
  }
  return undefined;
}

/**
 * A comment's or review's id, from GraphQL's `fullDatabaseId` (a BigInt as a string, nullable in the
 * schema). An id the app cannot read fails the read: records are told apart by id, and a made-up one (0,
 * NaN) shared by several comments would make a later command read as already recorded.
 */
function idOf(full: string | null | undefined): number {
  const id = typeof full === "string" && /^[1-9]\d*$/.test(full) ? Number(full) : NaN;
  if (!Number.isSafeInteger(id)) throw new Error(`GitHub gave no usable id (fullDatabaseId ${String(full)})`);
  return id;
}

const FILE_STATUS: Readonly<Record<string, ChangedFile["status"]>> = {
  ADDED: "added",
  MODIFIED: "modified",
  DELETED: "removed",
  RENAMED: "renamed",
  COPIED: "copied",
  CHANGED: "changed",
};

/** An unknown change type counts as a modification: the path is still matched against every domain. */
function fileOf(f: { path: string; changeType: string }): ChangedFile {
  return { path: f.path, status: FILE_STATUS[f.changeType] ?? "modified" };
}

/** GraphQL names a bot `name`, REST `name[bot]`: the app keeps REST's logins. */
function personOf(a: PersonData | null): GitHubUser | null {
  if (!a) return null;
  const login = a.__typename === "Bot" && !a.login.endsWith("[bot]") ? `${a.login}[bot]` : a.login;
  return { login, ...(a.databaseId != null ? { id: a.databaseId } : {}), type: a.__typename };
}

function reviewOf(r: PullData["reviews"]["nodes"][number]): ReviewInput {
  return {
    id: idOf(r.fullDatabaseId),
    user: personOf(r.author),
    state: r.state,
    body: r.body ?? null,
    commitId: r.commit?.oid ?? null,
    submittedAt: r.submittedAt ?? null,
  };
}

function commentOf(c: PullData["comments"]["nodes"][number], botId: number | undefined, appId: number): CommentInput {
  const user = personOf(c.author);
  const ours = botId !== undefined && user?.type === "Bot" && user.id === botId;
  return {
    id: idOf(c.fullDatabaseId),
    user,
    body: c.body,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    ...(ours ? { viaAppId: appId } : {}),
  };
}

function commitOf(c: PullData["commits"]["nodes"][number]): PullCommit {
  const people = [c.commit.author?.user?.login, c.commit.committer?.user?.login];
  return { sha: c.commit.oid, people: people.filter((l): l is string => !!l && l !== "web-flow") };
}

// The answer's shape, as far as the query asks for it (src/github/snapshot-query.ts).
interface PersonData {
  __typename: string;
  login: string;
  databaseId?: number | null;
}
interface TableFileData {
  object: { text?: string | null; isTruncated?: boolean; isBinary?: boolean | null } | null;
}
interface Page<N> {
  totalCount: number;
  pageInfo: { hasNextPage: boolean };
  nodes: N[];
}
interface PullData {
  id: string;
  number: number;
  state: string;
  merged: boolean;
  isDraft: boolean;
  createdAt: string;
  changedFiles: number;
  headRefOid: string;
  baseRefName: string;
  baseRefOid: string;
  mergeQueueEntry?: { headCommit: { oid: string } | null } | null;
  author: PersonData | null;
  reviewRequests: { nodes: { requestedReviewer: { __typename: string; login?: string; slug?: string } | null }[] };
  baseRef: { target: { dotGithub?: TableFileData | null; root?: TableFileData | null } | null } | null;
  head: {
    nodes: {
      commit: RunsData & {
        oid: string;
        associatedPullRequests: {
          pageInfo?: { hasNextPage: boolean };
          nodes: {
            number: number;
            state: string;
            headRefOid: string;
            baseRepository: { nameWithOwner: string } | null;
          }[];
        };
      };
    }[];
  } | null;
  files: Page<{ path: string; changeType: string }>;
  reviews: Page<{
    /** A BigInt, as a string. */
    fullDatabaseId: string | null;
    author: PersonData | null;
    state: string;
    body: string | null;
    commit: { oid: string } | null;
    submittedAt: string | null;
  }>;
  comments: Page<{
    fullDatabaseId: string | null;
    author: PersonData | null;
    body: string;
    createdAt: string;
    updatedAt: string;
  }>;
  forcePushes: { totalCount: number; nodes: { createdAt?: string }[] };
  commits: {
    totalCount: number;
    nodes: {
      commit: {
        oid: string;
        author: { user: { login: string } | null } | null;
        committer: { user: { login: string } | null } | null;
      };
    }[];
  };
}
interface RepositoryData {
  id: string;
  nameWithOwner: string;
  owner: { __typename: string };
  defaultBranchRef: { name: string } | null;
  previous?: RunsData | null;
  pullRequest: PullData | null;
}
interface SnapshotData extends TeamsData {
  viewer: { login: string; databaseId: number | null } | null;
  repository: RepositoryData | null;
}
