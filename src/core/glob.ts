/**
 * One CODEOWNERS-style pattern, compiled once.
 *
 * Rules (docs/configuration.md, "Path patterns"):
 * - no slash except a trailing one → matches at any depth; a leading or middle slash anchors at the root;
 * - a trailing slash means "a directory": everything beneath it, never a file of that name;
 * - a last segment without wildcards also covers everything beneath that path;
 * - `*` and `?` stay within a segment, `**` crosses segments and may match none, `{a,b}` works;
 * - `[...]` (with POSIX classes such as `[[:digit:]]`) is a character class, and the pattern also matches the
 *   path spelled with the brackets as written (`app/[slug]/page.tsx`, a Next.js route folder);
 * - dotfiles match like any file; matching is case-sensitive.
 *
 * Matching never backtracks more than one level: a compiled pattern is a list of segment patterns where
 * `**` may stand for any number of segments, matched against the path's segments by the classic wildcard
 * algorithm (on a mismatch, resume after the last `**` one segment further on), and each segment the same
 * way with `*` over characters. The work is bounded by (pattern length × path length) whatever either holds;
 * a regular expression for `*a*a*b` needs minutes on a long hostile file name.
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
  /** Whether `path` (relative to the repository root, "/"-separated) matches this alternative. */
  matches(path: string): boolean;
  /** The same for a path already split at "/" (PathMatcher splits each path once, not once per candidate). */
  matchesSegments(names: readonly string[]): boolean;
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
  // Braces can build what checkSyntax rejects in a plain pattern (`a/{/b,c}` → `a//b`, `{..}/x` → `../x`):
  // check every alternative too, pointing at the first brace. (A brace-free pattern passed checkSyntax.)
  for (const alt of alternatives) {
    const problem = segmentProblem(alt);
    if (problem) throw new GlobError(problem.message, pattern.indexOf("{"));
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
  if (bad !== -1)
    throw new GlobError(
      p[bad] === "\\" ? 'backslash: paths use "/" and escapes are not supported' : "NUL character",
      bad,
    );
  const segProblem = segmentProblem(p);
  if (segProblem) throw new GlobError(segProblem.message, segProblem.offset);
  let depth = 0;
  let braceStart = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === "[") i = parseClass(p, i).end;
    else if (c === "{") {
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
  if (empty !== -1) return { message: 'empty segment ("//")', offset: empty };
  let offset = 0;
  for (const seg of p.split("/")) {
    // Offsets summed per segment: `p.indexOf("..")` would find the dots of `a..b/..` first.
    if (seg === "." || seg === "..")
      return { message: '"." and ".." segments are not allowed: write paths relative to the repository root', offset };
    offset += seg.length + 1;
  }
  return undefined;
}

/** A character class `[...]`: where it ends and which characters it accepts. */
interface CharClass {
  kind: "class";
  /** Index of the closing `]`. */
  end: number;
  negated: boolean;
  /** Single characters and `x-y` ranges, as [lo, hi] pairs (a single character is [c, c]). */
  ranges: [string, string][];
  /** POSIX classes named inside, e.g. `digit` for `[[:digit:]]`. */
  named: ((c: string) => boolean)[];
}

/** The POSIX classes git's wildmatch knows, over ASCII as git reads them. */
const POSIX_CLASSES: Record<string, (c: string) => boolean> = {
  alnum: (c) => /[0-9A-Za-z]/.test(c),
  alpha: (c) => /[A-Za-z]/.test(c),
  blank: (c) => c === " " || c === "\t",
  cntrl: (c) => c < " " || c === "\x7f",
  digit: (c) => c >= "0" && c <= "9",
  graph: (c) => c > " " && c < "\x7f",
  lower: (c) => c >= "a" && c <= "z",
  print: (c) => c >= " " && c < "\x7f",
  punct: (c) => /[!-/:-@[-`{-~]/.test(c),
  space: (c) => /[ \t\n\v\f\r]/.test(c),
  upper: (c) => c >= "A" && c <= "Z",
  xdigit: (c) => /[0-9A-Fa-f]/.test(c),
};

/**
 * Parses the class opened by the `[` at `start` (git's wildmatch rules): `]` right after `[` or `[!` / `[^` is
 * literal; `[:name:]` inside is a POSIX class; `x-y` is a range, pairing left to right. Throws a GlobError for
 * an unclosed class, a `/` inside, a reversed range or an unknown POSIX class name.
 */
function parseClass(p: string, start: number): CharClass {
  const ranges: [string, string][] = [];
  const named: ((c: string) => boolean)[] = [];
  let i = start + 1;
  const negated = p[i] === "!" || p[i] === "^";
  if (negated) i++;
  let slash = false;
  for (let first = true; i < p.length && (first || p[i] !== "]"); first = false) {
    const c = p[i]!;
    slash ||= c === "/";
    const posix = /^\[:([^\]]*):\]/.exec(p.slice(i));
    if (posix) {
      const fn = POSIX_CLASSES[posix[1]!];
      if (!fn)
        throw new GlobError(
          `unknown character class "[:${posix[1]}:]": use one of ${Object.keys(POSIX_CLASSES).join(", ")}`,
          i,
        );
      named.push(fn);
      i += posix[0].length;
    } else if (p[i + 1] === "-" && i + 2 < p.length && p[i + 2] !== "]") {
      const hi = p[i + 2]!;
      slash ||= hi === "/";
      if (c > hi)
        throw new GlobError(`character class range "${c}-${hi}" is reversed: write the lower character first`, i);
      ranges.push([c, hi]);
      i += 3;
    } else {
      ranges.push([c, c]);
      i++;
    }
  }
  if (i >= p.length) throw new GlobError('unclosed "[": close the character class with "]"', start);
  if (slash) throw new GlobError('a character class cannot contain "/"', start);
  return { kind: "class", end: i, negated, ranges, named };
}

function classAccepts(cls: CharClass, c: string): boolean {
  const hit = cls.ranges.some(([lo, hi]) => lo <= c && c <= hi) || cls.named.some((f) => f(c));
  return hit !== cls.negated;
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
      i = parseClass(p, i).end;
      continue;
    }
    if (p[i] !== "{") continue;
    let depth = 0;
    const parts: string[] = [];
    let from = i + 1;
    for (let j = i; j < p.length; j++) {
      const c = p[j];
      if (c === "[") j = parseClass(p, j).end;
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

/** One piece of a segment pattern: a literal character, `?`, a `*` (a run of them), or a class. */
type Piece = string | { kind: "any" } | { kind: "star" } | CharClass;
/** `**`: any number of whole segments. */
const GLOBSTAR: unique symbol = Symbol("**");
/** A segment pattern: plain text (compared as a whole: most segments are), pieces, or `**`. */
type SegmentPattern = string | Piece[] | typeof GLOBSTAR;

const ANY: Piece = { kind: "any" };
const STAR: Piece = { kind: "star" };
/** One segment, whatever its name. */
const ANY_SEGMENT: SegmentPattern = [STAR];

function compileAlternative(source: string): CompiledGlob {
  const dir = source.endsWith("/");
  let body = dir ? source.slice(0, -1) : source;
  const anchored = body.includes("/");
  if (body.startsWith("/")) body = body.slice(1);
  if (body.length === 0) throw new GlobError("pattern has no path after removing slashes", 0);
  const segments = body.split("/");
  const last = segments[segments.length - 1]!;

  // Brackets have two readings, and a path matching either belongs: a class (`*.[ch]`, as gitignore) and the
  // characters written (`app/[slug]/page.tsx`, as GitHub's CODEOWNERS, which has no classes).
  const readings = [reading(segments, anchored, dir, true)];
  if (body.includes("[")) readings.push(reading(segments, anchored, dir, false));

  const literalPrefix: string[] = [];
  if (anchored)
    for (const s of segments) {
      if (WILDCARD.test(s)) break;
      literalPrefix.push(s);
    }

  const matchesSegments = (names: readonly string[]) => readings.some((r) => pathMatches(r.parts, names));
  const glob: { -readonly [K in keyof CompiledGlob]: CompiledGlob[K] } = {
    source,
    matches: (path) => matchesSegments(path.split("/")),
    matchesSegments,
    anchored,
    literalPrefix,
  };
  // Every segment other than `**` matches exactly one path segment, so a literal one must appear in the
  // path as it is (`**\/iam/**`, `**\/schema.sql`, `Dockerfile`); the longest is the most selective key.
  const literals = segments.filter((seg) => !WILDCARD.test(seg));
  if (literals.length > 0) glob.literalSegment = literals.reduce((a, b) => (b.length > a.length ? b : a));
  // When every reading ends at the basename (a wildcard last segment covers nothing beneath), the basename
  // ends with the last segment's literal tail from its first dot on: `*.tf` → `.tf`, `*_test.go` → `.go`,
  // `docker-compose*.yml` → `.yml`.
  if (readings.every((r) => r.endsAtBasename)) {
    const tail = last.slice(Math.max(last.lastIndexOf("*"), last.lastIndexOf("?"), last.lastIndexOf("]")) + 1);
    const dot = tail.indexOf(".");
    if (dot !== -1 && dot < tail.length - 1) glob.extension = tail.slice(dot);
  }
  return glob;
}

/**
 * The segment patterns of one reading: unanchored, any number of leading directories first; then one entry
 * per segment, `**` as is, except a trailing `**`, which is "one or more segments" (`a/**` is what is inside
 * `a`, not a file called `a`); then what may lie beneath. `classes: false` reads `[...]` as written.
 */
function reading(
  segments: readonly string[],
  anchored: boolean,
  dir: boolean,
  classes: boolean,
): { parts: SegmentPattern[]; endsAtBasename: boolean } {
  const parts: SegmentPattern[] = anchored ? [] : [GLOBSTAR];
  segments.forEach((seg, i) => {
    const isLast = i === segments.length - 1;
    const pieces = segmentPieces(seg, classes);
    if (seg !== "**") parts.push(pieces.every((piece) => typeof piece === "string") ? pieces.join("") : pieces);
    else if (isLast) parts.push(ANY_SEGMENT, GLOBSTAR);
    else parts.push(GLOBSTAR);
  });
  // A directory has something beneath it; a last segment of plain characters also covers what is beneath it
  // (a last `**` is a star, not plain).
  const plainLast = segmentPieces(segments[segments.length - 1]!, classes).every((piece) => typeof piece === "string");
  if (dir) parts.push(ANY_SEGMENT, GLOBSTAR);
  else if (plainLast) parts.push(GLOBSTAR);
  return { parts, endsAtBasename: !dir && !plainLast };
}

/** `a*[bc]?` → ["a", star, class, any]; `a**b` inside a segment is `a*b`; `classes: false` keeps `[bc]` as text. */
function segmentPieces(seg: string, classes: boolean): Piece[] {
  const out: Piece[] = [];
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === "*") {
      if (out[out.length - 1] !== STAR) out.push(STAR);
    } else if (c === "?") out.push(ANY);
    else if (c === "[") {
      const cls = parseClass(seg, i);
      if (classes) out.push(cls);
      else out.push(...seg.slice(i, cls.end + 1));
      i = cls.end;
    } else out.push(c);
  }
  return out;
}

/**
 * Whether `items` match `pattern` as a whole, where `isStar(k)` says pattern[k] matches any run of items
 * (possibly none; false past the end) and `one(k, item)` whether pattern[k] matches exactly that one item. On a mismatch only the
 * last star is retried, one item further on: enough, since everything else consumes exactly one item, and it
 * keeps the work within pattern.length × items.length steps.
 */
function wildcardMatch<T>(
  count: number,
  isStar: (k: number) => boolean,
  one: (k: number, item: T) => boolean,
  items: ArrayLike<T>,
): boolean {
  let k = 0;
  let n = 0;
  let starK = -1;
  let starN = 0;
  while (n < items.length) {
    if (isStar(k)) {
      starK = k++;
      starN = n;
    } else if (k < count && one(k, items[n]!)) {
      k++;
      n++;
    } else if (starK !== -1) {
      k = starK + 1;
      n = ++starN;
    } else return false;
  }
  while (isStar(k)) k++;
  return k === count;
}

function pathMatches(parts: readonly SegmentPattern[], names: readonly string[]): boolean {
  return wildcardMatch(
    parts.length,
    (k) => parts[k] === GLOBSTAR,
    (k, name: string) => {
      const part = parts[k] as string | Piece[];
      return typeof part === "string" ? part === name : segmentMatches(part, name);
    },
    names,
  );
}

function segmentMatches(pieces: readonly Piece[], name: string): boolean {
  return wildcardMatch(
    pieces.length,
    (k) => pieces[k] === STAR,
    (k, c: string) => pieceMatches(pieces[k]!, c),
    name,
  );
}

function pieceMatches(piece: Piece, c: string): boolean {
  if (typeof piece === "string") return piece === c;
  if (piece.kind === "class") return classAccepts(piece, c);
  return true; // `?`: a star never gets here, wildcardMatch handles it
}
