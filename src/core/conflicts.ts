import { clip, fit, type CheckRunSpec } from "./checks.js";
import { PathMatcher } from "./matcher.js";
import { count, matcherFor } from "./plan.js";
import { TABLE_PATHS, type ReviewTable } from "./types.js";

/**
 * The conflict radar: for one pull request, the other open pull requests into the same base that
 * (a) change the same files, (b) change shared configuration (manifests, lock files, `.env*`,
 * `docker-compose*`, CI workflows, the review table — files that conflict or interact even when the
 * edits are far apart), or (c) change the same domain. Pure: the adapter brings the file lists.
 */

/** Shared configuration by default; `settings.shared_config` adds patterns (path-pattern syntax). */
export const DEFAULT_SHARED_CONFIG: readonly string[] = [
  "package.json",
  "package-lock.json",
  "npm-shrinkwrap.json",
  "yarn.lock",
  "pnpm-lock.yaml",
  "go.mod",
  "go.sum",
  "Cargo.toml",
  "Cargo.lock",
  "requirements*.txt",
  "pyproject.toml",
  "poetry.lock",
  "Pipfile",
  "Pipfile.lock",
  "Gemfile",
  "Gemfile.lock",
  "composer.json",
  "composer.lock",
  "pom.xml",
  "build.gradle",
  ".env*",
  "docker-compose*",
  "compose.yaml",
  "compose.yml",
  "/.github/workflows/",
  ...TABLE_PATHS.map((p) => `/${p}`),
];

export interface RadarPull {
  readonly number: number;
  readonly title: string;
  /** When it was opened: the older of two overlapping pull requests is suggested to merge first. */
  readonly createdAt: string;
  /** Changed paths (a rename under both its paths). */
  readonly files: readonly string[];
}

export interface Overlap {
  readonly number: number;
  readonly title: string;
  /** Files both change. */
  readonly sameFiles: readonly string[];
  /** Shared-configuration files either changes, when both change some (not already in sameFiles). */
  readonly sharedConfig: readonly string[];
  /** Domains of the table both touch. */
  readonly sameDomains: readonly string[];
  /** The other pull request is the older one: it is suggested to merge first (the check says what to do). */
  readonly mergesFirst: boolean;
}

export interface Radar {
  readonly number: number;
  readonly overlaps: readonly Overlap[];
  /** Set when more pull requests are open than the radar compares: the cap it applied. */
  readonly cappedAt?: number;
}

const sharedMatchers = new WeakMap<ReviewTable, PathMatcher>();

function sharedMatcher(table: ReviewTable): PathMatcher {
  let m = sharedMatchers.get(table);
  if (!m) {
    const patterns = [...DEFAULT_SHARED_CONFIG, ...(table.settings.shared_config ?? [])];
    sharedMatchers.set(table, (m = new PathMatcher(patterns.map((pattern) => ({ pattern, tag: 0 })))));
  }
  return m;
}

/** What the radar needs of each pull request, computed once per file list. */
export interface Profile {
  readonly pull: RadarPull;
  readonly files: ReadonlySet<string>;
  readonly shared: readonly string[];
  readonly domains: ReadonlySet<string>;
  /** `createdAt` as a time (0 when unreadable), parsed once: a refresh compares thousands of pairs. */
  readonly openedAt: number;
}

export function profile(table: ReviewTable, pull: RadarPull): Profile {
  let byList = listProfiles.get(table);
  if (!byList) listProfiles.set(table, (byList = new WeakMap()));
  let list = byList.get(pull.files);
  if (!list) byList.set(pull.files, (list = profileList(table, pull.files)));
  return { pull, ...list, openedAt: Date.parse(pull.createdAt) || 0 };
}

/** What a file list says under a table: its files as a set, its shared-configuration files and its domains. */
type ListProfile = Pick<Profile, "files" | "shared" | "domains">;

/**
 * Each list profiled once per table: a refresh profiles every open pull request it compares (up to fifty, each
 * up to a hundred paths or more, every path matched against the table), and the next refresh profiles nearly the
 * same ones again. The adapter hands out one list object per head (src/github/radar.ts `FileCache`), never
 * changed (`readonly`), so the list object is the key; weak on both sides, nothing outlives its table or list.
 */
const listProfiles = new WeakMap<ReviewTable, WeakMap<readonly string[], ListProfile>>();

function profileList(table: ReviewTable, files: readonly string[]): ListProfile {
  const shared = sharedMatcher(table);
  const domains = matcherFor(table);
  const ids = new Set<string>();
  for (const f of files) for (const d of domains.domainsOf(f)) ids.add(table.domains[d]!.id);
  return {
    files: new Set(files),
    shared: files.filter((f) => shared.match(f).length > 0).sort(),
    domains: ids,
  };
}

/** The radar of `me` against the others (already capped by the caller; `cappedAt` says it was). */
export function radarOf(table: ReviewTable, me: Profile, others: readonly Profile[], cappedAt?: number): Radar {
  const overlaps: Overlap[] = [];
  // Computed once, not per other pull request: a refresh compares dozens of radars with fifty others each,
  // and a pair that overlaps nowhere allocates nothing.
  const myDomains = table.domains.map((d) => d.id).filter((id) => me.domains.has(id));
  for (const o of others) {
    if (o.pull.number === me.pull.number) continue;
    const sameFiles = common(me.files, o.files)?.sort() ?? NONE;
    const sharedConfig =
      me.shared.length > 0 && o.shared.length > 0
        ? [...new Set([...me.shared, ...o.shared])].filter((f) => !sameFiles.includes(f)).sort()
        : NONE;
    const sameDomains = o.domains.size > 0 ? myDomains.filter((id) => o.domains.has(id)) : NONE;
    if (sameFiles.length + sharedConfig.length + sameDomains.length === 0) continue;
    overlaps.push({
      number: o.pull.number,
      title: o.pull.title,
      sameFiles,
      sharedConfig,
      sameDomains,
      mergesFirst: olderOf(me, o) === o,
    });
  }
  // The strongest overlaps first: same files, then shared configuration, then domain only.
  const weight = (o: Overlap) => (o.sameFiles.length > 0 ? 2 : o.sharedConfig.length > 0 ? 1 : 0);
  overlaps.sort((a, b) => weight(b) - weight(a) || a.number - b.number);
  return { number: me.pull.number, overlaps, ...(cappedAt !== undefined ? { cappedAt } : {}) };
}

const NONE: readonly string[] = Object.freeze([]);

/** The paths in both sets, or undefined when none (nothing allocated). */
function common(a: ReadonlySet<string>, b: ReadonlySet<string>): string[] | undefined {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let out: string[] | undefined;
  for (const f of small) if (large.has(f)) (out ??= []).push(f);
  return out;
}

/**
 * What to do about an overlap in files or shared configuration: the older pull request merges first (it has
 * waited longer); the other rebases onto it. (Overlaps in domains only share an entry: `domainOnlyEntry`.)
 */
export function advice(o: Overlap): string {
  const merge = o.mergesFirst ? `merge #${o.number} first` : "merge this pull request first";
  const then = o.mergesFirst ? "this pull request" : `#${o.number}`;
  const what =
    o.sameFiles.length > 0 ? "resolve the overlapping files" : "regenerate or re-check the shared configuration";
  return `${merge}, then rebase ${then} and ${what}`;
}

function olderOf(a: Profile, b: Profile): Profile {
  return a.openedAt < b.openedAt || (a.openedAt === b.openedAt && a.pull.number < b.pull.number) ? a : b;
}

/** The radar's own check run: advisory (neutral) unless the table sets `conflicts: block`. */
export const CONFLICTS_CHECK = "parallel-review/conflicts";
const MAX_LISTED = 10;

export function conflictsCheck(radar: Radar, opts: { base: string; compared: number; block: boolean }): CheckRunSpec {
  const { overlaps } = radar;
  const lines: string[] = [];
  const scope = `Compared with ${count(opts.compared, "other open pull request")} into \`${opts.base}\`${radar.cappedAt !== undefined ? ` — more are open: the radar compares the ${radar.cappedAt} most recently updated` : ""}.`;
  if (overlaps.length === 0) {
    lines.push("No other open pull request changes the same files, shared configuration or domains.", "", scope);
    return {
      name: CONFLICTS_CHECK,
      status: "completed",
      conclusion: "success",
      title: "No overlap with other open pull requests",
      summary: fit(lines.join("\n")),
      actions: [],
    };
  }
  const blocking = opts.block && overlaps.some((o) => o.sameFiles.length > 0);
  // Overlaps in domains only (no file in common) share one entry per set of domains: in a busy domain they
  // are most of the open pull requests, and what to do is the same but for which is older.
  const domainOnly = new Map<string, Overlap[]>();
  for (const o of overlaps) {
    if (o.sameFiles.length + o.sharedConfig.length === 0) {
      const key = o.sameDomains.join(", ");
      const group = domainOnly.get(key);
      if (group) group.push(o);
      else domainOnly.set(key, [o]);
      continue;
    }
    lines.push(`### #${o.number} ${cellText(o.title)}`);
    if (o.sameFiles.length > 0) lines.push(`- **Same files** (${o.sameFiles.length}): ${listed(o.sameFiles)}`);
    if (o.sharedConfig.length > 0) lines.push(`- **Shared configuration**: ${listed(o.sharedConfig)}`);
    if (o.sameDomains.length > 0) lines.push(`- **Same domains**: ${o.sameDomains.join(", ")}`);
    lines.push(`- **What to do**: ${advice(o)}`, "");
  }
  for (const [domains, group] of domainOnly) lines.push(...domainOnlyEntry(domains, group), "");
  lines.push(scope);
  lines.push(
    "",
    opts.block
      ? "`settings.conflicts: block`: this check fails while another open pull request changes the same files."
      : "This check is advisory (neutral): it never blocks a merge unless the review table sets `conflicts: block`.",
  );
  const names = overlaps.map((o) => `#${o.number}`);
  return {
    name: CONFLICTS_CHECK,
    status: "completed",
    conclusion: blocking ? "failure" : "neutral",
    title: clip(
      `Overlaps with ${names.slice(0, 5).join(", ")}${names.length > 5 ? ` and ${names.length - 5} more` : ""}`,
      200,
    ),
    summary: fit(lines.join("\n")),
    actions: [],
  };
}

/** One entry for the pull requests that overlap only in `domains`: the older ones and the newer ones. */
function domainOnlyEntry(domains: string, group: readonly Overlap[]): string[] {
  const numbers = (first: boolean) =>
    group
      .filter((o) => o.mergesFirst === first)
      .map((o) => `#${o.number}`)
      .join(", ");
  const older = numbers(true);
  const newer = numbers(false);
  return [
    `### Same domains only (${group.length}): ${domains}`,
    "No textual conflict; the same reviewers are involved — review them together.",
    ...(older ? [`- **Opened before this one** (merge first, then re-check this pull request): ${older}`] : []),
    ...(newer ? [`- **Opened after this one** (re-check each after this one merges): ${newer}`] : []),
  ];
}

function listed(files: readonly string[]): string {
  const shown = files.slice(0, MAX_LISTED).map((f) => `\`${f}\``);
  return shown.join(", ") + (files.length > MAX_LISTED ? ` and ${files.length - MAX_LISTED} more` : "");
}

/** One line, at most 200 characters (`clip` cuts between code points: a halved emoji is a lone surrogate). */
function cellText(s: string): string {
  return clip(s.replace(/\r?\n/g, " "), 200);
}
