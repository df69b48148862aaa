import { CONFLICTS_CHECK } from "../core/conflicts.js";
import { listOwnRuns, type ExistingRun } from "./checks.js";
import type { Octokit, RepoRef } from "./client.js";
import { ownRuns, ownRunsFragment, type RunsData } from "./own-runs.js";

/** What the conflict radar reads before it writes: its own runs on each head, and where to write. */
export interface ConflictRuns {
  /** The repository's GraphQL id: the radar's writes are GraphQL mutations (checks.ts writeRuns). */
  readonly repositoryId: string;
  /** Per head commit: the app's `parallel-review/conflicts` runs on it, oldest first. */
  readonly runs: ReadonlyMap<string, readonly ExistingRun[]>;
}

/**
 * Heads per query. Each alias asks for up to 10 suites of 100 runs (GitHub's node limit is 500,000 per
 * query); a refresh rewrites at most the changed pull requests and those they name (≤ the 50 compared plus up to
 * 32 changed), so one or two queries.
 */
export const MAX_HEADS_PER_QUERY = 50;

/**
 * The app's own conflicts runs on several commits in one GraphQL request (per MAX_HEADS_PER_QUERY heads):
 * one aliased `object(oid:)` per head, with the repository's id. What GraphQL cannot say exactly is
 * listed over REST for that head alone, as the snapshot does (src/github/snapshot.ts): a full page of
 * suites or runs, a run whose id cannot be read from its `resourcePath`, or a commit GraphQL does not
 * resolve (the heads come from GitHub's own list of open pull requests, so REST is asked rather than
 * taking "no commit" for "no run").
 */
export async function readConflictRuns(
  octokit: Octokit,
  repo: RepoRef,
  appId: number,
  heads: readonly [string, ...string[]],
): Promise<ConflictRuns> {
  const unique = [...new Set(heads)];
  const runs = new Map<string, readonly ExistingRun[]>();
  let repositoryId: string | undefined;
  // At least one head, so at least one request: the repository's id comes with it.
  for (let at = 0; at < unique.length; at += MAX_HEADS_PER_QUERY) {
    const chunk = unique.slice(at, at + MAX_HEADS_PER_QUERY);
    const { query, variables } = conflictRunsQuery(chunk);
    const data = await octokit.graphql<ConflictRunsData>(query, {
      ...variables,
      owner: repo.owner,
      repo: repo.repo,
      appId,
      checkName: CONFLICTS_CHECK,
    });
    const repository = data.repository;
    if (!repository) throw new Error(`repository ${repo.owner}/${repo.repo} not found`);
    repositoryId = repository.id;
    const found = await Promise.all(
      chunk.map(async (sha, i) => {
        const commit = repository[`h${i}`];
        const own = commit ? ownRuns(commit, appId) : undefined;
        return own ?? (await listOwnRuns(octokit, repo, sha, appId));
      }),
    );
    // The REST listing has every name: only the conflicts check is the radar's (GraphQL filtered already).
    chunk.forEach((sha, i) =>
      runs.set(
        sha,
        found[i]!.filter((r) => r.name === CONFLICTS_CHECK),
      ),
    );
  }
  return { repositoryId: repositoryId!, runs };
}

/** The query for some heads (one or more): `h<i>: object(oid: $h<i>)`, each with the app's runs of the conflicts check. */
export function conflictRunsQuery(heads: readonly string[]): { query: string; variables: Record<string, string> } {
  const variables = Object.fromEntries(heads.map((sha, i) => [`h${i}`, sha]));
  const params = heads.map((_, i) => `$h${i}: GitObjectID!`);
  const fields = heads.map((_, i) => `h${i}: object(oid: $h${i}) { ... on Commit { ...OwnConflictsRuns } }`);
  const document = `query ConflictRuns($owner: String!, $repo: String!, $appId: Int!, $checkName: String!${params
    .map((p) => `, ${p}`)
    .join("")}) {
  repository(owner: $owner, name: $repo) {
    id
    ${fields.join("\n    ")}
  }
}
${ownRunsFragment("OwnConflictsRuns", "checkType: ALL, checkName: $checkName")}`;
  return { query: document.replace(/\s+/g, " ").trim(), variables };
}

interface ConflictRunsData {
  repository: ({ id: string } & Record<`h${number}`, RunsData | null | undefined>) | null;
}
