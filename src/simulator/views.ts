/** Plain read models for assertions, so tests don't depend on the JSON renderers. */
import type { Repo, State, PullRequest, ReviewState, CheckAction } from "./state.js";
import type { RequestLogEntry } from "./server.js";

export interface CheckRunView {
  id: number;
  name: string;
  headSha: string;
  status: string;
  conclusion: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  actions: CheckAction[];
  appId: number;
  detailsUrl: string | null;
  externalId: string;
}

export interface CommentView {
  id: number;
  user: string;
  body: string;
  /** Written by a GitHub App (its bot user) rather than a person. */
  byApp: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface PullView {
  number: number;
  title: string;
  state: "open" | "closed";
  draft: boolean;
  merged: boolean;
  base: string;
  head: string;
  headSha: string;
  baseSha: string;
}

export interface ReviewView {
  id: number;
  user: string;
  state: ReviewState;
  body: string;
  commitId: string;
  submittedAt: string;
}

export interface Stats {
  total: number;
  /** "METHOD /template" → count (unmatched paths are counted under "METHOD <path>"). */
  byEndpoint: Record<string, number>;
  byStatus: Record<number, number>;
  notModified: number;
  faults: number;
}

export function checkRuns(
  state: State,
  repo: Repo,
  ref: string,
  opts: { latest?: boolean; name?: string },
): CheckRunView[] {
  const sha = state.resolveRef(repo, ref) ?? ref;
  let runs = [...state.runs.values()]
    .filter((r) => r.repoId === repo.id && r.headSha === sha && (!opts.name || r.name === opts.name))
    .sort((a, b) => b.createdSeq - a.createdSeq);
  if (opts.latest) {
    const seen = new Set<string>();
    runs = runs.filter((r) => !seen.has(`${r.appId}:${r.name}`) && seen.add(`${r.appId}:${r.name}`));
  }
  return runs.map((r) => ({
    id: r.id,
    name: r.name,
    headSha: r.headSha,
    status: r.status,
    conclusion: r.conclusion,
    output: { title: r.output.title, summary: r.output.summary, text: r.output.text },
    actions: r.actions.map((a) => ({ ...a })),
    appId: r.appId,
    detailsUrl: r.detailsUrl,
    externalId: r.externalId,
  }));
}

export function comments(state: State, repo: Repo, n: number): CommentView[] {
  return [...state.comments.values()]
    .filter((c) => c.repoId === repo.id && c.issueNumber === n)
    .sort((a, b) => a.id - b.id)
    .map((c) => ({
      id: c.id,
      user: c.user,
      body: c.body,
      byApp: c.viaAppId !== null,
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
    }));
}

export function pull(state: State, pr: PullRequest): PullView {
  return {
    number: pr.number,
    title: pr.title,
    state: pr.state,
    draft: pr.draft,
    merged: pr.merged,
    base: pr.base,
    head: pr.head,
    headSha: state.headSha(pr),
    baseSha: state.baseSha(pr),
  };
}

export function stats(log: readonly RequestLogEntry[]): Stats {
  const out: Stats = { total: log.length, byEndpoint: {}, byStatus: {}, notModified: 0, faults: 0 };
  for (const e of log) {
    const key = e.route ?? `${e.method} ${e.path.split("?")[0]}`;
    out.byEndpoint[key] = (out.byEndpoint[key] ?? 0) + 1;
    out.byStatus[e.status] = (out.byStatus[e.status] ?? 0) + 1;
    if (e.notModified) out.notModified++;
    if (e.fault) out.faults++;
    out.faults += e.fieldFaults ?? 0;
  }
  return out;
}
