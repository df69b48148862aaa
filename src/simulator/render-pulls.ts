/** Renderers for pull requests, reviews, issue comments and the issue view of a PR. */
import type { IssueComment, PullRequest, Review, State } from "./state.js";
import { integration, repository, team, user, userByLogin, type Json, type Urls } from "./render.js";
import { nodeId } from "./util.js";

export type PullVariant = "full" | "simple" | "webhook";

const reactions = (url: string): Json => ({
  url,
  total_count: 0,
  "+1": 0,
  "-1": 0,
  laugh: 0,
  hooray: 0,
  confused: 0,
  heart: 0,
  rocket: 0,
  eyes: 0,
});

function links(u: Urls, full: string, pr: PullRequest, headSha: string): Json {
  const api = `${u.api}/repos/${full}`;
  const href = (h: string) => ({ href: h });
  return {
    self: href(`${api}/pulls/${pr.number}`),
    html: href(`${u.html}/${full}/pull/${pr.number}`),
    issue: href(`${api}/issues/${pr.number}`),
    comments: href(`${api}/issues/${pr.number}/comments`),
    review_comments: href(`${api}/pulls/${pr.number}/comments`),
    review_comment: href(`${api}/pulls/comments{/number}`),
    commits: href(`${api}/pulls/${pr.number}/commits`),
    statuses: href(`${api}/statuses/${headSha}`),
  };
}

export function pullRequest(u: Urls, state: State, pr: PullRequest, variant: PullVariant): Json {
  const repo = state.repoById(pr.repoId);
  const full = `${repo.owner}/${repo.name}`;
  const api = `${u.api}/repos/${full}`;
  const html = `${u.html}/${full}`;
  const headSha = state.headSha(pr);
  const baseSha = state.baseSha(pr);
  const repoJson = repository(u, state, repo);
  const ownerJson = userByLogin(u, state, repo.owner);
  const side = (ref: string, sha: string) => ({
    label: `${repo.owner}:${ref}`,
    ref,
    sha,
    user: ownerJson,
    repo: repoJson,
  });
  const out: Json = {
    url: `${api}/pulls/${pr.number}`,
    id: pr.id,
    node_id: nodeId("PullRequest", pr.id),
    html_url: `${html}/pull/${pr.number}`,
    diff_url: `${html}/pull/${pr.number}.diff`,
    patch_url: `${html}/pull/${pr.number}.patch`,
    issue_url: `${api}/issues/${pr.number}`,
    commits_url: `${api}/pulls/${pr.number}/commits`,
    review_comments_url: `${api}/pulls/${pr.number}/comments`,
    review_comment_url: `${api}/pulls/comments{/number}`,
    comments_url: `${api}/issues/${pr.number}/comments`,
    statuses_url: `${api}/statuses/${headSha}`,
    number: pr.number,
    state: pr.state,
    locked: false,
    title: pr.title,
    user: userByLogin(u, state, pr.author),
    body: pr.body,
    labels: [],
    milestone: null,
    active_lock_reason: null,
    created_at: pr.createdAt,
    updated_at: pr.updatedAt,
    closed_at: pr.closedAt,
    merged_at: pr.mergedAt,
    merge_commit_sha: pr.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: pr.requestedReviewers.map((l) => userByLogin(u, state, l)),
    requested_teams: pr.requestedTeams.map((s) => team(u, state, state.teams.get(s)!)),
    head: side(pr.head, headSha),
    base: side(pr.base, baseSha),
    _links: links(u, full, pr, headSha),
    author_association: state.authorAssociation(repo, pr.author),
    auto_merge: null,
    draft: pr.draft,
  };
  if (variant === "simple") return out;
  const base = repo.git.mergeBase(baseSha, headSha);
  const files = base ? repo.git.diff(base.files, repo.git.get(headSha).files) : [];
  Object.assign(out, {
    merged: pr.merged,
    mergeable: pr.state === "open" ? true : null,
    rebaseable: pr.state === "open" ? true : null,
    mergeable_state: pr.state !== "open" ? "unknown" : pr.draft ? "draft" : "clean",
    merged_by: pr.mergedBy ? userByLogin(u, state, pr.mergedBy) : null,
    comments: [...state.comments.values()].filter((c) => c.repoId === repo.id && c.issueNumber === pr.number).length,
    review_comments: 0,
    maintainer_can_modify: false,
    commits: repo.git.commitsBetween(baseSha, headSha).length,
    additions: files.reduce((n, f) => n + f.additions, 0),
    deletions: files.reduce((n, f) => n + f.deletions, 0),
    changed_files: files.length,
  });
  if (variant === "webhook") {
    Object.assign(out, {
      allow_auto_merge: false,
      allow_update_branch: false,
      delete_branch_on_merge: false,
      use_squash_pr_title_as_default: false,
    });
  }
  return out;
}

/** The `pull-request-minimal` shape used inside check runs and check suites. */
export function pullMinimal(u: Urls, state: State, pr: PullRequest): Json {
  const repo = state.repoById(pr.repoId);
  const r = { id: repo.id, url: `${u.api}/repos/${repo.owner}/${repo.name}`, name: repo.name };
  return {
    url: `${r.url}/pulls/${pr.number}`,
    id: pr.id,
    number: pr.number,
    head: { ref: pr.head, sha: state.headSha(pr), repo: r },
    base: { ref: pr.base, sha: state.baseSha(pr), repo: r },
  };
}

/** REST reviews use UPPER_CASE states; webhook payloads use lower_case, as on GitHub. */
export function review(u: Urls, state: State, r: Review, forWebhook = false): Json {
  const repo = state.repoById(r.repoId);
  const full = `${repo.owner}/${repo.name}`;
  const html = `${u.html}/${full}/pull/${r.prNumber}#pullrequestreview-${r.id}`;
  const prUrl = `${u.api}/repos/${full}/pulls/${r.prNumber}`;
  return {
    id: r.id,
    node_id: nodeId("PullRequestReview", r.id),
    user: userByLogin(u, state, r.user),
    body: r.body,
    state: forWebhook ? r.state.toLowerCase() : r.state,
    html_url: html,
    pull_request_url: prUrl,
    _links: { html: { href: html }, pull_request: { href: prUrl } },
    submitted_at: r.submittedAt,
    commit_id: r.commitId,
    author_association: state.authorAssociation(repo, r.user),
  };
}

export function issueComment(u: Urls, state: State, c: IssueComment): Json {
  const repo = state.repoById(c.repoId);
  const full = `${repo.owner}/${repo.name}`;
  const url = `${u.api}/repos/${full}/issues/comments/${c.id}`;
  return {
    id: c.id,
    node_id: nodeId("IssueComment", c.id),
    url,
    html_url: `${u.html}/${full}/pull/${c.issueNumber}#issuecomment-${c.id}`,
    body: c.body,
    user: userByLogin(u, state, c.user),
    created_at: c.createdAt,
    updated_at: c.updatedAt,
    issue_url: `${u.api}/repos/${full}/issues/${c.issueNumber}`,
    author_association: state.authorAssociation(repo, c.user),
    performed_via_github_app: c.viaAppId !== null ? integration(u, state, state.apps.get(c.viaAppId)!) : null,
    reactions: reactions(`${url}/reactions`),
  };
}

/** The issue side of a PR, as sent in issue_comment webhooks (with the `pull_request` marker). */
export function issueOfPull(u: Urls, state: State, pr: PullRequest): Json {
  const repo = state.repoById(pr.repoId);
  const full = `${repo.owner}/${repo.name}`;
  const api = `${u.api}/repos/${full}/issues/${pr.number}`;
  const issueId = pr.id - 1_000_000_000;
  return {
    url: api,
    repository_url: `${u.api}/repos/${full}`,
    labels_url: `${api}/labels{/name}`,
    comments_url: `${api}/comments`,
    events_url: `${api}/events`,
    html_url: `${u.html}/${full}/pull/${pr.number}`,
    id: issueId,
    node_id: nodeId("PullRequest", pr.id),
    number: pr.number,
    title: pr.title,
    user: userByLogin(u, state, pr.author),
    labels: [],
    state: pr.state,
    locked: false,
    assignee: null,
    assignees: [],
    milestone: null,
    comments: [...state.comments.values()].filter((c) => c.repoId === repo.id && c.issueNumber === pr.number).length,
    created_at: pr.createdAt,
    updated_at: pr.updatedAt,
    closed_at: pr.closedAt,
    author_association: state.authorAssociation(repo, pr.author),
    active_lock_reason: null,
    draft: pr.draft,
    body: pr.body,
    reactions: reactions(`${api}/reactions`),
    timeline_url: `${api}/timeline`,
    performed_via_github_app: null,
    pull_request: {
      url: `${u.api}/repos/${full}/pulls/${pr.number}`,
      html_url: `${u.html}/${full}/pull/${pr.number}`,
      diff_url: `${u.html}/${full}/pull/${pr.number}.diff`,
      patch_url: `${u.html}/${full}/pull/${pr.number}.patch`,
      merged_at: pr.mergedAt,
    },
  };
}

export function reviewRequest(u: Urls, state: State, pr: PullRequest): Json {
  return {
    users: pr.requestedReviewers.map((l) => user(u, state.account(l)!)),
    teams: pr.requestedTeams.map((s) => team(u, state, state.teams.get(s)!)),
  };
}
