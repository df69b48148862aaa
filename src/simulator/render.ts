/**
 * Renderers from the in-memory model to GitHub's JSON shapes (users, repos, apps, teams, commits, files).
 * URLs always use the GHE layout (<host>/api/v3/...) because that is how the app is pointed at the simulator.
 */
import type { Commit, FileChange } from "./git.js";
import type { Account, AppInfo, Repo, State, Team } from "./state.js";
import { isoSeconds, nodeId } from "./util.js";

export interface Urls {
  /** e.g. http://127.0.0.1:1234/api/v3 */
  api: string;
  /** e.g. http://127.0.0.1:1234 */
  html: string;
}

export type Json = Record<string, unknown>;

export function user(u: Urls, a: Account): Json {
  const api = `${u.api}/users/${a.login}`;
  return {
    login: a.login,
    id: a.id,
    node_id: nodeId(a.type, a.id),
    avatar_url: `${u.html}/avatars/u/${a.id}?v=4`,
    gravatar_id: "",
    url: api,
    html_url: a.type === "Bot" ? `${u.html}/apps/${a.login.replace(/\[bot\]$/, "")}` : `${u.html}/${a.login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: a.type,
    user_view_type: "public",
    site_admin: a.siteAdmin,
  };
}

export function userByLogin(u: Urls, state: State, login: string): Json {
  const a = state.account(login);
  if (!a) throw new Error(`unknown account ${login}`);
  return user(u, a);
}

export function organization(u: Urls, org: Account): Json {
  const api = `${u.api}/orgs/${org.login}`;
  return {
    login: org.login,
    id: org.id,
    node_id: nodeId("Organization", org.id),
    url: api,
    repos_url: `${api}/repos`,
    events_url: `${api}/events`,
    hooks_url: `${api}/hooks`,
    issues_url: `${api}/issues`,
    members_url: `${api}/members{/member}`,
    public_members_url: `${api}/public_members{/member}`,
    avatar_url: `${u.html}/avatars/u/${org.id}?v=4`,
    description: null,
  };
}

export function integration(u: Urls, state: State, app: AppInfo): Json {
  return {
    id: app.id,
    slug: app.slug,
    node_id: nodeId("Integration", app.id),
    client_id: app.clientId,
    owner: userByLogin(u, state, app.owner),
    name: app.name,
    description: null,
    external_url: `${u.html}/apps/${app.slug}`,
    html_url: `${u.html}/apps/${app.slug}`,
    created_at: app.createdAt,
    updated_at: app.createdAt,
    permissions: app.permissions,
    events: app.events,
  };
}

export function installation(u: Urls, state: State): Json {
  const org = state.account(state.org)!;
  const app = state.app;
  return {
    id: state.installationId,
    account: user(u, org),
    repository_selection: "all",
    access_tokens_url: `${u.api}/app/installations/${state.installationId}/access_tokens`,
    repositories_url: `${u.api}/installation/repositories`,
    html_url: `${u.html}/organizations/${org.login}/settings/installations/${state.installationId}`,
    app_id: app.id,
    app_slug: app.slug,
    client_id: app.clientId,
    target_id: org.id,
    target_type: org.type,
    permissions: app.permissions,
    events: app.events,
    created_at: app.createdAt,
    updated_at: app.createdAt,
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: null,
    suspended_at: null,
  };
}

const REPO_URL_SUFFIXES: Record<string, string> = {
  forks_url: "/forks",
  keys_url: "/keys{/key_id}",
  collaborators_url: "/collaborators{/collaborator}",
  teams_url: "/teams",
  hooks_url: "/hooks",
  issue_events_url: "/issues/events{/number}",
  events_url: "/events",
  assignees_url: "/assignees{/user}",
  branches_url: "/branches{/branch}",
  tags_url: "/tags",
  blobs_url: "/git/blobs{/sha}",
  git_tags_url: "/git/tags{/sha}",
  git_refs_url: "/git/refs{/sha}",
  trees_url: "/git/trees{/sha}",
  statuses_url: "/statuses/{sha}",
  languages_url: "/languages",
  stargazers_url: "/stargazers",
  contributors_url: "/contributors",
  subscribers_url: "/subscribers",
  subscription_url: "/subscription",
  commits_url: "/commits{/sha}",
  git_commits_url: "/git/commits{/sha}",
  comments_url: "/comments{/number}",
  issue_comment_url: "/issues/comments{/number}",
  contents_url: "/contents/{+path}",
  compare_url: "/compare/{base}...{head}",
  merges_url: "/merges",
  archive_url: "/{archive_format}{/ref}",
  downloads_url: "/downloads",
  issues_url: "/issues{/number}",
  pulls_url: "/pulls{/number}",
  milestones_url: "/milestones{/number}",
  notifications_url: "/notifications{?since,all,participating}",
  labels_url: "/labels{/name}",
  releases_url: "/releases{/id}",
  deployments_url: "/deployments",
};

export function repository(u: Urls, state: State, repo: Repo): Json {
  const full = `${repo.owner}/${repo.name}`;
  const api = `${u.api}/repos/${full}`;
  const host = new URL(u.html).host;
  const open = [...state.pullsOf(repo).values()].filter((p) => p.state === "open").length;
  return {
    id: repo.id,
    node_id: nodeId("Repository", repo.id),
    name: repo.name,
    full_name: full,
    private: repo.private,
    owner: userByLogin(u, state, repo.owner),
    html_url: `${u.html}/${full}`,
    description: null,
    fork: false,
    url: api,
    ...Object.fromEntries(Object.entries(REPO_URL_SUFFIXES).map(([k, s]) => [k, api + s])),
    created_at: repo.createdAt,
    updated_at: repo.pushedAt,
    pushed_at: repo.pushedAt,
    git_url: `git://${host}/${full}.git`,
    ssh_url: `git@${host}:${full}.git`,
    clone_url: `${u.html}/${full}.git`,
    svn_url: `${u.html}/${full}`,
    homepage: null,
    size: 0,
    stargazers_count: 0,
    watchers_count: 0,
    language: null,
    has_issues: true,
    has_projects: false,
    has_downloads: true,
    has_wiki: false,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    mirror_url: null,
    archived: false,
    disabled: false,
    open_issues_count: open,
    license: null,
    allow_forking: true,
    is_template: false,
    web_commit_signoff_required: false,
    topics: [],
    visibility: repo.private ? "private" : "public",
    forks: 0,
    open_issues: open,
    watchers: 0,
    default_branch: repo.defaultBranch,
  };
}

export function team(u: Urls, state: State, t: Team, withParent = true): Json {
  const org = state.account(state.org)!;
  const api = `${u.api}/organizations/${org.id}/team/${t.id}`;
  const parent = t.parent ? state.teams.get(t.parent) : undefined;
  return {
    id: t.id,
    node_id: nodeId("Team", t.id),
    url: api,
    html_url: `${u.html}/orgs/${org.login}/teams/${t.slug}`,
    name: t.name,
    slug: t.slug,
    description: t.description,
    privacy: "closed",
    notification_setting: "notifications_enabled",
    permission: "pull",
    members_url: `${api}/members{/member}`,
    repositories_url: `${api}/repos`,
    type: "organization",
    organization_id: org.id,
    ...(withParent ? { parent: parent ? team(u, state, parent, false) : null } : {}),
  };
}

export function gitUser(c: Commit): Json {
  return { name: c.author.name, email: c.author.email, date: c.timestamp };
}

/** The REST `commit` schema (compare, PR commits). */
export function commit(u: Urls, state: State, repo: Repo, c: Commit): Json {
  const api = `${u.api}/repos/${repo.owner}/${repo.name}`;
  const html = `${u.html}/${repo.owner}/${repo.name}`;
  const login = c.author.login && state.account(c.author.login) ? userByLogin(u, state, c.author.login) : {};
  return {
    url: `${api}/commits/${c.sha}`,
    sha: c.sha,
    node_id: nodeId("Commit", parseInt(c.sha.slice(0, 8), 16)),
    html_url: `${html}/commit/${c.sha}`,
    comments_url: `${api}/commits/${c.sha}/comments`,
    commit: {
      url: `${api}/git/commits/${c.sha}`,
      author: gitUser(c),
      committer: gitUser(c),
      message: c.message,
      comment_count: 0,
      tree: { sha: c.treeSha, url: `${api}/git/trees/${c.treeSha}` },
      verification: { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null },
    },
    author: login,
    committer: login,
    parents: c.parents.map((p) => ({ sha: p, url: `${api}/commits/${p}`, html_url: `${html}/commit/${p}` })),
  };
}

/** The webhook `simple-commit` / push commit shape. */
export function webhookCommit(u: Urls, repo: Repo, c: Commit, change?: FileChange[]): Json {
  const person = {
    name: c.author.name,
    email: c.author.email,
    ...(c.author.login ? { username: c.author.login } : {}),
  };
  const base = {
    id: c.sha,
    tree_id: c.treeSha,
    message: c.message,
    timestamp: c.timestamp,
    author: person,
    committer: person,
  };
  if (!change) return base;
  const pick = (...s: string[]) => change.filter((f) => s.includes(f.status)).map((f) => f.filename);
  return {
    ...base,
    distinct: true,
    url: `${u.html}/${repo.owner}/${repo.name}/commit/${c.sha}`,
    added: [...pick("added", "renamed")],
    removed: [...pick("removed"), ...change.filter((f) => f.previous_filename).map((f) => f.previous_filename!)],
    modified: pick("modified"),
  };
}

export function diffEntry(u: Urls, repo: Repo, ref: string, f: FileChange): Json {
  const full = `${repo.owner}/${repo.name}`;
  const path = f.filename.split("/").map(encodeURIComponent).join("/");
  return {
    sha: f.sha,
    filename: f.filename,
    status: f.status,
    additions: f.additions,
    deletions: f.deletions,
    changes: f.additions + f.deletions,
    blob_url: `${u.html}/${full}/blob/${ref}/${path}`,
    raw_url: `${u.html}/${full}/raw/${ref}/${path}`,
    contents_url: `${u.api}/repos/${full}/contents/${path}?ref=${ref}`,
    ...(f.previous_filename ? { previous_filename: f.previous_filename } : {}),
  };
}

export const now = (clock: () => Date): string => isoSeconds(clock());
