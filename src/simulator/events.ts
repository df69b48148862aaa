/**
 * Webhook payload builders, shaped like @octokit/webhooks-examples: every payload carries
 * `installation`, `repository`, `sender` (and `organization` for org-owned repos).
 */
import type { Commit, FileChange } from "./git.js";
import {
  installation,
  organization,
  repository,
  team,
  userByLogin,
  webhookCommit,
  type Json,
  type Urls,
} from "./render.js";
import { checkRun, checkSuite } from "./render-checks.js";
import { issueComment, issueOfPull, pullRequest, review } from "./render-pulls.js";
import type { CheckRun, CheckSuite, IssueComment, PullRequest, Repo, Review, State } from "./state.js";
import { nodeId } from "./util.js";

export interface WebhookPayload {
  event: string;
  action?: string;
  body: Json;
}

export const ZERO_SHA = "0".repeat(40);

/** A merge-queue entry: head_ref is gh-readonly-queue/<base>/pr-<n>-<pr head sha>. */
export interface MergeGroupRef {
  headSha: string;
  headRef: string;
  baseSha: string;
  baseRef: string;
}

export class EventBuilder {
  constructor(
    private readonly state: State,
    private readonly urls: () => Urls,
  ) {}

  user(login: string): Json {
    return userByLogin(this.urls(), this.state, login);
  }

  team(slug: string): Json {
    return team(this.urls(), this.state, this.state.teams.get(slug)!);
  }

  pullRequest(action: string, pr: PullRequest, sender: string, extra: Json = {}): WebhookPayload {
    const u = this.urls();
    const repo = this.state.repoById(pr.repoId);
    return this.wrap("pull_request", action, repo, sender, {
      number: pr.number,
      pull_request: pullRequest(u, this.state, pr, "webhook"),
      ...extra,
    });
  }

  review(action: "submitted" | "dismissed" | "edited", pr: PullRequest, r: Review, sender: string): WebhookPayload {
    const u = this.urls();
    const repo = this.state.repoById(pr.repoId);
    const pull = pullRequest(u, this.state, pr, "simple");
    return this.wrap("pull_request_review", action, repo, sender, {
      review: review(u, this.state, r, true),
      pull_request: pull,
    });
  }

  issueComment(
    action: "created" | "edited" | "deleted",
    pr: PullRequest,
    c: IssueComment,
    sender: string,
    changes?: Json,
  ): WebhookPayload {
    const u = this.urls();
    const repo = this.state.repoById(pr.repoId);
    const body: Json = { issue: issueOfPull(u, this.state, pr), comment: issueComment(u, this.state, c) };
    if (changes) body.changes = changes;
    return this.wrap("issue_comment", action, repo, sender, body);
  }

  checkRun(
    action: "created" | "completed" | "rerequested" | "requested_action",
    run: CheckRun,
    sender: string,
    extra: Json = {},
  ): WebhookPayload {
    const repo = this.state.repoById(run.repoId);
    return this.wrap("check_run", action, repo, sender, {
      check_run: checkRun(this.urls(), this.state, run, true),
      ...extra,
    });
  }

  checkSuite(action: "requested" | "rerequested" | "completed", suite: CheckSuite, sender: string): WebhookPayload {
    const repo = this.state.repoById(suite.repoId);
    const head = repo.git.get(suite.headSha);
    const body = { ...checkSuite(this.urls(), this.state, suite), head_commit: webhookCommit(this.urls(), repo, head) };
    return this.wrap("check_suite", action, repo, sender, { check_suite: body });
  }

  push(
    repo: Repo,
    branch: string,
    before: string,
    after: string,
    commits: Array<{ commit: Commit; changes: FileChange[] }>,
    sender: string,
    forced: boolean,
  ): WebhookPayload {
    const u = this.urls();
    const rendered = commits.map((c) => webhookCommit(u, repo, c.commit, c.changes));
    const acc = this.state.account(sender)!;
    const repoJson = this.pushRepository(repo);
    return this.wrap("push", undefined, repo, sender, {
      ref: `refs/heads/${branch}`,
      before,
      after,
      repository: repoJson,
      pusher: { name: acc.login, email: acc.email },
      created: before === ZERO_SHA,
      deleted: after === ZERO_SHA,
      forced,
      base_ref: null,
      compare: `${u.html}/${repo.owner}/${repo.name}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
      commits: rendered,
      head_commit: rendered.at(-1) ?? null,
    });
  }

  mergeGroup(
    action: "checks_requested" | "destroyed",
    repo: Repo,
    group: MergeGroupRef,
    sender: string,
    extra: Json = {},
  ): WebhookPayload {
    const head = webhookCommit(this.urls(), repo, repo.git.get(group.headSha));
    return this.wrap("merge_group", action, repo, sender, {
      merge_group: {
        head_sha: group.headSha,
        head_ref: `refs/heads/${group.headRef}`,
        base_sha: group.baseSha,
        base_ref: `refs/heads/${group.baseRef}`,
        head_commit: head,
      },
      ...extra,
    });
  }

  /** Push payloads use the older repository shape: epoch-second timestamps and stargazers/master_branch. */
  private pushRepository(repo: Repo): Json {
    const r = repository(this.urls(), this.state, repo);
    const epoch = (iso: string) => Math.floor(Date.parse(iso) / 1000);
    const owner = this.state.account(repo.owner)!;
    return {
      ...r,
      owner: { ...(r.owner as Json), name: owner.login, email: owner.email },
      created_at: epoch(repo.createdAt),
      pushed_at: epoch(repo.pushedAt),
      stargazers: 0,
      master_branch: repo.defaultBranch,
      ...(owner.type === "Organization" ? { organization: owner.login } : {}),
    };
  }

  /**
   * `installation.created` (the app was installed on these repositories) and
   * `installation_repositories.added` (more repositories were added): GitHub sends both to every app.
   */
  installation(action: "created" | "added", repos: Repo[], sender: string): WebhookPayload {
    const u = this.urls();
    const listed = repos.map((r) => ({
      id: r.id,
      node_id: nodeId("Repository", r.id),
      name: r.name,
      full_name: `${r.owner}/${r.name}`,
      private: r.private,
    }));
    const common = {
      installation: installation(u, this.state),
      requester: null,
      sender: userByLogin(u, this.state, sender),
    };
    if (action === "created")
      return { event: "installation", action, body: { action, ...common, repositories: listed } };
    return {
      event: "installation_repositories",
      action,
      body: {
        action,
        ...common,
        repository_selection: "selected",
        repositories_added: listed,
        repositories_removed: [],
      },
    };
  }

  private wrap(event: string, action: string | undefined, repo: Repo, sender: string, body: Json): WebhookPayload {
    const u = this.urls();
    const owner = this.state.account(repo.owner)!;
    const payload: Json = {
      ...(action ? { action } : {}),
      ...body,
      repository: body.repository ?? repository(u, this.state, repo),
      ...(owner.type === "Organization" ? { organization: organization(u, owner) } : {}),
      sender: userByLogin(u, this.state, sender),
      installation: { id: this.state.installationId, node_id: nodeId("Installation", this.state.installationId) },
    };
    return { event, ...(action ? { action } : {}), body: payload };
  }
}
