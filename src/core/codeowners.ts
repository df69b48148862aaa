import { globProblem } from "./glob.js";

/**
 * CODEOWNERS → review table, so a team can switch in a minute. Each owner set (the owners of one line,
 * any one of whom may approve, as on GitHub) becomes a persona; each pattern a domain requiring it.
 * GitHub applies only the *last* matching line, a table every matching domain: each domain therefore
 * ignores the patterns of the later lines, which keeps who must review each file as it was. What the
 * table cannot say is listed, never dropped silently.
 */

export interface Skipped {
  /** 1-based line (0 for a note about the whole file). */
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export interface Imported {
  /** The table as YAML text. */
  readonly yaml: string;
  readonly personas: number;
  readonly domains: number;
  /** What could not be expressed, and differences the table brings. */
  readonly skipped: readonly Skipped[];
}

interface Rule {
  readonly line: number;
  readonly pattern: string;
  /** Teams (`org/slug`) and users (logins), without `@`; empty for a line that removes ownership. */
  readonly teams: readonly string[];
  readonly users: readonly string[];
}

const LOGIN = /^@([A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38})$/;
const TEAM = /^@([A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9][A-Za-z0-9_.-]*)$/;
/** More later patterns than this in one domain's ignore list would make an unreadable table: say so instead. */
const MAX_IGNORES = 200;

export function importCodeowners(text: string, source = "CODEOWNERS"): Imported {
  const skipped: Skipped[] = [];
  const rules: Rule[] = [];
  text.split("\n").forEach((raw, i) => {
    const rule = readLine(raw.replace(/\r$/, ""), i + 1, skipped);
    if (rule) rules.push(rule);
  });

  const personas = new Map<string, { id: string; teams: readonly string[]; users: readonly string[] }>();
  const domains: { id: string; rule: Rule; persona: string; ignore: string[] }[] = [];
  const personaIds = new Set<string>();
  const domainIds = new Set<string>();
  rules.forEach((rule, k) => {
    if (rule.teams.length === 0 && rule.users.length === 0) return; // ownership removed: only an ignore of earlier lines
    const same = rules.slice(k + 1).find((r) => r.pattern === rule.pattern);
    if (same) {
      skipped.push({
        line: rule.line,
        column: 1,
        message: `"${rule.pattern}" is given again on line ${same.line}, which wins on GitHub: this line has no effect and is left out`,
      });
      return;
    }
    const key = [...rule.teams.map((t) => `@${t}`), ...rule.users.map((u) => `@${u}`)].sort().join(" ");
    let persona = personas.get(key);
    if (!persona) {
      persona = { id: unique(personaId(rule), personaIds), teams: rule.teams, users: rule.users };
      personas.set(key, persona);
    }
    const later = rules
      .slice(k + 1)
      .map((r) => r.pattern)
      .filter((p) => mayOverlap(rule.pattern, p));
    const ignore = [...new Set(later)];
    if (ignore.length > MAX_IGNORES)
      skipped.push({
        line: rule.line,
        column: 1,
        message: `"${rule.pattern}": ${ignore.length} later lines may take files from it, more than ${MAX_IGNORES}; only the last ${MAX_IGNORES} are listed under "ignore", so some files may need this line's owners too`,
      });
    domains.push({
      id: unique(domainId(rule.pattern), domainIds),
      rule,
      persona: persona.id,
      ignore: ignore.slice(-MAX_IGNORES),
    });
  });

  if (domains.length > 0) {
    skipped.push({
      line: 0,
      column: 0,
      message:
        "one person who owns files of several lines now counts for one persona only (settings.distinct_reviewers, on by default); set it to false for CODEOWNERS' behaviour",
    });
    skipped.push({
      line: 0,
      column: 0,
      message:
        "a change to the table itself needs every persona (settings.config_owners is empty): name the owners of the table there",
    });
  }

  const out: string[] = [
    `# Review table imported from ${source} by "parallel-review import-codeowners".`,
    "# Each owner set is a persona; each pattern a domain. A domain ignores the patterns of later lines,",
    "# as GitHub applies only the last matching line. Reference: docs/configuration.md.",
    "version: 1",
    "",
    "personas:",
  ];
  for (const p of personas.values()) {
    out.push(`  ${p.id}:`);
    out.push(`    name: ${q(personaName(p))}`);
    if (p.teams.length > 0) out.push(`    teams: [${p.teams.map(q).join(", ")}]`);
    if (p.users.length > 0) out.push(`    users: [${p.users.map(q).join(", ")}]`);
  }
  out.push("", "domains:");
  for (const d of domains) {
    out.push(`  ${d.id}:`);
    out.push(`    description: ${q(`${source} line ${d.rule.line}: ${d.rule.pattern}`)}`);
    out.push(`    paths: [${q(d.rule.pattern)}]`);
    if (d.ignore.length > 0) out.push(`    ignore: [${d.ignore.map(q).join(", ")}]`);
    out.push(`    require: [${d.persona}]`);
  }
  return {
    yaml: out.join("\n") + "\n",
    personas: personas.size,
    domains: domains.length,
    skipped: skipped.sort((a, b) => a.line - b.line || a.column - b.column),
  };
}

/** One CODEOWNERS line: `pattern owner…`, `#` comments (also after a space), blank lines. */
function readLine(line: string, n: number, skipped: Skipped[]): Rule | undefined {
  const body = line.replace(/(^|\s)#.*$/, "").trim();
  if (body === "") return undefined;
  const [pattern, ...owners] = body.split(/\s+/) as [string, ...string[]];
  const col = line.indexOf(pattern) + 1;
  const skip = (message: string) => void skipped.push({ line: n, column: col, message });
  if (pattern.startsWith("!"))
    return skip(`"${pattern}": negation does not work in CODEOWNERS (GitHub ignores it); not imported`);
  if (pattern.startsWith("\\#"))
    return skip(`"${pattern}": escaping "#" does not work in CODEOWNERS (GitHub ignores it); not imported`);
  if (/[[\]]/.test(pattern))
    return skip(`"${pattern}": "[ ]" is an error in CODEOWNERS (GitHub flags the line); not imported`);
  const problem = globProblem(pattern);
  if (problem) return skip(`"${pattern}": not a valid table pattern (${problem.message}); not imported`);

  const teams: string[] = [];
  const users: string[] = [];
  for (const owner of owners) {
    const team = TEAM.exec(owner);
    const user = LOGIN.exec(owner);
    if (team) teams.push(team[1]!);
    else if (user) users.push(user[1]!);
    else
      skipped.push({
        line: n,
        column: line.indexOf(owner) + 1,
        message:
          owner.includes("@") && !owner.startsWith("@")
            ? `owner "${owner}" is an e-mail address: the table names GitHub logins and teams; add the person's login by hand`
            : `owner "${owner}" is not a GitHub login or team (@login, @org/team); left out`,
      });
  }
  if (owners.length > 0 && teams.length === 0 && users.length === 0) {
    // Every owner was left out: importing the line as "no owner" would remove review; keeping the
    // earlier lines' owners for these files fails closed.
    skip(`"${pattern}": no owner could be imported, so the line is left out and earlier lines keep these files`);
    return undefined;
  }
  return { line: n, pattern, teams: [...new Set(teams)], users: [...new Set(users)] };
}

/**
 * False only when two patterns certainly match no common file: both anchored literal directories or
 * files (`/docs/`, `/build/logs`) where neither is a prefix of the other. Anything else may overlap.
 */
function mayOverlap(a: string, b: string): boolean {
  const literal = (p: string) => p.startsWith("/") && !/[*?]/.test(p);
  if (!literal(a) || !literal(b)) return true;
  const dir = (p: string) => p.replace(/\/?$/, "/");
  return dir(a).startsWith(dir(b)) || dir(b).startsWith(dir(a));
}

function personaId(rule: Rule): string {
  const names = [...rule.teams.map((t) => t.split("/")[1]!), ...rule.users];
  const head = names.slice(0, 2).map(slug).join("-or-");
  return names.length > 2 ? `${head}-and-${names.length - 2}-more` : head || "owners";
}

function personaName(p: { teams: readonly string[]; users: readonly string[] }): string {
  return [...p.teams, ...p.users].map((o) => `@${o}`).join(" or ");
}

function domainId(pattern: string): string {
  return slug(pattern.replace(/\*+/g, " ")) || "everything";
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

function unique(id: string, taken: Set<string>): string {
  let out = id;
  for (let n = 2; taken.has(out); n++) out = `${id}-${n}`;
  taken.add(out);
  return out;
}

/** A YAML double-quoted scalar (JSON's string syntax is valid YAML). */
function q(s: string): string {
  return JSON.stringify(s);
}
