/** The mandatory-review table (reviewers.yml, version 1) after validation. */
export interface ReviewTable {
  /** The file it was read from, as named in problems (e.g. `.github/reviewers.yml`). */
  readonly file: string;
  readonly personas: readonly Persona[];
  readonly domains: readonly Domain[];
  readonly settings: Settings;
}

export interface Persona {
  readonly id: string;
  /** Shown in checks; defaults to the id. */
  readonly name: string;
  /** Team slugs (`slug` in the repository's org, or `org/slug`). */
  readonly teams: readonly string[];
  /** GitHub logins. */
  readonly users: readonly string[];
  /** Distinct eligible approvers needed. */
  readonly approvals: number;
  readonly criteria: readonly string[];
  /** Must each approval acknowledge every criterion? Absent: `settings.require_criteria` decides. */
  readonly requireCriteria?: boolean;
  /** Personas that must approve before this one is asked (`after:`); absent when it reviews in parallel. */
  readonly after?: readonly string[];
}

export interface Domain {
  readonly id: string;
  readonly description?: string;
  readonly paths: readonly string[];
  readonly ignore: readonly string[];
  /** This domain's row of the table: which personas, with the domain's extra criteria for each. */
  readonly require: readonly { readonly persona: string; readonly criteria: readonly string[] }[];
}

export type OnPush = "keep" | "dismiss" | "changed-domains";
export type Drafts = "wait" | "review";
/** The conflict radar: a neutral check (`report`), a failing one on shared files (`block`), or none. */
export type Conflicts = "report" | "block" | "off";

export interface Settings {
  readonly gate: string;
  readonly on_push: OnPush;
  readonly request_reviews: boolean;
  readonly drafts: Drafts;
  readonly self_approval: boolean;
  /** May someone who authored, committed or pushed a commit of the PR that changes a persona's files approve for it? */
  readonly contributor_approval: boolean;
  readonly distinct_reviewers: boolean;
  /** Does an approval count only when it acknowledges every criterion of the persona (personas may override)? */
  readonly require_criteria: boolean;
  /** Personas required when some changed file matches no domain. */
  readonly unmatched: readonly string[];
  /** Personas required when the table itself changes; empty means every persona. */
  readonly config_owners: readonly string[];
  readonly conflicts: Conflicts;
  /** Path patterns added to the radar's default shared configuration (manifests, lock files, .env*, …). */
  readonly shared_config: readonly string[];
}

export const DEFAULT_SETTINGS: Settings = {
  gate: "parallel-review",
  on_push: "changed-domains",
  request_reviews: true,
  drafts: "wait",
  self_approval: false,
  contributor_approval: false,
  distinct_reviewers: true,
  require_criteria: false,
  unmatched: [],
  config_owners: [],
  conflicts: "report",
  shared_config: [],
};

/** Where the app and the CLI look for the table, in order. */
export const TABLE_PATHS = [".github/reviewers.yml", "reviewers.yml"] as const;

export interface Problem {
  readonly severity: "error" | "warning";
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  /** Dotted key path, e.g. `domains.payments.require.finance`; empty for the whole document. */
  readonly path: string;
  readonly message: string;
}

/** A file of the change, as GitHub's pulls/files or `git diff --name-status` report it. */
export interface ChangedFile {
  readonly path: string;
  readonly status: "added" | "modified" | "removed" | "renamed" | "copied" | "changed" | "unchanged";
  /** The old path of a renamed (or copied) file. */
  readonly previousPath?: string;
}
