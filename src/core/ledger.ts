import type { Command, RecordData } from "./actions.js";

/**
 * The app's durable memory of a pull request's review actions, kept where only the app can write it:
 * the hidden text of its own gate check run. GitHub lets anyone with write access edit or delete any
 * comment — the app's record comments included — and edit review bodies; nobody but the app that
 * created a check run can change it, and check runs cannot be deleted. Record comments stay as the
 * human-readable audit trail and the way a reply reaches the reviewer; the ledger is what is trusted.
 *
 * Every gate write carries the whole ledger forward (to the next head too), so deleting or editing a
 * record comment, or a review body, changes nothing the gate decides.
 */
export type Scope = readonly string[] | "all";

export interface Ledger {
  /** Button and comment records (see RecordData), one per delivery or source comment. */
  readonly records: readonly RecordData[];
  /** Review id → its `Reviewed-for:` scope as the app first saw it (review bodies can be edited by others). */
  readonly scopes: Readonly<Record<string, Scope>>;
  /** Review id → the base branch when the app first saw it: an approval never counts after a retarget. */
  readonly bases?: Readonly<Record<string, string>>;
  /** Pushes to the pull request's branch and who made them, from the `synchronize` deliveries. */
  readonly pushes?: readonly Push[];
  /**
   * Each head the pull request had, in order, and when the app first saw it there: a comment is tied
   * to a head only if written after it became the head (a fast-forward back to a commit seen earlier
   * starts a new entry).
   */
  readonly heads?: readonly HeadEntry[];
  /** Reviewers GitHub refused to request (`user:login` / `team:slug` → why): not asked again, shown on the check. */
  readonly unrequestable?: Readonly<Record<string, string>>;
}

export interface HeadEntry {
  readonly sha: string;
  readonly at: string;
  readonly pr: number;
}

export interface Push {
  readonly user: string;
  readonly before: string;
  readonly after: string;
  /** The pull request it was pushed to (a head can be shared with other pull requests). */
  readonly pr?: number;
}

export const EMPTY_LEDGER: Ledger = { records: [], scopes: {} };
/** More than this many trusted records on one pull request: the gate fails closed rather than forget one. */
export const MAX_LEDGER_RECORDS = 100;
const MAX_LEDGER_SCOPES = 300;
const MAX_LEDGER_PUSHES = 100;
/** What the ledger may take of a check run's text (GitHub's limit is 65,535 characters). */
export const MAX_LEDGER_BYTES = 60_000;
const MAX_LEDGER_REASON = 200;
const MARKER = /<!-- parallel-review:ledger (\{[^>]*\}) -->/;

export function recordKey(r: RecordData): string {
  return r.via === "button" ? `d:${r.delivery ?? ""}` : `c:${r.source ?? ""}`;
}

/** Union by key; the first copy of a record wins (copies are identical: the app writes a record once). */
export function mergeRecords(...lists: (readonly RecordData[])[]): RecordData[] {
  const out = new Map<string, RecordData>();
  for (const list of lists) for (const r of list) if (!out.has(recordKey(r))) out.set(recordKey(r), r);
  return [...out.values()];
}

export function mergeLedgers(ledgers: readonly Ledger[]): Ledger {
  const scopes: Record<string, Scope> = {};
  for (const l of ledgers) for (const [id, s] of Object.entries(l.scopes)) scopes[id] ??= s;
  const bases: Record<string, string> = {};
  for (const l of ledgers) for (const [id, b] of Object.entries(l.bases ?? {})) bases[id] ??= b;
  const pushes = mergePushes(ledgers.flatMap((l) => l.pushes ?? []));
  const heads = mergeHeads(ledgers.flatMap((l) => l.heads ?? []));
  const unrequestable: Record<string, string> = {};
  for (const l of ledgers) for (const [k, v] of Object.entries(l.unrequestable ?? {})) unrequestable[k] ??= v;
  return {
    records: mergeRecords(...ledgers.map((l) => l.records)),
    scopes,
    ...(Object.keys(bases).length ? { bases } : {}),
    ...(pushes.length ? { pushes } : {}),
    ...(heads.length ? { heads } : {}),
    ...(Object.keys(unrequestable).length ? { unrequestable } : {}),
  };
}

/** Head entries from several copies, in time order, each (pr, sha, time) once; the newest 100 kept. */
export function mergeHeads(heads: readonly HeadEntry[]): HeadEntry[] {
  const out = new Map<string, HeadEntry>();
  for (const h of heads) out.set(`${h.pr}:${h.sha}:${h.at}`, h);
  return [...out.values()].sort((a, b) => Date.parse(a.at) - Date.parse(b.at)).slice(-100);
}

export function mergePushes(pushes: readonly Push[]): Push[] {
  const out = new Map<string, Push>();
  for (const p of pushes) out.set(`${p.before}..${p.after}:${p.user.toLowerCase()}`, p);
  return [...out.values()];
}

/** Does the ledger fit in a check run's text? If not, the caller fails the gate closed. */
export function ledgerFits(l: Ledger): boolean {
  return (
    l.records.length <= MAX_LEDGER_RECORDS &&
    Object.keys(l.scopes).length <= MAX_LEDGER_SCOPES &&
    (l.pushes?.length ?? 0) <= MAX_LEDGER_PUSHES &&
    Buffer.byteLength(encodeLedger(l)) <= MAX_LEDGER_BYTES
  );
}

/** The ledger as the hidden tail of a check run's text (its JSON never contains `>`, so `-->` cannot occur). */
export function encodeLedger(l: Ledger): string {
  const compact: Ledger = {
    records: l.records.map(compactRecord),
    scopes: l.scopes,
    // Without the bases, a review approval given before a retarget would count after it (read back as the new base).
    ...(l.bases ? { bases: l.bases } : {}),
    ...(l.pushes ? { pushes: l.pushes } : {}),
    ...(l.heads ? { heads: l.heads } : {}),
    ...(l.unrequestable ? { unrequestable: l.unrequestable } : {}),
  };
  const json = JSON.stringify(compact).replace(/>/g, "\\u003e").replace(/--/g, "-\\u002d");
  return `<!-- parallel-review:ledger ${json} -->`;
}

export function decodeLedger(text: string | null | undefined): Ledger | undefined {
  const m = text ? MARKER.exec(text) : null;
  if (!m) return undefined;
  try {
    const d = JSON.parse(m[1]!) as { records?: unknown; scopes?: unknown };
    if (!Array.isArray(d.records) || typeof d.scopes !== "object" || d.scopes === null) return undefined;
    const scopes: Record<string, Scope> = {};
    for (const [id, s] of Object.entries(d.scopes as Record<string, unknown>))
      if (s === "all" || (Array.isArray(s) && s.every((x) => typeof x === "string"))) scopes[id] = s;
    const pushes = Array.isArray((d as { pushes?: unknown }).pushes)
      ? ((d as { pushes: unknown[] }).pushes.filter(
          (p) =>
            typeof p === "object" &&
            p !== null &&
            ["user", "before", "after"].every((k) => typeof (p as Record<string, unknown>)[k] === "string"),
        ) as Push[])
      : [];
    const bases: Record<string, string> = {};
    const rawBases = (d as { bases?: unknown }).bases;
    if (typeof rawBases === "object" && rawBases !== null)
      for (const [id, b] of Object.entries(rawBases as Record<string, unknown>))
        if (typeof b === "string") bases[id] = b;
    const rawHeads = (d as { heads?: unknown }).heads;
    const heads = Array.isArray(rawHeads)
      ? (rawHeads.filter(
          (h) =>
            typeof h === "object" &&
            h !== null &&
            typeof (h as HeadEntry).sha === "string" &&
            typeof (h as HeadEntry).at === "string" &&
            typeof (h as HeadEntry).pr === "number",
        ) as HeadEntry[])
      : [];
    const unrequestable: Record<string, string> = {};
    const rawU = (d as { unrequestable?: unknown }).unrequestable;
    if (typeof rawU === "object" && rawU !== null)
      for (const [k, v] of Object.entries(rawU as Record<string, unknown>))
        if (typeof v === "string") unrequestable[k] = v.slice(0, 200);
    return {
      ...(Object.keys(unrequestable).length ? { unrequestable } : {}),
      ...(heads.length ? { heads } : {}),
      records: d.records as RecordData[],
      scopes,
      ...(Object.keys(bases).length ? { bases } : {}),
      ...(pushes.length ? { pushes } : {}),
    };
  } catch {
    return undefined;
  }
}

function compactRecord(r: RecordData): RecordData {
  const commands = r.commands.map((c): Command => {
    const reason = c.reason !== undefined ? [...c.reason].slice(0, MAX_LEDGER_REASON).join("") : undefined;
    return {
      kind: c.kind,
      personas: c.personas,
      ...(reason ? { reason } : {}),
      ...(c.criteria !== undefined ? { criteria: c.criteria } : {}),
    };
  });
  return { ...r, commands };
}

/**
 * The scope a review counts for, given what the app first saw and what its body says now. Scoping
 * syntax may only narrow what an action counts for: an approval keeps the narrower of the two (an
 * edit that deletes `Reviewed-for:` does not widen it), a change request the wider (an edit that adds
 * `Reviewed-for:` does not lift the block from the other personas).
 */
export function effectiveScope(
  kind: "approve" | "request_changes",
  captured: Scope | undefined,
  current: Scope,
): Scope {
  if (captured === undefined) return current;
  if (kind === "approve") {
    if (captured === "all") return current;
    if (current === "all") return captured;
    return captured.filter((p) => current.includes(p));
  }
  if (captured === "all" || current === "all") return "all";
  return [...new Set([...captured, ...current])];
}
