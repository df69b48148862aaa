/**
 * Measuring parallel effectiveness (the seed's "Measuring Parallel Effectiveness"), from GitHub alone:
 * the pull request's opening time, its required personas (and their order), and the review actions
 * attributed to each persona (reviews and the app's records, eligible reviewers only). Pure.
 *
 * Definitions (docs/effectiveness.md):
 * - a persona is *requested* when the pull request opened, or — for a persona that reviews after others
 *   (`after:`) — when its prerequisites were all approved;
 * - it is *approved* at the approval that completed it: each reviewer's latest action for it counts, and
 *   the `approvals`-th approval in time (none when a reviewer's latest action is a change request);
 * - time to approve = approved − requested; the parallel elapsed time is the longest of them, the
 *   sequential sum their sum, and time saved = 1 − longest / sum (none with fewer than two personas);
 * - disagreement: on one head commit, one persona approved while another requested changes; the
 *   disagreement rate of a pull request is the share of its personas on such a split;
 * - rework: review rounds after the first (distinct head commits reviewed, minus one: a push after review
 *   started), re-approvals (an approval given again on a later commit, because a push reset it), and —
 *   from the conflict radar — whether another open pull request changed the same files.
 */

export interface AttributedAction {
  readonly persona: string;
  readonly user: string;
  readonly kind: "approve" | "request_changes";
  readonly at: string;
  readonly sha: string;
}

export interface EffectInput {
  readonly number: number;
  readonly openedAt: string;
  readonly personas: readonly {
    readonly id: string;
    readonly name: string;
    readonly domains: readonly string[];
    readonly approvals: number;
  }[];
  /** Required prerequisites per persona (sequence.ts orderOf); absent means all in parallel. */
  readonly after?: ReadonlyMap<string, readonly string[]>;
  readonly actions: readonly AttributedAction[];
  /** The radar named another open pull request changing the same files (undefined when unknown). */
  readonly sameFileOverlap?: boolean;
}

export interface PersonaEffect {
  readonly id: string;
  readonly name: string;
  readonly domains: readonly string[];
  readonly requestedAt: string;
  /** Undefined when not approved (yet). */
  readonly approvedAt?: string;
  readonly timeToApproveMs?: number;
  /** On one side of a split head (it approved while another requested changes, or the reverse). */
  readonly disagreed: boolean;
  /** Approvals it had to give again on a later commit. */
  readonly reapprovals: number;
}

export interface PrEffect {
  readonly number: number;
  readonly personas: readonly PersonaEffect[];
  /** The longest time to approve (the parallel elapsed time); undefined until every persona approved. */
  readonly longestMs?: number;
  /** The sum of the times to approve (what one-after-another would take). */
  readonly sumMs?: number;
  /** 1 − longest / sum; undefined with fewer than two personas or a zero sum. */
  readonly timeSaved?: number;
  readonly disagreementRate: number;
  readonly reviewRounds: number;
  readonly reapprovals: number;
  readonly sameFileOverlap?: boolean;
}

export function measurePr(input: EffectInput): PrEffect {
  const opened = instant(input.openedAt);
  const byPersona = new Map(input.personas.map((p) => [p.id, [] as AttributedAction[]]));
  for (const a of [...input.actions].sort((x, y) => instant(x.at) - instant(y.at))) byPersona.get(a.persona)?.push(a);

  // Completion times in prerequisite order, so a dependent's request time is known.
  const approved = new Map<string, number | undefined>();
  const completion = (id: string, seen = new Set<string>()): number | undefined => {
    if (approved.has(id)) return approved.get(id);
    const p = input.personas.find((x) => x.id === id)!;
    const latest = new Map<string, AttributedAction>();
    for (const a of byPersona.get(id) ?? []) latest.set(a.user, a);
    const approvals = [...latest.values()].filter((a) => a.kind === "approve").map((a) => instant(a.at));
    const blocked = [...latest.values()].some((a) => a.kind === "request_changes");
    const at =
      !blocked && approvals.length >= p.approvals ? approvals.sort((x, y) => x - y)[p.approvals - 1] : undefined;
    approved.set(id, at);
    seen.add(id);
    return at;
  };
  const requested = (id: string): number => {
    const pre = (input.after?.get(id) ?? []).map((x) => completion(x));
    if (pre.length === 0 || pre.some((t) => t === undefined)) return opened;
    return Math.max(opened, ...(pre as number[]));
  };

  const split = splitPersonas(input.actions);
  const personas: PersonaEffect[] = input.personas.map((p) => {
    const req = requested(p.id);
    const done = completion(p.id);
    const own = byPersona.get(p.id) ?? [];
    return {
      id: p.id,
      name: p.name,
      domains: p.domains,
      requestedAt: new Date(req).toISOString(),
      ...(done !== undefined
        ? { approvedAt: new Date(done).toISOString(), timeToApproveMs: Math.max(0, done - req) }
        : {}),
      disagreed: split.has(p.id),
      reapprovals: reapprovalsOf(own),
    };
  });

  const times = personas.map((p) => p.timeToApproveMs);
  const complete = times.every((t) => t !== undefined) && times.length > 0;
  const longestMs = complete ? Math.max(...times) : undefined;
  const sumMs = complete ? times.reduce((s, t) => s + t, 0) : undefined;
  const timeSaved = complete && personas.length > 1 && sumMs! > 0 ? 1 - longestMs! / sumMs! : undefined;
  const shas: string[] = [];
  for (const a of [...input.actions].sort((x, y) => instant(x.at) - instant(y.at)))
    if (!shas.includes(a.sha)) shas.push(a.sha);
  return {
    number: input.number,
    personas,
    ...(longestMs !== undefined ? { longestMs, sumMs: sumMs! } : {}),
    ...(timeSaved !== undefined ? { timeSaved } : {}),
    disagreementRate: personas.length === 0 ? 0 : split.size / personas.length,
    reviewRounds: Math.max(1, shas.length),
    reapprovals: personas.reduce((s, p) => s + p.reapprovals, 0),
    ...(input.sameFileOverlap !== undefined ? { sameFileOverlap: input.sameFileOverlap } : {}),
  };
}

/** Personas on either side of a head commit where one persona approved and another requested changes. */
function splitPersonas(actions: readonly AttributedAction[]): Set<string> {
  const bySha = new Map<string, { approve: Set<string>; reject: Set<string> }>();
  for (const a of actions) {
    const s = bySha.get(a.sha) ?? { approve: new Set<string>(), reject: new Set<string>() };
    (a.kind === "approve" ? s.approve : s.reject).add(a.persona);
    bySha.set(a.sha, s);
  }
  const out = new Set<string>();
  for (const { approve, reject } of bySha.values()) {
    const others = (p: string, set: Set<string>) => [...set].some((x) => x !== p);
    for (const p of approve) if (others(p, reject)) out.add(p);
    for (const p of reject) if (others(p, approve)) out.add(p);
  }
  return out;
}

/** Approvals of one reviewer given again on a later commit: a push made the earlier one stale. */
function reapprovalsOf(actions: readonly AttributedAction[]): number {
  const lastSha = new Map<string, string>();
  let n = 0;
  for (const a of actions) {
    if (a.kind !== "approve") continue;
    const prev = lastSha.get(a.user);
    if (prev !== undefined && prev !== a.sha) n++;
    lastSha.set(a.user, a.sha);
  }
  return n;
}

/** Figures over many pull requests, per persona and per domain. */
export interface Summary {
  readonly pulls: number;
  /** Pull requests whose every persona approved (the ones with timing figures). */
  readonly measured: number;
  readonly timeSaved?: { readonly mean: number; readonly overall: number };
  readonly disagreementRate: number;
  readonly reworkRate: number;
  readonly overlapRate?: number;
  readonly personas: readonly GroupFigures[];
  readonly domains: readonly GroupFigures[];
}

export interface GroupFigures {
  readonly id: string;
  readonly name: string;
  readonly pulls: number;
  readonly medianMs?: number;
  readonly p90Ms?: number;
  readonly disagreementRate: number;
  readonly reworkRate: number;
}

export function summarize(prs: readonly PrEffect[]): Summary {
  const measured = prs.filter((p) => p.longestMs !== undefined);
  const saved = measured.filter((p) => p.timeSaved !== undefined);
  const sumLongest = saved.reduce((s, p) => s + p.longestMs!, 0);
  const sumSum = saved.reduce((s, p) => s + p.sumMs!, 0);
  const rework = (p: PrEffect) => p.reviewRounds > 1 || p.reapprovals > 0;
  const withOverlap = prs.filter((p) => p.sameFileOverlap !== undefined);
  const group = (key: (p: PersonaEffect) => readonly string[], name: (id: string, p: PersonaEffect) => string) => {
    const groups = new Map<string, { name: string; rows: { pr: PrEffect; p: PersonaEffect }[] }>();
    for (const pr of prs)
      for (const p of pr.personas)
        for (const id of key(p)) {
          const g = groups.get(id) ?? { name: name(id, p), rows: [] };
          // One row per pull request: a persona counts once for a domain it reviews twice.
          if (!g.rows.some((r) => r.pr === pr)) g.rows.push({ pr, p });
          groups.set(id, g);
        }
    return [...groups]
      .map(([id, g]): GroupFigures => {
        const times = g.rows.map((r) => r.p.timeToApproveMs).filter((t): t is number => t !== undefined);
        return {
          id,
          name: g.name,
          pulls: g.rows.length,
          ...(times.length > 0 ? { medianMs: quantile(times, 0.5), p90Ms: quantile(times, 0.9) } : {}),
          disagreementRate: g.rows.filter((r) => r.p.disagreed).length / g.rows.length,
          reworkRate: g.rows.filter((r) => r.p.reapprovals > 0 || rework(r.pr)).length / g.rows.length,
        };
      })
      .sort((a, b) => a.id.localeCompare(b.id));
  };
  return {
    pulls: prs.length,
    measured: measured.length,
    ...(saved.length > 0
      ? {
          timeSaved: {
            mean: saved.reduce((s, p) => s + p.timeSaved!, 0) / saved.length,
            overall: sumSum > 0 ? 1 - sumLongest / sumSum : 0,
          },
        }
      : {}),
    disagreementRate: prs.length === 0 ? 0 : prs.filter((p) => p.disagreementRate > 0).length / prs.length,
    reworkRate: prs.length === 0 ? 0 : prs.filter(rework).length / prs.length,
    ...(withOverlap.length > 0
      ? { overlapRate: withOverlap.filter((p) => p.sameFileOverlap).length / withOverlap.length }
      : {}),
    personas: group(
      (p) => [p.id],
      (_id, p) => p.name,
    ),
    domains: group(
      (p) => p.domains,
      (id) => id,
    ),
  };
}

/** Nearest-rank quantile (q in 0..1) of a non-empty list. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** `1 h 05 min`, `12 min`, `40 s`: durations for people. */
export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, "0")} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

export function percent(x: number): string {
  return `${Math.round(x * 100)} %`;
}

function instant(at: string): number {
  return Date.parse(at) || 0;
}

/**
 * Review actions as the figures need them: one per (action, persona it counted for). Only eligible
 * humans count — not bots, not the author unless self-approval is on — as in the verdict.
 */
export function attribute(
  actions: readonly {
    readonly user: string;
    readonly isBot: boolean;
    readonly kind: "approve" | "request_changes";
    readonly personas: readonly string[] | "all";
    readonly sha: string;
    readonly at: string;
  }[],
  personas: readonly { readonly id: string }[],
  eligible: (personaId: string, login: string) => boolean,
  author: string,
  selfApproval: boolean,
): AttributedAction[] {
  const out: AttributedAction[] = [];
  for (const a of actions) {
    if (a.isBot || (a.user === author && !selfApproval)) continue;
    for (const p of personas)
      if ((a.personas === "all" || a.personas.includes(p.id)) && eligible(p.id, a.user))
        out.push({ persona: p.id, user: a.user, kind: a.kind, at: a.at, sha: a.sha });
  }
  return out;
}

/** The passed gate's section: the pull request's own figures (markdown lines). */
export function effectLines(e: PrEffect): string[] {
  const out = [
    "**Parallel effectiveness of this pull request**",
    "",
    "| Persona | Requested | Time to approve |",
    "|---|---|---|",
  ];
  for (const p of e.personas)
    out.push(
      `| ${p.name.replace(/\|/g, "\\|")} | ${p.requestedAt.slice(0, 16).replace("T", " ")} UTC | ${p.timeToApproveMs === undefined ? "—" : duration(p.timeToApproveMs)}${p.disagreed ? " (disagreed)" : ""} |`,
    );
  out.push("");
  if (e.longestMs !== undefined)
    out.push(
      `Parallel elapsed ${duration(e.longestMs)} (the longest) against ${duration(e.sumMs!)} one after another${e.timeSaved !== undefined ? `: **${percent(e.timeSaved)} time saved**` : ""}.`,
    );
  out.push(
    `Disagreement: ${percent(e.disagreementRate)} of personas approved while another requested changes on the same commit. Rework: ${e.reviewRounds} review round${e.reviewRounds === 1 ? "" : "s"}, ${e.reapprovals} re-approval${e.reapprovals === 1 ? "" : "s"} after a push.`,
  );
  return out;
}
