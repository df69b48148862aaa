#!/usr/bin/env node
/**
 * `npm run test:mutation [FILE...]`: StrykerJS over the security-critical files, one run per file, each run
 * mutating only that file and running only the test files that exercise it (a whole-suite run per mutant would
 * take hours on 2 cores). Prints the score per file and every surviving mutant, writes one HTML report per file
 * under reports/mutation/, and exits non-zero when a file scores below its threshold.
 *
 * Survivors that are equivalent mutants are justified one by one in docs/testing.md.
 * STRYKER_CONCURRENCY sets the number of test-runner processes (default 2).
 */
import { Stryker } from "@stryker-mutator/core";
import jestConfig from "../jest.config.js";
import { resolve, TARGETS } from "./mutation-targets.mjs";

/** Stryker's own threshold semantics: below `break` the run fails. */
const BREAK = 90;

const requested = process.argv.slice(2);
let runs;
try {
  // Every argument is resolved (markers read and checked) before the first run starts.
  runs = (requested.length > 0 ? requested : Object.keys(TARGETS)).map((arg) => ({ arg, run: resolve(arg) }));
} catch (err) {
  console.error(`test:mutation: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(2);
}
const unknown = runs.filter((r) => !r.run).map((r) => r.arg);
if (unknown.length > 0) {
  console.error(
    `test:mutation: not a mutation target: ${unknown.join(", ")} (targets: ${Object.keys(TARGETS).join(", ")})`,
  );
  process.exit(2);
}
const concurrency = Number(process.env.STRYKER_CONCURRENCY ?? 2);
// Read by the property tests (inherited by Stryker's test-runner processes): fewer runs per mutant.
process.env.PROPERTY_RUNS ??= "300";

const DETECTED = new Set(["Killed", "Timeout"]);
const UNDETECTED = new Set(["Survived", "NoCoverage"]);

const summary = [];
for (const { name: file, mutate, tests } of runs.map((r) => r.run)) {
  const slug = file
    .replace(/^src\//, "")
    .replace(/\.ts/, "")
    .replaceAll("/", "-")
    .replaceAll(":", "-L")
    .replaceAll(",", "_")
    .replaceAll("@", "-");
  console.log(`\n== ${mutate.join(" ")}: mutating, running ${tests.join(" ")}`);
  const stryker = new Stryker({
    mutate,
    testRunner: "jest",
    plugins: ["@stryker-mutator/jest-runner"],
    testRunnerNodeArgs: ["--experimental-vm-modules"],
    coverageAnalysis: "perTest",
    jest: {
      projectType: "custom",
      enableFindRelatedTests: false,
      config: {
        ...jestConfig,
        testMatch: tests.map((t) => `<rootDir>/${t}`),
        // Stryker wraps the test environment in its own and resolves the name from the sandbox directory
        // itself, without expanding `<rootDir>`: give it a path relative to that directory.
        testEnvironment: jestConfig.testEnvironment.replace("<rootDir>/", "./"),
        // Property tests stop at the first counterexample instead of shrinking it: a mutant only needs to fail.
        setupFiles: ["<rootDir>/test/helpers/no-shrink.ts"],
      },
    },
    checkers: [],
    concurrency,
    // The event recorder writes each mutant's result as it comes: a run stopped early (on the shared machine,
    // reconcile.ts takes about a minute a mutant) still says which mutants it tested and how they fared.
    reporters: ["html", "progress", "event-recorder"],
    htmlReporter: { fileName: `reports/mutation/${slug}.html` },
    eventReporter: { baseDir: `reports/mutation/${slug}.events` },
    // Re-runs only retest the mutants whose code or covering tests changed since the last run here.
    incremental: true,
    incrementalFile: `reports/mutation/${slug}.incremental.json`,
    tempDirName: `.stryker-tmp/${slug}`,
    cleanTempDir: "always",
    ignorePatterns: ["lib", "lib-check", "coverage", "reports", ".stryker-tmp"],
    thresholds: { high: 95, low: BREAK, break: null },
    logLevel: "warn",
  });
  const results = await stryker.runMutationTest();
  const count = (set) => results.filter((r) => set.has(r.status)).length;
  const detected = count(DETECTED);
  const undetected = count(UNDETECTED);
  const score = detected + undetected === 0 ? 100 : (100 * detected) / (detected + undetected);
  for (const r of results.filter((m) => UNDETECTED.has(m.status))) {
    const { line, column } = r.location.start;
    console.log(
      `  ${r.status.padEnd(10)} ${file}:${line}:${column + 1} ${r.mutatorName}: ${JSON.stringify(r.replacement)}`,
    );
  }
  summary.push({ file, score, detected, undetected, report: `reports/mutation/${slug}.html` });
}

console.log("\nMutation score per file (killed + timed out / all covered and uncovered mutants):");
for (const s of summary)
  console.log(
    `  ${s.score.toFixed(1).padStart(5)} %  ${s.file}  (${s.detected} detected, ${s.undetected} undetected)  ${s.report}`,
  );
const low = summary.filter((s) => s.score < BREAK);
if (low.length > 0) {
  console.log(
    `\nBelow ${BREAK} %: ${low.map((s) => s.file).join(", ")} — kill the survivors or justify them in docs/testing.md.`,
  );
  process.exitCode = 1;
}
