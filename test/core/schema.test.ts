import { describe, expect, test } from "@jest/globals";
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { formatProblem, parseTable } from "../../src/core/config.js";
import { DEFAULT_SETTINGS } from "../../src/core/types.js";

/**
 * schema/reviewers.schema.json is what editors use to help while writing reviewers.yml. It must accept
 * every table the app accepts (else editors flag correct files) and reject the structurally broken
 * ones the app rejects. Checks that need the whole table (a required persona exists, approvals vs
 * users) are the app's alone.
 */

const root = new URL("../../", import.meta.url);
const schema = JSON.parse(readFileSync(new URL("schema/reviewers.schema.json", root), "utf8")) as Record<
  string,
  unknown
>;
const exampleText = readFileSync(new URL("reviewers.yml", root), "utf8");

// strictRequired is off: `if: {not: {required: ["_extends"]}}` names a property of the parent, which that check cannot see.
const ajv = new Ajv({ strict: true, strictRequired: false, allErrors: true });
const validate = ajv.compile(schema);

function schemaAccepts(text: string): boolean {
  return validate(parse(text)) === true;
}

function appErrors(text: string): string[] {
  return parseTable({ file: "reviewers.yml", text })
    .problems.filter((p) => p.severity === "error")
    .map(formatProblem);
}

const HEAD = "version: 1\npersonas:\n  sec:\n    teams: [security]\n";
const DOMAIN = "domains:\n  d:\n    paths: [src/]\n    require: [sec]\n";

describe("the schema", () => {
  test("is a valid draft-07 schema that ajv compiles in strict mode", () => {
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(typeof validate).toBe("function");
  });

  test("the example reviewers.yml validates against it", () => {
    expect(schemaAccepts(exampleText)).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
  });

  test("the example reviewers.yml parses with parseTable with no problems at all", () => {
    const result = parseTable({ file: "reviewers.yml", text: exampleText });
    expect(result.problems.map(formatProblem)).toEqual([]);
    expect(result.table?.personas.map((p) => p.id)).toEqual([
      "infra",
      "security",
      "backend",
      "finance",
      "devex",
      "frontend",
      "marketing",
      "design",
    ]);
    expect(result.table?.domains.map((d) => d.id)).toEqual([
      "iam",
      "pii-migrations",
      "auth",
      "payments",
      "ci-cd",
      "landing",
    ]);
  });

  test("the example names the schema for editors on its first line", () => {
    expect(exampleText.split("\n")[0]).toBe("# yaml-language-server: $schema=./schema/reviewers.schema.json");
  });

  test("the complete example of docs/configuration.md validates against it and parses with no problems", () => {
    const doc = readFileSync(new URL("docs/configuration.md", root), "utf8");
    const example = /## A complete example\n+```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(example).toBeDefined();
    expect(schemaAccepts(example!)).toBe(true);
    expect(parseTable({ file: ".github/reviewers.yml", text: example! }).problems.map(formatProblem)).toEqual([]);
  });

  test("documents every setting with the app's default", () => {
    const definitions = schema.definitions as {
      settings: { properties: Record<string, { default?: unknown; description?: string }> };
    };
    const settings = definitions.settings.properties;
    expect(Object.keys(settings).sort()).toEqual(Object.keys(DEFAULT_SETTINGS).sort());
    for (const [key, value] of Object.entries(DEFAULT_SETTINGS)) {
      expect([key, settings[key]!.default]).toEqual([key, value]);
      expect(settings[key]!.description).toBeTruthy();
    }
  });
});

describe("tables both the schema and the app accept", () => {
  test.each<[string, string]>([
    ["the smallest table", HEAD + DOMAIN],
    ["only _extends", "_extends: my-org/review-policy:tables/base.yml\n"],
    ["_extends overriding one setting", "_extends: review-policy\nsettings:\n  on_push: dismiss\n"],
    [
      "single strings for lists",
      "version: 1\npersonas:\n  sec:\n    users: alice\n    criteria: Looks safe\ndomains:\n  d:\n    paths: src/\n    ignore: '**/*.md'\n    require: sec\nsettings:\n  unmatched: sec\n  config_owners: sec\n",
    ],
    [
      "require as a mapping, criteria null, one or many",
      HEAD +
        "  be:\n    users: [alice, bob]\n    approvals: 2\ndomains:\n  d:\n    paths: ['*.tf']\n    require:\n      sec:\n      be: Reviewed\n  e:\n    paths: [x/]\n    require: {sec: [A, B]}\n",
    ],
    [
      "null teams beside users, null ignore and criteria",
      "version: 1\npersonas:\n  sec:\n    teams:\n    users: [alice]\n    criteria:\ndomains:\n  d:\n    paths: [a]\n    ignore:\n    require: [sec]\n",
    ],
    [
      "org/slug teams and dashed logins",
      "version: 1\npersonas:\n  sec:\n    teams: [my-org/sec.team_1]\n    users: [a-b-c]\ndomains:\n  d:\n    paths: [a]\n    require: [sec]\n",
    ],
    [
      "require_criteria on a persona and in settings",
      HEAD +
        "    criteria: [Checked]\n    require_criteria: true\n" +
        DOMAIN +
        "settings:\n  require_criteria: false\n",
    ],
    ["null settings", HEAD + DOMAIN + "settings:\n"],
    [
      "every setting",
      HEAD +
        DOMAIN +
        "settings:\n  gate: merge gate\n  on_push: keep\n  request_reviews: false\n  drafts: review\n  self_approval: true\n  distinct_reviewers: true\n  unmatched: [sec]\n  config_owners: []\n",
    ],
    [
      "patterns with spaces, braces and classes",
      HEAD + "domains:\n  d:\n    paths: ['my docs/', 'src/{a,b}/[!x]*.ts', '/.github/']\n    require: [sec]\n",
    ],
    [
      "personas in order (after:), a list or a single id",
      HEAD +
        "  fin:\n    users: [fiona]\n    after: [sec]\n  rel:\n    users: [rita]\n    after: fin\ndomains:\n  d:\n    paths: [a]\n    require: [sec, fin, rel]\n",
    ],
    [
      "approvals 100 with a team",
      "version: 1\npersonas:\n  sec:\n    teams: t\n    approvals: 100\ndomains:\n  d:\n    paths: a\n    require: sec\n",
    ],
  ])("%s", (_what, text) => {
    expect(appErrors(text)).toEqual([]);
    expect(schemaAccepts(text)).toBe(true);
  });
});

describe("broken tables both the schema and the app reject", () => {
  test.each<[string, string]>([
    ["version 2", HEAD.replace("version: 1", "version: 2") + DOMAIN],
    ['version "1" (a string)', HEAD.replace("version: 1", 'version: "1"') + DOMAIN],
    ["no version", HEAD.replace("version: 1\n", "") + DOMAIN],
    ["no domains", HEAD],
    ["empty personas", "version: 1\npersonas:\n" + DOMAIN],
    ["personas an empty mapping", "version: 1\npersonas: {}\n" + DOMAIN],
    ["domains an empty mapping", HEAD + "domains: {}\n"],
    ["empty domains beside _extends", "_extends: review-policy\ndomains: {}\n"],
    ["unknown top-level key", HEAD + DOMAIN + "setting:\n  gate: x\n"],
    ["blank _extends", '_extends: " "\n'],
    ["upper-case persona id", HEAD.replace("sec:", "Sec:") + DOMAIN.replace("[sec]", "[Sec]")],
    ["unknown persona key", HEAD + "    team: [x]\n" + DOMAIN],
    ["persona without teams or users", "version: 1\npersonas:\n  sec:\n    name: S\n" + DOMAIN],
    ["persona with empty teams and users", "version: 1\npersonas:\n  sec:\n    teams: []\n    users:\n" + DOMAIN],
    ["blank persona name", HEAD + "    name: ' '\n" + DOMAIN],
    ["approvals 0", HEAD + "    approvals: 0\n" + DOMAIN],
    ["approvals 101", HEAD + "    approvals: 101\n" + DOMAIN],
    ["approvals 1.5", HEAD + "    approvals: 1.5\n" + DOMAIN],
    ["team with @", HEAD.replace("[security]", "['@security']") + DOMAIN],
    ["bot user", HEAD + "    users: ['dependabot[bot]']\n" + DOMAIN],
    ["login too long", HEAD + `    users: [${"a".repeat(40)}]\n` + DOMAIN],
    ["criteria a mapping", HEAD + "    criteria: {a: b}\n" + DOMAIN],
    ["require_criteria a string", HEAD + "    require_criteria: 'yes'\n" + DOMAIN],
    ["domain without paths", HEAD + "domains:\n  d:\n    require: [sec]\n"],
    ["domain without require", HEAD + "domains:\n  d:\n    paths: [a]\n"],
    ["empty paths", HEAD + "domains:\n  d:\n    paths: []\n    require: [sec]\n"],
    ["null paths", HEAD + "domains:\n  d:\n    paths:\n    require: [sec]\n"],
    ["negated path", HEAD + "domains:\n  d:\n    paths: ['!docs/']\n    require: [sec]\n"],
    ["backslash in a path", HEAD + "domains:\n  d:\n    paths: ['src\\a.ts']\n    require: [sec]\n"],
    ["empty segment", HEAD + "domains:\n  d:\n    paths: [src//a]\n    require: [sec]\n"],
    [".. segment", HEAD + "domains:\n  d:\n    paths: [../a]\n    require: [sec]\n"],
    ["trailing space", HEAD + "domains:\n  d:\n    paths: ['src/ ']\n    require: [sec]\n"],
    ["/ alone", HEAD + "domains:\n  d:\n    paths: [/]\n    require: [sec]\n"],
    ["over-long pattern", HEAD + `domains:\n  d:\n    paths: [${"a".repeat(1025)}]\n    require: [sec]\n`],
    ["negated ignore", HEAD + "domains:\n  d:\n    paths: [a]\n    ignore: ['!b']\n    require: [sec]\n"],
    ["unknown domain key", HEAD + "domains:\n  d:\n    path: [a]\n    paths: [a]\n    require: [sec]\n"],
    ["empty require list", HEAD + "domains:\n  d:\n    paths: [a]\n    require: []\n"],
    ["empty require mapping", HEAD + "domains:\n  d:\n    paths: [a]\n    require: {}\n"],
    ["null require", HEAD + "domains:\n  d:\n    paths: [a]\n    require:\n"],
    ["null description", HEAD + "domains:\n  d:\n    description:\n    paths: [a]\n    require: [sec]\n"],
    ["invalid domain id", HEAD + "domains:\n  my_domain:\n    paths: [a]\n    require: [sec]\n"],
    ["unknown setting", HEAD + DOMAIN + "settings:\n  onpush: keep\n"],
    ["on_push not in the enum", HEAD + DOMAIN + "settings:\n  on_push: always\n"],
    ["drafts a boolean", HEAD + DOMAIN + "settings:\n  drafts: true\n"],
    ['request_reviews "yes"', HEAD + DOMAIN + "settings:\n  request_reviews: 'yes'\n"],
    ["gate named like a persona check", HEAD + DOMAIN + "settings:\n  gate: review/all\n"],
    ["gate over 100 characters", HEAD + DOMAIN + `settings:\n  gate: ${"g".repeat(101)}\n`],
    ["blank gate", HEAD + DOMAIN + "settings:\n  gate: ''\n"],
    ["settings a list", HEAD + DOMAIN + "settings: [gate]\n"],
    ["config_owners not an id", HEAD + DOMAIN + "settings:\n  config_owners: [Security Team]\n"],
  ])("%s", (_what, text) => {
    expect(appErrors(text)).not.toEqual([]);
    expect(schemaAccepts(text)).toBe(false);
  });
});

describe("what only the app can check", () => {
  // A schema sees one value at a time; these need the whole table. They are listed in docs/configuration.md.
  test.each<[string, string, RegExp]>([
    [
      "a required persona that is not defined",
      HEAD + "domains:\n  d:\n    paths: [a]\n    require: [secu]\n",
      /unknown persona "secu" \(did you mean "sec"\?\)/,
    ],
    [
      "more approvals than users with no team",
      "version: 1\npersonas:\n  sec:\n    users: [alice]\n    approvals: 2\n" + DOMAIN,
      /needs 2 approvals but only 1 user/,
    ],
    [
      "personas that come after each other (a cycle)",
      HEAD +
        "    after: [fin]\n  fin:\n    users: [fiona]\n    after: [sec]\ndomains:\n  d:\n    paths: [a]\n    require: [sec, fin]\n",
      /dependency cycle: (sec → fin → sec|fin → sec → fin)/,
    ],
    [
      "an unclosed brace in a pattern",
      HEAD + "domains:\n  d:\n    paths: ['src/{a,b']\n    require: [sec]\n",
      /unclosed "\{"/,
    ],
  ])("%s", (_what, text, message) => {
    expect(schemaAccepts(text)).toBe(true);
    expect(appErrors(text).join("\n")).toMatch(message);
  });
});
