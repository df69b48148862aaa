import type { RadarPull } from "../core/conflicts.js";
import { partialData, type Octokit, type RepoRef } from "./client.js";
import type { ChangedFile } from "../core/types.js";
import { listFiles } from "./pulls.js";

/** An open pull request as the radar sees it. */
export interface OpenPull extends RadarPull {
  readonly headSha: string;
}

/** A pull request's file list never changes for one head commit (and base): cached by it, bounded. */
export class FileCache {
  private readonly entries = new Map<string, readonly string[]>();
  constructor(private readonly max = 2000) {}

  get(key: string): readonly string[] | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      // Least recently used goes first: re-insert on a hit.
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, files: readonly string[]): void {
    this.entries.delete(key);
    this.entries.set(key, files);
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }
}

/**
 * The open pull requests into `base`, most recently updated first, at most `cap` (one page: at most 100),
 * in one GraphQL query: what the radar compares is each one's number, title, opening time and head.
 *
 * Not REST's `GET pulls?base=`: that answers every pull request whole (its head and base repositories with
 * their owners and URLs, ~13 KB each: 1.1 MB for the radar's page of 83), all to be decoded for four fields per
 * pull request, and its ETag saved nothing here: a refresh follows a change of one of them, which moves the
 * list's `updated_at` order, so the conditional request was answered in full every time.
 */
export async function openPulls(
  octokit: Octokit,
  repo: RepoRef,
  base: string,
  cap: number,
): Promise<Omit<OpenPull, "files">[]> {
  const data = await octokit.graphql<OpenPullsData>(OPEN_PULLS, {
    owner: repo.owner,
    repo: repo.repo,
    base,
    first: Math.min(100, cap),
  });
  if (!data.repository) throw new Error(`repository ${repo.owner}/${repo.repo} not found`);
  return data.repository.pullRequests.nodes.map((p) => ({
    number: p.number,
    title: p.title,
    createdAt: p.createdAt,
    headSha: p.headRefOid,
  }));
}

export const OPEN_PULLS = `query OpenPulls($owner: String!, $repo: String!, $base: String!, $first: Int!) {
  repository(owner: $owner, name: $repo) {
    pullRequests(states: [OPEN], baseRefName: $base, first: $first, orderBy: { field: UPDATED_AT, direction: DESC }) {
      nodes { number title createdAt headRefOid }
    }
  }
}`
  .replace(/\s+/g, " ")
  .trim();

interface OpenPullsData {
  repository: {
    pullRequests: { nodes: { number: number; title: string; createdAt: string; headRefOid: string }[] };
  } | null;
}

/**
 * The files of each pull request (a rename under both paths), from the cache when its head was seen. The
 * others' in one GraphQL query (per MAX_PULLS_PER_QUERY), a head's list cached under the head GitHub
 * listed it at; a list GraphQL cannot give exactly (more than its first page, a rename or copy, whose old
 * path GraphQL does not give, a pull request it did not resolve) is read over REST for that one.
 */
export async function filesOf(
  octokit: Octokit,
  repo: RepoRef,
  pulls: readonly Omit<OpenPull, "files">[],
  cache: FileCache,
  fetch = true,
): Promise<OpenPull[]> {
  const known = pulls.map((p) => cache.get(fileKey(repo, p.number, p.headSha)));
  // GitHub lists a pull request's files only for its current head: an older head is known from the cache or not at all.
  const unknown = new Map<number, string>(); // number → the head it was listed at
  if (fetch)
    for (const [i, p] of pulls.entries()) if (!known[i] && !unknown.has(p.number)) unknown.set(p.number, p.headSha);
  const asked = [...unknown];
  const chunks: (readonly [number, string])[][] = [];
  for (let at = 0; at < asked.length; at += MAX_PULLS_PER_QUERY) chunks.push(asked.slice(at, at + MAX_PULLS_PER_QUERY));
  const read = new Map<number, readonly string[]>();
  for (const [c, lists] of (await Promise.all(chunks.map((chunk) => readFiles(octokit, repo, chunk)))).entries())
    chunks[c]!.forEach(([number], i) => {
      const { headSha, paths } = lists[i]!;
      read.set(number, paths);
      cache.set(fileKey(repo, number, headSha), paths);
    });
  return pulls.flatMap((p, i) => {
    const files = known[i] ?? read.get(p.number);
    return files ? [{ ...p, files }] : [];
  });
}

/** Pull requests per files query: 50 × 100 files is 5,000 nodes (GitHub allows 500,000). */
export const MAX_PULLS_PER_QUERY = 50;

/**
 * The files of some pull requests (number, head it was listed at) at their current heads, with the head GitHub
 * gave them at: the one the query answered, or, when only REST answered, the listed one (as REST reads
 * always took it).
 */
async function readFiles(
  octokit: Octokit,
  repo: RepoRef,
  pulls: readonly (readonly [number, string])[],
): Promise<{ headSha: string; paths: readonly string[] }[]> {
  const { query, variables } = pullFilesQuery(pulls.map(([number]) => number));
  let data: PullFilesData | undefined;
  try {
    data = await octokit.graphql<PullFilesData>(query, { ...variables, owner: repo.owner, repo: repo.repo });
  } catch (err) {
    // Errors each about one pull request (`["repository", "p<i>", …]`: one GitHub did not resolve, or whose
    // files it could not list): the others' answers are kept, those asked of REST. Anything else: no answer.
    data = partialData<PullFilesData>(
      err,
      (path) => path[0] === "repository" && typeof path[1] === "string" && /^p\d+$/.test(path[1]),
    );
    if (!data?.repository) data = undefined;
    // No usable answer for several (one query of many diffs may time out where each alone would not): each is
    // asked of REST, as before the query, and fails as REST fails. For one, REST would say no more.
    if (!data && pulls.length === 1) throw err;
  }
  return Promise.all(
    pulls.map(async ([number, listedHead], i) => {
      const pr = data?.repository?.[`p${i}`];
      const paths = pr ? exactPaths(pr) : undefined;
      if (pr && paths) return { headSha: pr.headRefOid, paths };
      // Cached under GraphQL's head when it gave one: a push between the two reads would file the new head's
      // list under the old head, a window of one request (REST alone always took the listed head).
      return { headSha: pr?.headRefOid ?? listedHead, paths: pathsOf(await listFiles(octokit, { ...repo, number })) };
    }),
  );
}

/**
 * The paths, when GraphQL's list is the whole list: one page, every node there, and no rename or copy (their
 * old path is not in it).
 */
function exactPaths(pr: PullFilesNode): string[] | undefined {
  const nodes = pr.files?.nodes;
  if (!Array.isArray(nodes) || pr.files?.pageInfo?.hasNextPage !== false || nodes.length !== pr.changedFiles)
    return undefined;
  const paths: string[] = [];
  for (const f of nodes) {
    if (f === null || f.changeType === "RENAMED" || f.changeType === "COPIED") return undefined;
    paths.push(f.path);
  }
  return paths;
}

/** The query for some pull requests: `p<i>: pullRequest(number: $p<i>)`, each with its head and files. */
export function pullFilesQuery(numbers: readonly number[]): { query: string; variables: Record<string, number> } {
  const variables = Object.fromEntries(numbers.map((n, i) => [`p${i}`, n]));
  const params = numbers.map((_, i) => `, $p${i}: Int!`).join("");
  const fields = numbers.map((_, i) => `p${i}: pullRequest(number: $p${i}) { ...PullFiles }`).join(" ");
  const query = `query PullFiles($owner: String!, $repo: String!${params}) { repository(owner: $owner, name: $repo) { ${fields} } } fragment PullFiles on PullRequest { headRefOid changedFiles files(first: 100) { pageInfo { hasNextPage } nodes { path changeType } } }`;
  return { query, variables };
}

/** As GitHub's schema types it: the file list and its nodes may be null (with an error beside them). */
interface PullFilesNode {
  headRefOid: string;
  changedFiles: number;
  files: {
    pageInfo?: { hasNextPage: boolean } | null;
    nodes?: ({ path: string; changeType: string } | null)[] | null;
  } | null;
}

interface PullFilesData {
  repository: Record<`p${number}`, PullFilesNode | null | undefined> | null;
}

/** Every path a change touches: a renamed file's old path too. */
export function pathsOf(files: readonly ChangedFile[]): string[] {
  return [...new Set(files.flatMap((f) => (f.previousPath ? [f.path, f.previousPath] : [f.path])))];
}

export function fileKey(repo: RepoRef, number: number, headSha: string): string {
  return `${repo.owner}/${repo.repo}#${number}@${headSha}`.toLowerCase();
}
