import { describe, expect, test } from "@jest/globals";
import { cpuTimed } from "../helpers/cpu-time.js";
import { compileGlob, expandBraces, GlobError, globProblem } from "../../src/core/glob.js";
import { PathMatcher } from "../../src/core/matcher.js";
import { DOCUMENTED_PATTERNS, type PatternRow } from "../helpers/pattern-table.js";

/** A path matches a pattern when any brace alternative's regex matches it. */
function globMatches(pattern: string, path: string): boolean {
  return compileGlob(pattern).some((g) => g.matches(path));
}

/** The same question asked of the indexed matcher, with the pattern as the only entry. */
function matcherMatches(pattern: string, path: string): boolean {
  const hits = new PathMatcher([{ pattern, tag: 0 }]).match(path);
  expect(hits.length === 0 || (hits.length === 1 && hits[0] === 0)).toBe(true);
  return hits.length === 1;
}

type Row = PatternRow;

/** Checks every example of every row with both compileGlob and PathMatcher, one test per example. */
function contract(title: string, rows: Row[]): void {
  describe(title, () => {
    const cases = rows.flatMap(([pattern, yes, no]) => [
      ...yes.map((path) => [pattern, path, true] as const),
      ...no.map((path) => [pattern, path, false] as const),
    ]);
    test.each(cases)("%j vs %j → %p (compileGlob)", (pattern, path, expected) => {
      expect(globMatches(pattern, path)).toBe(expected);
    });
    test.each(cases)("%j vs %j → %p (PathMatcher)", (pattern, path, expected) => {
      expect(matcherMatches(pattern, path)).toBe(expected);
    });
  });
}

// The table of docs/configuration.md ("Path patterns"), row for row.
contract("the documented pattern table", DOCUMENTED_PATTERNS);

contract("rule: no slash except a trailing one matches at any depth", [
  ["README.md", ["README.md", "a/README.md", "a/b/c/README.md"], ["README.md.bak", "xREADME.md"]],
  ["build/", ["build/x", "a/build/x", "a/b/build/c/d"], ["build", "a/build", "builds/x"]],
  ["*.lock", ["yarn.lock", "a/b/Cargo.lock"], ["yarn.lock.json"]],
  ["?", ["a", "x/b"], ["ab", "x/ab"]],
]);

contract("rule: a leading or middle slash anchors at the root", [
  ["/README.md", ["README.md", "README.md/x"], ["a/README.md"]],
  ["a/b", ["a/b", "a/b/c"], ["x/a/b", "a/bc", "ab"]],
  ["/a/b/", ["a/b/c", "a/b/c/d"], ["a/b", "x/a/b/c"]],
  ["a/*.tf", ["a/main.tf"], ["x/a/main.tf", "a/b/main.tf"]],
]);

contract("rule: a last segment with no wildcard also covers everything beneath it", [
  ["src/api", ["src/api", "src/api/a.ts", "src/api/v1/b.ts"], ["src/apis", "src/api.ts", "x/src/api"]],
  ["Makefile", ["Makefile", "Makefile/inner", "a/Makefile/inner"], ["Makefile.am"]],
  // a last segment with a wildcard covers only what it names
  ["src/*.ts", ["src/a.ts"], ["src/a.ts/x"]],
  ["src/a?", ["src/ab"], ["src/ab/c"]],
]);

contract("rule: a trailing slash means a directory, never a file of that name", [
  ["logs/", ["logs/a", "logs/a/b", "x/logs/a"], ["logs", "x/logs"]],
  ["src/gen/", ["src/gen/a.ts"], ["src/gen", "x/src/gen/a.ts"]],
  ["docs/*/", ["docs/a/b.md", "docs/a/b/c.md"], ["docs/a.md", "docs/a"]],
]);

contract("rule: * stays within a segment, ** crosses segments and may match none", [
  ["a/*", ["a/b"], ["a/b/c", "a"]],
  ["a/*/c", ["a/b/c", "a/b/c/d"], ["a/c", "a/b/x/c"]],
  ["a/**/b", ["a/b", "a/x/b", "a/x/y/b", "a/x/b/c"], ["b", "x/a/b", "a/xb"]],
  ["**/b", ["b", "x/b", "x/y/b", "b/c"], ["xb", "x/bc"]],
  ["a/**", ["a/b", "a/b/c"], ["a", "ab/c", "x/a/b"]],
  ["**", ["a", "a/b", ".env"], []],
  ["a**b", ["ab", "axxb", "d/axb"], ["a/b", "a/x/b"]],
  ["src/**/*.ts", ["src/a.ts", "src/x/y/a.ts"], ["src/a.tsx", "lib/a.ts"]],
]);

contract("rule: ?, [...], [!...] and {a,b} (nested too) work", [
  ["file?.txt", ["file1.txt", "a/fileX.txt"], ["file.txt", "file12.txt", "file/.txt"]],
  ["[ab].md", ["a.md", "b.md", "x/a.md"], ["c.md", "ab.md"]],
  ["[a-c]x", ["ax", "bx", "cx"], ["dx", "Ax"]],
  ["[!ab].md", ["c.md", "x/z.md"], ["a.md", "b.md"]],
  ["[^ab].md", ["c.md"], ["a.md"]],
  ["[]]x", ["]x"], ["ax"]],
  ["[!]]x", ["ax"], ["]x"]],
  ["*.{js,ts}", ["a.js", "x/b.ts"], ["a.jsx", "a.rs"]],
  ["{a,b/{c,d}}/e", ["a/e", "b/c/e", "b/d/e", "a/e/f"], ["b/e", "b/x/e", "x/a/e"]],
  ["src/{a,{b,c}x}.ts", ["src/a.ts", "src/bx.ts", "src/cx.ts"], ["src/b.ts", "src/ax.ts"]],
  ["{x}.md", ["x.md"], ["{x}.md"]],
  ["[{]x", ["{x"], ["x"]],
  ["[{,}]", ["{", ",", "}"], ["a"]],
]);

contract("rule: dotfiles match like any file", [
  ["*", [".env", "a/.hidden"], []],
  ["*.yml", [".github/ci.yml", ".yml"], []],
  ["**/.github/**", [".github/workflows/ci.yml", "sub/.github/x"], []],
  ["?env", [".env"], []],
]);

contract("rule: matching is case-sensitive", [
  ["Dockerfile", ["Dockerfile"], ["dockerfile", "DOCKERFILE"]],
  ["*.TF", ["a.TF"], ["a.tf"]],
  ["docs/", ["docs/a"], ["Docs/a", "DOCS/a"]],
  ["[a-z].md", ["q.md"], ["Q.md"]],
]);

contract("characters that are special in regular expressions match themselves", [
  ["a+(b).md", ["a+(b).md"], ["aa(b).md", "a+b.md"]],
  ["$x^|y", ["$x^|y"], ["x"]],
  ["a.b", ["a.b"], ["axb"]],
]);

describe("regressions found by the property tests and review", () => {
  // A path is any string git can store: a newline in a file name must not let it escape a domain.
  contract("a newline in a path does not hide it from a pattern", [
    ["docs/", ["docs/a\nb.md", "x/docs/\n"], []],
    ["src/auth/**", ["src/auth/x\ny.ts", "src/auth/\u2028/z"], []],
    ["src/auth", ["src/auth/a\r\nb"], []],
    ["**/x", ["a\nb/x"], []],
  ]);

  // A class lives inside one segment even when a range spans "/" (0x2F): `[+-0]` is `+,-./0`.
  contract("a character-class range never matches /", [
    ["a[+-0]b", ["a+b", "a.b", "a0b"], ["a/b"]],
    ["a[!x]b", ["a.b"], ["a/b"]],
  ]);

  // `[!-x]` is "neither - nor x"; built as `[^/-x]` it became "not in the range / to x".
  contract("a negated class starting with - is not a range from /", [
    ["[!-x]", ["A", "5", "a", "y"], ["-", "x"]],
    ["[^-]z", ["az"], ["-z"]],
  ]);

  // `a/**/` is "every directory under a": a file directly in `a` is not beneath one.
  contract("a trailing ** with a trailing slash still means a directory", [
    ["a/**/", ["a/x/y", "a/x/y/z"], ["a/x", "a"]],
    ["**/", ["a/b", "a/b/c"], ["a"]],
    ["/**/", ["a/b"], ["a"]],
  ]);

  test("a reversed range is a GlobError, not a crash", () => {
    expect(() => compileGlob("[z-a].md")).toThrow(GlobError);
    expect(globProblem("x/[z-a].md")).toEqual({ message: expect.stringContaining('"z-a"'), offset: 3 });
    expect(globProblem("[a-a]")).toBeUndefined();
  });

  test("brace alternatives are checked for empty and . / .. segments", () => {
    expect(globProblem("src/{a,..}/x")).toEqual({ message: expect.stringContaining('".."'), offset: 4 });
    expect(globProblem("{.,a}/x")?.message).toMatch(/"\." and "\.\." segments/);
    expect(globProblem("a/{/b,c}")).toEqual({ message: expect.stringContaining("//"), offset: 2 });
    expect(globProblem("{a/,b}/c")?.message).toContain("empty segment");
    expect(globProblem(".{env,git}/x")).toBeUndefined();
  });

  test("offsets point at the offending character", () => {
    expect(globProblem("a b ")).toEqual({ message: expect.stringContaining("spaces"), offset: 3 });
    expect(globProblem(" a")).toEqual({ message: "pattern has leading or trailing spaces", offset: 0 });
    expect(globProblem("x.tf/./a")?.offset).toBe(5);
    expect(globProblem("a..b/..")?.offset).toBe(5);
    expect(globProblem("../a")?.offset).toBe(0);
  });
});

describe("mutation-testing findings (issue 12): each of these once passed the whole suite broken", () => {
  // The extension index key is the tail from its first dot: keyed on all of `_test.go`, `foo_test.go` (whose
  // dot-suffixes are only `.go`) was never looked up, and the file silently left its domain.
  contract("a wildcard last segment with text before its extension is found through the index", [
    ["*_test.go", ["foo_test.go", "pkg/a/foo_test.go"], ["foo.go", "foo_test.go.orig"]],
    ["v?_schema.sql", ["v1_schema.sql", "db/v2_schema.sql"], ["v10_schema.sql", "v1_schema.sqlx"]],
    ["docker-compose*.yml", ["docker-compose.yml", "ops/docker-compose.prod.yml"], ["docker-compose.yaml"]],
    ["*.tar.gz", ["a.tar.gz", "x/b.tar.gz"], ["a.gz", "a.tar"]],
  ]);

  test("the extension key is the tail from its first dot", () => {
    expect(compileGlob("*_test.go")[0]!.extension).toBe(".go");
    expect(compileGlob("v?_schema.sql")[0]!.extension).toBe(".sql");
    expect(compileGlob("[ab]x.tar.gz")[0]!.extension).toBeUndefined(); // its as-written reading covers beneath
    expect(compileGlob("*x.tar.gz")[0]!.extension).toBe(".tar.gz");
    expect(compileGlob("*.")[0]!.extension).toBeUndefined(); // a trailing dot is no extension
    expect(compileGlob("src/*.ts/")[0]!.extension).toBeUndefined(); // a directory: the basename is beneath it
  });

  // A pattern that validates must match what it says: these used to validate and then match nothing.
  test.each([
    ["{..}/secrets", 0, /"\." and "\.\." segments/],
    ["src/{..}/x", 4, /"\." and "\.\." segments/],
    ["{.}/x", 0, /"\." and "\.\." segments/],
    ["//secrets", 0, /empty segment/],
    ["//", 0, /empty segment/],
    ["\0secrets", 0, /NUL/],
    ["\\secrets", 0, /backslash/],
  ])("%j is rejected at offset %i", (pattern, offset, message) => {
    expect(globProblem(pattern)).toEqual({ message: expect.stringMatching(message), offset });
  });

  // Backtracking regular expressions took minutes for `*a*a*a*b` on a long file name (and `a****b` once
  // compiled to one `[^/]*` per star); the segment matcher retries only its last star, so these finish at
  // once. There is no clock here: a regression shows as the test timing out by orders of magnitude.
  test("hostile patterns and paths take linear work", () => {
    const name = "a".repeat(4096);
    for (const p of ["*a*a*a*a*a*a*a*a*b", "a" + "*".repeat(500) + "b", "**/*a*a*a*b/**/*a*a*b", "[a]*[a]*[a]*b"]) {
      expect(globMatches(p, name)).toBe(false);
      expect(globMatches(p, `${name}/${name}/${name}`)).toBe(false);
    }
    const deep = Array.from({ length: 2000 }, () => "a").join("/");
    expect(globMatches("**/a/**/a/**/a/**/b", deep)).toBe(false);
    expect(globMatches("**/a/**/a/**/a/**/a", deep)).toBe(true);
    expect(globMatches("a" + "*".repeat(500) + "b", "axxb")).toBe(true);
  });
});

describe("POSIX character classes ([[:digit:]] and the others git knows)", () => {
  contract("a POSIX class matches one character of its kind", [
    ["*.[[:digit:]]", ["a.5", "x/b.0", "a.9"], ["a.d]", "a.d", "a.55", "a./", "a.:"]],
    ["[[:alpha:]][[:digit:]]", ["a1", "Z9", "A1", "z1"], ["1a", "a", "@1", "[1", "`1", "{1"]],
    ["[![:alnum:]]x", ["-x", ".x", "@x", "[x", "{x"], ["ax", "5x", "Zx", "zx", "0x", "Ax", "9x"]],
    ["[[:upper:][:digit:]_]", ["A", "Z", "7", "_"], ["a", "-", "@", "["]],
    ["[[:lower:]]", ["q", "a", "z"], ["Q", "`", "{"]],
    ["[x[:digit:]]", ["x", "5"], ["y", "x]", "[", ":"]],
    ["[a-]x", ["ax", "-x"], ["bx", "]x"]],
    ["[[:digit:]-]", ["-", "0"], ["a"]],
    ["[[:xdigit:]]", ["f", "F", "0", "9", "a", "A"], ["g", "G", "/", ":", "@", "`"]],
    ["[[:space:]]x", [" x", "\tx", "\nx", "\vx", "\fx", "\rx"], ["ax", "\bx", "\x0ex"]],
    ["[[:blank:]]x", [" x", "\tx"], ["\nx", "ax"]],
    ["[[:punct:]]", ["!", "~", "[", "`", "{", ".", ":", "@", "]", "_", "|"], ["a", " ", "0", "9", "A", "Z", "z"]],
    ["[[:graph:]]", ["!", "~"], [" ", "\x7f"]],
    ["[[:print:]]", [" ", "~"], ["\x7f", "\x1f"]],
    ["[[:cntrl:]]x", ["\x01x", "\x7fx", "\x1fx"], [" x", "~x"]],
  ]);

  test("an unknown class name is an error at its offset; `[:` without `:]` is literal", () => {
    expect(globProblem("a[+-/]b")).toEqual({ message: expect.stringContaining('cannot contain "/"'), offset: 1 });
    expect(globProblem("a[!/]b")?.offset).toBe(1);
    expect(globProblem("*.[[:digits:]]")).toEqual({ message: expect.stringContaining('"[:digits:]"'), offset: 3 });
    expect(globProblem("[[:DIGIT:]]")?.message).toMatch(/unknown character class.*alnum, alpha/);
    expect(globProblem("[[::]]")?.offset).toBe(1);
    expect(globMatches("[[:a]", ":")).toBe(true); // the class `[`, `:`, `a`
    expect(globProblem("[[:digit:]")?.message).toMatch(/unclosed "\["/);
  });
});

describe("brackets: a class, and also the characters written (app/[slug]/page.tsx)", () => {
  contract("a path spelled with the brackets as written matches too", [
    ["app/[slug]/page.tsx", ["app/[slug]/page.tsx", "app/s/page.tsx"], ["app/slug/page.tsx", "app/[id]/page.tsx"]],
    ["app/[slug]", ["app/[slug]", "app/[slug]/page.tsx", "app/s"], ["app/s/page.tsx", "app/slug"]],
    ["app/[...slug]/", ["app/[...slug]/page.tsx"], ["app/[...slug]"]],
    ["**/[[...all]]/*.tsx", ["pages/[[...all]]/index.tsx", "[[...all]]/a.tsx"], ["pages/[...all]/index.tsx"]],
    ["*.[ch]", ["a.c", "x/b.h", "a.[ch]"], ["a.o", "a.[ch]/x"]],
    ["[*]", ["[*]", "*", "x/[*]/y"], ["[a]", "a"]],
  ]);

  test("the index keys hold for both readings", () => {
    expect(compileGlob("[ab].md")[0]!.extension).toBeUndefined(); // `[ab].md/x` matches as written
    expect(compileGlob("*[ab].md")[0]!.extension).toBe(".md");
    expect(compileGlob("app/[slug]/page.tsx")[0]).toMatchObject({ literalPrefix: ["app"], literalSegment: "page.tsx" });
  });
});

describe("invalid patterns", () => {
  const cases: [what: string, pattern: string, message: RegExp, offset: number][] = [
    ["empty", "", /empty pattern/, 0],
    ["leading !", "!docs/", /negation.*"ignore"/, 0],
    ["unclosed [", "src/[ab.ts", /unclosed "\["/, 4],
    ["unclosed {", "src/{a,b/x", /unclosed "\{"/, 4],
    ["nested unclosed {", "{a,{b,c}", /unclosed "\{"/, 0],
    ["unmatched }", "src/a}.ts", /unmatched "\}"/, 5],
    ["backslash", "src\\a.ts", /backslash/, 3],
    ["//", "src//a.ts", /empty segment/, 3],
    [".. segment", "src/../a", /"\." and "\.\." segments/, 4],
    [". segment", "./a", /"\." and "\.\." segments/, 0],
    ["/ alone", "/", /"\*\*"/, 0],
    ["only slashes after braces", "{/,a}", /no path/, 0],
    ["class containing /", "a[/]b", /cannot contain "\/"/, 1],
    ["over-long", "a".repeat(1025), /longer than 1024/, 1024],
    ["NUL", "a\0b", /NUL/, 1],
  ];
  test.each(cases)("%s: %j", (_what, pattern, message, offset) => {
    const problem = globProblem(pattern);
    expect(problem).toBeDefined();
    expect(problem!.message).toMatch(message);
    expect(problem!.offset).toBe(offset);
    expect(() => compileGlob(pattern)).toThrow(GlobError);
    try {
      compileGlob(pattern);
    } catch (err) {
      expect((err as GlobError).offset).toBe(offset);
    }
  });

  test("brace explosion over 256 alternatives", () => {
    const nine = "{a,b}".repeat(9); // 512
    const problem = globProblem(nine);
    expect(problem?.message).toMatch(/more than 256 alternatives/);
    expect(() => compileGlob(nine)).toThrow(GlobError);
    expect(globProblem("{a,b}".repeat(8))).toBeUndefined(); // 256 is fine
    expect(compileGlob("{a,b}".repeat(8))).toHaveLength(256);
  });

  test("a long brace chain fails fast", () => {
    const { result, ms } = cpuTimed(() => globProblem("{a,b}".repeat(200)));
    expect(result?.message).toMatch(/alternatives/);
    expect(ms).toBeLessThan(1000);
  });

  test("a pattern of exactly 1024 characters is fine", () => {
    expect(globProblem("a".repeat(1024))).toBeUndefined();
  });

  test("valid patterns have no problem", () => {
    for (const p of ["*.tf", "/docs/", "docs/", "src/{api,web}/**", "**/migrations/*.sql", ".env*", "a b/c", "[!.]*"]) {
      expect(globProblem(p)).toBeUndefined();
    }
  });
});

describe("compiled shape (what PathMatcher indexes on)", () => {
  test("a comma or brace inside a class inside braces is part of the class", () => {
    expect(expandBraces("{a,[,]}x")).toEqual(["ax", "[,]x"]);
    expect(expandBraces("{a,[}]}x")).toEqual(["ax", "[}]x"]);
    expect(globMatches("{a,[,]}x", ",x")).toBe(true);
  });

  test("globProblem reports GlobErrors and lets anything else through", () => {
    expect(() => globProblem(null as unknown as string)).toThrow(TypeError);
  });

  test("expandBraces expands nested braces and drops repeats", () => {
    expect(expandBraces("src/{a,b/{c,d}}")).toEqual(["src/a", "src/b/c", "src/b/d"]);
    expect(expandBraces("{a,a}")).toEqual(["a"]);
    expect(expandBraces("[{]")).toEqual(["[{]"]);
  });

  test("anchoring, literal prefix, literal segment and extension", () => {
    expect(compileGlob("**/ab/cd/*.x")[0]!.literalSegment).toBe("ab"); // the first of the longest
    const [tf] = compileGlob("*.tf");
    expect(tf).toMatchObject({ anchored: false, literalPrefix: [], extension: ".tf" });
    expect(tf!.literalSegment).toBeUndefined();
    expect(compileGlob("/docs/")[0]).toMatchObject({ anchored: true, literalPrefix: ["docs"] });
    expect(compileGlob("docs/")[0]).toMatchObject({ anchored: false, literalSegment: "docs" });
    expect(compileGlob("src/auth/**")[0]).toMatchObject({ anchored: true, literalPrefix: ["src", "auth"] });
    expect(compileGlob("src/auth")[0]).toMatchObject({ anchored: true, literalPrefix: ["src", "auth"] });
    expect(compileGlob("**/migrations/*.sql")[0]).toMatchObject({
      anchored: true,
      literalPrefix: [],
      extension: ".sql",
    });
    expect(compileGlob("src/{api,web}/**").map((g) => g.literalPrefix)).toEqual([
      ["src", "api"],
      ["src", "web"],
    ]);
  });
});

describe("PathMatcher over many patterns", () => {
  const patterns = [
    "*.tf",
    "/docs/",
    "docs/",
    "docs/*",
    "src/auth/**",
    "src/auth",
    "**/migrations/*.sql",
    "Dockerfile",
    ".env*",
    "*.yml",
    "src/{api,web}/**",
    "**",
  ];
  const matcher = new PathMatcher(patterns.map((pattern, tag) => ({ pattern, tag })));

  test.each([
    "main.tf",
    "infra/iam/main.tf",
    "docs/a.md",
    "docs/x/y.md",
    "src/docs/a.md",
    "src/auth/jwt.ts",
    "src/auth",
    "db/migrations/1.sql",
    "services/api/Dockerfile",
    "config/.env",
    ".github/workflows/deploy.yml",
    "src/web/b.ts",
    "unrelated/file.txt",
  ])("%j gets exactly the tags whose patterns match", (path) => {
    const expected = patterns.flatMap((p, tag) => (globMatches(p, path) ? [tag] : []));
    expect(matcher.match(path)).toEqual(expected);
  });

  test("tags come back ascending and once, even when several patterns share a tag", () => {
    const m = new PathMatcher([
      { pattern: "*.ts", tag: 2 },
      { pattern: "src/", tag: 0 },
      { pattern: "src/**", tag: 2 },
      { pattern: "a.ts", tag: 1 },
    ]);
    expect(m.match("src/a.ts")).toEqual([0, 1, 2]);
    expect(m.match("lib/b.js")).toEqual([]);
  });

  test("each pattern is filed under its most selective key, so only candidates are tried", () => {
    const filed = (patterns: string[]) => new PathMatcher(patterns.map((pattern, tag) => ({ pattern, tag }))).filing;
    expect(filed(["src/auth/**", "/docs/", "src/{api,web}/**"])).toEqual({
      prefix: 4,
      segment: 0,
      extension: 0,
      always: 0,
    });
    expect(filed(["docs/", "**/iam/**", "Dockerfile"])).toEqual({ prefix: 0, segment: 3, extension: 0, always: 0 });
    expect(filed(["*.tf", "*_test.go", "**/*.sql"])).toEqual({ prefix: 0, segment: 0, extension: 3, always: 0 });
    expect(filed(["**/*test*", "*", "[ab].md"])).toEqual({ prefix: 0, segment: 0, extension: 0, always: 3 });
  });

  test("patterns sharing a key are all tried", () => {
    const m = new PathMatcher([
      { pattern: "src/a/**", tag: 0 },
      { pattern: "src/a", tag: 1 },
      { pattern: "src/b", tag: 2 },
      { pattern: "docs/", tag: 3 },
      { pattern: "x/docs/y", tag: 4 },
      { pattern: "**/docs/*.md", tag: 5 },
      { pattern: "*.tf", tag: 6 },
      { pattern: "a*.tf", tag: 7 },
    ]);
    expect(m.match("src/a/b")).toEqual([0, 1]);
    expect(m.match("src/b")).toEqual([2]);
    expect(m.match("x/docs/y")).toEqual([3, 4]);
    expect(m.match("docs/r.md")).toEqual([3, 5]);
    expect(m.match("ab.tf")).toEqual([6, 7]);
  });

  test("an empty matcher matches nothing", () => {
    expect(new PathMatcher([]).match("a")).toEqual([]);
  });
});
