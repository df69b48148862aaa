import { createHash, generateKeyPairSync } from "node:crypto";
import { afterAll } from "@jest/globals";
import nock from "nock";
import { Probot, ProbotOctokit } from "probot";
import { createApp, type AppOptions } from "../../src/app/router.js";
import type { GraphQLEndpoint, MutationBackend, RestCheckRun } from "../../src/simulator/graphql.js";
import type { PullStateBackend, RepositoryReads, RestUser } from "../../src/simulator/graphql-reads.js";
import type { OpenApi } from "../../src/simulator/openapi.js";
import { nodeId, parseNodeId } from "../../src/simulator/util.js";
import { testLog } from "./test-log.js";

// nock patches node:http for the whole jest worker and each test file loads its own nock: release it when
// the file is done, or a later file's requests (the app's client is node:http) meet its stale interceptors.
afterAll(() => nock.restore());

/**
 * A small stateful GitHub behind nock, for Probot-pattern tests of the app: interceptors answer from
 * in-memory state, so a scenario reads like a story (open, review, click, push) while every request
 * the app sends is still an HTTP request nock sees, logs and (through `validate`) checks.
 */
export const APP_ID = 4242;
export const APP_SLUG = "parallel-review";
/**
 * The id of the app's bot user (`parallel-review[bot]`, as GitHub creates one per app): the author of the
 * comments the app writes and GraphQL's `viewer` for its installation token. Not the app's id.
 */
export const APP_BOT_ID = 142_420_001;
const API = "https://api.github.com";

export interface FakeRun {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  output: { title: string; summary: string; text?: string };
  actions: { label: string; description: string; identifier: string }[];
  external_id?: string;
  app_id: number;
  started_at: string;
  completed_at?: string | null;
}

export interface FakeComment {
  id: number;
  user: { login: string; id: number; type: string };
  body: string;
  created_at: string;
  updated_at: string;
  performed_via_github_app: { id: number; slug: string } | null;
}

export interface FakeReview {
  id: number;
  user: { login: string; id: number; type: string };
  state: string;
  body: string;
  commit_id: string;
  submitted_at: string;
}

export interface LoggedRequest {
  method: string;
  path: string;
  body: unknown;
  status: number;
}

/** The writes the app makes, with their OpenAPI path templates. */
const WRITE_TEMPLATES: [string, RegExp, string][] = [
  ["POST", /^\/repos\/[^/]+\/[^/]+\/check-runs$/, "/repos/{owner}/{repo}/check-runs"],
  ["PATCH", /^\/repos\/[^/]+\/[^/]+\/check-runs\/\d+$/, "/repos/{owner}/{repo}/check-runs/{check_run_id}"],
  ["POST", /^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/, "/repos/{owner}/{repo}/issues/{issue_number}/comments"],
  [
    "POST",
    /^\/repos\/[^/]+\/[^/]+\/pulls\/\d+\/requested_reviewers$/,
    "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
  ],
];

let clock = Date.parse("2026-11-27T10:00:00Z");
/** Strictly increasing GitHub timestamps, so "latest action wins" is deterministic. */
export function tick(): string {
  clock += 1000;
  return new Date(clock).toISOString();
}

export function sha(label: string): string {
  return createHash("sha1").update(label).digest("hex");
}

export class FakeGitHub {
  owner = "acme";
  repo = "shop";
  ownerType = "Organization";
  /** Files per ref (branch name or commit sha). */
  trees = new Map<string, Map<string, string>>();
  pull = {
    number: 7,
    state: "open",
    merged: false,
    draft: false,
    author: "carol",
    headSha: sha("head-1"),
    baseRef: "main",
    baseSha: sha("base-1"),
    changedFiles: 0,
    requestedUsers: [] as string[],
    requestedTeams: [] as string[],
    /** The head commit of the merge group built for it while it is in the merge queue (GraphQL's mergeQueueEntry). */
    queueHead: undefined as string | undefined,
  };
  files: { filename: string; status: string; previous_filename?: string }[] = [];
  reviews: FakeReview[] = [];
  comments: FakeComment[] = [];
  runs: FakeRun[] = [];
  /** team slug → active members (child teams already flattened, as GitHub's membership endpoint does). */
  teams = new Map<string, Set<string>>();
  pendingTeamMembers = new Map<string, Set<string>>();
  /** Users who cannot be requested for review (not collaborators): GitHub answers 422. */
  notCollaborators = new Set<string>();
  /** Logins GitHub does not know (every other login exists). */
  missingUsers = new Set<string>();
  /** "base...head" → compare answer. */
  compares = new Map<string, { status: string; files: { filename: string; status: string }[] }>();
  openPulls: number[] = [7];
  /** The pull request's commits with their GitHub authors/committers; empty means one commit by the author at the head. */
  commits: {
    sha: string;
    author: string | null;
    committer?: string | null;
    files: { filename: string; status?: string }[];
  }[] = [];
  /** Issue events GitHub recorded on the pull request (the app reads `head_ref_force_pushed`). */
  issueEvents: { id: number; event: string; created_at: string; commit_id: string | null }[] = [];
  /** Other open pull requests whose head is this pull request's head commit. */
  sharedHead: number[] = [];
  log: LoggedRequest[] = [];
  /** Answers to force for the next matching requests, e.g. a 500 or a secondary rate limit. */
  faults: {
    method: string;
    path: RegExp;
    status: number;
    headers?: Record<string, string>;
    body?: unknown;
    /** Only requests whose body (as JSON) matches: one GraphQL mutation among others, say. */
    request?: RegExp;
    times: number;
  }[] = [];
  /** Requests held back until `until` resolves (a slow replica's read, or one that never answers). */
  /** Requests held back until `until`; `body`, when given, must match the request's JSON (a mutation, say). */
  holds: { method: string; path: RegExp; body?: RegExp; until: Promise<void>; times: number }[] = [];
  /** Request bodies GitHub's OpenAPI description or GraphQL schema rejects (see `validateWith`); a test expects none. */
  invalid: string[] = [];
  /**
   * Every check-run write as its REST request, whichever API carried it: a GraphQL mutation is applied
   * (and checked against the OpenAPI description, and matched by `faults`) as the REST write it stands for.
   */
  runWrites: LoggedRequest[] = [];
  /** The hold a GraphQL query's REST read met (the query is answered when it is released). */
  graphqlHold: FakeGitHub["holds"][number] | undefined;
  private openapi?: OpenApi;
  private graphql?: GraphQLEndpoint;
  private nextId = 1000;
  private userIds = new Map<string, number>();

  userObj(login: string, type = "User") {
    if (login === this.botUser().login) return { login, id: APP_BOT_ID, type };
    if (!this.userIds.has(login)) this.userIds.set(login, 500 + this.userIds.size);
    return { login, id: this.userIds.get(login)!, type };
  }

  /** The app's bot user as REST shows it: the author of the app's comments, GraphQL's `viewer`. */
  botUser(): { login: string; id: number; type: string } {
    return { login: `${APP_SLUG}[bot]`, id: APP_BOT_ID, type: "Bot" };
  }

  setFile(ref: string, path: string, text: string | undefined): void {
    if (!this.trees.has(ref)) this.trees.set(ref, new Map());
    if (text === undefined) this.trees.get(ref)!.delete(path);
    else this.trees.get(ref)!.set(path, text);
  }

  setChangedFiles(files: { filename: string; status?: string; previous_filename?: string }[]): void {
    this.files = files.map((f) => ({ status: "modified", ...f }));
    this.pull.changedFiles = files.length;
  }

  review(
    login: string,
    state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED",
    body = "",
    commit = this.pull.headSha,
  ): FakeReview {
    const r = { id: this.nextId++, user: this.userObj(login), state, body, commit_id: commit, submitted_at: tick() };
    this.reviews.push(r);
    return r;
  }

  comment(login: string, body: string, type = "User", viaApp: { id: number; slug: string } | null = null): FakeComment {
    const at = tick();
    const c = {
      id: this.nextId++,
      user: this.userObj(login, type),
      body,
      created_at: at,
      updated_at: at,
      performed_via_github_app: viaApp,
    };
    this.comments.push(c);
    return c;
  }

  push(
    label: string,
    files: { filename: string; status?: string }[],
    changedSinceLastHead: { filename: string; status?: string }[],
  ): void {
    const before = this.pull.headSha;
    this.history.push({ sha: before, author: this.pull.author, files: this.files });
    this.pull.headSha = sha(label);
    this.setChangedFiles(files);
    this.compares.set(`${before}...${this.pull.headSha}`, {
      status: "ahead",
      files: changedSinceLastHead.map((f) => ({ status: "modified", ...f })),
    });
    // Transitive compares from any older approved commit: union of the steps.
    for (const [key, value] of [...this.compares]) {
      const [base, head] = key.split("...");
      if (head === before && base !== before)
        this.compares.set(`${base}...${this.pull.headSha}`, {
          status: "ahead",
          files: [...value.files, ...changedSinceLastHead.map((f) => ({ status: "modified", ...f }))],
        });
    }
  }

  /** Earlier heads an ordinary push left in the pull request's commits (the default commit list). */
  private history: { sha: string; author: string; files: { filename: string; status?: string }[] }[] = [];

  private prCommits(): FakeGitHub["commits"] {
    return this.commits.length > 0
      ? this.commits
      : [...this.history, { sha: this.pull.headSha, author: this.pull.author, files: this.files }];
  }

  /** Moves the head to an existing or new commit by force, as GitHub records it (an issue event). */
  forcePush(label: string, files?: { filename: string; status?: string }[]): void {
    this.pull.headSha = sha(label);
    if (files) this.setChangedFiles(files);
    this.issueEvents.push({
      id: this.nextId++,
      event: "head_ref_force_pushed",
      created_at: tick(),
      commit_id: this.pull.headSha,
    });
  }

  runsOn(headSha = this.pull.headSha): FakeRun[] {
    return this.runs.filter((r) => r.head_sha === headSha);
  }

  /** The newest run of a name on the head — what GitHub shows and branch protection reads. */
  run(name: string, headSha = this.pull.headSha): FakeRun | undefined {
    return this.runsOn(headSha)
      .filter((r) => r.name === name)
      .at(-1);
  }

  /** Requests that change GitHub's state (installation tokens are authentication, not writes). */
  /** Requests that change something: not reads, not GraphQL queries, not the app's token requests. */
  writes(): LoggedRequest[] {
    return this.log.filter((l) => l.method !== "GET" && !l.path.startsWith("/app/") && !isGraphQLQuery(l));
  }

  install(): void {
    // No request may leave for the internet; loopback stays open because nock's switch is process-wide
    // and other test files in the same jest worker run real local servers (the simulator).
    nock.disableNetConnect();
    nock.enableNetConnect((host) => /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(host));
    const scope = nock(API).persist();
    // nock calls the reply function with its own `this` (the request): the fake is reached through a name.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const fake = this;
    const handle = (method: string) =>
      function (
        this: { req: { headers: Record<string, string | string[] | undefined> } },
        uri: string,
        body: unknown,
        done: (err: null, answer: [number, nock.Body, Record<string, string>]) => void,
      ) {
        const headers = this.req.headers;
        const path = new URL(uri, API).pathname;
        // Answered when the test lets the hold go (a slow or hung GitHub); the state is read then, not now.
        // A GraphQL query is held by a hold on any REST read it makes (`graphqlHold`), and read again after.
        const respond = (): void => {
          const answer = fake.answer(method, uri, body, headers);
          const hold = fake.graphqlHold;
          fake.graphqlHold = undefined;
          if (!hold) return done(null, answer as [number, nock.Body, Record<string, string>]);
          hold.times--;
          void hold.until.then(respond);
        };
        const hold = fake.holdOn(method, path, body);
        if (!hold) return respond();
        hold.times--;
        void hold.until.then(respond);
      };
    scope.get(/.*/).reply(handle("GET"));
    scope.post(/.*/).reply(handle("POST"));
    scope.patch(/.*/).reply(handle("PATCH"));
    scope.delete(/.*/).reply(handle("DELETE"));
  }

  private answer(
    method: string,
    uri: string,
    body: unknown,
    reqHeaders: Record<string, string | string[] | undefined>,
  ): [number, unknown, Record<string, string>] {
    {
      const url = new URL(uri, API);
      const [status, data, headers] = this.route(method, url, body, reqHeaders["if-none-match"] as string | undefined);
      if (this.graphqlHold) return [status, data, headers ?? {}]; // not answered yet: logged when it is
      this.log.push({ method, path: url.pathname + url.search, body, status });
      if (method !== "GET" && /\/check-runs(\/\d+)?$/.test(url.pathname))
        this.runWrites.push({ method, path: url.pathname, body, status });
      return [status, data, headers ?? {}];
    }
  }

  private route(
    method: string,
    url: URL,
    body: unknown,
    ifNoneMatch?: string,
  ): [number, unknown, Record<string, string>?] {
    const p = url.pathname;
    const q = url.searchParams;
    const repoPath = `/repos/${this.owner}/${this.repo}`;
    if (method !== "GET" && this.openapi && !p.startsWith("/app/") && p !== "/graphql")
      this.check(method, p, url.searchParams, body);
    const fault = this.faults.find(
      (f) =>
        f.times > 0 &&
        f.method === method &&
        f.path.test(p) &&
        (!f.request || f.request.test(JSON.stringify(body ?? ""))),
    );
    if (fault) {
      fault.times--;
      return [fault.status, fault.body ?? { message: "injected fault" }, fault.headers];
    }
    let m: RegExpExecArray | null;

    if (p === "/graphql" && method === "POST") return this.graphqlAnswer(body);

    if (method === "POST" && /^\/app\/installations\/\d+\/access_tokens$/.test(p))
      return [201, { token: "ghs_test", expires_at: "2099-01-01T00:00:00Z", permissions: { checks: "write" } }];
    if ((m = new RegExp(`^${repoPath}/contents/(.+)$`).exec(p)) && method === "GET") {
      const path = decodeURIComponent(m[1]!);
      const ref = q.get("ref") ?? this.pull.baseRef;
      const text = this.trees.get(ref)?.get(path);
      if (text === undefined) return [404, { message: "Not Found" }];
      const etag = `"${createHash("sha1").update(text).digest("hex")}"`;
      if (ifNoneMatch === etag) return [304, "", { etag }];
      return [
        200,
        {
          type: "file",
          encoding: "base64",
          content: Buffer.from(text).toString("base64"),
          path,
          sha: etag.slice(1, -1),
        },
        { etag },
      ];
    }
    if (p === `${repoPath}/pulls/${this.pull.number}` && method === "GET") return [200, this.pullJson()];
    if (p === `${repoPath}/pulls/${this.pull.number}/files`) return this.page(this.files, url);
    if (p === `${repoPath}/pulls/${this.pull.number}/reviews`) return this.page(this.reviews, url);
    if (p === `${repoPath}/pulls/${this.pull.number}/commits` && method === "GET")
      return this.page(
        this.prCommits().map((c) => ({
          sha: c.sha,
          author: c.author ? this.userObj(c.author) : null,
          committer:
            c.committer === undefined
              ? c.author
                ? this.userObj(c.author)
                : null
              : c.committer
                ? this.userObj(c.committer)
                : null,
        })),
        url,
      );
    if ((m = new RegExp(`^${repoPath}/commits/([0-9a-f]{40})$`).exec(p)) && method === "GET") {
      const c = this.prCommits().find((x) => x.sha === m![1]);
      if (!c) return [404, { message: "Not Found" }];
      return [200, { sha: c.sha, files: c.files.map((f) => ({ status: "modified", ...f })) }];
    }
    if (p === `${repoPath}/issues/${this.pull.number}/events` && method === "GET")
      return this.page(
        this.issueEvents.map((e) => ({
          ...e,
          node_id: `E_${e.id}`,
          url: `${API}${repoPath}/issues/events/${e.id}`,
          actor: this.userObj(this.pull.author),
          commit_url: null,
          performed_via_github_app: null,
        })),
        url,
      );
    if (p === `${repoPath}/issues/${this.pull.number}/comments` && method === "GET")
      return this.page(this.comments, url);
    if (p === `${repoPath}/issues/${this.pull.number}/comments` && method === "POST") {
      const c = this.comment(`${APP_SLUG}[bot]`, (body as { body: string }).body, "Bot", {
        id: APP_ID,
        slug: APP_SLUG,
      });
      return [201, c];
    }
    if (p === `${repoPath}/pulls/${this.pull.number}/requested_reviewers` && method === "POST") {
      const b = body as { reviewers?: string[]; team_reviewers?: string[] };
      // GitHub refuses the whole request when one reviewer is not a collaborator.
      if ((b.reviewers ?? []).some((u) => this.notCollaborators.has(u)))
        return [
          422,
          {
            message:
              "Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the acme/shop repository.",
          },
        ];
      this.pull.requestedUsers.push(...(b.reviewers ?? []));
      this.pull.requestedTeams.push(...(b.team_reviewers ?? []));
      return [201, this.pullJson()];
    }
    if ((m = new RegExp(`^${repoPath}/commits/([0-9a-f]+)/check-runs$`).exec(p))) {
      const appId = q.get("app_id");
      const runs = this.runs
        .filter((r) => r.head_sha === m![1] && (!appId || String(r.app_id) === appId))
        .map((r) => this.runJson(r));
      const [status, page, headers] = this.page(runs, url);
      return [status, { total_count: runs.length, check_runs: page }, headers];
    }
    if (p === `${repoPath}/check-runs` && method === "POST") {
      const b = body as Omit<FakeRun, "id" | "app_id" | "conclusion"> & { conclusion?: string };
      // GitHub's ids grow: a new run is always newer than every run a test planted.
      this.nextId = Math.max(this.nextId, ...this.runs.map((r) => r.id + 1));
      const run: FakeRun = {
        id: this.nextId++,
        name: b.name,
        head_sha: b.head_sha,
        status: b.status ?? "queued",
        conclusion: b.conclusion ?? null,
        output: b.output,
        actions: b.actions ?? [],
        ...(b.external_id !== undefined ? { external_id: b.external_id } : {}),
        app_id: APP_ID,
        started_at: tick(),
        completed_at: b.completed_at ?? null,
      };
      this.runs.push(run);
      return [201, this.runJson(run)];
    }
    if ((m = new RegExp(`^${repoPath}/check-runs/(\\d+)$`).exec(p)) && method === "PATCH") {
      const run = this.runs.find((r) => r.id === Number(m![1]));
      if (!run) return [404, { message: "Not Found" }];
      const b = body as Partial<FakeRun>;
      if (run.status === "completed" && b.status && b.status !== "completed")
        return [422, { message: "A completed check run cannot be reopened" }];
      Object.assign(run, { ...b, conclusion: b.conclusion ?? (b.status === "completed" ? run.conclusion : null) });
      return [200, this.runJson(run)];
    }
    if ((m = /^\/orgs\/([^/]+)\/teams\/([^/]+)\/members$/.exec(p))) {
      const members = this.teams.get(m[2]!);
      if (!members) return [404, { message: "Not Found" }];
      return this.page(
        [...members].map((login) => this.userObj(login)),
        url,
      );
    }
    if ((m = /^\/users\/([^/]+)$/.exec(p))) {
      if (this.missingUsers.has(m[1]!)) return [404, { message: "Not Found" }];
      return [200, this.userObj(m[1]!)];
    }
    if ((m = /^\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/.exec(p))) {
      const [, , slug, login] = m;
      if (this.teams.get(slug!)?.has(login!)) return [200, { state: "active", role: "member" }];
      if (this.pendingTeamMembers.get(slug!)?.has(login!)) return [200, { state: "pending", role: "member" }];
      return [404, { message: "Not Found" }];
    }
    if ((m = new RegExp(`^${repoPath}/compare/(.+)$`).exec(p))) {
      const c = this.compares.get(decodeURIComponent(m[1]!));
      if (!c) return [404, { message: "Not Found" }];
      return [200, { status: c.status, ahead_by: 1, behind_by: 0, total_commits: 1, files: c.files }];
    }
    if (p === `${repoPath}/pulls` && method === "GET")
      return this.page(
        // Other open pull requests have their own head (and no files the fake can list).
        this.openPulls.map((n) => ({
          ...this.pullJson(),
          number: n,
          title: `Pull request ${n}`,
          created_at: "2024-05-01T09:00:00Z",
          ...(n === this.pull.number ? {} : { head: { ...this.pullJson().head, sha: sha(`pr-${n}`) } }),
        })),
        url,
      );
    if ((m = new RegExp(`^${repoPath}/commits/([0-9a-f]+)/pulls$`).exec(p))) {
      const pr = (number: number) => ({
        number,
        state: "open",
        head: { sha: this.pull.headSha },
        base: { repo: { full_name: `${this.owner}/${this.repo}` } },
      });
      return [200, m[1] === this.pull.headSha ? [this.pull.number, ...this.sharedHead].map(pr) : []];
    }
    return [404, { message: `fake GitHub has no route for ${method} ${p}` }];
  }

  /**
   * Validates every request body the app sends against GitHub's OpenAPI description, and every GraphQL
   * document against GitHub's published schema, from now on (GraphQL is answered only then).
   */
  validateWith(openapi: OpenApi, graphql: GraphQLEndpoint): this {
    this.openapi = openapi;
    this.graphql = graphql;
    return this;
  }

  /**
   * POST /graphql: the simulator's executor, with this fake's REST routes as its backends (check-run writes,
   * and the reads a query makes). A read that meets a fault (`faults`) fails the whole request with the
   * fault's answer, as GitHub fails a query it cannot finish, so a test's fault on a REST read still applies.
   */
  private graphqlAnswer(body: unknown): [number, unknown, Record<string, string>?] {
    if (!this.graphql) {
      this.invalid.push("POST /graphql: the fake answers GraphQL only with a schema (validateWith)");
      return [200, { errors: [{ message: "no schema loaded" }] }];
    }
    const repoPath = `/repos/${this.owner}/${this.repo}`;
    const repoId = nodeId("Repository", 1);
    const rest = (method: string, path: string, b: Record<string, unknown>): RestCheckRun => {
      const [status, data] = this.route(method, new URL(path, API), b);
      this.runWrites.push({ method, path, body: b, status });
      if (status >= 300) throw Object.assign(new Error((data as { message?: string }).message), { status });
      return data as RestCheckRun;
    };
    const notFound = () => Object.assign(new Error("Not Found"), { status: 404 });
    const backend: MutationBackend = {
      createCheckRun: (repositoryId, b) => {
        if (repositoryId !== repoId) throw notFound();
        return rest("POST", `${repoPath}/check-runs`, b);
      },
      updateCheckRun: (repositoryId, checkRunId, b) => {
        const run = parseNodeId(checkRunId);
        if (repositoryId !== repoId || run?.type !== "CheckRun") throw notFound();
        return rest("PATCH", `${repoPath}/check-runs/${run.id}`, b);
      },
      // Through the REST route, so a test's fault on POST …/comments fails the field as GitHub would.
      addComment: (subjectId, b) => {
        const pr = parseNodeId(subjectId);
        if (pr?.type !== "PullRequest" || pr.id !== this.pull.number) throw notFound();
        const [status, data] = this.route("POST", new URL(`${repoPath}/issues/${pr.id}/comments`, API), { body: b });
        if (status >= 300) throw Object.assign(new Error((data as { message?: string }).message), { status });
      },
    };
    const reads = new FakeReads(this);
    const answer = this.graphql.execute(body, backend, reads);
    if (reads.held) this.graphqlHold = reads.held;
    if (reads.failure ?? reads.held) return reads.failure ?? [0, undefined];
    // Errors without a GitHub type are the document's own (schema, variables, a field not simulated) and
    // so are pagination mistakes: the app must never send one. NOT_FOUND, … are GitHub's answers.
    for (const e of answer.errors ?? [])
      if (!GITHUB_ANSWERS.has(String(e.type)))
        this.invalid.push(`POST /graphql: ${String(e.message)} ${JSON.stringify(body).slice(0, 300)}`);
    return [200, answer];
  }

  /** The first hold with requests left for this method, path (and body). */
  holdOn(method: string, path: string, body?: unknown): FakeGitHub["holds"][number] | undefined {
    const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
    return this.holds.find(
      (h) => h.times > 0 && h.method === method && h.path.test(path) && (!h.body || h.body.test(text)),
    );
  }

  /** GET of a REST route as the app would send it (no log entry: the request is the GraphQL one). */
  restGet(path: string): [number, unknown, Record<string, string>?] {
    return this.route("GET", new URL(path, API), undefined);
  }

  /** Commits the fake knows: its pull request's heads and base, and every commit with runs. */
  knows(commitSha: string): boolean {
    return [
      this.pull.headSha,
      this.pull.baseSha,
      ...this.prCommits().map((c) => c.sha),
      ...this.history.map((c) => c.sha),
    ]
      .concat(this.runs.map((r) => r.head_sha))
      .includes(commitSha);
  }

  private check(method: string, path: string, query: URLSearchParams, body: unknown): void {
    const template = WRITE_TEMPLATES.find(([m, re]) => m === method && re.test(path))?.[2];
    if (!template) return void this.invalid.push(`${method} ${path}: no OpenAPI template known to the fake`);
    const err = this.openapi!.validateRequest(method, template, query, body);
    if (err) this.invalid.push(`${method} ${template}: ${err.message} ${JSON.stringify(err.extra.errors ?? [])}`);
  }

  private page<T>(items: T[], url: URL): [number, T[], Record<string, string>] {
    const per = Number(url.searchParams.get("per_page") ?? 30);
    const page = Number(url.searchParams.get("page") ?? 1);
    const slice = items.slice((page - 1) * per, page * per);
    const headers: Record<string, string> = {};
    if (page * per < items.length) {
      const next = new URL(url.href);
      next.searchParams.set("page", String(page + 1));
      headers.link = `<${next.href}>; rel="next"`;
    }
    return [200, slice, headers];
  }

  repositoryJson() {
    return {
      id: 1,
      node_id: nodeId("Repository", 1),
      name: this.repo,
      full_name: `${this.owner}/${this.repo}`,
      owner: { login: this.owner, id: 2, type: this.ownerType },
      private: false,
      default_branch: "main",
    };
  }

  /** The pull request as GitHub's REST API and webhook payloads show it (the fields the app reads). */
  pullJson() {
    const pr = this.pull;
    return {
      number: pr.number,
      node_id: nodeId("PullRequest", pr.number),
      state: pr.state,
      merged: pr.merged,
      draft: pr.draft,
      user: this.userObj(pr.author),
      head: { sha: pr.headSha, ref: "feature", repo: this.repositoryJson() },
      base: { sha: pr.baseSha, ref: pr.baseRef, repo: this.repositoryJson() },
      changed_files: pr.changedFiles,
      created_at: "2024-05-01T09:00:00Z",
      requested_reviewers: pr.requestedUsers.map((u) => this.userObj(u)),
      requested_teams: pr.requestedTeams.map((slug) => ({ slug, name: slug })),
    };
  }

  private runJson(r: FakeRun) {
    return {
      id: r.id,
      node_id: nodeId("CheckRun", r.id),
      html_url: `https://github.com/acme/shop/runs/${r.id}`,
      name: r.name,
      head_sha: r.head_sha,
      status: r.status,
      conclusion: r.conclusion,
      started_at: r.started_at,
      completed_at: r.completed_at ?? null,
      output: { title: r.output?.title ?? null, summary: r.output?.summary ?? null, text: r.output?.text ?? null },
      external_id: r.external_id ?? "",
      app: { id: r.app_id, slug: APP_SLUG },
    };
  }
}

/** GraphQL error types that are GitHub's answers to a valid document, not mistakes in it. */
const GITHUB_ANSWERS = new Set(["NOT_FOUND", "FORBIDDEN", "UNPROCESSABLE", "INTERNAL"]);

/**
 * The fake's GraphQL reads: each is the fake's own REST route (every page), so a query sees exactly what the
 * REST reads see. The first failing read (a fault) is kept as the answer to the whole request.
 */
class FakeReads implements PullStateBackend {
  failure: [number, unknown, Record<string, string>?] | undefined;
  /** A read a test holds back: the query stops and is answered again once the hold is released. */
  held: FakeGitHub["holds"][number] | undefined;
  constructor(private readonly gh: FakeGitHub) {}

  viewer() {
    return this.gh.botUser();
  }

  isOrganization(login: string) {
    return login.toLowerCase() === this.gh.owner.toLowerCase() && this.gh.ownerType === "Organization";
  }

  /** The fake's `GET /orgs/{org}/teams/{team_slug}/members`, every page; a 404 is no such team. */
  team(org: string, slug: string) {
    const path = `/orgs/${org}/teams/${slug}/members`;
    return this.get(path, true) === undefined ? undefined : { slug, members: this.list<RestUser>(path) };
  }

  repository(owner: string, name: string): RepositoryReads | undefined {
    const gh = this.gh;
    if (owner.toLowerCase() !== gh.owner.toLowerCase() || name.toLowerCase() !== gh.repo.toLowerCase())
      return undefined;
    const base = `/repos/${gh.owner}/${gh.repo}`;
    return {
      repository: gh.repositoryJson(),
      pull: (n) => this.get(`${base}/pulls/${n}`, true),
      reviews: (n) => this.list(`${base}/pulls/${n}/reviews`),
      comments: (n) => this.list(`${base}/issues/${n}/comments`),
      issueEvents: (n) => this.list(`${base}/issues/${n}/events`),
      mergeQueueEntry: (n) =>
        n === gh.pull.number && gh.pull.queueHead !== undefined ? { headSha: gh.pull.queueHead } : undefined,
      files: (n) => this.list(`${base}/pulls/${n}/files`),
      commits: (n) => this.list(`${base}/pulls/${n}/commits`),
      branch: (ref) => (ref === gh.pull.baseRef ? gh.pull.baseSha : ref === "feature" ? gh.pull.headSha : undefined),
      hasCommit: (oid) => gh.knows(oid),
      checkRuns: (oid) => this.list(`${base}/commits/${oid}/check-runs?filter=all`, "check_runs"),
      pullsForCommit: (oid) => this.list(`${base}/commits/${oid}/pulls`),
      openPulls: (baseRef) =>
        this.list(
          `${base}/pulls?state=open${baseRef ? `&base=${encodeURIComponent(baseRef)}` : ""}&sort=updated&direction=desc`,
        ),
      file: (ref, path) => {
        const found = this.get<{ content: string; sha: string }>(
          `${base}/contents/${encodeURIComponent(path)}?ref=${encodeURIComponent(ref)}`,
          true,
        );
        return found && { text: Buffer.from(found.content, "base64").toString("utf8"), sha: found.sha };
      },
    };
  }

  /** One REST answer; a 404 is `undefined` where GitHub's GraphQL answers null for it. */
  private get<T>(path: string, absentIsNull = false): T | undefined {
    const answer = this.read(path);
    return answer[0] === 404 && absentIsNull ? undefined : (this.ok(path, answer) as T);
  }

  /** One REST read, unless an earlier one failed or is held: then the query reads nothing more. */
  private read(path: string): [number, unknown, Record<string, string>?] {
    if (this.failure ?? this.held) throw new Error(`GET ${path}: the query stopped at an earlier read`);
    this.held = this.gh.holdOn("GET", new URL(path, API).pathname);
    if (this.held) throw new Error(`GET ${path} is held`);
    return this.gh.restGet(path);
  }

  /** A REST answer's body; a failure is kept as the whole request's answer and ends the query. */
  private ok(path: string, answer: [number, unknown, Record<string, string>?]): unknown {
    if (answer[0] < 300) return answer[1];
    this.failure ??= answer;
    throw new Error(`GET ${path} answered ${answer[0]}`);
  }

  /** Every page of a REST list (100 a page, following `link` as the app's paginate does). */
  private list<T>(path: string, key?: string): T[] {
    const out: T[] = [];
    let next: string | undefined = `${path}${path.includes("?") ? "&" : "?"}per_page=100`;
    while (next) {
      const answer = this.read(next);
      const data = this.ok(next, answer);
      out.push(...((key ? (data as Record<string, T[]>)[key] : data) as T[]));
      next = /<([^>]+)>; rel="next"/.exec(answer[2]?.link ?? "")?.[1];
    }
    return out;
  }
}

/** A Probot instance loaded with the app, Probot's test pattern: no retries or throttling, fake key. */
/**
 * Probot merges its own throttle options over the class defaults, so `defaults({ throttle: { enabled: false } })`
 * is lost; a defaults function sees the merged options last and can switch throttling (1 s between writes) off.
 */
export const testOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  retry: { enabled: false },
  throttle: { ...(options.throttle as object), enabled: false },
}));

let key: string | undefined;
export function createProbot(options: AppOptions = {}): Probot {
  // One key per test file: generating RSA keys is slow, and the fake never checks the JWT anyway.
  key ??= generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  }).privateKey;
  const privateKey = key;
  const probot = new Probot({ appId: APP_ID, privateKey, log: testLog(), Octokit: testOctokit });
  // The app's clock is the fake's: times it writes and GitHub's timestamps must compare as they would live.
  void probot.load(
    createApp({ appId: APP_ID, maxRetryWaitMs: 10, confirmAbsentMs: 5, now: () => new Date(tick()), ...options }),
  );
  return probot;
}

/** The operation name of a POST /graphql query (`PullSnapshot`, `ConflictRuns`, …), else undefined. */
export function queryName(l: LoggedRequest): string | undefined {
  const query = (l.body as { query?: unknown } | undefined)?.query;
  return isGraphQLQuery(l) ? (/^\s*query\s+(\w+)/.exec(String(query))?.[1] ?? "(anonymous)") : undefined;
}

/** A POST /graphql whose document is a query (reads), not a mutation. */
export function isGraphQLQuery(l: LoggedRequest): boolean {
  const query = (l.body as { query?: unknown } | undefined)?.query;
  return l.path === "/graphql" && typeof query === "string" && /^\s*(query\b|\{)/.test(query);
}
