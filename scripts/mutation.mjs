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

/**
 * The file to mutate → the test files that cover it. Keep this list in sync with docs/testing.md and mutation.yml.
 * glob/matcher leave out test/core/glob-conformance.test.ts: it checks the same code over thousands of suite
 * cases (tens of seconds per mutant) and kills nothing the unit and property tests do not.
 * ledger/records run only their unit tests: the app and attack suites reach them through whole reconciles,
 * so nearly every test covers nearly every mutant (hours per file on 2 cores); the unit tests pin each behaviour.
 */
export const TARGETS = {
  "src/core/actions.ts": [
    "test/core/actions.test.ts",
    "test/core/verdict.test.ts",
    "test/core/security-regressions.test.ts",
    "test/security/commands.test.ts",
  ],
  "src/core/ledger.ts": ["test/core/ledger.test.ts", "test/core/actions.test.ts"],
  "src/core/verdict.ts": [
    "test/core/verdict.test.ts",
    "test/core/checks.test.ts",
    "test/core/security-regressions.test.ts",
  ],
  "src/core/glob.ts": ["test/core/glob.test.ts", "test/core/matcher.property.test.ts"],
  "src/core/matcher.ts": ["test/core/glob.test.ts", "test/core/matcher.property.test.ts"],
  "src/app/records.ts": ["test/app/records.test.ts"],
  "src/app/reconcile.ts": ["test/app/*.test.ts", "test/security/*.test.ts", "test/core/security-regressions.test.ts"],
};

/** Stryker's own threshold semantics: below `break` the run fails. */
const BREAK = 90;

const requested = process.argv.slice(2);
const unknown = requested.filter((f) => !(f in TARGETS));
if (unknown.length > 0) {
  console.error(
    `test:mutation: not a mutation target: ${unknown.join(", ")} (targets: ${Object.keys(TARGETS).join(", ")})`,
  );
  process.exit(2);
}
const files = requested.length > 0 ? requested : Object.keys(TARGETS);
const concurrency = Number(process.env.STRYKER_CONCURRENCY ?? 2);
// Read by the property tests (inherited by Stryker's test-runner processes): fewer runs per mutant.
process.env.PROPERTY_RUNS ??= "300";

const DETECTED = new Set(["Killed", "Timeout"]);
const UNDETECTED = new Set(["Survived", "NoCoverage"]);

const summary = [];
for (const file of files) {
  const slug = file
    .replace(/^src\//, "")
    .replace(/\.ts$/, "")
    .replaceAll("/", "-");
  console.log(`\n== ${file}: mutating, running ${TARGETS[file].join(" ")}`);
  const stryker = new Stryker({
    mutate: [file],
    testRunner: "jest",
    plugins: ["@stryker-mutator/jest-runner"],
    testRunnerNodeArgs: ["--experimental-vm-modules"],
    coverageAnalysis: "perTest",
    jest: {
      projectType: "custom",
      enableFindRelatedTests: false,
      config: {
        ...jestConfig,
        testMatch: TARGETS[file].map((t) => `<rootDir>/${t}`),
        // Stryker wraps the test environment in its own and resolves the name from the sandbox directory
        // itself, without expanding `<rootDir>`: give it a path relative to that directory.
        testEnvironment: jestConfig.testEnvironment.replace("<rootDir>/", "./"),
        // Property tests stop at the first counterexample instead of shrinking it: a mutant only needs to fail.
        setupFiles: ["<rootDir>/test/helpers/no-shrink.ts"],
      },
    },
    checkers: [],
    concurrency,
    reporters: ["html", "progress"],
    htmlReporter: { fileName: `reports/mutation/${slug}.html` },
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
