import { isMap, isScalar } from "yaml";
import type { Problem } from "./types.js";
import type { YamlSource } from "./yaml-source.js";

/**
 * Reading past a YAML syntax error, so that one mistake does not hide every other problem of a table.
 *
 * Tabs used as indentation are the common case (an editor's setting): the yaml package then reports
 * the tab and, as it reads the line at another depth, a cascade of errors that point the wrong way
 * ("unknown key", "missing domains"). `repairTabs` finds the indentation the line was meant to have,
 * so the table can be read as intended. Other syntax errors keep the problems of the top-level
 * sections (`personas:`, `domains:`, …) the error does not touch.
 */

/**
 * Repair is tried on ordinary tables only: each candidate indentation costs a parse of the whole text,
 * so the characters parsed are budgeted (a hostile file must not make the app parse it a hundred times).
 */
const MAX_REPAIR_CHARS = 32 * 1024;
const MAX_TAB_LINES = 10;
export const PARSE_BUDGET = 128 * 1024;

export interface TabRepair {
  readonly text: string;
  /** 1-based line → indentation as written (characters, tabs included) and as repaired (spaces). */
  readonly lines: ReadonlyMap<number, { readonly from: number; readonly to: number; readonly tabColumn: number }>;
}

/**
 * Replaces the tab-containing indentation of each line by the number of spaces that reads best:
 * `score` (lower is better, 0 perfect) judges the whole text with one line changed; candidates are the
 * indentation of the next line, one level under the previous line, the previous line's, and the tabs
 * expanded to 2, 4 or 8 columns. Undefined when there is nothing to repair, the text is too large or
 * the parse budget runs out.
 */
export function repairTabs(text: string, score: (text: string) => number): TabRepair | undefined {
  if (text.length > MAX_REPAIR_CHARS) return undefined;
  const lines = text.split("\n");
  const tabbed = lines.flatMap((l, i) => (/^[ \t]*\t/.test(l) && l.trim() !== "" ? [i] : []));
  if (tabbed.length === 0 || tabbed.length > MAX_TAB_LINES) return undefined;
  const fixes = new Map<number, { from: number; to: number; tabColumn: number }>();
  let budget = PARSE_BUDGET;
  for (const i of tabbed) {
    const ws = /^[ \t]*/.exec(lines[i]!)![0];
    const rest = lines[i]!.slice(ws.length);
    const prev = indentOf(neighbour(lines, i, -1));
    const candidates = [
      indentOf(neighbour(lines, i, 1)),
      prev === undefined ? undefined : prev + 2,
      prev,
      ...[2, 4, 8].map((w) => expand(ws, w)),
    ].filter((n, k, all): n is number => n !== undefined && all.indexOf(n) === k);
    let best: { n: number; score: number } | undefined;
    for (const n of candidates) {
      const trial = [...lines];
      trial[i] = " ".repeat(n) + rest;
      const candidate = trial.join("\n");
      if ((budget -= candidate.length) < 0) return undefined;
      const s = score(candidate);
      if (!best || s < best.score) best = { n, score: s };
      if (s === 0) break;
    }
    lines[i] = " ".repeat(best!.n) + rest;
    fixes.set(i + 1, { from: ws.length, to: best!.n, tabColumn: ws.indexOf("\t") + 1 });
  }
  return { text: lines.join("\n"), lines: fixes };
}

/** The problem to report for a repaired line, at its first tab. */
export function tabProblem(file: string, line: number, fix: { to: number; tabColumn: number }): Problem {
  return {
    severity: "error",
    file,
    line,
    column: fix.tabColumn,
    path: "",
    message: `a tab indents this line, and YAML indents with spaces only: replace the indentation with ${fix.to} space${fix.to === 1 ? "" : "s"} (the rest of the file was checked as if it were)`,
  };
}

/** A problem found in the repaired text, moved back to the column of the text as written. */
export function unrepair(p: Problem, repair: TabRepair | undefined): Problem {
  const fix = repair?.lines.get(p.line);
  if (!fix) return p;
  return { ...p, column: p.column > fix.to ? p.column - fix.to + fix.from : 1 };
}

/** Which lines of a file with syntax errors can be trusted: those of top-level sections the errors leave whole. */
export interface Intact {
  line(line: number): boolean;
  /** False when a top-level section of that key is written in the file but could not be read whole. */
  section(key: string): boolean;
}

/**
 * A top-level section (a line starting in column 1 with `key:`, up to the next such line) is whole
 * when no syntax error lies in it and the parser found its key at the top level on that very line,
 * with a value that ends before the next section (an unclosed bracket or quote swallows the sections
 * after it, and the parser may report that only at the end of the file).
 */
export function intactSections(src: YamlSource, text: string): Intact {
  // An error the parser notices at the start of a line (an unclosed bracket, found when the next
  // section begins) may belong to the line before.
  const errorLines = src.syntaxErrors.flatMap((p) => (p.column === 1 ? [p.line - 1, p.line] : [p.line]));
  /** Line of each top-level key the parser found → the key and the last line of its value. */
  const parsedKeys = new Map<number, { key: string; last: number }>();
  const contents = src.doc?.contents;
  if (isMap(contents))
    for (const pair of contents.items) {
      if (!isScalar(pair.key) || typeof pair.key.value !== "string") continue;
      const end = (pair.value as { range?: [number, number, number] } | null)?.range?.[1];
      const line = src.position(pair.key).line;
      const last = end === undefined ? line : src.position({ range: [Math.max(0, end - 1)] }).line;
      parsedKeys.set(line, { key: pair.key.value, last });
    }

  const starts: { line: number; key: string | undefined }[] = [];
  text.split("\n").forEach((l, i) => {
    if (/^[^\s#]/.test(l) && !/^(---|\.\.\.)(\s|$)/.test(l))
      starts.push({ line: i + 1, key: /^(["']?)([^"':#]+)\1\s*:(\s|$)/.exec(l)?.[2]?.trim() });
  });
  const sections = starts.map((s, k) => {
    const end = k + 1 < starts.length ? starts[k + 1]!.line - 1 : Number.MAX_SAFE_INTEGER;
    const parsed = parsedKeys.get(s.line);
    const whole =
      s.key !== undefined &&
      parsed?.key === s.key &&
      parsed.last <= end &&
      !errorLines.some((l) => l >= s.line && l <= end);
    return { ...s, end, whole };
  });
  return {
    line: (line) => sections.find((s) => line >= s.line && line <= s.end)?.whole ?? true,
    section: (key) => sections.every((s) => s.key !== key || s.whole),
  };
}

function neighbour(lines: readonly string[], i: number, step: 1 | -1): string | undefined {
  for (let j = i + step; j >= 0 && j < lines.length; j += step) {
    const l = lines[j]!;
    if (l.trim() !== "" && !l.trimStart().startsWith("#") && !/^[ \t]*\t/.test(l)) return l;
  }
  return undefined;
}

function indentOf(line: string | undefined): number | undefined {
  return line === undefined ? undefined : /^ */.exec(line)![0].length;
}

/** Indentation width with tab stops every `width` columns. */
function expand(ws: string, width: number): number {
  let col = 0;
  for (const c of ws) col = c === "\t" ? (Math.floor(col / width) + 1) * width : col + 1;
  return col;
}
