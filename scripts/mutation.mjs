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
    "test/core/criteria.test.ts",
  ],
  "src/core/ledger.ts": ["test/core/ledger.test.ts", "test/core/actions.test.ts", "test/core/criteria.test.ts"],
  "src/core/verdict.ts": [
    "test/core/verdict.test.ts",
    "test/core/checks.test.ts",
    "test/core/security-regressions.test.ts",
    "test/core/criteria.test.ts",
  ],
  "src/core/glob.ts": ["test/core/glob.test.ts", "test/core/matcher.property.test.ts"],
  "src/core/matcher.ts": ["test/core/glob.test.ts", "test/core/matcher.property.test.ts"],
  "src/app/records.ts": ["test/app/records.test.ts", "test/app/criteria.test.ts"],
  "src/core/criteria.ts": [
    "test/core/criteria.test.ts",
    "test/core/checks.test.ts",
    "test/core/verdict.test.ts",
    "test/app/records.test.ts",
  ],
  // A whole-file run is hours (every app test reaches nearly every line): the security-critical ranges only,
  // against the app and attack suites that decide them. Line numbers as of 2026-11-30: keep them in step
  // with the code (docs/testing.md says what each range is).
  "src/app/reconcile.ts": {
    mutate: [
      "src/app/reconcile.ts:104-142", // reconcile(): the rounds, the fresh confirming read; gatePasses
      "src/app/reconcile.ts:246-257", // a closed pull request's gates; the 3,000-file count
      "src/app/reconcile.ts:325-325", // …and the listed files reaching it
      "src/app/reconcile.ts:337-337", // isAppComment: which comments are the app's own records
      "src/app/reconcile.ts:362-379", // the ledger's records of this pull request, bases, retargets
      "src/app/reconcile.ts:399-399", // eligible
      "src/app/reconcile.ts:434-452", // what the ledger keeps
      "src/app/reconcile.ts:542-555", // passes, supersededTwin
      "src/app/reconcile.ts:596-634", // planWrites
      "src/app/reconcile.ts:637-656", // lookUpEligibility
      "src/app/reconcile.ts:665-717", // withUnknownPushers, contributorsOf
      "src/app/reconcile.ts:854-888", // readLedger
    ],
    tests: [
      "test/app/app.test.ts",
      "test/app/check-writes.test.ts",
      "test/app/read-cache.test.ts",
      "test/security/attacks.test.ts",
      "test/security/attack-findings.test.ts",
    ],
  },
};

/** Stryker's own threshold semantics: below `break` the run fails. */
const BREAK = 90;

/**
 * An argument is a target (`src/core/glob.ts`) or a target narrowed to line ranges
 * (`src/core/actions.ts:139-148,157-293`): only mutants on those lines, same tests. A target may itself be
 * narrowed (`{ mutate: [...ranges], tests: [...] }`) when a whole-file run does not fit (reconcile.ts).
 */
function resolve(arg) {
  const m = /^(.+?\.ts)(?::([\d,-]+))?$/.exec(arg);
  const target = m ? TARGETS[m[1]] : undefined;
  if (!target) return undefined;
  const tests = Array.isArray(target) ? target : target.tests;
  if (m[2])
    return { name: arg, mutate: m[2].split(",").map((r) => `${m[1]}:${r.includes("-") ? r : `${r}-${r}`}`), tests };
  return { name: arg, mutate: Array.isArray(target) ? [m[1]] : target.mutate, tests };
}

const requested = process.argv.slice(2);
const unknown = requested.filter((f) => !resolve(f));
if (unknown.length > 0) {
  console.error(
    `test:mutation: not a mutation target: ${unknown.join(", ")} (targets: ${Object.keys(TARGETS).join(", ")})`,
  );
  process.exit(2);
}
const runs = (requested.length > 0 ? requested : Object.keys(TARGETS)).map(resolve);
const concurrency = Number(process.env.STRYKER_CONCURRENCY ?? 2);
// Read by the property tests (inherited by Stryker's test-runner processes): fewer runs per mutant.
process.env.PROPERTY_RUNS ??= "300";

const DETECTED = new Set(["Killed", "Timeout"]);
const UNDETECTED = new Set(["Survived", "NoCoverage"]);

const summary = [];
for (const { name: file, mutate, tests } of runs) {
  const slug = file
    .replace(/^src\//, "")
    .replace(/\.ts/, "")
    .replaceAll("/", "-")
    .replaceAll(":", "-L")
    .replaceAll(",", "_");
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
