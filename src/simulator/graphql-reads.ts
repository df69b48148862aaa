/**
 * GitHub's GraphQL reads of a repository and its pull requests (`viewer`, `repository { pullRequest … }`)
 * and of an organization's team members (`organization { team { members } }`), answered from the objects
 * the REST routes render, so a GraphQL read sees exactly what the REST reads see.
 *
 * A backend (`PullStateBackend`: the simulator's state, or the tests' fake GitHub) returns REST-shaped
 * objects; this module maps them to GraphQL's shapes as plain object trees for graphql-js's default
 * resolution: a field with arguments is a function of them, an abstract type carries `__typename`. A field
 * left undefined answers "not simulated" (graphql.ts), never a silent null; null is answered only where
 * GitHub answers null (a missing file, an unknown object id, an unknown pull request with NOT_FOUND).
 */
import { FieldError, notSimulated } from "./graphql-errors.js";

/** A REST user (`simple-user`): `type` is "User", "Bot", "Organization" or "Mannequin". */
export interface RestUser {
  readonly login: string;
  readonly id: number;
  readonly type: string;
  readonly node_id?: string;
}

export interface RestRepository {
  readonly id: number;
  readonly node_id: string;
  readonly name: string;
  readonly full_name: string;
  readonly owner: RestUser;
  readonly default_branch: string;
}

/** A REST pull request (full, or the simple one GET commits/{sha}/pulls lists). */
export interface RestPull {
  readonly id?: number;
  readonly node_id?: string;
  readonly number: number;
  readonly state: string;
  readonly title?: string;
  readonly body?: string | null;
  readonly merged?: boolean;
  readonly merged_at?: string | null;
  readonly draft?: boolean;
  readonly created_at?: string;
  readonly updated_at?: string;
  readonly closed_at?: string | null;
  readonly changed_files?: number;
  readonly user?: RestUser | null;
  readonly head: { readonly sha: string; readonly ref?: string };
  readonly base: { readonly sha?: string; readonly ref?: string; readonly repo?: { readonly full_name?: string } };
  readonly requested_reviewers?: readonly RestUser[];
  readonly requested_teams?: readonly { slug: string; name?: string; id?: number; node_id?: string }[];
}

export interface RestReview {
  readonly id: number;
  readonly node_id?: string;
  readonly user: RestUser | null;
  readonly state: string;
  readonly body: string;
  readonly commit_id: string | null;
  readonly submitted_at?: string | null;
}

export interface RestIssueComment {
  readonly id: number;
  readonly node_id?: string;
  readonly user: RestUser | null;
  readonly body?: string;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface RestFile {
  readonly filename: string;
  readonly status: string;
  readonly additions?: number;
  readonly deletions?: number;
}

interface GitPerson {
  readonly name?: string;
  readonly email?: string;
  readonly date?: string;
}

/** A REST pull request commit: `author` / `committer` are the GitHub users (null or {} when none). */
export interface RestCommit {
  readonly sha: string;
  readonly author: RestUser | Record<string, never> | null;
  readonly committer: RestUser | Record<string, never> | null;
  readonly commit?: { readonly author?: GitPerson; readonly committer?: GitPerson; readonly message?: string };
}

/** A REST check run with its app (GraphQL groups runs into the app's check suite). */
export interface RestAppRun {
  readonly id: number;
  readonly node_id: string;
  readonly name: string;
  readonly status: string;
  readonly conclusion: string | null;
  readonly started_at?: string | null;
  readonly completed_at?: string | null;
  readonly details_url?: string | null;
  /** `https://github.com/{owner}/{repo}/runs/{id}`: GraphQL's `resourcePath` is its path. */
  readonly html_url?: string | null;
  readonly external_id?: string | null;
  readonly output: { readonly title: string | null; readonly summary: string | null; readonly text?: string | null };
  readonly app?: { readonly id: number; readonly slug?: string; readonly name?: string };
  readonly check_suite?: { readonly id: number };
}

/** What the REST routes of one repository answer; every list is whole (all pages), in REST's order. */
export interface RepositoryReads {
  readonly repository: RestRepository;
  /** GET pulls/{n}; undefined for a 404. */
  pull(number: number): RestPull | undefined;
  reviews(number: number): RestReview[];
  comments(number: number): RestIssueComment[];
  files(number: number): RestFile[];
  commits(number: number): RestCommit[];
  /** The commit a branch points at; undefined when there is no such branch. */
  branch(name: string): string | undefined;
  /** Whether the repository has this commit. */
  hasCommit(sha: string): boolean;
  /** GET commits/{sha}/check-runs?filter=all: every app's runs on the commit. */
  checkRuns(sha: string): RestAppRun[];
  /** GET commits/{sha}/pulls. */
  pullsForCommit(sha: string): RestPull[];
  /** GET pulls?state=open&base=&sort=updated&direction=desc, every page: the open ones, most recently updated first. */
  openPulls(base: string | undefined): RestPull[];
  /** GET contents/{path}?ref=: the file's text (and blob sha); undefined for a 404 or a directory. */
  file(ref: string, path: string): { text: string; sha?: string } | undefined;
  /** GET issues/{n}/events: the events GitHub recorded on the pull request, oldest first. */
  issueEvents(number: number): RestIssueEvent[];
  /**
   * The pull request's entry in its base branch's merge queue: the head commit of the merge group built for
   * it (GraphQL only: REST has no such read). Undefined when it is not queued.
   */
  mergeQueueEntry?(number: number): { readonly headSha: string } | undefined;
}

/** A REST issue event (only what the timeline needs). */
export interface RestIssueEvent {
  readonly event: string;
  readonly created_at: string;
}

/** REST issue events as GraphQL timeline items: only the kinds the app asks for are served. */
const TIMELINE_ITEMS: Readonly<Record<string, string>> = { head_ref_force_pushed: "HEAD_REF_FORCE_PUSHED_EVENT" };

/** Where GraphQL reads come from. */
export interface PullStateBackend {
  /** Who the token is: for an installation, the app's bot user (`<slug>[bot]`, type "Bot"). */
  viewer(): RestUser;
  repository(owner: string, name: string): RepositoryReads | undefined;
  /**
   * An organization's team (by its slug, ignoring case) and its active members, child teams' members
   * included, as REST lists them (`GET /orgs/{org}/teams/{team_slug}/members`); undefined when the
   * organization has no such team.
   */
  team(org: string, slug: string): { readonly slug: string; readonly members: readonly RestUser[] } | undefined;
  /** Is `login` an organization GitHub knows? */
  isOrganization(login: string): boolean;
}

type Node = Record<string, unknown>;
type Args = Record<string, unknown>;

/** The root fields of a query: `viewer`, `repository` and `organization`. */
export function queryRoot(reads: PullStateBackend): Node {
  return {
    viewer: () => viewer(reads.viewer()),
    repository: (args: { owner: string; name: string }) => {
      const { owner, name } = args; // String! arguments: the schema has checked them
      const r = reads.repository(owner, name);
      if (!r) throw new FieldError("NOT_FOUND", `Could not resolve to a Repository with the name '${owner}/${name}'.`);
      return repository(r);
    },
    organization: ({ login }: { login: string }) => {
      if (!reads.isOrganization(login))
        throw new FieldError("NOT_FOUND", `Could not resolve to an Organization with the login of '${login}'.`);
      return organization(reads, login);
    },
  };
}

/** An organization: only its teams' members are simulated. */
function organization(reads: PullStateBackend, login: string): Node {
  return {
    __typename: "Organization",
    login,
    team: ({ slug }: { slug: string }) => {
      const found = reads.team(login, slug);
      return found === undefined ? null : team(found.slug, found.members);
    },
  };
}

/**
 * A team. `members` lists active members only (invitations are another connection on GitHub) and, with
 * `membership: ALL` (the default), child teams' members too. Found by its slug only (GitHub's `team(slug:)`
 * also finds one by its name) and not searched (`query`): what the app asks.
 */
function team(slug: string, members: readonly RestUser[]): Node {
  return {
    __typename: "Team",
    slug,
    members: ({ membership, query, ...page }: Args) => {
      if (membership !== "ALL") throw notServed(`Team.members(membership: ${String(membership)})`);
      unsupported("Team.members(…)", { query });
      return connection("members", members, page, actor);
    },
  };
}

/**
 * For an installation token `viewer` is the app's bot user, and GitHub answers its REST login, `<slug>[bot]`
 * (e.g. `fullsend-ai-coder[bot]`, fullsend-ai/fullsend#1953), unlike a Bot actor's login (see `actor`).
 */
function viewer(u: RestUser): Node {
  return { __typename: "User", login: u.login, databaseId: u.id, id: u.node_id };
}

/**
 * An actor as GraphQL types it. A Bot's GraphQL login drops REST's `[bot]` suffix (REST `renovate[bot]` is
 * GraphQL `renovate`): compare a bot by `databaseId`, which both APIs share.
 */
export function actor(u: RestUser | Record<string, never> | null | undefined): Node | null {
  if (!u || !("login" in u)) return null;
  const types: Record<string, string> = {
    User: "User",
    Bot: "Bot",
    Organization: "Organization",
    Mannequin: "Mannequin",
  };
  const typename = types[u.type];
  if (!typename) throw notServed(`an actor of REST type ${u.type}`);
  const login = typename === "Bot" ? u.login.replace(/\[bot\]$/, "") : u.login;
  return { __typename: typename, login, databaseId: u.id, id: u.node_id };
}

function repository(r: RepositoryReads): Node {
  const repo = r.repository;
  return {
    __typename: "Repository",
    id: repo.node_id,
    databaseId: repo.id,
    name: repo.name,
    nameWithOwner: repo.full_name,
    owner: { ...actor(repo.owner), __typename: repo.owner.type === "Organization" ? "Organization" : "User" },
    defaultBranchRef: () => ref(r, repo.default_branch),
    ref: ({ qualifiedName }: Args) => ref(r, String(qualifiedName).replace(/^refs\/heads\//, "")),
    object: ({ oid, expression }: Args) => {
      if (expression !== undefined && expression !== null) throw notServed("object(expression:)");
      // Only commits are simulated as objects: another oid (a blob's, a tree's) answers null, as an unknown one does.
      return typeof oid === "string" && r.hasCommit(oid) ? commit(r, oid, oid) : null;
    },
    // The open ones by last update, as the conflict radar lists them: the one listing simulated.
    pullRequests: ({ states, baseRefName, orderBy, headRefName, labels, ...page }: Args) => {
      const order = orderBy as { field?: string; direction?: string } | null | undefined;
      if (order?.field !== "UPDATED_AT" || order.direction !== "DESC")
        throw notServed("pullRequests(orderBy:) other than UPDATED_AT DESC");
      if (!Array.isArray(states) || states.length !== 1 || states[0] !== "OPEN")
        throw notServed("pullRequests(states:) other than [OPEN]");
      unsupported("Repository.pullRequests(…)", { headRefName, labels });
      const base = typeof baseRefName === "string" ? baseRefName : undefined;
      return connection("pullRequests", r.openPulls(base), page, (p) => pull(r, p));
    },
    pullRequest: ({ number }: { number: number }) => {
      const pr = r.pull(number);
      if (!pr) throw new FieldError("NOT_FOUND", `Could not resolve to a PullRequest with the number of ${number}.`);
      return pull(r, pr);
    },
  };
}

/** A branch (GitHub answers null for a ref that does not exist); its commit reads files at the branch. */
function ref(r: RepositoryReads, name: string): Node | null {
  const sha = r.branch(name);
  return sha === undefined ? null : { __typename: "Ref", name, prefix: "refs/heads/", target: commit(r, sha, name) };
}

/**
 * A commit; `at` is the ref its files are read at (the branch when reached through one, as REST's
 * contents?ref=<branch> reads), `rest` the REST commit when the commit came from a list that has it.
 */
function commit(r: RepositoryReads, oid: string, at: string, rest?: RestCommit): Node {
  return {
    __typename: "Commit",
    oid,
    abbreviatedOid: oid.slice(0, 7),
    message: rest?.commit?.message,
    author: rest ? gitActor(rest.author, rest.commit?.author) : undefined,
    committer: rest ? gitActor(rest.committer, rest.commit?.committer) : undefined,
    file: ({ path }: Args) => {
      const f = r.file(at, String(path));
      return f ? treeEntry(String(path), f) : null;
    },
    checkSuites: ({ filterBy, ...page }: Args) => checkSuites(r.checkRuns(oid), filterBy as Args | null, page),
    associatedPullRequests: ({ orderBy, ...page }: Args) => {
      const order = orderBy as { field?: string; direction?: string } | null | undefined;
      if (order && (order.field !== "CREATED_AT" || order.direction !== "ASC"))
        throw notServed("associatedPullRequests(orderBy:) other than CREATED_AT ASC");
      // GraphQL's default order is oldest first; a pull request's number grows with its creation.
      const prs = [...r.pullsForCommit(oid)].sort((a, b) => a.number - b.number);
      return connection("associatedPullRequests", prs, page, (p) => pull(r, p));
    },
  };
}

/** GitActor: the git identity, and the GitHub user REST matched to it (REST's {} or null: none). */
function gitActor(user: RestCommit["author"], person: GitPerson | undefined): Node {
  const u = user && "login" in user ? user : null;
  return {
    name: person?.name,
    email: person?.email,
    date: person?.date,
    // GitActor.user is a User: a bot's commit keeps REST's login here, as the REST reads give it.
    user: u ? { __typename: "User", login: u.login, databaseId: u.id, id: u.node_id } : null,
  };
}

function treeEntry(path: string, f: { text: string; sha?: string }): Node {
  const blob = {
    __typename: "Blob",
    oid: f.sha,
    text: f.text,
    byteSize: Buffer.byteLength(f.text),
    // REST's contents API serves files up to 1 MB whole; the simulator has no binary files.
    isTruncated: false,
    isBinary: false,
  };
  return { path, name: path.split("/").pop(), type: "blob", oid: f.sha, object: blob };
}

/**
 * GitHub's ids outgrew GraphQL's 32-bit `Int`: `databaseId` cannot carry a comment's or a check run's id
 * (graphql-js answers an error for it, as the schema types it), `fullDatabaseId` is a BigInt sent as a string.
 */
const bigInt = (id: number | undefined): string | undefined => (id === undefined ? undefined : String(id));

const CHANGE_TYPES: Record<string, string> = {
  added: "ADDED",
  modified: "MODIFIED",
  removed: "DELETED",
  renamed: "RENAMED",
  copied: "COPIED",
  changed: "CHANGED",
};

function pull(r: RepositoryReads, p: RestPull): Node {
  const merged = p.merged ?? (p.merged_at === undefined ? undefined : p.merged_at !== null);
  const reviewers = [
    ...(p.requested_reviewers ?? []).map((u) => ({ requestedReviewer: actor(u) })),
    ...(p.requested_teams ?? []).map((t) => ({
      requestedReviewer: { __typename: "Team", slug: t.slug, name: t.name, databaseId: t.id, id: t.node_id },
    })),
  ];
  return {
    __typename: "PullRequest",
    id: p.node_id,
    databaseId: p.id,
    fullDatabaseId: bigInt(p.id),
    number: p.number,
    title: p.title,
    body: p.body,
    state: merged ? "MERGED" : p.state.toUpperCase(),
    merged,
    isDraft: p.draft,
    createdAt: p.created_at,
    updatedAt: p.updated_at,
    closedAt: p.closed_at,
    mergedAt: p.merged_at,
    changedFiles: p.changed_files,
    headRefOid: p.head.sha,
    headRefName: p.head.ref,
    baseRefOid: p.base.sha,
    baseRefName: p.base.ref,
    baseRepository: p.base.repo?.full_name ? { nameWithOwner: p.base.repo.full_name } : undefined,
    mergeQueueEntry: () => {
      const entry = r.mergeQueueEntry?.(p.number);
      return entry ? { headCommit: { oid: entry.headSha } } : null;
    },
    author: p.user === undefined ? undefined : actor(p.user),
    baseRef: () => ref(r, served(p.base.ref, "PullRequest.baseRef")),
    reviewRequests: (page: Args) => {
      served(p.requested_reviewers, "PullRequest.reviewRequests");
      return connection("reviewRequests", reviewers, page);
    },
    files: (page: Args) => connection("files", r.files(p.number), page, file),
    reviews: ({ author, states, ...page }: Args) => {
      if (author != null || states != null) throw notServed("reviews(author:, states:)");
      return connection("reviews", r.reviews(p.number), page, (x) => review(r, x));
    },
    comments: ({ orderBy, ...page }: Args) => {
      if (orderBy != null) throw notServed("comments(orderBy:)");
      return connection("comments", r.comments(p.number), page, comment);
    },
    timelineItems: ({ itemTypes, ...page }: Args) => {
      const types = Array.isArray(itemTypes) ? (itemTypes as string[]) : [];
      const known = new Set(Object.values(TIMELINE_ITEMS));
      if (types.length === 0 || types.some((t) => !known.has(t)))
        throw notServed(`timelineItems other than itemTypes: [${[...known].join(", ")}]`);
      const items = r.issueEvents(p.number).filter((e) => types.includes(TIMELINE_ITEMS[e.event] ?? ""));
      return connection("timelineItems", items, page, (e) => ({
        __typename: "HeadRefForcePushedEvent",
        createdAt: e.created_at,
      }));
    },
    commits: (page: Args) =>
      connection("commits", r.commits(p.number), page, (c) => ({
        __typename: "PullRequestCommit",
        commit: commit(r, c.sha, c.sha, c),
      })),
  };
}

function file(f: RestFile): Node {
  const changeType = CHANGE_TYPES[f.status];
  if (!changeType) throw notServed(`a changed file of REST status ${f.status}`);
  return { path: f.filename, changeType, additions: f.additions, deletions: f.deletions };
}

function review(r: RepositoryReads, x: RestReview): Node {
  return {
    __typename: "PullRequestReview",
    id: x.node_id,
    databaseId: x.id,
    fullDatabaseId: bigInt(x.id),
    author: actor(x.user),
    state: x.state.toUpperCase(),
    body: x.body,
    commit: x.commit_id ? commit(r, x.commit_id, x.commit_id) : null,
    submittedAt: x.submitted_at,
  };
}

function comment(c: RestIssueComment): Node {
  return {
    __typename: "IssueComment",
    id: c.node_id,
    databaseId: c.id,
    fullDatabaseId: bigInt(c.id),
    author: actor(c.user),
    body: c.body,
    createdAt: c.created_at,
    updatedAt: c.updated_at,
  };
}

/** One check suite per app with runs on the commit (the simulator keeps one per app and commit, as GitHub does). */
function checkSuites(runs: RestAppRun[], filterBy: Args | null | undefined, page: Args): Node {
  const { appId, checkName, ...other } = filterBy ?? {};
  unsupported("checkSuites(filterBy:)", other);
  const apps = new Map<number, RestAppRun[]>();
  for (const run of [...runs].sort((a, b) => a.id - b.id)) {
    if (!run.app) throw notServed("a check run without its app");
    apps.set(run.app.id, [...(apps.get(run.app.id) ?? []), run]);
  }
  const suites = [...apps.values()].filter(
    (rs) => (appId == null || rs[0]!.app!.id === appId) && (checkName == null || rs.some((x) => x.name === checkName)),
  );
  return connection("checkSuites", suites, page, (rs) => ({
    __typename: "CheckSuite",
    databaseId: rs[0]!.check_suite?.id,
    app: { __typename: "App", databaseId: rs[0]!.app!.id, slug: rs[0]!.app!.slug, name: rs[0]!.app!.name },
    checkRuns: ({ filterBy: runFilter, ...runPage }: Args) =>
      connection("checkRuns", checkRuns(rs, runFilter as Args | null | undefined), runPage, checkRunNode),
  }));
}

/**
 * A suite's runs, oldest first. GitHub does not document which runs `checkRuns` lists without a `checkType`,
 * so a query must say (ALL: REST's filter=all; LATEST: the newest run of each name).
 */
function checkRuns(runs: RestAppRun[], filterBy: Args | null | undefined): RestAppRun[] {
  const { checkType, checkName, status, appId, ...other } = filterBy ?? {};
  unsupported("checkRuns(filterBy:)", other);
  if (checkType !== "ALL" && checkType !== "LATEST")
    throw notServed("checkRuns without filterBy.checkType (GitHub's default is undocumented)");
  let out = runs.filter(
    (x) =>
      (checkName == null || x.name === checkName) &&
      (status == null || x.status.toUpperCase() === status) &&
      (appId == null || x.app?.id === appId),
  );
  if (checkType === "LATEST") out = out.filter((x) => !out.some((y) => y.name === x.name && y.id > x.id));
  return out;
}

/** GraphQL's CheckRun from the REST rendering (mutations answer with it too). */
export function checkRunNode(r: RestAppRun): Node {
  return {
    __typename: "CheckRun",
    id: r.node_id,
    databaseId: r.id,
    name: r.name,
    status: r.status.toUpperCase(),
    conclusion: r.conclusion ? r.conclusion.toUpperCase() : null,
    startedAt: r.started_at ?? null,
    completedAt: r.completed_at ?? null,
    detailsUrl: r.details_url ?? null,
    ...(r.html_url ? { resourcePath: new URL(r.html_url).pathname } : {}),
    externalId: r.external_id ?? null,
    title: r.output.title,
    summary: r.output.summary,
    text: r.output.text ?? null,
  };
}

/**
 * What this module does not serve: an error without a GitHub type, which the tests' fake GitHub counts as a
 * document the app must not send (test/helpers/fake-github.ts).
 */
const notServed = (what: string): Error => new Error(notSimulated(what));

/** A value the backend did not give (a REST shape without it): an error, never a silent null. */
function served<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw notServed(what);
  return value;
}

function unsupported(what: string, args: Args): void {
  const given = Object.entries(args).filter(([, v]) => v !== null && v !== undefined);
  if (given.length > 0) throw notServed(`${what} ${given.map(([k]) => k).join(", ")}`);
}

const MAX_PAGE = 100;
const cursor = (i: number) => Buffer.from(`cursor:v2:${i}`).toString("base64");
const position = (c: unknown): number | undefined => {
  if (typeof c !== "string") return undefined; // String arguments: absent or null
  const m = /^cursor:v2:(\d+)$/.exec(Buffer.from(c, "base64").toString("utf8"));
  if (!m) throw new FieldError("INVALID_CURSOR_ARGUMENTS", `\`${c}\` does not appear to be a valid cursor.`);
  return Number(m[1]);
};

/**
 * A connection over a whole list, with GitHub's rules: `first` or `last` (1 to 100) is required, `after` /
 * `before` are this module's cursors; `totalCount` counts the whole list.
 */
export function connection<T>(
  field: string,
  items: readonly T[],
  page: Args,
  node: (t: T) => unknown = (t) => t,
): Node {
  const { first, last, after, before, ...other } = page;
  unsupported(`${field}(…)`, other);
  if (typeof first !== "number" && typeof last !== "number")
    throw new FieldError(
      "MISSING_PAGINATION_BOUNDARIES",
      `You must provide a \`first\` or \`last\` value to properly paginate the \`${field}\` connection.`,
    );
  for (const [name, n] of [
    ["first", first],
    ["last", last],
  ] as const)
    if (typeof n === "number" && (n < 0 || n > MAX_PAGE))
      throw new FieldError(
        "EXCESSIVE_PAGINATION",
        `Requesting ${n} records on the \`${field}\` connection exceeds the \`${name}\` limit of ${MAX_PAGE} records.`,
      );
  let start = (position(after) ?? -1) + 1;
  let end = Math.min(items.length, position(before) ?? items.length);
  if (typeof first === "number") end = Math.min(end, start + first);
  if (typeof last === "number") start = Math.max(start, end - last);
  const indexes = Array.from({ length: Math.max(0, end - start) }, (_, k) => start + k);
  const edges = indexes.map((i) => ({ cursor: cursor(i), node: node(items[i]!) }));
  return {
    totalCount: items.length,
    nodes: edges.map((e) => e.node),
    edges,
    pageInfo: {
      hasNextPage: end < items.length,
      hasPreviousPage: start > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
