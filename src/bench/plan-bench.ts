/**
 * Benchmark of the review plan (`npm run bench`): planReview on a generated 100-domain, 500-pattern table
 * and a 3,000-file change, against the naive loop calling minimatch(path, pattern) for every pair.
 * It reports figures; nothing here is a pass/fail test of timings.
 */
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { Minimatch, minimatch } from "minimatch";
import { compileGlob } from "../core/glob.js";
import { matcherFor, planReview, TableMatcher } from "../core/plan.js";
import type { ReviewTable } from "../core/types.js";
import { makeWorkload } from "./workload.js";

const PLAN_RUNS = 50;
const PLAN_WARMUP = 10;
const NAIVE_RUNS = 5;
const COMPILE_RUNS = 15;
const MINIMATCH_OPTIONS = { dot: true, matchBase: true } as const;

/** Peak rss and heapUsed, sampled between runs and every few hundred paths inside the naive loops. */
class Peak {
  rss = 0;
  heap = 0;
  sample(): void {
    const m = process.memoryUsage();
    if (m.rss > this.rss) this.rss = m.rss;
    if (m.heapUsed > this.heap) this.heap = m.heapUsed;
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function percentile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) + " ms";
const mib = (b: number) => (b / 1024 / 1024).toFixed(1) + " MiB";

/** Domain indexes of a path by brute force over the core's own compiled patterns: the reference for agreement. */
function bruteForce(table: ReviewTable, path: string): number[] {
  return table.domains.flatMap((d, i) => {
    const hit = (patterns: readonly string[]) => patterns.some((p) => compileGlob(p).some((g) => g.matches(path)));
    return hit(d.paths) && !hit(d.ignore) ? [i] : [];
  });
}

function main(): void {
  const peak = new Peak();
  peak.sample();
  const { table, files, patternCount } = makeWorkload();
  const paths = files.flatMap((f) => (f.previousPath !== undefined ? [f.path, f.previousPath] : [f.path]));
  const pairs = files.length * patternCount;

  // One-time compile: the first matcherFor(table) builds the index that every later plan reuses.
  const coldCompile = time(() => matcherFor(table));
  const compiles = Array.from({ length: COMPILE_RUNS }, () => time(() => new TableMatcher(table)));
  peak.sample();

  let plan = planReview(table, files);
  for (let i = 0; i < PLAN_WARMUP; i++) plan = planReview(table, files);
  const planTimes: number[] = [];
  const planCpu: number[] = [];
  for (let i = 0; i < PLAN_RUNS; i++) {
    const cpu = process.cpuUsage();
    planTimes.push(time(() => (plan = planReview(table, files))));
    const used = process.cpuUsage(cpu);
    planCpu.push((used.user + used.system) / 1000);
    peak.sample();
  }
  const planPeak = { rss: peak.rss, heap: peak.heap };

  // Where a plan's time goes: matching every path (old paths of renames too) against the index.
  const matcher = matcherFor(table);
  const matchTimes = Array.from({ length: PLAN_RUNS }, () => time(() => paths.forEach((p) => matcher.domainsOf(p))));
  const globs = table.domains.flatMap((d) => [...d.paths, ...d.ignore]).flatMap((p) => compileGlob(p));
  const unkeyed = globs.filter(
    (g) => g.literalPrefix.length === 0 && g.literalSegment === undefined && g.extension === undefined,
  );

  // Agreement: the indexed matcher against a brute-force loop over the same compiled patterns.
  const disagreements = paths.filter((p) => matcher.domainsOf(p).join() !== bruteForce(table, p).join());

  const allPatterns = table.domains.flatMap((d) => [...d.paths, ...d.ignore]);
  let sink = 0;
  const naive = (match: (path: string, patternIndex: number) => boolean) => () => {
    for (let i = 0; i < files.length; i++) {
      const path = files[i]!.path;
      for (let j = 0; j < allPatterns.length; j++) if (match(path, j)) sink++;
      if (i % 250 === 0) peak.sample();
    }
  };
  const naiveTimes: number[] = [];
  for (let i = 0; i < NAIVE_RUNS; i++)
    naiveTimes.push(time(naive((path, j) => minimatch(path, allPatterns[j]!, MINIMATCH_OPTIONS))));
  const compiled = allPatterns.map((p) => new Minimatch(p, MINIMATCH_OPTIONS));
  const precompiledTimes: number[] = [];
  for (let i = 0; i < NAIVE_RUNS; i++) precompiledTimes.push(time(naive((path, j) => compiled[j]!.match(path))));
  peak.sample();

  const planMs = median(planTimes);
  const naiveMs = median(naiveTimes);
  const precompiledMs = median(precompiledTimes);
  const ratio = naiveMs / planMs;

  const rows: [string, string][] = [
    [
      "machine",
      `${cpus().length} × ${cpus()[0]?.model.trim() ?? "unknown CPU"}, Node ${process.version}, ${process.platform}/${process.arch}`,
    ],
    [
      "workload",
      `${table.domains.length} domains, ${patternCount} patterns (${allPatterns.length - table.domains.reduce((n, d) => n + d.ignore.length, 0)} paths + ${table.domains.reduce((n, d) => n + d.ignore.length, 0)} ignore), ${files.length} changed files (${paths.length - files.length} renames add their old path)`,
    ],
    [
      "plan result",
      `${plan.domains.length} domains, ${plan.personas.length} personas, ${plan.unmatched.length} unmatched files`,
    ],
    [
      "index",
      `${globs.length} compiled alternatives (braces expanded), ${unkeyed.length} with no index key, tried on every path: ${[...new Set(unkeyed.map((g) => g.source.replace(/\d+/g, "N")))].join(" ")}`,
    ],
    ["compile (first matcherFor)", ms(coldCompile)],
    [`compile (median of ${COMPILE_RUNS})`, ms(median(compiles))],
    [
      `planReview (median of ${PLAN_RUNS}, after ${PLAN_WARMUP} warm-up)`,
      `${ms(planMs)}  (min ${ms(Math.min(...planTimes))}, p90 ${ms(percentile(planTimes, 0.9))}, max ${ms(Math.max(...planTimes))})`,
    ],
    [`  of which matching (domainsOf of ${paths.length} paths)`, ms(median(matchTimes))],
    [
      `planReview CPU time (median of ${PLAN_RUNS})`,
      `${ms(median(planCpu))}  (wall time above includes waiting for a CPU on a busy machine)`,
    ],
    [
      `naive minimatch(path, pattern) (median of ${NAIVE_RUNS})`,
      `${ms(naiveMs)}  (${pairs.toLocaleString("en-US")} pairs, ${((naiveMs * 1e6) / pairs).toFixed(0)} ns/pair)`,
    ],
    [`naive, Minimatch objects precompiled (median of ${NAIVE_RUNS})`, ms(precompiledMs)],
    ["speed-up vs naive minimatch", `${ratio.toFixed(0)}×`],
    ["speed-up vs precompiled Minimatch", `${(precompiledMs / planMs).toFixed(0)}×`],
    ["peak rss / heapUsed (compile + plans)", `${mib(planPeak.rss)} / ${mib(planPeak.heap)}`],
    ["peak rss / heapUsed (whole run)", `${mib(peak.rss)} / ${mib(peak.heap)}`],
    [
      "agreement with brute force",
      disagreements.length === 0
        ? `all ${paths.length} paths agree`
        : `${disagreements.length} paths DISAGREE, e.g. ${disagreements[0]}`,
    ],
    ["target: ≥ 20× faster than naive", ratio >= 20 ? "met" : "NOT met"],
    ["target: ≤ 20 ms per plan", planMs <= 20 ? "met" : "NOT met"],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(
    `Review plan benchmark (npm run bench)\n\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join("\n")}\n`,
  );
  if (sink < 0) process.stdout.write("\n"); // keeps the naive loops' results observable
  if (disagreements.length > 0) process.exitCode = 1;
}

main();
