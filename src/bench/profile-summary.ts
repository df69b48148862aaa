/**
 * Where a profile of the app's process says its time or its allocations went, in the shares
 * docs/performance.md quotes: `bench:e2e --app-profile DIR` writes a `.cpuprofile`, `--app-alloc DIR` a
 * `.heapprofile` (both V8's formats, as Chrome's DevTools read them).
 *
 *   node lib/bench/profile-summary.js FILE [--top N] [--match REGEXP]
 *
 * A CPU profile: the busy time (idle left out) by kind of code — garbage collection, the app's own code
 * (`lib/`), Node's internals, Octokit, other packages, native calls — then the functions with the most
 * time of their own and those of the app with the most time including what they call (the synchronous
 * part: what runs after an `await` is its own root). An allocation profile: the bytes sampled by the
 * function that allocated them and, including callees, by the app's functions. `--match` narrows the
 * inclusive list to functions whose `name file:line` matches.
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface CpuNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly CpuNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

interface HeapNode {
  readonly callFrame: CallFrame;
  readonly selfSize: number;
  readonly children: readonly HeapNode[];
}

export interface HeapProfile {
  readonly head: HeapNode;
}

/** A share of the whole, largest first. */
export interface Share {
  readonly name: string;
  readonly value: number;
  readonly share: number;
}

export interface CpuSummary {
  /** Microseconds sampled in all, and of them busy (not idle). */
  readonly totalUs: number;
  readonly busyUs: number;
  readonly byKind: readonly Share[];
  readonly self: readonly Share[];
  readonly inclusive: readonly Share[];
}

export interface AllocSummary {
  readonly bytes: number;
  readonly self: readonly Share[];
  readonly inclusive: readonly Share[];
}

/** `name file:line` (1-based), the file relative to the package (`lib/…`, `node_modules/…`) or Node's (`node:…`). */
export function frameName(cf: CallFrame): string {
  if (!cf.url) return cf.functionName || "(anonymous)"; // native: V8's own frames, builtins
  const file = cf.url.replace(/^.*\/(lib|node_modules)\//, "$1/").replace(/^file:\/\//, "");
  return `${cf.functionName || "(anonymous)"} ${file}:${cf.lineNumber + 1}`;
}

/** What kind of code a frame is: the categories of docs/performance.md. */
export function kindOf(cf: CallFrame): string {
  if (cf.functionName === "(idle)") return "idle";
  if (cf.functionName === "(garbage collector)") return "garbage collection";
  if (cf.functionName === "(program)") return "V8 (program)";
  const url = cf.url;
  if (!url) return "native";
  if (url.startsWith("node:")) return "Node";
  if (/\/node_modules\/(@octokit|octokit-)/.test(url)) return "Octokit";
  if (url.includes("/node_modules/")) return "other packages";
  if (/\/lib\//.test(url)) return "the app";
  return "other";
}

function ranked(values: ReadonlyMap<string, number>, whole: number, top: number, match?: RegExp): Share[] {
  return [...values]
    .filter(([name]) => !match || match.test(name))
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, top)
    .map(([name, value]) => ({ name, value, share: whole > 0 ? value / whole : 0 }));
}

const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);

export function summarizeCpu(p: CpuProfile, opts: { top?: number; match?: RegExp } = {}): CpuSummary {
  const top = opts.top ?? 25;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const time = new Map<number, number>();
  p.samples.forEach((id, i) => time.set(id, (time.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));

  let total = 0;
  let idle = 0;
  const kinds = new Map<string, number>();
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of time) {
    const cf = byId.get(id)!.callFrame;
    const kind = kindOf(cf);
    total += us;
    if (kind === "idle") {
      idle += us;
      continue;
    }
    add(kinds, kind, us);
    add(self, frameName(cf), us);
    // Each function once per sample, however deep its recursion.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      const name = frameName(frame);
      if (kindOf(frame) === "the app" && !seen.has(name)) {
        seen.add(name);
        add(inclusive, name, us);
      }
    }
  }
  const busy = total - idle;
  return {
    totalUs: total,
    busyUs: busy,
    byKind: ranked(kinds, busy, Infinity),
    self: ranked(self, busy, top),
    inclusive: ranked(inclusive, busy, top, opts.match),
  };
}

export function summarizeAlloc(p: HeapProfile, opts: { top?: number; match?: RegExp } = {}): AllocSummary {
  const top = opts.top ?? 25;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let bytes = 0;
  // Iterative: an allocation profile's tree is as deep as the deepest stack.
  const stack: { node: HeapNode; above: ReadonlySet<string> }[] = [{ node: p.head, above: new Set() }];
  while (stack.length > 0) {
    const { node, above } = stack.pop()!;
    const name = frameName(node.callFrame);
    const here = kindOf(node.callFrame) === "the app" && !above.has(name) ? new Set([...above, name]) : above;
    bytes += node.selfSize;
    if (node.selfSize > 0) {
      add(self, name, node.selfSize);
      for (const n of here) add(inclusive, n, node.selfSize);
    }
    for (const c of node.children) stack.push({ node: c, above: here });
  }
  return { bytes, self: ranked(self, bytes, top), inclusive: ranked(inclusive, bytes, top, opts.match) };
}

const pct = (s: number) => `${(s * 100).toFixed(1).padStart(5)} %`;
const MiB = 1024 * 1024;

/** A titled list of shares, each line its figure then its name. */
function section(title: string, shares: readonly Share[], figure: (k: Share) => string): string[] {
  return [title, ...shares.map((k) => `  ${figure(k)}  ${k.name}`)];
}

export function formatCpu(s: CpuSummary): string {
  const share = (k: Share) => pct(k.share);
  return [
    `busy ${(s.busyUs / 1000).toFixed(0)} ms of ${(s.totalUs / 1000).toFixed(0)} ms sampled (idle ${pct(1 - s.busyUs / Math.max(1, s.totalUs)).trim()})`,
    "",
    ...section("busy time by kind of code:", s.byKind, share),
    "",
    ...section("most time of their own:", s.self, share),
    "",
    ...section("the app's functions, including what they call (synchronously):", s.inclusive, share),
  ].join("\n");
}

export function formatAlloc(s: AllocSummary): string {
  const mib = (k: Share) => `${(k.value / MiB).toFixed(1).padStart(7)} MiB`;
  return [
    `${(s.bytes / MiB).toFixed(1)} MiB allocated (sampled)`,
    "",
    ...section("allocated by:", s.self, mib),
    "",
    ...section("the app's functions, including what they call:", s.inclusive, mib),
  ].join("\n");
}

const USAGE = "usage: node lib/bench/profile-summary.js FILE.cpuprofile|FILE.heapprofile [--top N] [--match REGEXP]";

/** The summary of the profile the arguments name, or what is wrong with them (and what to do). */
export function run(argv: readonly string[]): { out: string } | { error: string; code: number } {
  const file = argv.find((a, i) => !a.startsWith("--") && !["--top", "--match"].includes(argv[i - 1] ?? ""));
  const at = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  if (!file) return { error: USAGE, code: 2 };
  const top = Number(at("--top") ?? 25);
  if (!Number.isInteger(top) || top < 1)
    return { error: `--top ${at("--top")}: give a whole number of lines, 1 or more`, code: 2 };
  let match: RegExp | undefined;
  try {
    match = at("--match") === undefined ? undefined : new RegExp(at("--match")!);
  } catch (err) {
    return { error: `--match: ${(err as Error).message}`, code: 2 };
  }
  let profile: Partial<CpuProfile & HeapProfile>;
  try {
    profile = JSON.parse(readFileSync(file, "utf8")) as typeof profile;
  } catch (err) {
    return {
      error: `${file}: ${(err as Error).message} (give a .cpuprofile or .heapprofile that bench:e2e wrote)`,
      code: 1,
    };
  }
  const opts = { top, ...(match ? { match } : {}) };
  if (profile?.head) return { out: formatAlloc(summarizeAlloc(profile as HeapProfile, opts)) };
  if (profile?.nodes && profile.samples) return { out: formatCpu(summarizeCpu(profile as CpuProfile, opts)) };
  return { error: `${file}: neither a CPU profile (nodes, samples) nor an allocation profile (head)`, code: 1 };
}

function main(argv: readonly string[]): void {
  const r = run(argv);
  if ("out" in r) process.stdout.write(r.out + "\n");
  else {
    process.stderr.write(r.error + "\n");
    process.exitCode = r.code;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) main(process.argv.slice(2));
