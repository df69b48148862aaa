import { PathMatcher } from "./matcher.js";
import { TABLE_PATHS, type ChangedFile, type ReviewTable } from "./types.js";

/** For a set of changed files: which domains they touch and which personas must approve, against which criteria. */
export interface ReviewPlan {
  /** Matched domains, in the order the table declares them. */
  readonly domains: readonly PlanDomain[];
  /** Required personas, each once, in the order the table declares them. */
  readonly personas: readonly PlanPersona[];
  /** Changed files that no domain covers. */
  readonly unmatched: readonly string[];
  /** Set when the change touches the review table's own file. */
  readonly tableChange?: { readonly files: readonly string[]; readonly personas: readonly string[] };
}

export interface PlanDomain {
  readonly id: string;
  readonly description?: string;
  readonly files: readonly string[];
  readonly personas: readonly string[];
}

export interface PlanPersona {
  readonly id: string;
  readonly name: string;
  readonly domains: readonly string[];
  readonly files: readonly string[];
  readonly approvals: number;
  readonly teams: readonly string[];
  readonly users: readonly string[];
  /** The persona's own criteria first, then each requiring domain's. */
  readonly criteria: readonly CriteriaGroup[];
  /** Must each approval acknowledge every criterion (`require_criteria`)? Absent means no. */
  readonly requireCriteria?: boolean;
  /** Why it is required, in words (one per domain, unmatched files, or the table change). */
  readonly reasons: readonly string[];
}

export interface CriteriaGroup {
  /** `persona` for the persona's own list, else the domain id. */
  readonly source: string;
  readonly title: string;
  readonly items: readonly string[];
}

/** The table's patterns compiled once; reused for every plan made with the same table object. */
export class TableMatcher {
  private readonly include: PathMatcher;
  private readonly ignore: PathMatcher;

  constructor(readonly table: ReviewTable) {
    const entries = (key: "paths" | "ignore") =>
      table.domains.flatMap((d, tag) => d[key].map((pattern) => ({ pattern, tag })));
    this.include = new PathMatcher(entries("paths"));
    this.ignore = new PathMatcher(entries("ignore"));
  }

  /** Indexes (into table.domains) of the domains a path belongs to: it matches one of `paths` and none of `ignore`. */
  domainsOf(path: string): number[] {
    const hits = this.include.match(path);
    if (hits.length === 0) return hits;
    const ignored = this.ignore.match(path);
    return ignored.length === 0 ? hits : hits.filter((d) => !ignored.includes(d));
  }
}

const matchers = new WeakMap<ReviewTable, TableMatcher>();

export function matcherFor(table: ReviewTable): TableMatcher {
  let m = matchers.get(table);
  if (!m) matchers.set(table, (m = new TableMatcher(table)));
  return m;
}

/**
 * The review plan. A renamed file counts under its old and its new path (moving a file out of a domain
 * is a change to that domain); a removed file counts under its path. When the change touches a file
 * the app reads the table from, `config_owners` (every persona when empty) must review it.
 */
export function planReview(
  table: ReviewTable,
  files: readonly ChangedFile[],
  tablePaths: readonly string[] = TABLE_PATHS,
): ReviewPlan {
  const matcher = matcherFor(table);
  const domainFiles = table.domains.map(() => new Set<string>());
  const unmatched = new Set<string>();
  const tableFiles = new Set<string>();

  for (const f of files) {
    // Only a rename changes its old path; a copy leaves the original as it was (docs: "Added, modified and
    // copied files count under their (new) path"), so a copy out of a domain no longer requires that domain.
    const old =
      f.status === "renamed" && f.previousPath !== undefined && f.previousPath !== f.path ? f.previousPath : undefined;
    const hit = new Set(matcher.domainsOf(f.path));
    if (old !== undefined) for (const d of matcher.domainsOf(old)) hit.add(d);
    const isTable = [f.path, old].filter((p) => p !== undefined && tablePaths.includes(p));
    for (const p of isTable) tableFiles.add(p!);
    // The table's own file has its reviewers (config_owners); it is not "unmatched", or a table-only
    // change would also pull in settings.unmatched.
    if (hit.size === 0 && isTable.length === 0) unmatched.add(f.path);
    for (const d of hit) domainFiles[d]!.add(f.path);
  }

  const domains: PlanDomain[] = [];
  table.domains.forEach((d, i) => {
    if (domainFiles[i]!.size === 0) return;
    domains.push({
      id: d.id,
      ...(d.description ? { description: d.description } : {}),
      files: sorted(domainFiles[i]!),
      personas: d.require.map((r) => r.persona),
    });
  });

  const unmatchedList = sorted(unmatched);
  const tableOwners =
    tableFiles.size === 0
      ? []
      : table.settings.config_owners.length > 0
        ? table.settings.config_owners
        : table.personas.map((p) => p.id);

  const personas: PlanPersona[] = [];
  for (const p of table.personas) {
    const myDomains = domains.filter((d) => d.personas.includes(p.id));
    const byUnmatched = unmatchedList.length > 0 && table.settings.unmatched.includes(p.id);
    const byTable = tableOwners.includes(p.id);
    if (myDomains.length === 0 && !byUnmatched && !byTable) continue;

    const fileSet = new Set(myDomains.flatMap((d) => d.files));
    const reasons = myDomains.map(
      (d) => `domain ${d.id}${d.description ? ` (${d.description})` : ""}: ${count(d.files.length, "file")}`,
    );
    if (byUnmatched) {
      for (const f of unmatchedList) fileSet.add(f);
      reasons.push(`${count(unmatchedList.length, "file")} no domain covers (settings.unmatched)`);
    }
    if (byTable) {
      for (const f of tableFiles) fileSet.add(f);
      reasons.push(`the review table itself changed: ${sorted(tableFiles).join(", ")} (settings.config_owners)`);
    }

    const criteria: CriteriaGroup[] = [];
    if (p.criteria.length > 0) criteria.push({ source: "persona", title: p.name, items: p.criteria });
    for (const d of myDomains) {
      const items = table.domains.find((td) => td.id === d.id)!.require.find((r) => r.persona === p.id)!.criteria;
      if (items.length > 0) criteria.push({ source: d.id, title: d.description ?? d.id, items });
    }

    personas.push({
      id: p.id,
      name: p.name,
      domains: myDomains.map((d) => d.id),
      files: sorted(fileSet),
      approvals: p.approvals,
      teams: p.teams,
      users: p.users,
      criteria,
      ...((p.requireCriteria ?? table.settings.require_criteria) ? { requireCriteria: true } : {}),
      reasons,
    });
  }

  return {
    domains,
    personas,
    unmatched: unmatchedList,
    ...(tableFiles.size > 0 ? { tableChange: { files: sorted(tableFiles), personas: tableOwners } } : {}),
  };
}

function sorted(values: Iterable<string>): string[] {
  return [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
