/** The simulator's in-memory world. Plain data plus lookups; HTTP and webhook concerns live elsewhere. */
import { ObjectStore } from "./git.js";
import { IdSequence } from "./util.js";

export type AccountType = "User" | "Bot" | "Organization";

export interface Account {
  login: string;
  id: number;
  type: AccountType;
  name: string | null;
  email: string | null;
  siteAdmin: boolean;
  /** Org membership decides author_association MEMBER vs NONE. */
  orgMember: boolean;
}

export interface AppInfo {
  id: number;
  slug: string;
  name: string;
  clientId: string;
  owner: string;
  permissions: Record<string, string>;
  events: string[];
  createdAt: string;
}

export type TeamRole = "member" | "maintainer";
export type MembershipState = "active" | "pending";

export interface Team {
  id: number;
  slug: string;
  name: string;
  description: string | null;
  parent: string | null;
  members: Map<string, { role: TeamRole; state: MembershipState }>;
}

export interface Repo {
  id: number;
  name: string;
  owner: string;
  defaultBranch: string;
  private: boolean;
  branches: Map<string, string>;
  git: ObjectStore;
  createdAt: string;
  pushedAt: string;
  nextNumber: number;
}

export interface PullRequest {
  id: number;
  number: number;
  repoId: number;
  title: string;
  body: string | null;
  author: string;
  base: string;
  head: string;
  /** Head sha remembered for when the branch is gone (closed PRs). */
  lastHeadSha: string;
  state: "open" | "closed";
  draft: boolean;
  merged: boolean;
  mergedAt: string | null;
  mergedBy: string | null;
  mergeCommitSha: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  requestedReviewers: string[];
  requestedTeams: string[];
}

export type ReviewState = "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED" | "DISMISSED";

export interface Review {
  id: number;
  repoId: number;
  prNumber: number;
  user: string;
  state: ReviewState;
  body: string;
  commitId: string;
  submittedAt: string;
}

export interface CheckSuite {
  id: number;
  repoId: number;
  appId: number;
  headSha: string;
  headBranch: string | null;
  before: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface CheckAction {
  label: string;
  description: string;
  identifier: string;
}

export interface CheckRun {
  id: number;
  repoId: number;
  suiteId: number;
  appId: number;
  headSha: string;
  name: string;
  status: "queued" | "in_progress" | "completed" | "waiting" | "requested" | "pending";
  conclusion: string | null;
  startedAt: string;
  completedAt: string | null;
  detailsUrl: string | null;
  externalId: string;
  output: { title: string | null; summary: string | null; text: string | null; annotationsCount: number };
  actions: CheckAction[];
  createdSeq: number;
}

export interface IssueComment {
  id: number;
  repoId: number;
  issueNumber: number;
  user: string;
  body: string;
  createdAt: string;
  updatedAt: string;
  viaAppId: number | null;
}

export interface InstallationToken {
  token: string;
  installationId: number;
  expiresAt: number;
}

export interface IssueEvent {
  id: number;
  repoId: number;
  issueNumber: number;
  event: "head_ref_force_pushed";
  actor: string;
  commitId: string;
  createdAt: string;
}

/** Id ranges differ per kind so a test can't pass by confusing, say, a review id with a comment id. */
export class State {
  readonly ids = {
    account: new IdSequence(10_001),
    team: new IdSequence(501),
    repo: new IdSequence(700_001),
    pull: new IdSequence(1_800_000_001),
    review: new IdSequence(2_100_000_001),
    suite: new IdSequence(3_000_000_001),
    run: new IdSequence(4_000_000_001),
    comment: new IdSequence(5_000_000_001),
    issueEvent: new IdSequence(6_000_000_001),
  };
  readonly accounts = new Map<string, Account>();
  readonly apps = new Map<number, AppInfo>();
  readonly teams = new Map<string, Team>();
  readonly repos = new Map<string, Repo>();
  readonly pulls = new Map<number, Map<number, PullRequest>>();
  readonly reviews: Review[] = [];
  readonly suites: CheckSuite[] = [];
  readonly runs = new Map<number, CheckRun>();
  readonly comments = new Map<number, IssueComment>();
  /** Issue events GitHub records on its own (only `head_ref_force_pushed` is simulated). */
  readonly issueEvents: IssueEvent[] = [];
  readonly tokens = new Map<string, InstallationToken>();
  runSeq = 0;

  constructor(
    readonly org: string,
    readonly installationId: number,
    public appId: number,
  ) {}

  get app(): AppInfo {
    const app = this.apps.get(this.appId);
    if (!app) throw new Error("simulator has no app configured");
    return app;
  }

  account(login: string): Account | undefined {
    return this.accounts.get(login.toLowerCase());
  }

  repo(owner: string, name: string): Repo | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  repoById(id: number): Repo {
    const r = [...this.repos.values()].find((x) => x.id === id);
    if (!r) throw new Error(`unknown repo id ${id}`);
    return r;
  }

  pullsOf(repo: Repo): Map<number, PullRequest> {
    let m = this.pulls.get(repo.id);
    if (!m) this.pulls.set(repo.id, (m = new Map<number, PullRequest>()));
    return m;
  }

  headSha(pr: PullRequest): string {
    const repo = this.repoById(pr.repoId);
    return pr.state === "open" ? (repo.branches.get(pr.head) ?? pr.lastHeadSha) : pr.lastHeadSha;
  }

  baseSha(pr: PullRequest): string {
    const repo = this.repoById(pr.repoId);
    // A merged pull request still lists its files and commits (as on GitHub): against the base as it was
    // when it merged, the merge commit's first parent, not the base tip that now contains it.
    const merged = pr.mergeCommitSha ? repo.git.get(pr.mergeCommitSha)?.parents[0] : undefined;
    if (merged) return merged;
    return repo.branches.get(pr.base) ?? repo.branches.get(repo.defaultBranch)!;
  }

  /** A branch name, a full sha, or refs/heads/<branch>; undefined when nothing matches. */
  resolveRef(repo: Repo, ref: string): string | undefined {
    const branch = ref.replace(/^refs\/heads\//, "");
    if (repo.branches.has(branch)) return repo.branches.get(branch);
    if (/^[0-9a-f]{40}$/.test(ref) && repo.git.has(ref)) return ref;
    if (/^[0-9a-f]{7,39}$/.test(ref)) return [...repo.git.commits.keys()].find((s) => s.startsWith(ref));
    return undefined;
  }

  /** Team members including members of child teams, as GitHub reports them. */
  teamMembers(slug: string): Map<string, { role: TeamRole; state: MembershipState }> {
    const out = new Map<string, { role: TeamRole; state: MembershipState }>();
    const visit = (s: string, seen: Set<string>) => {
      if (seen.has(s)) return;
      seen.add(s);
      const team = this.teams.get(s);
      if (!team) return;
      for (const [login, m] of team.members)
        if (!out.has(login) || (m.state === "active" && out.get(login)!.state !== "active")) out.set(login, m);
      for (const child of this.teams.values()) if (child.parent === s) visit(child.slug, seen);
    };
    visit(slug.toLowerCase(), new Set());
    return out;
  }

  /** Open PRs whose head is `sha` — what GitHub puts in check_run.pull_requests. */
  pullsWithHead(repo: Repo, sha: string): PullRequest[] {
    return [...this.pullsOf(repo).values()].filter((p) => p.state === "open" && this.headSha(p) === sha);
  }

  authorAssociation(repo: Repo, login: string): "OWNER" | "MEMBER" | "CONTRIBUTOR" | "NONE" {
    if (login.toLowerCase() === repo.owner.toLowerCase()) return "OWNER";
    const acc = this.account(login);
    if (acc?.orgMember) return "MEMBER";
    return "NONE";
  }
}
