import type { ExistingRun } from "./checks.js";

/**
 * The app's own check runs on a commit as GraphQL gives them, shared by the reconcile's snapshot query
 * (src/github/snapshot-query.ts) and the conflict radar's (src/github/radar-runs.ts).
 *
 * A check run has no 64-bit database id in GraphQL, so its REST id is read from its `resourcePath`
 * (`/{owner}/{repo}/runs/{id}`). GitHub keeps one suite per app and commit, but whatever a page leaves out
 * (more suites, more runs) or an id that cannot be read makes the caller list the runs over REST instead.
 */

/**
 * The fragment `name` on Commit: the suites of the app `$appId` (a variable the operation declares) and
 * their runs filtered by `runFilter` (fields of CheckRunFilter; `checkType: ALL` lists every run, as REST's
 * filter=all does, not only the newest of each name).
 */
export function ownRunsFragment(name: string, runFilter: string): string {
  return `
  fragment ${name} on Commit {
    checkSuites(first: 10, filterBy: { appId: $appId }) {
      pageInfo {
        hasNextPage
      }
      nodes {
        app {
          databaseId
        }
        checkRuns(first: 100, filterBy: { ${runFilter} }) {
          pageInfo {
            hasNextPage
          }
          nodes {
            resourcePath
            id
            name
            status
            conclusion
            externalId
            text
            startedAt
          }
        }
      }
    }
  }
`;
}

/**
 * The app's runs on a commit, oldest first, or undefined when a page is full or a run's id cannot be read
 * from its `resourcePath` (then REST lists them all).
 */
export function ownRuns(commit: RunsData, appId: number): ExistingRun[] | undefined {
  const suites = commit.checkSuites?.nodes ?? [];
  // GitHub keeps one suite per app and commit, but a run in a suite past the page would go unseen.
  if (commit.checkSuites && fullPage(commit.checkSuites)) return undefined;
  if (suites.some((s) => s.checkRuns && fullPage(s.checkRuns))) return undefined;
  const runs = suites.filter((s) => s.app?.databaseId === appId).flatMap((s) => s.checkRuns?.nodes ?? []);
  const ids = runs.map((r) => Number(/\/runs\/(\d+)$/.exec(r.resourcePath)?.[1]));
  if (ids.some((id) => !Number.isSafeInteger(id))) return undefined;
  return runs
    .map((r, i) => ({
      id: ids[i]!,
      nodeId: r.id,
      name: r.name,
      status: r.status.toLowerCase(),
      conclusion: r.conclusion?.toLowerCase() ?? null,
      // Not asked: the digest in externalId stands for the output (src/github/checks.ts runDigest).
      title: null,
      summary: null,
      text: r.text ?? null,
      externalId: r.externalId ?? null,
      startedAt: r.startedAt ?? null,
    }))
    .sort((a, b) => a.id - b.id);
}

/** More than the page holds, or GitHub did not say (then the list is read whole over REST). */
export function fullPage(c: { pageInfo?: { hasNextPage: boolean } | null }): boolean {
  return c.pageInfo?.hasNextPage !== false;
}

/** A commit's answer to the fragment, as far as it asks. */
export interface RunsData {
  checkSuites?: {
    pageInfo?: { hasNextPage: boolean };
    nodes: {
      app: { databaseId: number | null } | null;
      checkRuns: {
        pageInfo: { hasNextPage: boolean };
        nodes: {
          resourcePath: string;
          id: string;
          name: string;
          status: string;
          conclusion: string | null;
          externalId: string | null;
          text: string | null;
          startedAt: string | null;
        }[];
      } | null;
    }[];
  } | null;
}
