import { isMap, isScalar, isSeq } from "yaml";
import { globProblem } from "./glob.js";
import { ReviewOrder } from "./order-config.js";
import { didYouMean } from "./suggest.js";
import { DEFAULT_SETTINGS, type Domain, type Persona, type Problem, type ReviewTable, type Settings } from "./types.js";
import { join, YamlReader, type Entry, type Located } from "./yaml-reader.js";
import { intactSections, repairTabs, tabProblem, unrepair } from "./yaml-recover.js";
import { YamlSource } from "./yaml-source.js";

/** One file of a table: the repository's own, or an org-wide one it `_extends`. */
export interface TableSource {
  readonly file: string;
  readonly text: string;
}

export interface ParseResult {
  /** Present only when there is no error (warnings allowed). */
  readonly table?: ReviewTable;
  /** Every problem found, errors and warnings, in file then position order. */
  readonly problems: readonly Problem[];
  /** The `_extends` value of the last layer (the one read first), for the loader to fetch next (`repo`, `owner/repo` or `owner/repo:path`). */
  readonly extends?: string;
}

const TOP_KEYS = ["version", "personas", "domains", "settings", "_extends"] as const;
const PERSONA_KEYS = ["name", "teams", "users", "approvals", "criteria", "require_criteria", "after"] as const;
const DOMAIN_KEYS = ["description", "paths", "ignore", "require"] as const;
const SETTING_KEYS = Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[];
const ID = /^[a-z0-9][a-z0-9-]*$/;
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const TEAM = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\/)?[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** GitHub check run names are limited; stay well inside and keep them readable. */
const MAX_GATE_NAME = 100;

/**
 * Parses and validates a mandatory-review table. `layers` go from the most general (an org-wide file
 * named by `_extends`) to the repository's own file; a later layer replaces a persona or domain of the
 * same id as a whole, and settings key by key. Problems name the layer's own file.
 */
export function parseTable(...layers: TableSource[]): ParseResult {
  if (layers.length === 0) throw new Error("parseTable needs at least one source");
  const first = readLayers(layers, false);
  if (first.sources.every((s) => s.syntaxErrors.length === 0)) return first.result;
  return { problems: pastSyntaxErrors(layers, first.sources), extends: first.result.extends };
}

/**
 * The problems of layers with YAML syntax errors: the syntax errors, then what can still be read. Tabs
 * used as indentation are repaired and the table read as intended; otherwise only the problems of the
 * top-level sections the errors leave whole are kept, and none that another section could explain
 * (an unknown persona when `personas:` is broken, a missing section).
 */
function pastSyntaxErrors(layers: readonly TableSource[], sources: readonly YamlSource[]): Problem[] {
  if (sources.some((s) => s.syntaxErrors.some((p) => p.message.startsWith("Tabs are not allowed")))) {
    const score = (file: string) => (text: string) => {
      const srcs = readLayers([{ file, text }], true).sources;
      return srcs.reduce((n, s) => n + s.syntaxErrors.length * 1000 + s.problems.filter(isError).length, 0);
    };
    const repairs = layers.map((l) => repairTabs(l.text, score(l.file)));
    const again = readLayers(
      layers.map((l, i) => ({ file: l.file, text: repairs[i]?.text ?? l.text })),
      false,
    );
    if (again.sources.every((s) => s.syntaxErrors.length === 0)) {
      const tabs = layers.flatMap((l, i) => [...(repairs[i]?.lines ?? [])].map(([n, f]) => tabProblem(l.file, n, f)));
      const byFile = new Map(layers.map((l, i) => [l.file, repairs[i]]));
      return sortProblems([...tabs, ...again.result.problems.map((p) => unrepair(p, byFile.get(p.file)))]);
    }
  }
  const tolerant = readLayers(layers, true).sources;
  const intact = new Map(tolerant.map((s, i) => [s.file, intactSections(s, layers[i]!.text)]));
  const whole = (key: string) => [...intact.values()].every((i) => i.section(key));
  const syntax = new Set(tolerant.flatMap((s) => s.syntaxErrors));
  const kept = tolerant.flatMap((s) =>
    s.problems.filter(
      (p) =>
        syntax.has(p) ||
        (p.path !== "" &&
          intact.get(p.file)!.line(p.line) &&
          !p.message.startsWith('missing "') &&
          !(p.message.startsWith("unknown persona") && !whole("personas")) &&
          !(p.message.includes("is not required by any domain") && !(whole("domains") && whole("settings")))),
    ),
  );
  return sortProblems(kept);
}

/** Reads the layers; with `tolerateSyntax`, a document with syntax errors is read as far as it goes. */
function readLayers(
  layers: readonly TableSource[],
  tolerateSyntax: boolean,
): { result: ParseResult; sources: YamlSource[] } {
  const sources: YamlSource[] = [];
  const personaEntries = new Map<string, Layered>();
  const domainEntries = new Map<string, Layered>();
  const settingEntries = new Map<string, Layered>();
  let extendsRef: string | undefined;

  layers.forEach((layer, i) => {
    const src = new YamlSource(layer.file, layer.text);
    sources.push(src);
    const reader = new YamlReader(src);
    const top = src.doc && readTop(reader);
    if (!top) return;
    const ext = reader.string(top.get("_extends"), "_extends", { nonEmpty: true });
    if (i === layers.length - 1) extendsRef = ext;
    for (const e of sectionEntries(reader, top, "personas")) personaEntries.set(e.key, { entry: e, reader });
    for (const e of sectionEntries(reader, top, "domains")) domainEntries.set(e.key, { entry: e, reader });
    const settings = top.get("settings");
    if (settings && !isNull(settings.node))
      for (const [k, e] of reader.fields(settings.node, "settings", SETTING_KEYS, settings.at) ?? [])
        settingEntries.set(k, { entry: e, reader });
  });
  const problems = () => sortProblems(sources.flatMap((s) => s.problems));
  const done = (result: ParseResult) => ({ result, sources });

  // A layer that could not be read as YAML at all: its syntax problems are the answer.
  if (
    sources.some((s) => !s.doc) ||
    (!tolerateSyntax && sources.some((s) => s.problems.some((p) => p.severity === "error" && p.path === "")))
  )
    return done({ problems: problems(), extends: extendsRef });

  const personaIds = new KnownPersonas(new Set(personaEntries.keys()));
  const order = new ReviewOrder((reader, id, node, path) => checkPersona(reader, id, node, path, personaIds));
  const personas = [...personaEntries].flatMap(
    ([id, { entry, reader }]) => readPersona(reader, id, entry, order) ?? [],
  );
  order.checkCycles();
  const domains = [...domainEntries].flatMap(
    ([id, { entry, reader }]) => readDomain(reader, id, entry, personaIds) ?? [],
  );
  const settings = readSettings(settingEntries, personaIds);

  const required = new Set([
    ...domains.flatMap((d) => d.require.map((r) => r.persona)),
    ...settings.unmatched,
    ...settings.config_owners,
  ]);
  for (const [id, { entry, reader }] of personaEntries) {
    if (!required.has(id))
      reader.src.warning(
        entry.keyNode,
        `personas.${id}`,
        `persona "${id}" is not required by any domain: add it to a domain's "require" or remove it`,
      );
  }

  const all = problems();
  if (all.some((p) => p.severity === "error")) return done({ problems: all, extends: extendsRef });
  return done({
    table: { file: layers[layers.length - 1]!.file, personas, domains, settings },
    problems: all,
    extends: extendsRef,
  });
}

interface Layered {
  entry: Entry;
  reader: YamlReader;
}

function readTop(reader: YamlReader): Map<string, Entry> | undefined {
  const { src } = reader;
  const contents = src.doc!.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) {
    src.error(
      contents,
      "",
      'the file is empty: start with "version: 1", then "personas:" and "domains:" (see docs/configuration.md)',
    );
    return undefined;
  }
  if (!isMap(contents)) {
    src.error(
      contents,
      "",
      "the file must be a mapping with version, personas and domains (see docs/configuration.md)",
    );
    return undefined;
  }
  const top = reader.fields(contents, "", TOP_KEYS);
  if (!top) return undefined;
  const version = top.get("version");
  if (!version) {
    if (!top.has("_extends")) src.error(contents, "version", 'missing "version: 1" at the top of the file');
  } else if (!isScalar(version.node) || version.node.value !== 1) {
    src.error(
      version.at,
      "version",
      `unsupported version ${isScalar(version.node) ? JSON.stringify(version.node.value) : "value"}: this app reads version 1`,
    );
  }
  return top;
}

function sectionEntries(reader: YamlReader, top: Map<string, Entry>, key: "personas" | "domains"): Entry[] {
  const section = top.get(key);
  if (!section) {
    if (!top.has("_extends")) reader.src.error(reader.src.doc!.contents, key, `missing "${key}:" section`);
    return [];
  }
  if (isNull(section.node)) {
    reader.src.error(section.keyNode, key, `"${key}" is empty: add at least one entry`);
    return [];
  }
  const entries = reader.entries(section.node, key, section.at);
  if (!entries) return [];
  // `personas: {}` is as empty as `personas:`; it used to pass and give a table that requires nobody.
  if (entries.length === 0) reader.src.error(section.keyNode, key, `"${key}" is empty: add at least one entry`);
  for (const e of entries) {
    if (!ID.test(e.key))
      reader.src.error(
        e.keyNode,
        join(key, e.key),
        `invalid id "${e.key}": use lowercase letters, digits and dashes (e.g. "${suggestId(e.key)}")`,
      );
  }
  return entries.filter((e) => ID.test(e.key));
}

function readPersona(reader: YamlReader, id: string, entry: Entry, order: ReviewOrder): Persona | undefined {
  const path = `personas.${id}`;
  const f = reader.fields(entry.node, path, PERSONA_KEYS, entry.at);
  if (!f) return undefined;
  const name = reader.string(f.get("name"), `${path}.name`, { nonEmpty: true }) ?? id;
  const teams = reader.unique(
    reader.strings(f.get("teams"), `${path}.teams`, { single: true }) ?? [],
    `${path}.teams`,
    "team",
  );
  // Logins are case-insensitive: `[alice, Alice]` is one user (it used to count as two against "approvals").
  const users = reader.unique(
    reader.strings(f.get("users"), `${path}.users`, { single: true }) ?? [],
    `${path}.users`,
    "user",
    (u) => u.toLowerCase(),
  );
  for (const t of teams) {
    const p = `${path}.teams`;
    if (t.value.startsWith("@")) reader.src.error(t.node, p, `write the team as "${t.value.slice(1)}" (no "@")`);
    else if (!TEAM.test(t.value))
      reader.src.error(
        t.node,
        p,
        `"${t.value}" is not a team slug: use "slug" for a team of this repository's organization or "org/slug"`,
      );
  }
  for (const u of users) {
    const p = `${path}.users`;
    if (u.value.startsWith("@")) reader.src.error(u.node, p, `write the login as "${u.value.slice(1)}" (no "@")`);
    else if (/\[bot\]$/.test(u.value)) reader.src.error(u.node, p, `"${u.value}" is a bot: bots can never approve`);
    else if (!LOGIN.test(u.value)) reader.src.error(u.node, p, `"${u.value}" is not a GitHub login`);
  }
  const approvalsEntry = f.get("approvals");
  const approvals = reader.integer(approvalsEntry, `${path}.approvals`, 1, 100) ?? 1;
  if (!f.has("teams") && !f.has("users"))
    reader.src.error(entry.keyNode, path, `persona "${id}" has no reviewers: add "teams" or "users"`);
  else if (teams.length === 0 && users.length === 0)
    reader.src.error(entry.keyNode, path, `persona "${id}" has no reviewers: its "teams" and "users" are empty`);
  else if (teams.length === 0 && approvals > users.length) {
    reader.src.error(
      approvalsEntry?.at,
      `${path}.approvals`,
      `needs ${approvals} approvals but only ${users.length} user${users.length === 1 ? "" : "s"} can give one: lower "approvals" or add reviewers`,
    );
  }
  const criteria = reader.strings(f.get("criteria"), `${path}.criteria`, { single: true }) ?? [];
  const requireCriteria = reader.boolean(f.get("require_criteria"), `${path}.require_criteria`);
  const after = order.read(reader, id, f.get("after"), `${path}.after`);
  return {
    id,
    name,
    teams: teams.map((t) => t.value.replace(/^@/, "")),
    users: users.map((u) => u.value.replace(/^@/, "")),
    approvals,
    criteria: criteria.map((c) => c.value),
    ...(requireCriteria !== undefined ? { requireCriteria } : {}),
    ...(after.length > 0 ? { after } : {}),
  };
}

function readDomain(reader: YamlReader, id: string, entry: Entry, personaIds: KnownPersonas): Domain | undefined {
  const path = `domains.${id}`;
  const f = reader.fields(entry.node, path, DOMAIN_KEYS, entry.at);
  if (!f) return undefined;
  // Only the problems this domain adds are searched below: scanning every problem so far, per domain,
  // was quadratic (20,000 broken domains took over a minute).
  const mark = reader.src.problems.length;
  const reportedUnder = (prefix: string) => reader.src.problems.slice(mark).some((p) => p.path.startsWith(prefix));
  const description = reader.string(f.get("description"), `${path}.description`);
  const paths = readGlobs(reader, f.get("paths"), `${path}.paths`, true);
  const ignore = readGlobs(reader, f.get("ignore"), `${path}.ignore`, false);
  if (!f.has("paths")) reader.src.error(entry.keyNode, path, `domain "${id}" has no "paths": list the files it covers`);
  else if (paths.length === 0 && !reportedUnder(`${path}.paths`))
    reader.src.error(f.get("paths")!.keyNode, `${path}.paths`, `domain "${id}" has an empty "paths" list`);

  const require: Domain["require"][number][] = [];
  const req = f.get("require");
  if (!req)
    reader.src.error(entry.keyNode, path, `domain "${id}" has no "require": name the personas that must review it`);
  else if (isSeq(req.node) || (isScalar(req.node) && typeof req.node.value === "string")) {
    for (const p of reader.unique(
      reader.strings(req, `${path}.require`, { single: true }) ?? [],
      `${path}.require`,
      "persona",
    )) {
      if (checkPersona(reader, p.value, p.node, `${path}.require`, personaIds))
        require.push({ persona: p.value, criteria: [] });
    }
  } else if (isMap(req.node)) {
    for (const e of reader.entries(req.node, `${path}.require`, req.at) ?? []) {
      const p = `${path}.require.${e.key}`;
      const criteria = isNull(e.node) ? [] : (reader.strings(e, p, { single: true }) ?? []).map((c) => c.value);
      if (checkPersona(reader, e.key, e.keyNode, p, personaIds)) require.push({ persona: e.key, criteria });
    }
  } else {
    reader.src.error(
      req.at,
      `${path}.require`,
      "expected a list of persona ids, or a mapping of persona id to criteria",
    );
  }
  if (req && require.length === 0 && !reportedUnder(`${path}.require`)) {
    reader.src.error(req.keyNode, `${path}.require`, `domain "${id}" requires no persona: name at least one`);
  }
  return {
    id,
    ...(description !== undefined ? { description } : {}),
    paths: paths.map((p) => p.value),
    ignore: ignore.map((p) => p.value),
    require,
  };
}

function readGlobs(reader: YamlReader, entry: Entry | undefined, path: string, isPaths: boolean): Located<string>[] {
  const globs = reader.unique(reader.strings(entry, path, { single: true }) ?? [], path, "pattern");
  return globs.filter((g) => {
    if (!isPaths && g.value.startsWith("!")) {
      reader.src.error(g.node, path, `"${g.value}": negation is not supported in "ignore"; narrow "paths" instead`);
      return false;
    }
    const problem = globProblem(g.value);
    if (!problem) return true;
    // Point at the offending character inside the string. (Adding the offset in the value to the scalar's
    // offset, +1 for a quote, was wrong after an escape such as "\u0041" or 'it''s'.)
    reader.src.problemAt(
      reader.valueOffset(g.node, problem.offset),
      path,
      `invalid pattern "${g.value}": ${problem.message}`,
      "error",
    );
    return false;
  });
}

/**
 * The declared persona ids. A did-you-mean search costs one edit distance per persona and the fallback
 * message listed every id, so a hostile file with thousands of personas and thousands of unknown
 * references took minutes: searches are budgeted and the list is cut short.
 */
class KnownPersonas {
  hintsLeft = 20;
  private listed?: string;
  constructor(readonly ids: ReadonlySet<string>) {}

  /** The ids for a message: at most ten, computed once. */
  get list(): string {
    if (this.listed === undefined) {
      const ids = [...this.ids];
      this.listed =
        ids.length === 0
          ? "none"
          : ids.length <= 10
            ? ids.join(", ")
            : `${ids.slice(0, 10).join(", ")}, … ${ids.length} in all`;
    }
    return this.listed;
  }
}

function checkPersona(reader: YamlReader, id: string, node: unknown, path: string, known: KnownPersonas): boolean {
  if (known.ids.has(id)) return true;
  const hint = known.hintsLeft-- > 0 ? didYouMean(id, known.ids) : undefined;
  reader.src.error(
    node,
    path,
    `unknown persona "${id}"${hint ? ` (did you mean "${hint}"?)` : `: define it under "personas" (known: ${known.list})`}`,
  );
  return false;
}

function readSettings(entries: Map<string, Layered>, personaIds: KnownPersonas): Settings {
  const out: { -readonly [K in keyof Settings]: Settings[K] } = { ...DEFAULT_SETTINGS };
  for (const [key, { entry, reader }] of entries) {
    const path = `settings.${key}`;
    switch (key as keyof Settings) {
      case "gate": {
        const v = reader.string(entry, path, { nonEmpty: true });
        if (v !== undefined && v.length > MAX_GATE_NAME)
          reader.src.error(entry.at, path, `gate name is longer than ${MAX_GATE_NAME} characters`);
        else if (v !== undefined && v.startsWith("review/"))
          reader.src.error(
            entry.at,
            path,
            `gate name "${v}" collides with the persona checks ("review/<persona>"): choose another`,
          );
        else if (v === "parallel-review/conflicts")
          reader.src.error(entry.at, path, `gate name "${v}" is the conflict radar's check: choose another`);
        else if (v !== undefined) out.gate = v;
        break;
      }
      case "on_push":
        out.on_push = reader.oneOf(entry, path, ["keep", "dismiss", "changed-domains"] as const) ?? out.on_push;
        break;
      case "drafts":
        out.drafts = reader.oneOf(entry, path, ["wait", "review"] as const) ?? out.drafts;
        break;
      case "conflicts":
        out.conflicts = reader.oneOf(entry, path, ["report", "block", "off"] as const) ?? out.conflicts;
        break;
      case "shared_config":
        out.shared_config = readGlobs(reader, entry, path, false).map((g) => g.value);
        break;
      case "request_reviews":
      case "self_approval":
      case "contributor_approval":
      case "distinct_reviewers":
      case "require_criteria":
        out[key as "request_reviews"] = reader.boolean(entry, path) ?? out[key as "request_reviews"];
        break;
      case "unmatched":
      case "config_owners": {
        const ids = reader
          .unique(reader.strings(entry, path, { single: true }) ?? [], path, "persona")
          .filter((p) => checkPersona(reader, p.value, p.node, path, personaIds));
        out[key as "unmatched"] = ids.map((p) => p.value);
        break;
      }
    }
  }
  return out;
}

function isError(p: Problem): boolean {
  return p.severity === "error";
}

function isNull(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

function suggestId(raw: string): string {
  return (
    raw
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "") || "my-id"
  );
}

export function sortProblems(problems: Problem[]): Problem[] {
  return [...new Set(problems)].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}

/** `reviewers.yml:14:9 domains.payments.require.finanse: unknown persona …` — the compiler style the CLI prints. */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.column} ${p.severity === "warning" ? "warning: " : ""}${p.path ? p.path + ": " : ""}${p.message}`;
}
