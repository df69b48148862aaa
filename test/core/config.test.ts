import { describe, expect, test } from "@jest/globals";
import { readFileSync } from "node:fs";
import { formatProblem, parseTable, type ParseResult } from "../../src/core/config.js";
import { planReview } from "../../src/core/plan.js";
import { didYouMean } from "../../src/core/suggest.js";
import { DEFAULT_SETTINGS, type Problem } from "../../src/core/types.js";

const root = new URL("../../", import.meta.url);
const EXAMPLE = readFileSync(new URL("reviewers.yml", root), "utf8");
const fixture = (name: string) => readFileSync(new URL(`test/fixtures/tables/${name}`, root), "utf8");

/** A document from its lines: line N of the file is argument N, so positions can be read off the test. */
const doc = (...lines: string[]) => lines.join("\n") + "\n";
const parse = (text: string, file = "reviewers.yml") => parseTable({ file, text });
const errors = (r: ParseResult) => r.problems.filter((p) => p.severity === "error");
const warnings = (r: ParseResult) => r.problems.filter((p) => p.severity === "warning");

/** [line, column, path, message fragment]: what a problem must say, and where. */
type Expected = [line: number, column: number, path: string, fragment: string];

function expectProblems(problems: readonly Problem[], expected: Expected[]): void {
  expect(problems.map((p) => [p.line, p.column, p.path])).toEqual(expected.map(([l, c, p]) => [l, c, p]));
  problems.forEach((p, i) => expect(p.message).toContain(expected[i]![3]));
}

/** A valid table the error cases below change one or two lines of. */
const BASE = [
  "version: 1", // 1
  "personas:", // 2
  "  security:", // 3
  "    teams: [security]", // 4
  "  finance:", // 5
  "    users: [alice]", // 6
  "domains:", // 7
  "  payments:", // 8
  '    paths: ["src/payments/"]', // 9
  "    require:", // 10
  "      security: [PCI compliance verified]", // 11
  "      finance: [Refund logic correct]", // 12
];
/** BASE with line `n` (1-based) replaced by `lines` (none to delete it). */
const edit = (n: number, ...lines: string[]) => doc(...BASE.slice(0, n - 1), ...lines, ...BASE.slice(n));
const add = (...lines: string[]) => doc(...BASE, ...lines);

describe("the example reviewers.yml", () => {
  const result = parse(EXAMPLE);
  const table = result.table!;

  test("parses with no problem at all", () => {
    expect(result.problems).toEqual([]);
    expect(table).toBeDefined();
    expect(table.file).toBe("reviewers.yml");
    expect(result.extends).toBeUndefined();
  });

  test("declares the personas in order, with names and teams", () => {
    expect(table.personas.map((p) => [p.id, p.name, p.teams])).toEqual([
      ["infra", "Infrastructure Engineer", ["platform"]],
      ["security", "Security Engineer", ["security"]],
      ["backend", "Backend Engineer", ["backend"]],
      ["finance", "Finance", ["finance"]],
      ["devex", "DevEx Engineer", ["devex"]],
      ["frontend", "Frontend Engineer", ["frontend"]],
      ["marketing", "Marketing", ["marketing"]],
      ["design", "Visual Designer", ["design"]],
    ]);
    expect(table.personas.every((p) => p.approvals === 1 && p.users.length === 0)).toBe(true);
    expect(table.personas.find((p) => p.id === "security")!.criteria).toEqual(["No secrets or credentials in code"]);
  });

  test("encodes the seed's mandatory-review table, row by row", () => {
    const rows = Object.fromEntries(table.domains.map((d) => [d.id, d.require.map((r) => r.persona)]));
    expect(rows).toEqual({
      iam: ["infra", "security"],
      "pii-migrations": ["backend", "security"],
      auth: ["security", "backend"],
      payments: ["backend", "security", "finance"],
      "ci-cd": ["devex", "security"],
      landing: ["marketing", "design", "frontend"],
    });
    expect(table.domains.map((d) => d.id)).toEqual(["iam", "pii-migrations", "auth", "payments", "ci-cd", "landing"]);
    // Every cell of the table has its criteria.
    for (const d of table.domains) for (const r of d.require) expect(r.criteria.length).toBeGreaterThanOrEqual(3);
  });

  test("keeps each domain's criteria per persona, descriptions, paths and ignore", () => {
    const payments = table.domains.find((d) => d.id === "payments")!;
    expect(payments).toEqual({
      id: "payments",
      description: "Payment processing",
      paths: ["src/payments/", "src/billing/**", "**/stripe*"],
      ignore: ["**/*.md"],
      require: [
        {
          persona: "backend",
          criteria: ["Error handling comprehensive", "Integration correct", "Performance acceptable"],
        },
        {
          persona: "security",
          criteria: ["PCI compliance verified", "Fraud prevention in place", "No credential exposure"],
        },
        { persona: "finance", criteria: ["Refund logic correct", "Reconciliation accurate", "Idempotency verified"] },
      ],
    });
    const iam = table.domains.find((d) => d.id === "iam")!;
    expect(iam.require.find((r) => r.persona === "security")!.criteria).toEqual([
      "No overly permissive wildcards",
      "MFA enforced where needed",
      "Audit logging enabled",
    ]);
    expect(
      table.domains.find((d) => d.id === "pii-migrations")!.require.find((r) => r.persona === "security")!.criteria,
    ).toContain("GDPR compliant");
    expect(table.domains.find((d) => d.id === "landing")!.ignore).toEqual([]);
  });

  test("settings: config_owners is security, everything else the default", () => {
    expect(table.settings).toEqual({ ...DEFAULT_SETTINGS, config_owners: ["security"] });
  });

  test("the same text under another name is reported under that name", () => {
    expect(parse(EXAMPLE, ".github/reviewers.yml").table!.file).toBe(".github/reviewers.yml");
  });
});

describe("defaults", () => {
  test("a minimal table gets every default", () => {
    const r = parse(
      doc(
        "version: 1",
        "personas:",
        "  security:",
        "    teams: security",
        "domains:",
        "  docs:",
        "    paths: docs/",
        "    require: security",
      ),
    );
    expect(r.problems).toEqual([]);
    expect(r.table).toEqual({
      file: "reviewers.yml",
      personas: [{ id: "security", name: "security", teams: ["security"], users: [], approvals: 1, criteria: [] }],
      domains: [{ id: "docs", paths: ["docs/"], ignore: [], require: [{ persona: "security", criteria: [] }] }],
      settings: DEFAULT_SETTINGS,
    });
  });

  test("the list form of require carries no criteria; the mapping form's empty entry neither", () => {
    const r = parse(
      doc(
        "version: 1",
        "personas:",
        "  a: {teams: [t]}",
        "  b: {users: [bob]}",
        "domains:",
        "  one:",
        "    paths: [x/]",
        "    require: [a, b]",
        "  two:",
        "    paths: [y/]",
        "    require:",
        "      a:",
        "      b: Single criterion",
      ),
    );
    expect(r.problems).toEqual([]);
    expect(r.table!.domains.map((d) => d.require)).toEqual([
      [
        { persona: "a", criteria: [] },
        { persona: "b", criteria: [] },
      ],
      [
        { persona: "a", criteria: [] },
        { persona: "b", criteria: ["Single criterion"] },
      ],
    ]);
  });

  test("require_criteria: a persona's own value overrides the settings' one; plans carry the result", () => {
    const r = parse(
      doc(
        "version: 1",
        "personas:",
        "  a: {teams: [t], criteria: [Checked], require_criteria: false}",
        "  b: {users: [bob], require_criteria: true}",
        "  c: {users: [carol]}",
        "domains:",
        "  one:",
        "    paths: [x/]",
        "    require: [a, b, c]",
        "settings:",
        "  require_criteria: true",
      ),
    );
    expect(r.problems).toEqual([]);
    expect(r.table!.personas.map((p) => p.requireCriteria)).toEqual([false, true, undefined]);
    expect(r.table!.settings.require_criteria).toBe(true);
    const plan = planReview(r.table!, [{ path: "x/f", status: "modified" }]);
    expect(plan.personas.map((p) => [p.id, p.requireCriteria])).toEqual([
      ["a", undefined],
      ["b", true],
      ["c", true],
    ]);
  });

  test("require_criteria must be true or false, at its line and column", () => {
    const r = parse(doc("version: 1", "personas:", "  a:", "    users: [bob]", "    require_criteria: yes please"));
    expect(errors(r).map((p) => [p.line, p.column, p.path, p.message])).toContainEqual([
      5,
      23,
      "personas.a.require_criteria",
      'expected true or false, found the string "yes please"',
    ]);
  });

  test("an empty settings section, and settings given in part", () => {
    expect(parse(add("settings:")).table!.settings).toEqual(DEFAULT_SETTINGS);
    const r = parse(add("settings:", "  drafts: review", "  unmatched: security", "  self_approval: true"));
    expect(r.problems).toEqual([]);
    expect(r.table!.settings).toEqual({
      ...DEFAULT_SETTINGS,
      drafts: "review",
      unmatched: ["security"],
      self_approval: true,
    });
  });

  test("every setting can be set", () => {
    const r = parse(
      add(
        "settings:",
        "  gate: mandatory-review",
        "  on_push: dismiss",
        "  request_reviews: false",
        "  drafts: review",
        "  self_approval: true",
        "  contributor_approval: true",
        "  distinct_reviewers: true",
        "  require_criteria: true",
        "  unmatched: [security]",
        "  config_owners: [security, finance]",
        "  conflicts: block",
        "  shared_config: [config/*.yaml]",
      ),
    );
    expect(r.problems).toEqual([]);
    expect(r.table!.settings).toEqual({
      gate: "mandatory-review",
      on_push: "dismiss",
      request_reviews: false,
      drafts: "review",
      self_approval: true,
      contributor_approval: true,
      distinct_reviewers: true,
      require_criteria: true,
      unmatched: ["security"],
      config_owners: ["security", "finance"],
      conflicts: "block",
      shared_config: ["config/*.yaml"],
    });
  });
});

describe("each kind of error, at its line and column", () => {
  const cases: [title: string, text: string, expected: Expected[]][] = [
    [
      "unknown top-level key",
      add("setings:", "  gate: x"),
      [[13, 1, "setings", 'unknown key "setings" (did you mean "settings"?)']],
    ],
    [
      "unknown persona key",
      edit(4, "    teams: [security]", "    aprovals: 2"),
      [[5, 5, "personas.security.aprovals", 'unknown key "aprovals" (did you mean "approvals"?)']],
    ],
    [
      "unknown domain key",
      edit(9, '    paths: ["src/payments/"]', '    ignores: ["**/*.md"]'),
      [[10, 5, "domains.payments.ignores", 'unknown key "ignores" (did you mean "ignore"?)']],
    ],
    [
      "unknown settings key",
      add("settings:", "  on-push: keep"),
      [[14, 3, "settings.on-push", 'unknown key "on-push" (did you mean "on_push"?)']],
    ],
    [
      "unknown key far from any known one",
      add("colour: red"),
      [[13, 1, "colour", 'unknown key "colour": expected one of version, personas, domains, settings, _extends']],
    ],
    [
      "duplicate persona",
      edit(5, "  security:", "    teams: [other]", "  finance:"),
      [[5, 3, "personas.security", 'duplicate key "security" (first at line 3): remove or merge the repeated key']],
    ],
    [
      "duplicate key inside a domain",
      edit(9, '    paths: ["src/payments/"]', '    paths: ["src/billing/"]'),
      [[10, 5, "domains.payments.paths", 'duplicate key "paths" (first at line 9)']],
    ],
    [
      "duplicate key in a flow mapping",
      edit(4, "    teams: [security]", "    criteria: [{a: 1, a: 2}]"),
      [
        [5, 16, "personas.security.criteria[0]", "expected a non-empty string, found a mapping"],
        [5, 23, "personas.security.criteria[0].a", 'duplicate key "a" (first at line 5)'],
      ],
    ],
    [
      "approvals as a string",
      edit(4, "    teams: [security]", '    approvals: "2"'),
      [[5, 16, "personas.security.approvals", 'expected a whole number from 1 to 100, found the string "2"']],
    ],
    [
      "approvals of 0",
      edit(4, "    teams: [security]", "    approvals: 0"),
      [[5, 16, "personas.security.approvals", "expected a whole number from 1 to 100, found number 0"]],
    ],
    [
      "approvals not whole",
      edit(4, "    teams: [security]", "    approvals: 1.5"),
      [[5, 16, "personas.security.approvals", "found number 1.5"]],
    ],
    [
      "name as a list",
      edit(4, "    teams: [security]", "    name: [Security]"),
      [[5, 11, "personas.security.name", "expected a non-empty string, found a list"]],
    ],
    [
      "teams as a mapping",
      edit(4, "    teams: {security: 1}"),
      [
        [3, 3, "personas.security", 'persona "security" has no reviewers: its "teams" and "users" are empty'],
        [4, 12, "personas.security.teams", "expected a list of strings, found a mapping"],
      ],
    ],
    [
      "a list item that is not a string",
      edit(4, "    teams: [security, 42]"),
      [[4, 23, "personas.security.teams[1]", "expected a non-empty string, found number 42"]],
    ],
    [
      "an empty criterion",
      edit(4, "    teams: [security]", '    criteria: ["", ok]'),
      [[5, 16, "personas.security.criteria[0]", 'expected a non-empty string, found the string ""']],
    ],
    [
      "a YAML 1.1 boolean",
      add("settings:", "  request_reviews: yes"),
      [[14, 20, "settings.request_reviews", 'expected true or false, found the string "yes"']],
    ],
    [
      "description as a number",
      edit(9, '    paths: ["src/payments/"]', "    description: 3"),
      [[10, 18, "domains.payments.description", "expected a string, found number 3"]],
    ],
    [
      "require as a number",
      doc(...BASE.slice(0, 9), "    require: 5"),
      [
        [3, 3, "personas.security", "not required by any domain"],
        [5, 3, "personas.finance", "not required by any domain"],
        [10, 14, "domains.payments.require", "expected a list of persona ids, or a mapping of persona id to criteria"],
      ],
    ],
    [
      "personas as a list",
      doc("version: 1", "personas: [security]", "domains:", "  docs: {paths: [docs/], require: [security]}"),
      [
        [2, 11, "personas", "expected a mapping (key: value), found a list"],
        [4, 36, "domains.docs.require", 'unknown persona "security": define it under "personas" (known: none)'],
      ],
    ],
    [
      "settings as a list",
      add("settings: [gate]"),
      [[13, 11, "settings", "expected a mapping (key: value), found a list"]],
    ],
    [
      "unknown persona in require (mapping)",
      edit(12, "      finanse: [Refund logic correct]"),
      [
        [5, 3, "personas.finance", 'persona "finance" is not required by any domain'],
        [12, 7, "domains.payments.require.finanse", 'unknown persona "finanse" (did you mean "finance"?)'],
      ],
    ],
    [
      "unknown persona in require (list)",
      doc(...BASE.slice(0, 9), "    require: [securty, finance]"),
      [
        [3, 3, "personas.security", "not required by any domain"],
        [10, 15, "domains.payments.require", 'unknown persona "securty" (did you mean "security"?)'],
      ],
    ],
    [
      "unknown persona in settings",
      add("settings:", "  unmatched: [secuirty]", "  config_owners: legal"),
      [
        [14, 15, "settings.unmatched", 'unknown persona "secuirty" (did you mean "security"?)'],
        [
          15,
          18,
          "settings.config_owners",
          'unknown persona "legal": define it under "personas" (known: security, finance)',
        ],
      ],
    ],
    [
      "persona without teams or users",
      edit(4, "    name: Security Engineer"),
      [[3, 3, "personas.security", 'persona "security" has no reviewers: add "teams" or "users"']],
    ],
    [
      "persona with empty teams and users",
      edit(4, "    teams: []", "    users: []"),
      [[3, 3, "personas.security", 'its "teams" and "users" are empty']],
    ],
    [
      "domain without paths",
      edit(9),
      [[8, 3, "domains.payments", 'domain "payments" has no "paths": list the files it covers']],
    ],
    [
      "domain with empty paths",
      edit(9, "    paths: []"),
      [[9, 5, "domains.payments.paths", 'domain "payments" has an empty "paths" list']],
    ],
    [
      "domain without require",
      doc(...BASE.slice(0, 9)),
      [
        [3, 3, "personas.security", "not required by any domain"],
        [5, 3, "personas.finance", "not required by any domain"],
        [8, 3, "domains.payments", 'domain "payments" has no "require": name the personas that must review it'],
      ],
    ],
    [
      "domain with empty require",
      doc(...BASE.slice(0, 9), "    require: []"),
      [
        [3, 3, "personas.security", "not required by any domain"],
        [5, 3, "personas.finance", "not required by any domain"],
        [10, 5, "domains.payments.require", 'domain "payments" requires no persona: name at least one'],
      ],
    ],
    [
      "invalid glob (plain)",
      edit(9, "    paths: src/pay[ments/"),
      [[9, 19, "domains.payments.paths", 'invalid pattern "src/pay[ments/": unclosed "["']],
    ],
    [
      "invalid glob (double-quoted)",
      edit(9, '    paths: ["src/", "src/{a,b"]'),
      [[9, 26, "domains.payments.paths", 'invalid pattern "src/{a,b": unclosed "{"']],
    ],
    [
      "empty segment in a glob",
      edit(9, "    paths: src//payments"),
      [[9, 15, "domains.payments.paths", 'empty segment ("//")']],
    ],
    [
      "! in paths points to ignore",
      edit(9, '    paths: ["src/payments/", "!src/payments/README.md"]'),
      [
        [
          9,
          31,
          "domains.payments.paths",
          'negation ("!") is not supported in paths: list the exclusion under "ignore" instead',
        ],
      ],
    ],
    [
      "! in ignore",
      edit(9, '    paths: ["src/payments/"]', '    ignore: ["!*.ts"]'),
      [[10, 14, "domains.payments.ignore", 'negation is not supported in "ignore"']],
    ],
    ["version 2", edit(1, "version: 2"), [[1, 10, "version", "unsupported version 2: this app reads version 1"]]],
    ['version "1" (a string)', edit(1, 'version: "1"'), [[1, 10, "version", 'unsupported version "1"']]],
    ["missing version", edit(1), [[1, 1, "version", 'missing "version: 1" at the top of the file']]],
    [
      "invalid persona id",
      edit(3, "  Security_Team:"),
      [
        [
          3,
          3,
          "personas.Security_Team",
          'invalid id "Security_Team": use lowercase letters, digits and dashes (e.g. "security-team")',
        ],
        [
          11,
          7,
          "domains.payments.require.security",
          'unknown persona "security": define it under "personas" (known: finance)',
        ],
      ],
    ],
    [
      "invalid domain id",
      edit(8, "  Payments:"),
      [
        [3, 3, "personas.security", "not required by any domain"],
        [5, 3, "personas.finance", "not required by any domain"],
        [8, 3, "domains.Payments", 'invalid id "Payments"'],
      ],
    ],
    [
      "an empty _extends",
      add('_extends: ""'),
      [[13, 11, "_extends", 'expected a non-empty string, found the string ""']],
    ],
    [
      "a key that is not a string",
      edit(5, "  1:", "    users: [alice]", "  finance:"),
      [[5, 3, "personas", "keys must be plain strings, found number 1"]],
    ],
  ];

  test.each(cases)("%s", (_title, text, expected) => {
    const r = parse(text);
    expectProblems(r.problems, expected);
    expect(r.problems.every((p) => p.file === "reviewers.yml")).toBe(true);
    expect(r.table).toBeUndefined();
  });
});

describe("all problems in one pass", () => {
  test("errors throughout the file are all reported, in position order, a duplicate key included", () => {
    const r = parse(
      doc(
        "version: 1", // 1
        "personas:", // 2
        "  security:", // 3
        "    teams: [security]", // 4
        "    aprovals: 2", // 5  unknown key
        "  finance:", // 6
        "    users: [alice]", // 7
        "  finance:", // 8  duplicate key
        "    users: [bob]", // 9
        "domains:", // 10
        "  payments:", // 11
        '    paths: ["src/pay[ments/"]', // 12  invalid glob
        "    require:", // 13
        "      finanse: [Refund logic correct]", // 14  unknown persona
        "      security:", // 15
        "settings:", // 16
        "  on_push: dismis", // 17  enum
      ),
    );
    expectProblems(r.problems, [
      [5, 5, "personas.security.aprovals", 'unknown key "aprovals" (did you mean "approvals"?)'],
      [8, 3, "personas.finance", 'duplicate key "finance" (first at line 6)'],
      [8, 3, "personas.finance", 'persona "finance" is not required by any domain'],
      [12, 21, "domains.payments.paths", 'invalid pattern "src/pay[ments/"'],
      [14, 7, "domains.payments.require.finanse", 'unknown persona "finanse" (did you mean "finance"?)'],
      [
        17,
        12,
        "settings.on_push",
        '"dismis" is not allowed here: use "keep", "dismiss", "changed-domains" (did you mean "dismiss"?)',
      ],
    ]);
    expect(errors(r)).toHaveLength(5);
    expect(r.table).toBeUndefined();
  });

  test("problems of different sections interleave by position, not by kind", () => {
    const r = parse(
      doc(
        "version: 3",
        "personas:",
        "  a: {name: 5}",
        "domains:",
        "  d: {paths: [], require: [b]}",
        "settings: {drafts: no}",
      ),
    );
    expectProblems(r.problems, [
      [1, 10, "version", "unsupported version 3"],
      [3, 3, "personas.a", 'add "teams" or "users"'],
      [3, 3, "personas.a", "not required by any domain"],
      [3, 13, "personas.a.name", "expected a non-empty string, found number 5"],
      [5, 7, "domains.d.paths", 'domain "d" has an empty "paths" list'],
      [5, 28, "domains.d.require", 'unknown persona "b" (did you mean "a"?)'],
      [6, 20, "settings.drafts", '"no" is not allowed here: use "wait", "review"'],
    ]);
  });
});

describe("warnings do not block", () => {
  test("a persona no domain requires: warning, and the table is still used", () => {
    const r = parse(edit(6, "    users: [alice]", "  legal:", "    teams: [legal]"));
    expect(errors(r)).toEqual([]);
    expectProblems(warnings(r), [
      [
        7,
        3,
        "personas.legal",
        'persona "legal" is not required by any domain: add it to a domain\'s "require" or remove it',
      ],
    ]);
    expect(r.table!.personas.map((p) => p.id)).toEqual(["security", "finance", "legal"]);
  });

  test("a persona named only in settings.unmatched or config_owners is required", () => {
    const text = edit(6, "    users: [alice]", "  legal:", "    teams: [legal]");
    expect(parse(text + "settings:\n  unmatched: legal\n").problems).toEqual([]);
    expect(parse(text + "settings:\n  config_owners: [legal]\n").problems).toEqual([]);
  });

  test("repeats in a list: warnings, and the repeat is dropped", () => {
    const r = parse(edit(4, "    teams: [security, security]", "    users: [alice, Alice]"));
    expect(errors(r)).toEqual([]);
    expectProblems(warnings(r), [
      [4, 23, "personas.security.teams", 'team "security" is listed twice: remove the repeat'],
      [5, 20, "personas.security.users", 'user "Alice" is listed twice'],
    ]);
    expect(r.table!.personas[0]).toMatchObject({ teams: ["security"], users: ["alice"] });
  });

  test("a pattern or persona listed twice", () => {
    const r = parse(doc(...BASE.slice(0, 8), "    paths: [a/, b/, a/]", "    require: [security, finance, security]"));
    expect(r.table).toBeDefined();
    expectProblems(r.problems, [
      [9, 21, "domains.payments.paths", 'pattern "a/" is listed twice'],
      [10, 34, "domains.payments.require", 'persona "security" is listed twice'],
    ]);
    expect(r.table!.domains[0]).toMatchObject({
      paths: ["a/", "b/"],
      require: [{ persona: "security" }, { persona: "finance" }],
    });
  });
});

describe("a bad character inside a pattern is pointed at", () => {
  // Each pattern sits on line 9 as the only list item after `      - ` (column 9).
  const at = (item: string) => {
    const r = parse(doc(...BASE.slice(0, 8), "    paths:", `      - ${item}`, ...BASE.slice(9)));
    expect(errors(r)).toHaveLength(1);
    const p = errors(r)[0]!;
    expect([p.line, p.path]).toEqual([10, "domains.payments.paths"]);
    return p.column;
  };

  test.each([
    ["plain", "src/pay[ments/", 16],
    ["double-quoted", '"src/pay[ments/"', 17],
    ["single-quoted", "'src/pay[ments/'", 17],
    ["double-quoted after an escape", '"src/\\u00e9[x"', 20],
    ["double-quoted after an escaped backslash", '"a\\\\b"', 11],
    ["double-quoted after an astral escape", '"\\U0001F600{"', 20],
    ["single-quoted after a doubled quote", "'it''s['", 15],
    ["a leading !", '"!src/"', 10],
    ["a trailing space", '"src/ "', 14],
    ["a '..' segment", '"src/../x"', 14],
    ["with an anchor before it", '&p "src//x"', 16],
  ])("%s: %s", (_what, item, column) => {
    expect(at(item)).toBe(column);
  });

  test("a string folded over lines, or a block scalar, is pointed at as a whole", () => {
    expect(at('"multi\n        line["')).toBe(9);
    expect(at("|-\n        a[b")).toBe(9);
  });
});

describe("formatProblem", () => {
  test("file:line:column path: message — the example of the brief, to the character", () => {
    const r = parse(
      doc(
        "version: 1",
        "personas:",
        "  finance:",
        "    users: [alice]",
        "  security:",
        "    teams: [security]",
        "domains:",
        "  payments:",
        "    paths:",
        "      - src/payments/",
        "    require:",
        "        security:",
        "          - PCI compliance verified",
        "        finanse: [Refund logic correct]",
      ),
    );
    const lines = r.problems.map(formatProblem);
    expect(lines).toContain(
      'reviewers.yml:14:9 domains.payments.require.finanse: unknown persona "finanse" (did you mean "finance"?)',
    );
    expect(lines).toContain(
      'reviewers.yml:3:3 warning: personas.finance: persona "finance" is not required by any domain: add it to a domain\'s "require" or remove it',
    );
  });

  test("a problem of the whole document has no key path", () => {
    expect(
      formatProblem({
        severity: "error",
        file: ".github/reviewers.yml",
        line: 1,
        column: 1,
        path: "",
        message: "the file is empty",
      }),
    ).toBe(".github/reviewers.yml:1:1 the file is empty");
    expect(parse("", ".github/reviewers.yml").problems.map(formatProblem)).toEqual([
      '.github/reviewers.yml:1:1 the file is empty: start with "version: 1", then "personas:" and "domains:" (see docs/configuration.md)',
    ]);
  });
});

describe("did you mean", () => {
  test("keys, personas and enumerations", () => {
    const r = parse(
      doc(
        "version: 1",
        "persona:",
        "  x: 1",
        "personas:",
        "  security:",
        "    team: [security]",
        "domains:",
        "  d:",
        "    path: [x/]",
        "    paths: [x/]",
        "    reqiure: [security]",
        "    require: [secuirty]",
        "settings:",
        "  drafts: weit",
        "  on_push: chnaged-domains",
        "  gaet: x",
      ),
    );
    const said = r.problems.map((p) => `${p.path}: ${p.message}`);
    expect(said).toEqual(
      expect.arrayContaining([
        'persona: unknown key "persona" (did you mean "personas"?)',
        'personas.security.team: unknown key "team" (did you mean "teams"?)',
        'domains.d.path: unknown key "path" (did you mean "paths"?)',
        'domains.d.reqiure: unknown key "reqiure" (did you mean "require"?)',
        'domains.d.require: unknown persona "secuirty" (did you mean "security"?)',
        'settings.drafts: "weit" is not allowed here: use "wait", "review" (did you mean "wait"?)',
        'settings.on_push: "chnaged-domains" is not allowed here: use "keep", "dismiss", "changed-domains" (did you mean "changed-domains"?)',
        'settings.gaet: unknown key "gaet" (did you mean "gate"?)',
      ]),
    );
  });

  test("no suggestion when nothing is close", () => {
    const r = parse(add("settings:", "  drafts: later"));
    expectProblems(r.problems, [[14, 11, "settings.drafts", '"later" is not allowed here: use "wait", "review"']]);
    expect(r.problems[0]!.message).not.toContain("did you mean");
  });

  test("didYouMean: edits, a swap of neighbours, case, and too far", () => {
    expect(didYouMean("finanse", ["security", "finance"])).toBe("finance");
    expect(didYouMean("secuirty", ["security", "finance"])).toBe("security");
    expect(didYouMean("Security", ["security"])).toBe("security");
    expect(didYouMean("marketing", ["security", "finance"])).toBeUndefined();
    expect(didYouMean("x", [])).toBeUndefined();
  });
});

describe("the shape of the document", () => {
  test.each([
    ["an empty file", "", [1, 1, "", "the file is empty"]],
    ["only comments", "# a table\n# to come\n", [1, 1, "", "the file is empty"]],
    ["only whitespace", "\n\n   \n", [1, 1, "", "the file is empty"]],
    ["a scalar", "hello\n", [1, 1, "", "the file must be a mapping with version, personas and domains"]],
    ["a list", "- version: 1\n", [1, 1, "", "the file must be a mapping"]],
  ] as [string, string, Expected][])("%s", (_what, text, expected) => {
    const r = parse(text);
    expectProblems(r.problems, [expected]);
    expect(r.table).toBeUndefined();
  });

  test("YAML that cannot be parsed: the parser's message, at the bracket left open (not where the parser stopped)", () => {
    const r = parse("version: 1\npersonas: [a\n");
    expect(r.table).toBeUndefined();
    expect(r.problems).toContainEqual({
      severity: "error",
      file: "reviewers.yml",
      line: 2,
      column: 11,
      path: "",
      message:
        "Flow sequence in block collection must be sufficiently indented and end with a ] (opened here; still open at line 3)",
    });
  });

  test("tabs used for indentation", () => {
    const r = parse("version: 1\npersonas:\n\tsecurity:\n");
    expect(r.table).toBeUndefined();
    expect(errors(r).some((p) => p.line === 3 && p.column === 1 && /tab/i.test(p.message))).toBe(true);
  });

  test("missing sections", () => {
    expectProblems(parse("version: 1\n").problems, [
      [1, 1, "personas", 'missing "personas:" section'],
      [1, 1, "domains", 'missing "domains:" section'],
    ]);
  });

  test("empty sections, written either way", () => {
    const expected: Expected[] = [
      [2, 1, "personas", '"personas" is empty: add at least one entry'],
      [3, 1, "domains", '"domains" is empty: add at least one entry'],
    ];
    expectProblems(parse("version: 1\npersonas:\ndomains:\n").problems, expected);
    // `{}` used to pass and give a table requiring nobody for anything.
    const r = parse("version: 1\npersonas: {}\ndomains: {}\n");
    expectProblems(r.problems, expected);
    expect(r.table).toBeUndefined();
  });

  test("version 2 with an otherwise valid table", () => {
    const r = parse(edit(1, "version: 2"));
    expect(r.problems.map(formatProblem)).toEqual([
      "reviewers.yml:1:10 version: unsupported version 2: this app reads version 1",
    ]);
    expect(r.table).toBeUndefined();
  });
});

describe("users and teams", () => {
  const persona = (...lines: string[]) =>
    parse(doc("version: 1", "personas:", "  p:", ...lines, "domains:", "  d: {paths: [x/], require: [p]}"));

  test("@ in front of a login or a team", () => {
    expectProblems(persona('    users: ["@octocat"]', '    teams: ["@my-org/security"]').problems, [
      [4, 13, "personas.p.users", 'write the login as "octocat" (no "@")'],
      [5, 13, "personas.p.teams", 'write the team as "my-org/security" (no "@")'],
    ]);
  });

  test("bot logins can never approve", () => {
    expectProblems(persona('    users: [octocat, "dependabot[bot]", "renovate[bot]"]').problems, [
      [4, 22, "personas.p.users", '"dependabot[bot]" is a bot: bots can never approve'],
      [4, 41, "personas.p.users", '"renovate[bot]" is a bot'],
    ]);
  });

  test("invalid logins", () => {
    const long = "a".repeat(40);
    expectProblems(persona(`    users: [bad_login, -dash, dash-, two--dashes, "a b", ${long}]`).problems, [
      [4, 13, "personas.p.users", '"bad_login" is not a GitHub login'],
      [4, 24, "personas.p.users", '"-dash" is not a GitHub login'],
      [4, 31, "personas.p.users", '"dash-" is not a GitHub login'],
      [4, 38, "personas.p.users", '"two--dashes" is not a GitHub login'],
      [4, 51, "personas.p.users", '"a b" is not a GitHub login'],
      [4, 58, "personas.p.users", `"${long}" is not a GitHub login`],
    ]);
  });

  test("valid logins and team slugs", () => {
    const r = persona(
      `    users: [octocat, Octo-Cat2, a, ${"b".repeat(39)}]`,
      "    teams: [security, my-org/app_sec.team, My-Org/Security]",
    );
    expect(r.problems).toEqual([]);
    expect(r.table!.personas[0]).toMatchObject({
      users: ["octocat", "Octo-Cat2", "a", "b".repeat(39)],
      teams: ["security", "my-org/app_sec.team", "My-Org/Security"],
    });
  });

  test("invalid team slugs", () => {
    expectProblems(persona("    teams: [a/b/c, -org/x, /x, x/]").problems, [
      [
        4,
        13,
        "personas.p.teams",
        '"a/b/c" is not a team slug: use "slug" for a team of this repository\'s organization or "org/slug"',
      ],
      [4, 20, "personas.p.teams", '"-org/x" is not a team slug'],
      [4, 28, "personas.p.teams", '"/x" is not a team slug'],
      [4, 32, "personas.p.teams", '"x/" is not a team slug'],
    ]);
  });

  test("logins are case-insensitive: a login in two spellings is one user", () => {
    // It used to count as two users, so `approvals: 2` passed with one person.
    const r = persona("    users: [alice, Alice]", "    approvals: 2");
    expectProblems(r.problems, [
      [4, 20, "personas.p.users", 'user "Alice" is listed twice'],
      [
        5,
        16,
        "personas.p.approvals",
        'needs 2 approvals but only 1 user can give one: lower "approvals" or add reviewers',
      ],
    ]);
  });
});

describe("approvals", () => {
  const persona = (...lines: string[]) =>
    parse(doc("version: 1", "personas:", "  p:", ...lines, "domains:", "  d: {paths: [x/], require: [p]}"));

  test("more approvals than users, with no teams", () => {
    expectProblems(persona("    users: [alice, bob]", "    approvals: 3").problems, [
      [
        5,
        16,
        "personas.p.approvals",
        'needs 3 approvals but only 2 users can give one: lower "approvals" or add reviewers',
      ],
    ]);
  });

  test("as many approvals as users; or teams, whose size is unknown", () => {
    expect(persona("    users: [alice, bob]", "    approvals: 2").table!.personas[0]!.approvals).toBe(2);
    expect(persona("    teams: [security]", "    users: [alice]", "    approvals: 5").problems).toEqual([]);
    expect(persona("    teams: security", "    approvals: 100").problems).toEqual([]);
  });

  test("over 100", () => {
    expectProblems(persona("    teams: [security]", "    approvals: 101").problems, [
      [5, 16, "personas.p.approvals", "expected a whole number from 1 to 100, found number 101"],
    ]);
  });
});

describe("the gate's name", () => {
  test.each([
    ["review/all", 'gate name "review/all" collides with the persona checks ("review/<persona>"): choose another'],
    ["review/security", "collides with the persona checks"],
    ['""', "expected a non-empty string"],
    ['"   "', "expected a non-empty string"],
    ["x".repeat(101), "gate name is longer than 100 characters"],
    ["[gate]", "expected a non-empty string, found a list"],
  ])("%s is rejected", (gate, fragment) => {
    expectProblems(parse(add("settings:", `  gate: ${gate}`)).problems, [[14, 9, "settings.gate", fragment]]);
  });

  test.each(["review", "reviews/all", "Review Gate", "x".repeat(100)])("%s is fine", (gate) => {
    expect(parse(add("settings:", `  gate: ${gate}`)).table!.settings.gate).toBe(gate);
  });
});

describe("_extends layering", () => {
  const org = { file: "my-org/review-policy:.github/reviewers.yml", text: fixture("org.yml") };
  const repo = { file: ".github/reviewers.yml", text: fixture("repo.yml") };

  test("the repository layer alone, without its base, still names what to fetch", () => {
    const r = parseTable(repo);
    expect(r.extends).toBe("my-org/review-policy");
    // Its domains require personas only the base defines.
    expect(errors(r).map((p) => p.message)).toEqual(
      expect.arrayContaining([
        'unknown persona "backend": define it under "personas" (known: security, payments-team)',
      ]),
    );
  });

  test("personas and domains are replaced as a whole, new ones appended; settings merge key by key", () => {
    const r = parseTable(org, repo);
    expect(r.problems).toEqual([]);
    const t = r.table!;
    expect(t.file).toBe(".github/reviewers.yml");
    // security keeps its place but is entirely the repository's: no name, approvals or criteria from the org.
    expect(t.personas).toEqual([
      { id: "security", name: "security", teams: [], users: ["alice"], approvals: 1, criteria: [] },
      { id: "legal", name: "Legal", teams: ["legal"], users: [], approvals: 1, criteria: [] },
      { id: "backend", name: "Backend Engineer", teams: ["backend"], users: [], approvals: 1, criteria: [] },
      { id: "payments-team", name: "Payments", teams: ["payments"], users: [], approvals: 1, criteria: [] },
    ]);
    expect(t.domains).toEqual([
      {
        id: "secrets",
        paths: ["vault/"],
        ignore: [],
        require: [
          { persona: "backend", criteria: [] },
          { persona: "security", criteria: [] },
        ],
      },
      {
        id: "contracts",
        paths: ["contracts/"],
        ignore: [],
        require: [{ persona: "legal", criteria: ["License compatible"] }],
      },
      {
        id: "payments",
        paths: ["src/payments/"],
        ignore: [],
        require: [
          { persona: "payments-team", criteria: ["Refund logic correct"] },
          { persona: "legal", criteria: [] },
        ],
      },
    ]);
    expect(t.settings).toEqual({
      ...DEFAULT_SETTINGS,
      gate: "org-gate",
      drafts: "wait",
      request_reviews: false,
      unmatched: ["backend"],
      config_owners: ["security"],
    });
  });

  test("extends comes from the last layer", () => {
    expect(parseTable(org, repo).extends).toBe("my-org/review-policy");
    expect(
      parseTable(
        { file: "base.yml", text: "_extends: other/base\n" + fixture("org.yml") },
        { file: "r.yml", text: "_extends: my-org/review-policy\n" },
      ).extends,
    ).toBe("my-org/review-policy");
    expect(
      parseTable(
        { file: "base.yml", text: "_extends: other/base\n" + fixture("org.yml") },
        { file: "r.yml", text: EXAMPLE },
      ).extends,
    ).toBeUndefined();
  });

  test("problems name each layer's own file, at positions in that file", () => {
    const base = {
      file: "my-org/review-policy:.github/reviewers.yml",
      text: doc(
        "version: 1",
        "personas:",
        "  security:",
        "    teams: [security]",
        "    aprovals: 2",
        "domains:",
        "  d: {paths: [x/], require: [security]}",
      ),
    };
    const mine = {
      file: ".github/reviewers.yml",
      text: doc(
        "_extends: my-org/review-policy",
        "domains:",
        "  e:",
        "    paths: [y/]",
        "    require: [securty]",
        "settings:",
        "  drafts: never",
      ),
    };
    const r = parseTable(base, mine);
    expect(r.table).toBeUndefined();
    expect(r.problems.map(formatProblem).sort()).toEqual(
      [
        'my-org/review-policy:.github/reviewers.yml:5:5 personas.security.aprovals: unknown key "aprovals" (did you mean "approvals"?)',
        '.github/reviewers.yml:5:15 domains.e.require: unknown persona "securty" (did you mean "security"?)',
        '.github/reviewers.yml:7:11 settings.drafts: "never" is not allowed here: use "wait", "review"',
      ].sort(),
    );
  });

  test("a layer with _extends may leave out version, personas and domains, but not get version wrong", () => {
    const base = { file: "base.yml", text: EXAMPLE };
    expect(
      parseTable(base, { file: "r.yml", text: "_extends: x/y\nsettings:\n  drafts: review\n" }).table!.settings.drafts,
    ).toBe("review");
    expectProblems(parseTable(base, { file: "r.yml", text: "_extends: x/y\nversion: 2\n" }).problems, [
      [2, 10, "version", "unsupported version 2"],
    ]);
    expectProblems(parseTable(base, { file: "r.yml", text: "_extends: x/y\npersonas: {}\n" }).problems, [
      [2, 1, "personas", '"personas" is empty'],
    ]);
  });

  test("a persona a later layer drops from every domain is a warning in the file that defines it", () => {
    const base = {
      file: "base.yml",
      text: doc(
        "version: 1",
        "personas:",
        "  a: {teams: [t]}",
        "  b: {teams: [u]}",
        "domains:",
        "  d: {paths: [x/], require: [a, b]}",
      ),
    };
    const r = parseTable(base, {
      file: "r.yml",
      text: doc("_extends: x/y", "domains:", "  d: {paths: [x/], require: [a]}"),
    });
    expect(r.table).toBeDefined();
    expectProblems(r.problems, [[4, 3, "personas.b", 'persona "b" is not required by any domain']]);
    expect(r.problems[0]!.file).toBe("base.yml");
  });

  test("needs at least one layer", () => {
    expect(() => parseTable()).toThrow("parseTable needs at least one source");
  });
});
