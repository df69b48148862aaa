/**
 * One CODEOWNERS-style pattern, compiled once.
 *
 * Rules (docs/configuration.md, "Path patterns"):
 * - no slash except a trailing one → matches at any depth; a leading or middle slash anchors at the root;
 * - a trailing slash means "a directory": everything beneath it, never a file of that name;
 * - a last segment without wildcards also covers everything beneath that path;
 * - `*` and `?` stay within a segment, `**` crosses segments and may match none, `[...]` and `{a,b}` work;
 * - dotfiles match like any file; matching is case-sensitive.
 */

export class GlobError extends Error {
  constructor(
    message: string,
    /** 0-based offset in the pattern where the problem is. */
    readonly offset: number,
  ) {
    super(message);
  }
}

/** One brace-free alternative of a pattern, ready to match and to index. */
export interface CompiledGlob {
  /** The brace-free pattern this alternative came from. */
  readonly source: string;
  readonly regex: RegExp;
  /** Anchored at the repository root (leading or middle slash). */
  readonly anchored: boolean;
  /** Leading segments without wildcards: an anchored path must start with them. */
  readonly literalPrefix: readonly string[];
  /** A segment without wildcards that every matching path contains as one of its segments (the longest one). */
  readonly literalSegment?: string;
  /** For a wildcard last segment ending in a literal `.ext` (e.g. `*.tf`, `*_test.go`): the basename ends with it. */
  readonly extension?: string;
}

const MAX_ALTERNATIVES = 256;
const MAX_PATTERN_LENGTH = 1024;
const WILDCARD = /[*?[{]/;

/** Throws GlobError for a pattern that cannot be compiled; returns one entry per brace alternative. */
export function compileGlob(pattern: string): CompiledGlob[] {
  checkSyntax(pattern);
  const alternatives = expandBraces(pattern);
  // Braces can build what checkSyntax rejects in a plain pattern (`a/{/b,c}` → `a//b`, `{..,a}/x` → `../x`):
  // check each alternative too, pointing at the first brace.
  if (alternatives.length > 1 || alternatives[0] !== pattern) {
    for (const alt of alternatives) {
      const problem = segmentProblem(alt);
      if (problem) throw new GlobError(problem.message, pattern.indexOf("{"));
    }
  }
  return alternatives.map(compileAlternative);
}

/** Compiles and returns the first problem as a message, or undefined when the pattern is valid. */
export function globProblem(pattern: string): { message: string; offset: number } | undefined {
  try {
    compileGlob(pattern);
    return undefined;
  } catch (err) {
    if (err instanceof GlobError) return { message: err.message, offset: err.offset };
    throw err;
  }
}

function checkSyntax(p: string): void {
  if (p.length === 0) throw new GlobError("empty pattern", 0);
  if (p.length > MAX_PATTERN_LENGTH)
    throw new GlobError(`pattern longer than ${MAX_PATTERN_LENGTH} characters`, MAX_PATTERN_LENGTH);
  if (p.startsWith("!"))
    throw new GlobError('negation ("!") is not supported in paths: list the exclusion under "ignore" instead', 0);
  // Point at the first space of the offending end (an inner space, as in `my docs/`, is fine).
  if (p.trimStart() !== p) throw new GlobError("pattern has leading or trailing spaces", 0);
  if (p.trimEnd() !== p) throw new GlobError("pattern has leading or trailing spaces", p.trimEnd().length);
  if (p === "/") throw new GlobError('"/" alone matches nothing: use "**" for every file', 0);
  const bad = p.search(/\\|\0/);
  if (bad >= 0)
    throw new GlobError(
      p[bad] === "\\" ? 'backslash: paths use "/" and escapes are not supported' : "NUL character",
      bad,
    );
  const segProblem = segmentProblem(p);
  if (segProblem) throw new GlobError(segProblem.message, segProblem.offset);
  let depth = 0;
  let braceStart = -1;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === "[") {
      const end = classEnd(p, i);
      if (end < 0) throw new GlobError('unclosed "[": close the character class with "]"', i);
      if (p.slice(i, end).includes("/")) throw new GlobError('a character class cannot contain "/"', i);
      // A reversed range (`[z-a]`) would make `new RegExp` throw a SyntaxError instead of a GlobError.
      const reversed = reversedRange(p, i, end);
      if (reversed >= 0)
        throw new GlobError(
          `character class range "${p.slice(reversed, reversed + 3)}" is reversed: write the lower character first`,
          reversed,
        );
      i = end;
    } else if (c === "{") {
      if (depth === 0) braceStart = i;
      depth++;
    } else if (c === "}") {
      if (depth === 0) throw new GlobError('unmatched "}"', i);
      depth--;
    }
  }
  if (depth > 0) throw new GlobError('unclosed "{": close the alternatives with "}"', braceStart);
}

/** An empty segment (`//`) or a `.` / `..` segment, with its offset; a leading and a trailing `/` are fine. */
function segmentProblem(p: string): { message: string; offset: number } | undefined {
  const empty = p.indexOf("//");
  if (empty >= 0) return { message: 'empty segment ("//")', offset: empty };
  let offset = 0;
  for (const seg of p.split("/")) {
    // Offsets summed per segment: `p.indexOf("..")` would find the dots of `a..b/..` first.
    if (seg === "." || seg === "..")
      return { message: '"." and ".." segments are not allowed: write paths relative to the repository root', offset };
    offset += seg.length + 1;
  }
  return undefined;
}

/** Offset of the first `x-y` range with x > y in the class `p[start..end]`, or -1; ranges pair up left to right as in a RegExp. */
function reversedRange(p: string, start: number, end: number): number {
  let i = start + 1;
  if (p[i] === "!" || p[i] === "^") i++;
  while (i < end) {
    if (p[i + 1] === "-" && i + 2 < end) {
      if (p[i]! > p[i + 2]!) return i;
      i += 3;
    } else i++;
  }
  return -1;
}

/** Index of the `]` closing the class opened at `start`, or -1. `]` right after `[` or `[!` is literal. */
function classEnd(p: string, start: number): number {
  let i = start + 1;
  if (p[i] === "!" || p[i] === "^") i++;
  if (p[i] === "]") i++;
  for (; i < p.length; i++) if (p[i] === "]") return i;
  return -1;
}

/** `src/{api,web}/**` → [`src/api/**`, `src/web/**`]; nested braces expand too. */
export function expandBraces(p: string): string[] {
  const open = findTopBrace(p);
  if (!open) return [p];
  const { start, end, parts } = open;
  const out: string[] = [];
  for (const part of parts) {
    for (const rest of expandBraces(p.slice(0, start) + part + p.slice(end + 1))) {
      out.push(rest);
      if (out.length > MAX_ALTERNATIVES)
        throw new GlobError(`braces expand to more than ${MAX_ALTERNATIVES} alternatives`, start);
    }
  }
  return [...new Set(out)];
}

function findTopBrace(p: string): { start: number; end: number; parts: string[] } | undefined {
  for (let i = 0; i < p.length; i++) {
    if (p[i] === "[") {
      i = classEnd(p, i);
      continue;
    }
    if (p[i] !== "{") continue;
    let depth = 0;
    const parts: string[] = [];
    let from = i + 1;
    for (let j = i; j < p.length; j++) {
      const c = p[j];
      if (c === "[") j = classEnd(p, j);
      else if (c === "{") depth++;
      else if (c === "}" && --depth === 0) {
        parts.push(p.slice(from, j));
        // `{a}` with no comma is literal in most shells; we treat it as the single alternative `a`.
        return { start: i, end: j, parts };
      } else if (c === "," && depth === 1) {
        parts.push(p.slice(from, j));
        from = j + 1;
      }
    }
  }
  return undefined;
}

function compileAlternative(source: string): CompiledGlob {
  const dir = source.endsWith("/");
  let body = dir ? source.slice(0, -1) : source;
  const anchored = body.includes("/");
  if (body.startsWith("/")) body = body.slice(1);
  if (body.length === 0) throw new GlobError("pattern has no path after removing slashes", 0);
  const segments = body.split("/");
  const last = segments[segments.length - 1]!;

  // Compiled with the `s` flag: git allows newlines in file names, and without it `.` would stop at one,
  // letting `docs/a\nb.md` escape `docs/`.
  let re = anchored ? "^" : "^(?:.*/)?";
  segments.forEach((seg, i) => {
    const isLast = i === segments.length - 1;
    if (seg === "**") {
      // `a/**/b`: zero or more directories; trailing `a/**`: at least one more segment.
      re += isLast ? (i === 0 ? ".*" : ".+") : "(?:.*/)?";
      return;
    }
    re += segmentRegex(seg);
    if (!isLast) re += "/";
  });
  if (last !== "**") {
    if (dir) re += "/.+";
    else if (!WILDCARD.test(last)) re += "(?:/.+)?";
  } else if (dir) re += "/.+"; // `a/**/` is the directories under `a`: a file directly in `a` is not beneath one

  re += "$";

  const literalPrefix: string[] = [];
  if (anchored)
    for (const s of segments.slice(0, -1)) {
      if (WILDCARD.test(s)) break;
      literalPrefix.push(s);
    }
  if (anchored && literalPrefix.length === segments.length - 1 && !WILDCARD.test(last)) literalPrefix.push(last);

  const glob: { -readonly [K in keyof CompiledGlob]: CompiledGlob[K] } = {
    source,
    regex: new RegExp(re, "s"),
    anchored,
    literalPrefix,
  };
  // Every segment other than `**` matches exactly one path segment, so a literal one must appear in the
  // path as it is (`**\/iam/**`, `**\/schema.sql`, `Dockerfile`); the longest is the most selective key.
  const literals = segments.filter((seg) => seg !== "" && !WILDCARD.test(seg));
  if (literals.length > 0) glob.literalSegment = literals.reduce((a, b) => (b.length > a.length ? b : a));
  // A wildcard last segment covers nothing beneath, so the basename must end with its literal tail from
  // the first dot on: `*.tf` → `.tf`, `*_test.go` → `.go`, `docker-compose*.yml` → `.yml`.
  if (!dir && WILDCARD.test(last)) {
    const tail = last.slice(Math.max(last.lastIndexOf("*"), last.lastIndexOf("?"), last.lastIndexOf("]")) + 1);
    const dot = tail.indexOf(".");
    if (dot >= 0 && dot < tail.length - 1) glob.extension = tail.slice(dot);
  }
  return glob;
}

function segmentRegex(seg: string): string {
  let out = "";
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === "*") {
      while (seg[i + 1] === "*") i++; // `a**b` inside a segment is just `*`
      out += "[^/]*";
    } else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const end = classEnd(seg, i);
      let body = seg.slice(i + 1, end);
      let neg = false;
      if (body[0] === "!" || body[0] === "^") {
        neg = true;
        body = body.slice(1);
      }
      // `(?!/)` keeps a class within one segment even when a range spans "/" (`[+-0]`); it is not put
      // inside the class (`[^/...]`) because `[!-x]` would then read as the range `/-x`.
      out += "(?!/)[" + (neg ? "^" : "") + body.replace(/[\\\]^]/g, "\\$&") + "]";
      i = end;
    } else out += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return out;
}
