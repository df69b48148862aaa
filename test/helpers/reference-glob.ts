/**
 * A deliberately simple, independent reference for the path-pattern rules of docs/configuration.md
 * ("Path patterns"). It uses no regular expressions and none of src/core: braces are expanded from a
 * small parse tree, then pattern and path are split into segments and matched recursively, with a
 * character-level matcher inside a segment. It assumes the pattern is valid (callers filter with
 * `globProblem`); it is meant to be obviously right, not fast.
 *
 * Rules, per brace alternative:
 * - a trailing `/` means a directory: the pattern must match a proper prefix of the path (something is beneath);
 * - a pattern with no `/` left (after dropping a trailing one) may start at any depth; any other `/`
 *   anchors it at the root (a leading `/` is then dropped);
 * - a last segment with no wildcard (`*`, `?`, `[`) also covers everything beneath that path;
 * - otherwise the pattern must match the whole path;
 * - the segment `**` matches zero or more segments, except as the last segment, where it matches one
 *   or more (`a/**` is what is inside `a`, not a file called `a`);
 * - inside a segment `*` (and `**`, `***`, ...) matches any run of characters, `?` one character,
 *   `[...]` / `[!...]` / `[^...]` one character of (not of) a set with `x-y` ranges and `[:name:]` POSIX
 *   classes; a `]` right after `[` or `[!` is literal; anything else matches itself, case-sensitively;
 * - a pattern with brackets also matches the path spelled as written, brackets and all (a second reading
 *   where `[...]` is literal text: then a last segment without `*` or `?` covers what is beneath it).
 */

type Node = { kind: "text"; text: string } | { kind: "alt"; options: Node[][] };

/** Index just past the `]` closing the class that starts at `start` (a `[`), or -1 when it never closes. */
function afterClass(p: string, start: number): number {
  let i = start + 1;
  if (p[i] === "!" || p[i] === "^") i++;
  if (p[i] === "]") i++;
  while (i < p.length && p[i] !== "]") i += posixAt(p, i)?.length ?? 1;
  return i < p.length ? i + 1 : -1;
}

/** `[:name:]` at `i` inside a class: its length and name (git reads `[:` up to the first `]`). */
function posixAt(p: string, i: number): { length: number; name: string } | undefined {
  if (p[i] !== "[" || p[i + 1] !== ":") return undefined;
  const close = p.indexOf("]", i + 2);
  if (close < 0 || p[close - 1] !== ":" || close - 1 < i + 2) return undefined;
  return { length: close + 1 - i, name: p.slice(i + 2, close - 1) };
}

/** Characters `lo` to `hi`, inclusive. */
function span(lo: string, hi: string): string[] {
  return Array.from({ length: hi.charCodeAt(0) - lo.charCodeAt(0) + 1 }, (_, i) =>
    String.fromCharCode(lo.charCodeAt(0) + i),
  );
}

/** The POSIX classes as git's wildmatch reads them, spelled out over ASCII. */
const DIGITS = span("0", "9");
const LOWER = span("a", "z");
const UPPER = span("A", "Z");
const POSIX: Record<string, string[]> = {
  alnum: [...DIGITS, ...LOWER, ...UPPER],
  alpha: [...LOWER, ...UPPER],
  blank: [" ", "\t"],
  cntrl: [...span("\0", "\x1f"), "\x7f"],
  digit: DIGITS,
  graph: span("!", "~"),
  lower: LOWER,
  print: span(" ", "~"),
  punct: [...span("!", "/"), ...span(":", "@"), ...span("[", "`"), ...span("{", "~")],
  space: [" ", "\t", "\n", "\v", "\f", "\r"],
  upper: UPPER,
  xdigit: [...DIGITS, ...span("a", "f"), ...span("A", "F")],
};

/** Parses `p` from `pos` into a sequence, stopping at a `,` or `}` when inside braces. */
function parseSeq(p: string, pos: number, inBraces: boolean): { seq: Node[]; pos: number } {
  const seq: Node[] = [];
  let text = "";
  while (pos < p.length) {
    const c = p[pos]!;
    if (inBraces && (c === "," || c === "}")) break;
    if (c === "[") {
      const end = afterClass(p, pos);
      const stop = end < 0 ? pos + 1 : end;
      text += p.slice(pos, stop);
      pos = stop;
    } else if (c === "{") {
      if (text) seq.push({ kind: "text", text });
      text = "";
      const options: Node[][] = [];
      pos++;
      for (;;) {
        const part = parseSeq(p, pos, true);
        options.push(part.seq);
        pos = part.pos;
        if (p[pos] === ",") {
          pos++;
          continue;
        }
        pos++; // the closing `}` (valid patterns always have it)
        break;
      }
      seq.push({ kind: "alt", options });
    } else {
      text += c;
      pos++;
    }
  }
  if (text) seq.push({ kind: "text", text });
  return { seq, pos };
}

function expandSeq(seq: Node[]): string[] {
  let out = [""];
  for (const node of seq) {
    const tails = node.kind === "text" ? [node.text] : node.options.flatMap(expandSeq);
    const next: string[] = [];
    for (const head of out) for (const tail of tails) next.push(head + tail);
    out = next;
  }
  return out;
}

/** `a{b,c{d,e}}` → `ab`, `acd`, `ace`; a `{` inside a character class is literal. */
export function refExpandBraces(pattern: string): string[] {
  return [...new Set(expandSeq(parseSeq(pattern, 0, false).seq))];
}

/** One character against the class body between `[` and `]` (negation marker included). */
function classMatches(body: string, ch: string): boolean {
  let negated = false;
  let i = 0;
  if (body[0] === "!" || body[0] === "^") {
    negated = true;
    i = 1;
  }
  let hit = false;
  while (i < body.length) {
    const posix = posixAt(body, i);
    if (posix) {
      if (POSIX[posix.name]!.includes(ch)) hit = true;
      i += posix.length;
      continue;
    }
    const lo = body[i]!;
    if (body[i + 1] === "-" && i + 2 < body.length) {
      const hi = body[i + 2]!;
      if (lo <= ch && ch <= hi) hit = true;
      i += 3;
    } else {
      if (lo === ch) hit = true;
      i++;
    }
  }
  return hit !== negated;
}

/** One path segment (no `/`) against one pattern segment (not `**`); `classes: false` reads `[...]` as written. */
export function refSegmentMatch(pat: string, name: string, classes = true): boolean {
  const go = (pi: number, ni: number): boolean => {
    if (pi === pat.length) return ni === name.length;
    const c = pat[pi]!;
    if (c === "*") {
      let next = pi;
      while (pat[next] === "*") next++;
      for (let k = ni; k <= name.length; k++) if (go(next, k)) return true;
      return false;
    }
    if (ni === name.length) return false;
    if (c === "?") return go(pi + 1, ni + 1);
    if (c === "[") {
      const end = afterClass(pat, pi);
      if (end > 0 && !classes) return name.startsWith(pat.slice(pi, end), ni) && go(end, ni + end - pi);
      if (end > 0) return classMatches(pat.slice(pi + 1, end - 1), name[ni]!) && go(end, ni + 1);
    }
    return c === name[ni] && go(pi + 1, ni + 1);
  };
  return go(0, 0);
}

function hasWildcard(seg: string, classes: boolean): boolean {
  if (classes) return seg.includes("*") || seg.includes("?") || seg.includes("[");
  let outside = "";
  for (let i = 0; i < seg.length; i++) {
    const end = seg[i] === "[" ? afterClass(seg, i) : -1;
    if (end > 0) i = end - 1;
    else outside += seg[i];
  }
  return outside.includes("*") || outside.includes("?");
}

/**
 * One brace-free alternative against a path. A pattern with brackets has two readings, both of which count:
 * `[...]` as a character class (`classes`), and as the characters written (`app/[slug]/page.tsx`).
 */
export function refMatchAlternative(alt: string, path: string, classes = true): boolean {
  const dir = alt.endsWith("/");
  let body = dir ? alt.slice(0, -1) : alt;
  const anchored = body.includes("/");
  if (body.startsWith("/")) body = body.slice(1);
  if (body === "") return false;
  const pat = body.split("/");
  const names = path.split("/");
  const last = pat[pat.length - 1]!;

  // Every position in `names` where the pattern can finish having matched pat[0..].
  const ends = new Set<number>();
  const walk = (pi: number, ni: number): void => {
    if (pi === pat.length) {
      ends.add(ni);
      return;
    }
    const seg = pat[pi]!;
    if (seg === "**") {
      const min = pi === pat.length - 1 ? 1 : 0;
      for (let k = ni + min; k <= names.length; k++) walk(pi + 1, k);
      return;
    }
    if (ni < names.length && refSegmentMatch(seg, names[ni]!, classes)) walk(pi + 1, ni + 1);
  };
  const starts = anchored ? [0] : names.map((_, i) => i);
  for (const s of starts) walk(0, s);

  for (const end of ends) {
    const beneath = names.length - end;
    if (dir ? beneath >= 1 : last !== "**" && !hasWildcard(last, classes) ? true : beneath === 0) return true;
  }
  return false;
}

/** Whether a (valid) pattern matches a repository-relative path. */
export function refMatch(pattern: string, path: string): boolean {
  return refExpandBraces(pattern).some(
    (alt) => refMatchAlternative(alt, path) || refMatchAlternative(alt, path, false),
  );
}
