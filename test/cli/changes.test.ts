import { describe, expect, test } from "@jest/globals";
import fc from "fast-check";
import { parseArgs } from "../../src/cli/args.js";
import { parseFileList, parseNameStatusZ, unquote } from "../../src/cli/changes.js";
import { CliError, UsageError } from "../../src/cli/io.js";
import { capped, table } from "../../src/cli/render.js";

describe("parseFileList", () => {
  test("maps every name-status code to a ChangedFile", () => {
    const text = [
      "M\ta",
      "A\tb",
      "D\tc",
      "T\td",
      "R100\told\tnew",
      "C075\tsrc\tcopy",
      "R\tx\ty",
      "M\t./e",
      "U\tf",
      "",
    ].join("\n");
    expect(parseFileList(text, "in")).toEqual([
      { path: "a", status: "modified" },
      { path: "b", status: "added" },
      { path: "c", status: "removed" },
      { path: "d", status: "modified" },
      { path: "new", status: "renamed", previousPath: "old" },
      { path: "copy", status: "copied", previousPath: "src" },
      { path: "y", status: "renamed", previousPath: "x" },
      { path: "e", status: "modified" },
      { path: "f", status: "modified" },
    ]);
  });

  test("CRLF line ends and blank lines", () => {
    expect(parseFileList("a.txt\r\n\r\na b.txt\r\n  \n", "in")).toEqual([
      { path: "a.txt", status: "modified" },
      { path: "a b.txt", status: "modified" },
    ]);
  });

  // Issue 11: a changed file named like a comment silently left the plan.
  test("a plain list is read literally: #notes.md is a changed file, not a comment", () => {
    expect(parseFileList("#notes.md\nsrc/#x\n # spaced.md\n", "in")).toEqual([
      { path: "#notes.md", status: "modified" },
      { path: "src/#x", status: "modified" },
      { path: " # spaced.md", status: "modified" },
    ]);
  });

  test("a name-status list may have # comments (no git status starts with #), wherever the first tab is", () => {
    expect(parseFileList("# git diff --name-status\nM\t#notes.md\n  # note\nA\tb\n", "in")).toEqual([
      { path: "#notes.md", status: "modified" },
      { path: "b", status: "added" },
    ]);
  });

  test("a plain line among name-status lines is an error at its line", () => {
    expect(() => parseFileList("a.md\nM\tb.md\n", "in")).toThrow(/in:1: malformed line "a\.md": a plain path/);
  });

  test.each([
    ["M\ta\tb", "in:1: malformed line", "2 paths for status M"],
    ["R100\ta", "in:1: malformed line", "1 path for status R100"],
    ["\ta", "in:1: malformed line", "it starts with a tab"],
    ["A1\ta", "in:1: malformed line", 'unknown status "A1"'],
    ["M\t", "in:1: malformed line", "an empty path"],
    ["/etc/passwd", "in:1:", "is an absolute path"],
    ["a/../../b", "in:1:", 'leaves the repository ("..")'],
  ])("%j is an error", (text, where, why) => {
    let error: unknown;
    try {
      parseFileList(text, "in");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toContain(where);
    expect((error as Error).message).toContain(why);
  });

  test("git's quoted paths are unquoted", () => {
    expect(unquote('"caf\\303\\251 \\"q\\"\\t\\\\.md"')).toBe('café "q"\t\\.md');
    expect(unquote("plain")).toBe("plain");
    expect(parseFileList('R100\t"a\\tb"\t"\\360\\237\\230\\200.ts"', "in")).toEqual([
      { path: "😀.ts", status: "renamed", previousPath: "a\tb" },
    ]);
  });

  test("a plain list round-trips any tab-free, newline-free relative path", () => {
    const segment = fc.stringMatching(/^[^\t\n\r/#]{1,8}$/).filter((s) => s.trim() === s && s !== "." && s !== "..");
    fc.assert(
      fc.property(
        fc.array(
          fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join("/")),
          { maxLength: 20 },
        ),
        (paths) => {
          expect(parseFileList(paths.join("\n"), "in").map((f) => f.path)).toEqual(paths);
        },
      ),
    );
  });
});

describe("parseNameStatusZ", () => {
  test("reads git diff -z output", () => {
    expect(parseNameStatusZ("M\0a b\0R087\0old\0new\nline\0D\0gone\0")).toEqual([
      { path: "a b", status: "modified" },
      { path: "new\nline", status: "renamed", previousPath: "old" },
      { path: "gone", status: "removed" },
    ]);
    expect(parseNameStatusZ("")).toEqual([]);
  });
});

describe("parseArgs", () => {
  const spec = { "--config": "value", "--json": "boolean" } as const;
  test("values as next argument or after =, - as a value, -- ends options", () => {
    const a = parseArgs("x", ["--config=a.yml", "--json", "--", "--not-a-flag"], spec, 1);
    expect([...a.flags]).toEqual([
      ["--config", "a.yml"],
      ["--json", true],
    ]);
    expect(a.positionals).toEqual(["--not-a-flag"]);
    expect(parseArgs("x", ["--config", "-"], spec, 0).flags.get("--config")).toBe("-");
  });
  test("errors are usage errors (exit 2)", () => {
    expect(() => parseArgs("x", ["--config="], spec, 0)).toThrow(UsageError);
    expect(() => parseArgs("x", ["-j"], spec, 0)).toThrow(/unknown option "-j"/);
    expect(() => parseArgs("x", ["a", "b"], spec, 1)).toThrow(/unexpected argument "b"/);
  });
});

describe("render helpers", () => {
  test("capped keeps short lists and summarizes long ones", () => {
    expect(capped(["a", "b"], 3)).toEqual(["a", "b"]);
    expect(capped(["a", "b", "c", "d", "e"], 3)).toEqual(["a", "b", "… and 3 more"]);
  });
  test("table aligns columns", () => {
    expect(
      table([
        ["A", "BB", "C"],
        ["aaa", "b", "c"],
      ]),
    ).toEqual(["A    BB  C", "aaa  b   c"]);
  });
});
