/**
 * GitHubSimulator: the in-process control API. Tests and the demo set up people, repos and PRs, act as
 * humans (push, review, click, comment) and read back what the app did; the app itself only ever talks
 * HTTP to the server and receives signed webhooks.
 */
import type { KeyObject } from "node:crypto";
import * as git from "./actions-git.js";
import * as checks from "./actions-checks.js";
import * as pulls from "./actions-pulls.js";
import * as reviews from "./actions-reviews.js";
import { issueToken, toPublicKey } from "./auth.js";
import { EventBuilder, type MergeGroupRef, type WebhookPayload } from "./events.js";
import { Faults } from "./faults.js";
import { loadOpenApi, type OpenApi } from "./openapi.js";
import type { Urls } from "./render.js";
import { Router, type RouteContext } from "./router.js";
import { appRoutes } from "./routes/apps.js";
import { checkRoutes } from "./routes/checks.js";
import { commentRoutes } from "./routes/comments.js";
import { compareRoutes } from "./routes/compare.js";
import { graphqlRoutes } from "./routes/graphql.js";
import { hookRoutes } from "./routes/hooks.js";
import { contentRoutes } from "./routes/contents.js";
import { pullRoutes } from "./routes/pulls.js";
import { reviewRoutes } from "./routes/reviews.js";
import { teamRoutes } from "./routes/teams.js";
import { ApiServer, type RequestLogEntry } from "./server.js";
import { State, type AccountType, type MembershipState, type TeamRole } from "./state.js";
import { isoSeconds, sleep } from "./util.js";
import { WebhookDispatcher, type DeliveryRecord } from "./webhooks.js";
import type { World } from "./world.js";
import * as views from "./views.js";

export interface AppOptions {
  id?: number;
  slug?: string;
  name?: string;
  clientId?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  /** Public key (PEM or KeyObject; the app's private key also works) — when set, app JWTs are verified. */
  publicKey?: string | KeyObject;
  permissions?: Record<string, string>;
  /** Webhook events the app subscribes to; others are not delivered, as on GitHub. */
  events?: string[];
}

export interface SimulatorOptions {
  app?: AppOptions;
  installationId?: number;
  /** Organization that owns every repo and team. Default "acme". */
  org?: string;
  /** OpenAPI validation (needs the dev dependencies ajv + @octokit/openapi). Default off. */
  validation?: boolean | { requests?: boolean; responses?: boolean; webhooks?: boolean };
  /** "await": actions resolve after the app answered their webhooks. "queue": actions return at once; use idle(). */
  webhookMode?: "await" | "queue";
  webhookTimeoutMs?: number;
  /** Also deliver the webhooks GitHub sends about the app's own writes (its comments, check runs, review requests). */
  echoAppEvents?: boolean;
  /** Seed for fault-injection randomness. */
  seed?: number;
  clock?: () => Date;
  /** Primary rate limit per installation and hour. */
  rateLimit?: number;
  /** Acts for pushes, merges and dismissals when no user is named; created on first use. Default "octocat". */
  defaultUser?: string;
  /** Sees every delivery as it is queued (the load benchmark sends them itself, concurrently, as GitHub does). */
  onDelivery?: (record: DeliveryRecord) => void;
  /** Sees every API request once it is answered (the load benchmark times rounds and visibility from it). */
  onRequest?: (entry: RequestLogEntry) => void;
}

/** A check run as `latestRunsByHead` lists it. */
export interface LatestRun {
  readonly id: number;
  readonly status: string;
  readonly conclusion: string | null;
  readonly title: string | null;
  readonly summary: string | null;
}

export type WithDeliveries<T = object> = T & { deliveries: DeliveryRecord[] };

const DEFAULT_EVENTS = [
  "check_run",
  "check_suite",
  "issue_comment",
  "merge_group",
  "pull_request",
  "pull_request_review",
  "push",
];
const DEFAULT_PERMISSIONS = {
  checks: "write",
  contents: "read",
  issues: "write",
  members: "read",
  metadata: "read",
  pull_requests: "write",
};

export class GitHubSimulator {
  readonly faults: Faults;
  /** Problems found by response/webhook validation or internal errors; should stay empty. */
  readonly validationErrors: string[] = [];
  private readonly state: State;
  private readonly world: World;
  private readonly server: ApiServer;
  private readonly dispatcher: WebhookDispatcher;
  private readonly clock: () => Date;
  private appOptions: AppOptions;
  private publicKey: KeyObject | undefined;
  private openapi: OpenApi | undefined;
  private origin = "http://127.0.0.1";
  private webhookMode: "await" | "queue";
  private echoAppEvents: boolean;

  constructor(private readonly options: SimulatorOptions = {}) {
    this.clock = options.clock ?? (() => new Date());
    this.faults = new Faults(options.seed ?? 1);
    this.webhookMode = options.webhookMode ?? "await";
    this.echoAppEvents = options.echoAppEvents ?? false;
    const org = options.org ?? "acme";
    this.appOptions = { id: 1, slug: "parallel-review", ...options.app };
    this.state = new State(org, options.installationId ?? 1, this.appOptions.id!);
    this.addAccount(org, "Organization", { orgMember: false });
    this.configureApp(this.appOptions);

    const urls = (): Urls => ({ api: `${this.origin}/api/v3`, html: this.origin });
    const events = new EventBuilder(this.state, urls);
    this.dispatcher = new WebhookDispatcher(
      () => ({
        url: this.appOptions.webhookUrl,
        secret: this.appOptions.webhookSecret,
        appId: this.state.appId,
        timeoutMs: options.webhookTimeoutMs ?? 10_000,
      }),
      this.faults,
      (p) => this.checkWebhook(p),
      () => isoSeconds(this.clock()),
    );
    this.world = {
      state: this.state,
      events,
      now: () => isoSeconds(this.clock()),
      emit: (p) => this.emit(p),
      defaultUser: () => this.defaultUser(),
    };
    const context: RouteContext = {
      state: this.state,
      events,
      now: () => this.world.now(),
      nowMs: () => this.clock().getTime(),
      echo: (p) => void (this.echoAppEvents && this.emit(p)),
      deliveries: this.dispatcher,
    };
    const router = new Router();
    router.add(
      ...appRoutes,
      ...contentRoutes,
      ...pullRoutes,
      ...reviewRoutes,
      ...checkRoutes,
      ...commentRoutes,
      ...teamRoutes,
      ...compareRoutes,
      ...hookRoutes,
      ...graphqlRoutes,
    );
    const v = this.validation;
    this.server = new ApiServer({
      state: this.state,
      router,
      faults: this.faults,
      context,
      publicKey: () => this.publicKey,
      openapi: () => this.openapi,
      validateRequests: () => v.requests,
      validateResponses: () => v.responses,
      onResponseInvalid: (m) => this.validationErrors.push(m),
      rateLimit: () => options.rateLimit ?? 5000,
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    });
  }

  // ── lifecycle ──────────────────────────────────────────────────────────────

  /** Binds 127.0.0.1 on a free port. With validation on, the OpenAPI description is loaded first. */
  async start(): Promise<{ url: string; apiUrl: string }> {
    const v = this.validation;
    if (v.requests || v.responses || v.webhooks) this.openapi = await loadOpenApi();
    this.origin = await this.server.listen();
    return { url: this.origin, apiUrl: this.apiUrl };
  }

  async stop(): Promise<void> {
    await this.server.close();
  }

  get url(): string {
    return this.origin;
  }

  /** Base URL for Octokit (GitHub Enterprise layout). */
  get apiUrl(): string {
    return `${this.origin}/api/v3`;
  }

  /** host:port for Probot's GHE_HOST (with GHE_PROTOCOL=http). */
  get host(): string {
    return new URL(this.origin).host;
  }

  configureApp(patch: AppOptions): void {
    this.appOptions = { ...this.appOptions, ...patch };
    const a = this.appOptions;
    if ("publicKey" in patch) this.publicKey = toPublicKey(patch.publicKey);
    const id = a.id ?? 1;
    const slug = a.slug ?? "parallel-review";
    this.state.apps.delete(this.state.appId);
    this.state.appId = id;
    this.state.apps.set(id, {
      id,
      slug,
      name: a.name ?? slug,
      clientId: a.clientId ?? `Iv1.${id.toString(16).padStart(16, "0")}`,
      owner: this.state.org,
      permissions: a.permissions ?? DEFAULT_PERMISSIONS,
      events: a.events ?? DEFAULT_EVENTS,
      createdAt: "2024-01-01T00:00:00Z",
    });
    if (!this.state.account(`${slug}[bot]`)) this.addAccount(`${slug}[bot]`, "Bot", { orgMember: false });
  }

  setWebhookMode(mode: "await" | "queue"): void {
    this.webhookMode = mode;
  }

  /** Whether the app also receives webhooks about its own writes (comments, check runs, review requests). */
  setEchoAppEvents(on: boolean): void {
    this.echoAppEvents = on;
  }

  /** A token for tools that read the API as the installation would (the report CLI in tests and the demo). */
  issueToken(): string {
    return issueToken(this.state, this.clock().getTime()).token;
  }

  /**
   * The app's bot user (`<slug>[bot]`): the author of the comments it writes and GraphQL's `viewer` for its
   * installation token. Created with the app (configureApp), so its id is stable for the simulator's life.
   */
  appBotUser(): { login: string; id: number } {
    const bot = this.state.account(`${this.state.app.slug}[bot]`)!;
    return { login: bot.login, id: bot.id };
  }

  /** Invalidates every installation token (as if they expired); the app must fetch a new one. */
  revokeTokens(): void {
    this.state.tokens.clear();
  }

  // ── people ─────────────────────────────────────────────────────────────────

  createUser(
    login: string,
    opts: { type?: "User" | "Bot"; name?: string; email?: string; orgMember?: boolean } = {},
  ): { login: string; id: number } {
    return this.addAccount(login, opts.type ?? "User", opts);
  }

  /** Members may be logins or {login, role, state}; `parent` nests the team (child members count for the parent). */
  createTeam(
    slug: string,
    opts: {
      name?: string;
      parent?: string;
      members?: Array<string | { login: string; role?: TeamRole; state?: MembershipState }>;
    } = {},
  ): { slug: string; id: number } {
    const key = slug.toLowerCase();
    if (this.state.teams.has(key)) throw new Error(`team ${slug} exists`);
    if (opts.parent && !this.state.teams.has(opts.parent.toLowerCase()))
      throw new Error(`unknown parent team ${opts.parent}`);
    const team = {
      id: this.state.ids.team.take(),
      slug: key,
      name: opts.name ?? slug,
      description: null,
      parent: opts.parent?.toLowerCase() ?? null,
      members: new Map(),
    };
    this.state.teams.set(key, team);
    for (const m of opts.members ?? []) {
      const o = typeof m === "string" ? { login: m } : m;
      this.addTeamMember(slug, o.login, o);
    }
    return { slug: key, id: team.id };
  }

  addTeamMember(slug: string, login: string, opts: { role?: TeamRole; state?: MembershipState } = {}): void {
    const team = this.state.teams.get(slug.toLowerCase());
    if (!team) throw new Error(`unknown team ${slug}`);
    const acc = this.state.account(login);
    if (!acc) throw new Error(`unknown user ${login}`);
    team.members.set(acc.login, { role: opts.role ?? "member", state: opts.state ?? "active" });
  }

  removeTeamMember(slug: string, login: string): void {
    this.state.teams.get(slug.toLowerCase())?.members.delete(this.state.account(login)?.login ?? login);
  }

  // ── repositories ───────────────────────────────────────────────────────────

  createRepo(
    name: string,
    opts: { defaultBranch?: string; files?: Record<string, string>; private?: boolean } = {},
  ): { fullName: string; defaultBranch: string; sha: string } {
    const repo = git.createRepo(this.world, name, opts);
    return {
      fullName: `${repo.owner}/${repo.name}`,
      defaultBranch: repo.defaultBranch,
      sha: repo.branches.get(repo.defaultBranch)!,
    };
  }

  createBranch(
    repo: string,
    branch: string,
    opts: { from?: string; files?: Record<string, string | null>; author?: string; message?: string } = {},
  ): Promise<WithDeliveries<{ sha: string }>> {
    return this.settle(() => git.createBranch(this.world, repo, branch, opts));
  }

  /** Pushes one commit to `branch`: push webhook, then synchronize for every open PR with that head. */
  push(repo: string, branch: string, opts: git.PushOptions): Promise<WithDeliveries<{ sha: string; before: string }>> {
    return this.settle(() => git.push(this.world, repo, branch, opts));
  }

  /** Force-pushes `branch` to an existing commit (push + synchronize, and a `head_ref_force_pushed` issue event). */
  forcePush(
    repo: string,
    branch: string,
    sha: string,
    pusher: string,
  ): Promise<WithDeliveries<{ sha: string; before: string }>> {
    return this.settle(() => git.forcePush(this.world, repo, branch, sha, pusher));
  }

  branchSha(repo: string, branch: string): string {
    const sha = this.repo(repo).branches.get(branch);
    if (!sha) throw new Error(`unknown branch ${branch}`);
    return sha;
  }

  // ── pull requests ──────────────────────────────────────────────────────────

  openPullRequest(repo: string, o: pulls.OpenPullOptions): Promise<pulls.PullResult> {
    return this.settle(() => pulls.openPull(this.world, repo, o));
  }

  /** Pushes to the PR's head branch (→ push + pull_request.synchronize). */
  pushToPullRequest(
    repo: string,
    n: number,
    opts: git.PushOptions,
  ): Promise<WithDeliveries<{ sha: string; before: string }>> {
    const { pr } = pulls.pullByNumber(this.world, repo, n);
    return this.push(repo, pr.head, { author: pr.author, ...opts });
  }

  markReadyForReview(repo: string, n: number, sender?: string): Promise<pulls.PullResult> {
    return this.settle(() => pulls.setDraft(this.world, repo, n, false, sender));
  }

  convertToDraft(repo: string, n: number, sender?: string): Promise<pulls.PullResult> {
    return this.settle(() => pulls.setDraft(this.world, repo, n, true, sender));
  }

  /** Edits title/body/base in one `edited` webhook (`changes.base.ref.from` on a base change). */
  editPullRequest(
    repo: string,
    n: number,
    patch: { title?: string; body?: string; base?: string },
    sender?: string,
  ): Promise<pulls.PullResult> {
    return this.settle(() => pulls.editPull(this.world, repo, n, patch, sender));
  }

  changeBase(repo: string, n: number, base: string, sender?: string): Promise<pulls.PullResult> {
    return this.editPullRequest(repo, n, { base }, sender);
  }

  closePullRequest(repo: string, n: number, sender?: string): Promise<pulls.PullResult> {
    return this.settle(() => pulls.closePull(this.world, repo, n, sender));
  }

  reopenPullRequest(repo: string, n: number, sender?: string): Promise<pulls.PullResult> {
    return this.settle(() => pulls.reopenPull(this.world, repo, n, sender));
  }

  mergePullRequest(repo: string, n: number, sender?: string): Promise<pulls.PullResult & { mergeCommitSha: string }> {
    return this.settle(() => pulls.mergePull(this.world, repo, n, sender));
  }

  requestReviewers(
    repo: string,
    n: number,
    who: { reviewers?: string[]; teams?: string[] },
    sender?: string,
  ): Promise<WithDeliveries> {
    return this.settle(() => ({ deliveries: reviews.requestReviews(this.world, repo, n, who, sender) }));
  }

  submitReview(repo: string, n: number, o: reviews.SubmitReviewOptions): Promise<WithDeliveries<{ reviewId: number }>> {
    return this.settle(() => reviews.submitReview(this.world, repo, n, o));
  }

  dismissReview(repo: string, n: number, reviewId: number, sender?: string): Promise<WithDeliveries> {
    return this.settle(() => ({ deliveries: reviews.dismissReview(this.world, repo, n, reviewId, sender) }));
  }

  comment(repo: string, n: number, o: { user: string; body: string }): Promise<WithDeliveries<{ commentId: number }>> {
    return this.settle(() => reviews.addComment(this.world, repo, n, o));
  }

  editComment(repo: string, commentId: number, body: string, sender?: string): Promise<WithDeliveries> {
    return this.settle(() => ({ deliveries: reviews.editComment(this.world, repo, commentId, body, sender) }));
  }

  deleteComment(repo: string, commentId: number, sender?: string): Promise<WithDeliveries> {
    return this.settle(() => ({ deliveries: reviews.deleteComment(this.world, repo, commentId, sender) }));
  }

  /** Puts the PR in the merge queue: merge_group.checks_requested on gh-readonly-queue/<base>/pr-<n>-<sha>. */
  startMergeGroup(repo: string, n: number, sender?: string): Promise<WithDeliveries<MergeGroupRef>> {
    return this.settle(() => pulls.startMergeGroup(this.world, repo, n, sender));
  }

  finishMergeGroup(
    repo: string,
    headRef: string,
    reason: "merged" | "invalidated" | "dequeued",
    sender?: string,
  ): Promise<WithDeliveries> {
    return this.settle(() => ({ deliveries: pulls.finishMergeGroup(this.world, repo, headRef, reason, sender) }));
  }

  // ── checks ─────────────────────────────────────────────────────────────────

  /** A user clicks a button the app put on its check run (check_run.requested_action). */
  clickCheckRunAction(repo: string, checkRunId: number, identifier: string, user: string): Promise<WithDeliveries> {
    return this.settle(() => ({ deliveries: checks.clickAction(this.world, repo, checkRunId, identifier, user) }));
  }

  rerequestCheckRun(repo: string, checkRunId: number, user: string): Promise<WithDeliveries> {
    return this.settle(() => ({ deliveries: checks.rerequestRun(this.world, repo, checkRunId, user) }));
  }

  rerequestCheckSuite(repo: string, headSha: string, user: string): Promise<WithDeliveries> {
    return this.settle(() => ({ deliveries: checks.rerequestSuite(this.world, repo, headSha, user) }));
  }

  /** A run owned by another app (default github-actions); the app under test may list but not modify it. */
  createForeignCheckRun(repo: string, o: checks.ForeignRunOptions): number {
    return checks.foreignCheckRun(this.world, repo, o);
  }

  // ── webhooks ───────────────────────────────────────────────────────────────

  /** Sends an arbitrary event (not filtered by subscription) and resolves with the app's status. */
  deliver(event: string, payload: Record<string, unknown>): Promise<number | undefined> {
    const action = typeof payload.action === "string" ? payload.action : undefined;
    return this.dispatcher.enqueue({ event, ...(action ? { action } : {}), body: payload }).done;
  }

  /**
   * The app is installed (`installation.created`) or more repositories are added to its installation
   * (`installation_repositories.added`); GitHub sends these whatever the app subscribed to.
   */
  async installApp(repos: string[], opts: { sender?: string; added?: boolean } = {}): Promise<DeliveryRecord> {
    const payload = this.world.events.installation(
      opts.added ? "added" : "created",
      repos.map((r) => this.repo(r)),
      opts.sender ?? this.defaultUser(),
    );
    const record = this.dispatcher.enqueue(payload);
    if (this.webhookMode === "await" && !this.dispatcher.isHeld) await record.done;
    return record;
  }

  redeliver(deliveryId: string): Promise<number | undefined> {
    return this.dispatcher.redeliver(deliveryId);
  }

  /** Stop sending; deliveries pile up until release(), which can send them in reverse to simulate reordering. */
  holdWebhooks(): void {
    this.dispatcher.hold();
  }

  releaseWebhooks(order: "fifo" | "reverse" = "fifo"): void {
    this.dispatcher.release(order);
  }

  get deliveries(): readonly DeliveryRecord[] {
    return this.dispatcher.log;
  }

  /**
   * Resolves once every queued delivery was answered, no API request is in flight, and nothing new
   * happened for `quietMs` (the app may call the API after answering a webhook).
   */
  async idle(opts: { timeoutMs?: number; quietMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
    const quiet = opts.quietMs ?? 25;
    for (;;) {
      const before = this.server.activity + this.dispatcher.log.length;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((r) => (timer = setTimeout(r, Math.max(0, deadline - Date.now()))));
      await Promise.race([this.dispatcher.drained(), timeout]);
      clearTimeout(timer);
      if (this.dispatcher.pending === 0 && this.server.inFlight === 0) {
        await sleep(quiet);
        const after = this.server.activity + this.dispatcher.log.length;
        if (after === before && this.dispatcher.pending === 0 && this.server.inFlight === 0) return;
      } else {
        await sleep(5);
      }
      if (Date.now() > deadline) {
        throw new Error(
          `simulator not idle after ${opts.timeoutMs ?? 10_000} ms: ${this.dispatcher.pending} deliveries pending, ${this.server.inFlight} requests in flight${[
            ...this.server.open,
          ]
            .slice(0, 3)
            .map((e) => ` (${e.method} ${e.path})`)
            .join("")}`,
        );
      }
    }
  }

  // ── reading state ──────────────────────────────────────────────────────────

  /** Check runs on a commit (sha or branch), newest first; `latest` keeps one per app+name like the API default. */
  checkRuns(repo: string, ref: string, opts: { latest?: boolean; name?: string } = {}): views.CheckRunView[] {
    return views.checkRuns(this.state, this.repo(repo), ref, opts);
  }

  /**
   * The latest check run of each app and name on every commit of a repository, in one pass over the runs
   * (`checkRuns` scans them all per call; the load benchmark asks after every write).
   */
  latestRunsByHead(repo: string): Map<string, Map<string, LatestRun>> {
    const id = this.repo(repo).id;
    const out = new Map<string, Map<string, LatestRun & { seq: number }>>();
    for (const r of this.state.runs.values()) {
      if (r.repoId !== id) continue;
      let byName = out.get(r.headSha);
      if (!byName) out.set(r.headSha, (byName = new Map<string, LatestRun & { seq: number }>()));
      const have = byName.get(r.name);
      if (have && have.seq > r.createdSeq) continue;
      byName.set(r.name, {
        id: r.id,
        seq: r.createdSeq,
        status: r.status,
        conclusion: r.conclusion,
        title: r.output.title,
        summary: r.output.summary,
      });
    }
    return out;
  }

  comments(repo: string, n: number): views.CommentView[] {
    return views.comments(this.state, this.repo(repo), n);
  }

  requestedReviewers(repo: string, n: number): { users: string[]; teams: string[] } {
    const { pr } = pulls.pullByNumber(this.world, repo, n);
    return { users: [...pr.requestedReviewers], teams: [...pr.requestedTeams] };
  }

  pullRequest(repo: string, n: number): views.PullView {
    return views.pull(this.state, pulls.pullByNumber(this.world, repo, n).pr);
  }

  reviews(repo: string, n: number): views.ReviewView[] {
    const r = this.repo(repo);
    return this.state.reviews
      .filter((x) => x.repoId === r.id && x.prNumber === n)
      .map((x) => ({
        id: x.id,
        user: x.user,
        state: x.state,
        body: x.body,
        commitId: x.commitId,
        submittedAt: x.submittedAt,
      }));
  }

  fileAt(repo: string, ref: string, path: string): string | undefined {
    const r = this.repo(repo);
    const sha = this.state.resolveRef(r, ref);
    const blob = sha ? r.git.get(sha).files.get(path) : undefined;
    return blob === undefined ? undefined : r.git.blob(blob);
  }

  get requests(): readonly RequestLogEntry[] {
    return this.server.log;
  }

  /** Per-endpoint counters ("GET /repos/{owner}/{repo}/contents/{path}" → n), 304s, statuses, faults. */
  stats(): views.Stats {
    return views.stats(this.server.log);
  }

  // ── internals ──────────────────────────────────────────────────────────────

  private get validation(): { requests: boolean; responses: boolean; webhooks: boolean } {
    const v = this.options.validation;
    if (typeof v === "boolean" || v === undefined) return { requests: !!v, responses: !!v, webhooks: !!v };
    return { requests: !!v.requests, responses: !!v.responses, webhooks: !!v.webhooks };
  }

  private repo(name: string) {
    const [owner, n] = name.includes("/") ? name.split("/", 2) : [this.state.org, name];
    const r = this.state.repo(owner!, n!);
    if (!r) throw new Error(`unknown repo ${name}`);
    return r;
  }

  private addAccount(
    login: string,
    type: AccountType,
    opts: { name?: string; email?: string; orgMember?: boolean },
  ): { login: string; id: number } {
    if (this.state.account(login)) throw new Error(`account ${login} exists`);
    const id = this.state.ids.account.take();
    this.state.accounts.set(login.toLowerCase(), {
      login,
      id,
      type,
      name: opts.name ?? null,
      email: opts.email ?? null,
      siteAdmin: false,
      orgMember: opts.orgMember ?? type === "User",
    });
    return { login, id };
  }

  private defaultUser(): string {
    const login = this.options.defaultUser ?? "octocat";
    if (!this.state.account(login)) this.addAccount(login, "User", { name: "The Octocat" });
    return this.state.account(login)!.login;
  }

  /** GitHub only delivers events the app subscribed to. */
  private emit(p: WebhookPayload): DeliveryRecord[] {
    if (!this.state.app.events.includes(p.event)) return [];
    const record = this.dispatcher.enqueue(p);
    this.options.onDelivery?.(record);
    return [record];
  }

  private checkWebhook(p: WebhookPayload): void {
    if (!this.openapi || !this.validation.webhooks) return;
    const problem = this.openapi.validateWebhook(p.event, p.action, p.body);
    if (problem) this.validationErrors.push(problem);
  }

  /** In "await" mode an action resolves after the app answered its webhooks (unless deliveries are held). */
  private async settle<T extends { deliveries: DeliveryRecord[] }>(action: () => T): Promise<T> {
    // Running the action inside the async function turns scenario mistakes into rejections, not sync throws.
    const result = action();
    if (this.webhookMode === "await" && !this.dispatcher.isHeld)
      await Promise.all(result.deliveries.map((d) => d.done));
    return result;
  }
}
