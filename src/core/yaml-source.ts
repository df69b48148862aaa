import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from "yaml";
import type { Problem } from "./types.js";

/** Limits that keep hostile input from hanging the app or exhausting its memory. */
export const LIMITS = {
  bytes: 1024 * 1024,
  lineLength: 10_000,
  flowDepth: 64,
  aliases: 1_000,
} as const;

/**
 * A parsed YAML document that reports problems with file, line, column and key path.
 * Validation walks the syntax tree (not `toJS()`), so every value keeps its position and aliases
 * are expanded only where the schema reads them, each counted against a budget.
 */
export class YamlSource {
  readonly problems: Problem[] = [];
  readonly doc: Document.Parsed | undefined;
  private readonly lines = new LineCounter();
  private aliasesLeft: number = LIMITS.aliases;

  constructor(
    readonly file: string,
    text: string,
  ) {
    if (!this.checkShape(text)) return;
    this.doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: true, prettyErrors: false, strict: true });
    for (const e of [...this.doc.errors, ...this.doc.warnings]) {
      const first = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      const hint = e.code === "DUPLICATE_KEY" ? ": remove or merge the repeated key" : e.code === "TAB_AS_INDENT" ? ": indent with spaces" : "";
      this.problemAt(e.pos[0], "", `${first}${hint}`, e.name === "YAMLWarning" ? "warning" : "error");
    }
  }

  get ok(): boolean {
    return this.doc !== undefined && !this.problems.some((p) => p.severity === "error");
  }

  /** Follows an alias to its anchored node, within the alias budget. */
  deref(node: unknown, path: string): Node | null | undefined {
    if (!isAlias(node)) return node as Node | null | undefined;
    if (--this.aliasesLeft < 0) {
      if (this.aliasesLeft === -1) this.error(node, path, `more than ${LIMITS.aliases} alias expansions: write the values out instead of using anchors (*alias)`);
      return undefined;
    }
    return node.resolve(this.doc!) as Node | undefined;
  }

  error(node: unknown, path: string, message: string): void {
    this.problemAt(offsetOf(node), path, message, "error");
  }

  warning(node: unknown, path: string, message: string): void {
    this.problemAt(offsetOf(node), path, message, "warning");
  }

  /** Position of a node as [line, column], 1-based. */
  position(node: unknown): { line: number; column: number } {
    const { line, col } = this.lines.linePos(offsetOf(node));
    return { line, column: col };
  }

  problemAt(offset: number, path: string, message: string, severity: Problem["severity"]): void {
    const { line, col } = this.lines.linePos(offset);
    this.problems.push({ severity, file: this.file, line, column: col, path, message });
  }

  /** Rejects input that is too large, has absurd lines, or nests flow collections too deeply, before parsing it. */
  private checkShape(text: string): boolean {
    const fail = (line: number, column: number, message: string) => {
      this.problems.push({ severity: "error", file: this.file, line, column, path: "", message });
      return false;
    };
    if (Buffer.byteLength(text, "utf8") > LIMITS.bytes) return fail(1, 1, `file is larger than ${LIMITS.bytes / 1024} KiB: a review table is far smaller; check that this is the right file`);
    let line = 1;
    let lineStart = 0;
    let depth = 0;
    let quote = "";
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c === "\n") {
        if (i - lineStart > LIMITS.lineLength) return fail(line, LIMITS.lineLength + 1, `line is longer than ${LIMITS.lineLength} characters: break it up`);
        line++;
        lineStart = i + 1;
        if (quote === "#") quote = "";
        continue;
      }
      if (quote) {
        if (c === quote && quote !== "#") quote = "";
        continue;
      }
      if (c === '"' || c === "'") quote = c;
      else if (c === "#" && (i === lineStart || /\s/.test(text[i - 1]!))) quote = "#";
      else if (c === "[" || c === "{") {
        if (++depth > LIMITS.flowDepth) return fail(line, i - lineStart + 1, `collections nest deeper than ${LIMITS.flowDepth} levels: flatten the structure`);
      } else if ((c === "]" || c === "}") && depth > 0) depth--;
    }
    if (text.length - lineStart > LIMITS.lineLength) return fail(line, LIMITS.lineLength + 1, `line is longer than ${LIMITS.lineLength} characters: break it up`);
    return true;
  }
}

export function offsetOf(node: unknown): number {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : 0;
}

/** The key node of a pair, for positioning "unknown key" problems at the key itself. */
export function keyNode(pair: Pair): unknown {
  return pair.key;
}

export function scalarValue(node: unknown): unknown {
  return isScalar(node) ? node.value : undefined;
}

export function describe(node: unknown): string {
  if (node === null || node === undefined) return "nothing";
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return "null";
    if (typeof v === "string") return `the string "${v.length > 40 ? v.slice(0, 40) + "…" : v}"`;
    return `${typeof v} ${String(v)}`;
  }
  return "an unsupported value";
}
