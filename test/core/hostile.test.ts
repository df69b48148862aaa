import { describe, expect, test } from "@jest/globals";
import { parseTable, type ParseResult } from "../../src/core/config.js";
import { LIMITS } from "../../src/core/yaml-source.js";
import { cpuTimed } from "../helpers/cpu-time.js";

/**
 * Hostile input must never hang, throw or exhaust memory: it gets a clear error. The time limits below
 * are generous guards against hanging (the old behaviour of several of these took seconds to minutes),
 * not benchmarks, and count this process's CPU time, not the wall clock (test/helpers/cpu-time.ts). The
 * slowest case takes about 0.4 s alone and once took 2.3 s in a full `npm test` on a slow hour of a shared
 * machine (the process's CPU counts its collector's threads too): 5 s still fails the minutes it guards against.
 */
const GUARD_MS = 5000;

function parseQuickly(text: string): ParseResult {
  const { result, ms } = cpuTimed(() => parseTable({ file: "reviewers.yml", text }));
  expect(ms).toBeLessThan(GUARD_MS);
  expect(result.table).toBeUndefined();
  expect(result.problems.length).toBeGreaterThan(0);
  expect(
    result.problems.every((p) => p.file === "reviewers.yml" && p.line >= 1 && p.column >= 1 && p.message.length > 0),
  ).toBe(true);
  return result;
}

const errorsOf = (r: ParseResult) => r.problems.filter((p) => p.severity === "error");
/** The one problem of a file rejected before parsing. */
function rejected(r: ParseResult): { line: number; column: number; message: string } {
  expect(r.problems).toHaveLength(1);
  const [p] = r.problems;
  expect(p!.path).toBe("");
  return { line: p!.line, column: p!.column, message: p!.message };
}

const VALID_TAIL = "domains:\n  d: {paths: [x/], require: [a]}\n";
const VALID = "version: 1\npersonas:\n  a: {teams: [t]}\n" + VALID_TAIL;

test("the valid table these cases start from is valid", () => {
  expect(parseTable({ file: "reviewers.yml", text: VALID }).problems).toEqual([]);
});

describe("size", () => {
  test("a document over 1 MiB is rejected before parsing", () => {
    const text = VALID + ("# " + "x".repeat(98) + "\n").repeat(10_486);
    expect(Buffer.byteLength(text)).toBeGreaterThan(LIMITS.bytes);
    expect(rejected(parseQuickly(text))).toEqual({
      line: 1,
      column: 1,
      message: "file is larger than 1024 KiB: a review table is far smaller; check that this is the right file",
    });
  });

  test("the limit counts UTF-8 bytes, not characters", () => {
    const text = VALID + "# " + "é".repeat(600_000) + "\n";
    expect(text.length).toBeLessThan(LIMITS.bytes);
    expect(rejected(parseQuickly(text)).message).toContain("larger than 1024 KiB");
  });

  test("a table just under the limit is read", () => {
    const text = VALID + ("#" + "x".repeat(99) + "\n").repeat(10_000);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(LIMITS.bytes);
    const { result: r, ms } = cpuTimed(() => parseTable({ file: "reviewers.yml", text }));
    expect(ms).toBeLessThan(GUARD_MS);
    expect(r.problems).toEqual([]);
    expect(r.table).toBeDefined();
  });
});

describe("aliases", () => {
  /** The classic "billion laughs": each anchor a list of ten aliases of the previous one. */
  function laughs(levels: number): string {
    const lines = [
      "version: 1",
      "personas:",
      "  a:",
      "    teams: [t]",
      "    criteria:",
      "      - &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]",
    ];
    for (let i = 1; i < levels; i++)
      lines.push(`      - &l${i} [${Array.from({ length: 10 }, () => `*l${i - 1}`).join(", ")}]`);
    lines.push("domains:", "  d:", "    paths: [x/]", "    require:", `      a: *l${levels - 1}`);
    return lines.join("\n") + "\n";
  }

  test("a billion laughs in criteria lists is a type error, found without expanding anything", () => {
    const r = parseQuickly(laughs(10));
    const errors = errorsOf(r);
    // Ten nested lists where strings belong, and ten aliases to lists in the domain's criteria: nothing more.
    expect(errors.length).toBeLessThanOrEqual(20);
    expect(errors.every((p) => p.message === "expected a non-empty string, found a list")).toBe(true);
    expect(errors.filter((p) => p.path.startsWith("personas.a.criteria["))).toHaveLength(10);
    // The domain's criteria are written as one alias, on line 20: that is where they are pointed at.
    expect(errors.filter((p) => p.path.startsWith("domains.d.require.a[")).map((p) => [p.line, p.column])).toEqual(
      Array.from({ length: 10 }, () => [20, 10]),
    );
  });

  test("the same bomb at the top of the file, under a key the format does not have", () => {
    const text = ["version: 1", "lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    for (let i = 1; i < 12; i++)
      text.push(`lol${i}: &l${i} [${Array.from({ length: 10 }, () => `*l${i - 1}`).join(", ")}]`);
    text.push("personas:", "  a:", "    teams: [t]", "    criteria: *l11", VALID_TAIL);
    const r = parseQuickly(text.join("\n"));
    expect(errorsOf(r).filter((p) => p.message.startsWith('unknown key "lol'))).toHaveLength(12);
    expect(errorsOf(r).filter((p) => p.path.startsWith("personas.a.criteria["))).toHaveLength(10);
  });

  test("more alias expansions than the budget: one error about aliases", () => {
    const items = Array.from({ length: LIMITS.aliases + 500 }, () => "      - *s").join("\n");
    const r = parseQuickly(
      ["version: 1", "personas:", "  a:", "    teams: [t]", "    criteria:", "      - &s lol", items, VALID_TAIL].join(
        "\n",
      ),
    );
    const aliasErrors = r.problems.filter((p) => p.message.includes("alias"));
    expect(aliasErrors).toHaveLength(1);
    expect(aliasErrors[0]).toMatchObject({
      severity: "error",
      path: `personas.a.criteria[${LIMITS.aliases + 1}]`,
      message: `more than ${LIMITS.aliases} alias expansions: write the values out instead of using anchors (*alias)`,
    });
  });

  test("a few aliases are fine", () => {
    const r = parseTable({
      file: "reviewers.yml",
      text: [
        "version: 1",
        "personas:",
        "  a:",
        "    teams: &teams [t]",
        "    criteria: &common [One, Two]",
        "  b:",
        "    teams: *teams",
        "    criteria: *common",
        "domains:",
        "  d: {paths: [x/], require: [a, b]}",
      ].join("\n"),
    });
    expect(r.problems).toEqual([]);
    expect(r.table!.personas.map((p) => [p.teams, p.criteria])).toEqual([
      [["t"], ["One", "Two"]],
      [["t"], ["One", "Two"]],
    ]);
  });
});

describe("deep nesting", () => {
  test("100,000-deep flow nesting on one line: the line is too long", () => {
    const text = "version: 1\nx: " + "[".repeat(100_000) + "]".repeat(100_000) + "\n";
    expect(rejected(parseQuickly(text))).toEqual({
      line: 2,
      column: LIMITS.lineLength + 1,
      message: `line is longer than ${LIMITS.lineLength} characters: break it up`,
    });
  });

  test("100,000-deep flow nesting over many short lines: rejected at the first bracket too deep", () => {
    const text =
      "version: 1\nx:\n" +
      Array.from({ length: 1000 }, () => "  " + "[".repeat(100)).join("\n") +
      "\n" +
      Array.from({ length: 1000 }, () => "  " + "]".repeat(100)).join("\n") +
      "\n";
    expect(rejected(parseQuickly(text))).toEqual({
      line: 3,
      column: 2 + LIMITS.flowDepth + 1,
      message: `collections nest deeper than ${LIMITS.flowDepth} levels: flatten the structure`,
    });
  });

  test("brackets after an apostrophe are still counted", () => {
    // The old character scan took the ' of "don't" for the start of a quoted string and skipped every bracket after it.
    const text =
      "version: 1\nnote: don't\nx:\n" + Array.from({ length: 100 }, () => "  " + "[".repeat(1000)).join("\n") + "\n";
    expect(rejected(parseQuickly(text))).toMatchObject({ line: 4, column: 2 + LIMITS.flowDepth + 1 });
  });

  test("brackets inside quoted strings and comments are not nesting", () => {
    const deepText = "[".repeat(200);
    const r = parseTable({
      file: "reviewers.yml",
      text: `version: 1\npersonas:\n  a:\n    teams: [t]\n    criteria: ["${deepText}", '${deepText}'] # ${deepText}\n${VALID_TAIL}`,
    });
    expect(r.problems).toEqual([]);
    expect(r.table!.personas[0]!.criteria).toEqual([deepText, deepText]);
  });

  test("4,990-deep compact block sequences (`- - - …`) are rejected, not a stack overflow", () => {
    // This used to throw RangeError: Maximum call stack size exceeded out of parseTable.
    const text =
      "version: 1\npersonas:\n  a:\n    teams: [t]\n    criteria:\n      " + "- ".repeat(4990) + "x\n" + VALID_TAIL;
    const r = rejected(parseQuickly(text));
    expect(r).toMatchObject({
      line: 6,
      message: `collections nest deeper than ${LIMITS.depth} levels: flatten the structure`,
    });
    // At a "- " of the line, no later than the one that opens level 65.
    expect(r.column % 2).toBe(1);
    expect(r.column).toBeLessThanOrEqual(7 + 2 * LIMITS.depth);
  });

  test("explicit keys nested thousands deep (`? ? ? …`)", () => {
    expect(rejected(parseQuickly("version: 1\n" + "? ".repeat(4990) + "x\n")).message).toContain("nest deeper than");
  });

  test("compact nesting with anchors and tags in between", () => {
    expect(rejected(parseQuickly("version: 1\nx:\n" + "- &a !!seq ".repeat(900) + "x\n")).message).toContain(
      "nest deeper than",
    );
  });

  test("a staircase of ever deeper indentation", () => {
    const text =
      "version: 1\nx:\n" + Array.from({ length: 1300 }, (_, i) => " ".repeat(2 + i) + "k:").join("\n") + " v\n";
    expect(rejected(parseQuickly(text))).toMatchObject({
      line: 2 + LIMITS.depth,
      message: expect.stringContaining("nest deeper than"),
    });
  });

  test("sequences as mapping values, which share their key's indentation", () => {
    const text =
      "version: 1\nx:\n" + Array.from({ length: 400 }, (_, i) => " ".repeat(2 + 2 * i) + "- k:").join("\n") + " v\n";
    expect(rejected(parseQuickly(text)).message).toContain("nest deeper than");
  });

  test("nesting just inside the limits is read (and then reported as a wrong type)", () => {
    const flow = "[".repeat(LIMITS.flowDepth - 1) + "]".repeat(LIMITS.flowDepth - 1);
    const r = parseQuickly(`version: 1\npersonas:\n  a:\n    teams: [t]\n    criteria: [${flow}]\n${VALID_TAIL}`);
    expect(r.problems.map((p) => [p.line, p.path, p.message])).toEqual([
      [5, "personas.a.criteria[0]", "expected a non-empty string, found a list"],
    ]);
    const block = Array.from({ length: 40 }, (_, i) => " ".repeat(6 + 2 * i) + "-").join("\n") + " x";
    const r2 = parseQuickly(`version: 1\npersonas:\n  a:\n    teams: [t]\n    criteria:\n${block}\n${VALID_TAIL}`);
    expect(r2.problems.map((p) => p.message)).toEqual(["expected a non-empty string, found a list"]);
  });
});

describe("long lines", () => {
  test("a 20,000-character line", () => {
    const text = VALID + "# " + "x".repeat(20_000) + "\n";
    expect(rejected(parseQuickly(text))).toEqual({
      line: 6,
      column: LIMITS.lineLength + 1,
      message: `line is longer than ${LIMITS.lineLength} characters: break it up`,
    });
  });

  test("a 20,000-character criterion, the last line of the file", () => {
    const text =
      "version: 1\npersonas:\n  a:\n    teams: [t]\n" + VALID_TAIL + "    criteria: [" + "y".repeat(20_000) + "]";
    expect(rejected(parseQuickly(text))).toMatchObject({ line: 7, column: LIMITS.lineLength + 1 });
  });

  test("a line of exactly the limit is fine", () => {
    const text = VALID + "#" + "x".repeat(LIMITS.lineLength - 1) + "\n";
    expect(parseTable({ file: "reviewers.yml", text }).problems).toEqual([]);
  });
});

describe("binary garbage", () => {
  test("a NUL byte, pointed at", () => {
    // It used to be accepted inside a string: a criterion "ab\0cd" passed validation.
    const text = "version: 1\npersonas:\n  a:\n    teams: [t]\n    criteria: [ab\0cd]\n" + VALID_TAIL;
    expect(rejected(parseQuickly(text))).toEqual({
      line: 5,
      column: 18,
      message: "control character U+0000: a review table is plain text; check that this is the right file",
    });
  });

  test.each([
    ["DEL", "\x7f"],
    ["escape", "\x1b[31m"],
    ["form feed", "\f"],
  ])("other control characters: %s", (_name, chars) => {
    expect(rejected(parseQuickly(VALID + `# ${chars}\n`))).toMatchObject({
      line: 6,
      column: 3,
      message: expect.stringContaining("control character"),
    });
  });

  test("tabs and CRLF line ends are text", () => {
    const r = parseTable({
      file: "reviewers.yml",
      text: VALID.replace(/\n/g, "\r\n").replace("{teams: [t]}", "{teams: [t]}\t# tab"),
    });
    expect(r.problems).toEqual([]);
  });

  test("random bytes", () => {
    let seed = 42;
    const bytes = Buffer.from(
      Array.from({ length: 64 * 1024 }, () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 16) & 0xff),
    );
    for (const encoding of ["latin1", "utf8"] as const) {
      const r = parseQuickly(bytes.toString(encoding));
      expect(errorsOf(r).length).toBeGreaterThan(0);
    }
  });

  test("a PNG", () => {
    const png = Buffer.from(
      "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082",
      "hex",
    );
    expect(rejected(parseQuickly(png.toString("latin1"))).message).toContain("control character");
  });

  test("invalid UTF-8 decoded with replacement characters is no table either", () => {
    const r = parseQuickly(Buffer.from([0xff, 0xfe, 0xfd, 0x80, 0x81, 0x3a, 0x20, 0xc3]).toString("utf8"));
    expect(errorsOf(r).length).toBeGreaterThan(0);
  });
});

describe("many keys", () => {
  test("20,000 repeats of one key: each reported with its path, quickly", () => {
    const text = "version: 1\nx:\n" + Array.from({ length: 20_000 }, () => "  k: 1").join("\n") + "\n";
    const r = parseQuickly(text);
    const dups = r.problems.filter((p) => p.message.startsWith("duplicate key"));
    expect(dups).toHaveLength(19_999);
    expect(dups[0]).toEqual({
      severity: "error",
      file: "reviewers.yml",
      line: 4,
      column: 3,
      path: "x.k",
      message: 'duplicate key "k" (first at line 3): remove or merge the repeated key',
    });
    expect(dups[19_998]!.line).toBe(20_002);
  });

  test("repeated personas: reported with the key path, and the rest of the file still checked", () => {
    const text =
      "version: 1\npersonas:\n" +
      Array.from({ length: 2000 }, () => "  a: {teams: [t]}").join("\n") +
      "\ndomains:\n  d: {paths: [x/], require: [b]}\n";
    const r = parseQuickly(text);
    expect(
      r.problems.filter((p) => p.path === "personas.a" && p.message.startsWith('duplicate key "a" (first at line 3)')),
    ).toHaveLength(1999);
    // The duplicates used to be YAML errors that stopped validation: this one went unreported.
    expect(r.problems.filter((p) => p.path === "domains.d.require").map((p) => p.message)).toEqual([
      'unknown persona "b" (did you mean "a"?)',
    ]);
  });

  test("20,000 distinct keys in one mapping, then a repeat", () => {
    // The yaml package compares each key with every earlier one (quadratic): this took seconds.
    const keys = Array.from({ length: 20_000 }, (_, i) => `  k${i}: 1`);
    const text = "version: 1\nx:\n" + keys.join("\n") + "\n  k7: 2\n";
    const r = parseQuickly(text);
    expect(r.problems.filter((p) => p.message.startsWith("duplicate key"))).toEqual([
      {
        severity: "error",
        file: "reviewers.yml",
        line: 20_003,
        column: 3,
        path: "x.k7",
        message: 'duplicate key "k7" (first at line 10): remove or merge the repeated key',
      },
    ]);
  });

  test("5,000 broken domains", () => {
    // Each domain searched every problem reported so far (quadratic): this took seconds.
    const text =
      "version: 1\npersonas:\n  a: {teams: [t]}\ndomains:\n" +
      Array.from({ length: 5000 }, (_, i) => `  d${i}: {paths: [], require: [nobody]}`).join("\n") +
      "\n";
    const r = parseQuickly(text);
    expect(r.problems.filter((p) => p.message.includes('has an empty "paths" list'))).toHaveLength(5000);
    expect(r.problems.filter((p) => p.message.startsWith('unknown persona "nobody"'))).toHaveLength(5000);
  });

  test("3,000 personas and 3,000 references to unknown ones", () => {
    // Every unknown reference searched every persona for a suggestion and listed them all: this took minutes.
    const personas = Array.from({ length: 3000 }, (_, i) => `  p${i}: {teams: [t]}`);
    const refs = Array.from({ length: 3000 }, (_, i) => `      - q${i}x`);
    const text =
      ["version: 1", "personas:", ...personas, "domains:", "  d:", "    paths: [x/]", "    require:", ...refs].join(
        "\n",
      ) + "\n";
    const r = parseQuickly(text);
    const unknown = r.problems.filter((p) => p.message.startsWith("unknown persona"));
    expect(unknown).toHaveLength(3000);
    expect(unknown[2999]!.message).toBe(
      'unknown persona "q2999x": define it under "personas" (known: p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, … 3000 in all)',
    );
    expect(Math.max(...r.problems.map((p) => p.message.length))).toBeLessThan(200);
  });
});
