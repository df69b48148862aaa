/**
 * What `npm run test:mutation` (scripts/mutation.mjs) mutates and which tests judge it: the targets, and how a
 * command-line argument resolves to Stryker's `mutate` ranges. Kept apart from the runner so that
 * test/scripts/mutation-targets.test.ts (in `npm test`) can check that every target still resolves: a marker
 * lost in an edit of reconcile.ts fails there, not weeks later in the weekly mutation run.
 */
import { readFileSync } from "node:fs";

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
  // The one GraphQL read: whose comments are the app's records, ids, what is read again over REST.
  "src/github/snapshot.ts": ["test/github/snapshot.test.ts", "test/security/read-path-attacks.test.ts"],
  // The app's own runs from GraphQL (the snapshot's and the radar's), and the radar's one read of them.
  "src/github/own-runs.ts": ["test/github/snapshot.test.ts", "test/github/radar-runs.test.ts"],
  "src/github/radar-runs.ts": ["test/github/radar-runs.test.ts", "test/security/read-path-attacks.test.ts"],
  // Whether a run already shows what the app would write (a skipped write leaves an old gate): the digest range;
  // which errors of a batch of check-run and comment writes fail it (a gate write's error must never pass).
  "src/github/checks.ts": {
    ranges: ["run-digest", "batch-errors"],
    tests: ["test/github/checks.test.ts", "test/app/check-writes.test.ts"],
  },
  // One GitHub client per installation: which installation's client a delivery is handed.
  "src/github/installation-clients.ts": ["test/github/installation-clients.test.ts"],
  "src/core/criteria.ts": [
    "test/core/criteria.test.ts",
    "test/core/checks.test.ts",
    "test/core/verdict.test.ts",
    "test/app/records.test.ts",
  ],
  // The pure decisions taken out of reconcile.ts, each judged by its own unit tests (seconds a mutant; the app
  // and attack suites still run them in npm test).
  "src/app/rounds.ts": ["test/app/rounds.test.ts"], // when a decision to pass is read again, when a round follows
  "src/app/slots.ts": ["test/app/slots.test.ts"], // reconcile slots: a stranger's waiting answers hold none
  "src/app/write-plan.ts": ["test/app/write-plan.test.ts"], // which runs are rewritten, closed, left green
  "src/app/standing.ts": ["test/app/standing.test.ts"], // which records count, what the ledger keeps, where it is read
  "src/app/eligibility.ts": ["test/app/eligibility.test.ts"], // who may review as which persona
  "src/app/listing.ts": ["test/app/listing.test.ts"], // which teams a first read lists (cost: a confirming read)
  "src/app/settled.ts": ["test/app/settled.test.ts"], // when the round after a written pass need not decide again
  "src/github/teams.ts": ["test/github/teams.test.ts"], // who is a team's active member (one query, REST for the rest)
  // Whether a decision asked GitHub anything after its read: a request missed would spare it its confirming read.
  "src/github/client.ts": { ranges: ["counting"], tests: ["test/github/counting.test.ts"] },
  "src/app/contributors.ts": ["test/app/contributors.test.ts"], // whose approvals are contributions
  // Which deliveries' facts (a click, review and comment bodies) share a reconcile: none may be lost.
  "src/app/batch.ts": ["test/app/batch.test.ts", "test/security/batch-attacks.test.ts"],
  // A whole-file run is hours (every app test reaches nearly every line): the security-critical ranges only,
  // against the app and attack suites that decide them. Each range is marked in the file itself
  // (`// mutation-range: <name>` … `// mutation-range-end`), so it moves with the code; docs/testing.md says
  // what each holds. Every marker in the file must be listed here and every name here marked there.
  "src/app/reconcile.ts": {
    ranges: [
      "closed-pull-request", // a closed pull request's gates; a merged one skipped
      "file-count", // the fresh pull request's count over 3,000
      "too-many-files", // the listed files reaching the 3,000-file limit
    ],
    tests: [
      "test/app/app.test.ts",
      "test/app/check-writes.test.ts",
      "test/app/read-cache.test.ts",
      "test/security/attacks.test.ts",
      "test/security/attack-findings.test.ts",
      "test/security/perf-attacks.test.ts",
      "test/app/first-hour.test.ts", // a refused review request carried into the next round
    ],
  },
};

const BEGIN = /^\s*\/\/ mutation-range: ([a-z0-9-]+)\s*$/;
const END = /^\s*\/\/ mutation-range-end\s*$/;

/**
 * The ranges marked in a file's text: name → "first-last" (1-based lines between the markers). Throws on
 * anything but well-formed, non-nested, non-empty, uniquely named pairs, and on a line that mentions
 * `mutation-range` without being a marker (a typo would otherwise drop a range in silence).
 */
export function markedRanges(text, file = "the file") {
  const ranges = new Map();
  let open;
  text.split("\n").forEach((line, i) => {
    const n = i + 1;
    const begin = BEGIN.exec(line);
    if (begin) {
      if (open)
        throw new Error(`${file}:${n}: mutation-range "${begin[1]}" opens inside "${open.name}" (line ${open.line})`);
      if (ranges.has(begin[1])) throw new Error(`${file}:${n}: mutation-range "${begin[1]}" is marked twice`);
      open = { name: begin[1], line: n };
    } else if (END.test(line)) {
      if (!open) throw new Error(`${file}:${n}: mutation-range-end without a mutation-range before it`);
      if (n === open.line + 1) throw new Error(`${file}:${n}: mutation-range "${open.name}" is empty`);
      ranges.set(open.name, `${open.line + 1}-${n - 1}`);
      open = undefined;
    } else if (line.includes("mutation-range")) {
      throw new Error(`${file}:${n}: not a marker: expected "// mutation-range: <name>" or "// mutation-range-end"`);
    }
  });
  if (open) throw new Error(`${file}:${open.line}: mutation-range "${open.name}" has no mutation-range-end`);
  return ranges;
}

/** A target's `mutate` ranges as `file:first-last`, resolved from its markers; throws when they do not match. */
function marked(file, names, read) {
  const ranges = markedRanges(read(file), file);
  const missing = names.filter((n) => !ranges.has(n));
  if (missing.length > 0) throw new Error(`${file}: no mutation-range marked for ${missing.join(", ")}`);
  const unlisted = [...ranges.keys()].filter((n) => !names.includes(n));
  if (unlisted.length > 0)
    throw new Error(
      `${file}: mutation-range ${unlisted.join(", ")} marked but not listed in scripts/mutation-targets.mjs`,
    );
  return new Map(names.map((n) => [n, `${file}:${ranges.get(n)}`]));
}

/**
 * An argument is a target (`src/core/glob.ts`), a target narrowed to line ranges
 * (`src/core/actions.ts:139-148,157-293`: only mutants on those lines, same tests), or a marked target narrowed
 * to some of its ranges by name (`src/app/reconcile.ts@rounds,plan-writes`). A target may itself be narrowed
 * (`{ ranges: [...names], tests: [...] }`) when a whole-file run does not fit (reconcile.ts).
 * Returns undefined for an argument that names no target; throws when a target's markers do not resolve.
 */
export function resolve(arg, read = (f) => readFileSync(f, "utf8")) {
  const m = /^(.+?\.ts)(?::([\d,-]+)|@([a-z0-9,-]+))?$/.exec(arg);
  const target = m ? TARGETS[m[1]] : undefined;
  if (!target) return undefined;
  const file = m[1];
  const tests = Array.isArray(target) ? target : target.tests;
  if (m[2])
    return { name: arg, mutate: m[2].split(",").map((r) => `${file}:${r.includes("-") ? r : `${r}-${r}`}`), tests };
  if (Array.isArray(target)) return m[3] ? undefined : { name: arg, mutate: [file], tests };
  const ranges = marked(file, target.ranges, read);
  const names = m[3] ? m[3].split(",") : target.ranges;
  const unknown = names.filter((n) => !ranges.has(n));
  if (unknown.length > 0)
    throw new Error(`${file}: no range named ${unknown.join(", ")} (${target.ranges.join(", ")})`);
  return { name: arg, mutate: names.map((n) => ranges.get(n)), tests };
}
