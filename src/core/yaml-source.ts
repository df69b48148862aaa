import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
} from "yaml";
import type { Problem } from "./types.js";

/** Limits that keep hostile input from hanging the app or exhausting its memory. */
export const LIMITS = {
  bytes: 1024 * 1024,
  lineLength: 10_000,
  flowDepth: 64,
  /** Nesting of block collections (a valid table nests 5 deep); with flow collections inside, up to depth + flowDepth. */
  depth: 64,
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
  /** How many of `problems` were found by parsing, before any reading. */
  private parsed = 0;

  constructor(
    readonly file: string,
    private readonly text: string,
  ) {
    try {
      this.doc = this.parse(text);
    } finally {
      this.parsed = this.problems.length;
    }
  }

  private parse(text: string): Document.Parsed | undefined {
    if (!this.checkShape(text)) return undefined;
    // uniqueKeys is off because the yaml package checks each key against every earlier key of its
    // mapping (quadratic: 30,000 keys took seconds, a 1 MiB file minutes); checkDuplicateKeys does it
    // in one pass and names the key path, so a duplicate no longer stops the rest of the validation.
    let doc: Document.Parsed;
    try {
      doc = parseDocument(text, { lineCounter: this.lines, uniqueKeys: false, prettyErrors: false, strict: true });
    } catch (err) {
      // checkShape bounds the nesting, so this should not happen; if it does, report it, never throw.
      if (!(err instanceof RangeError)) throw err;
      this.problems.push({
        severity: "error",
        file: this.file,
        line: 1,
        column: 1,
        path: "",
        message: `the file nests too deeply to read (${err.message}): flatten the structure`,
      });
      return undefined;
    }
    const openers = doc.errors.length > 0 ? unclosedOpeners(doc) : new Map<number, number>();
    for (const e of [...doc.errors, ...doc.warnings]) {
      const first = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      const hint = e.code === "TAB_AS_INDENT" ? ": indent with spaces" : "";
      // An unclosed quote or bracket is noticed where the parser gives up, often lines later (the end
      // of the file): point at where it was opened, which is what to fix.
      const opener = /closing "?quote|end with a [\]}]/i.test(first) ? openers.get(e.pos[0]) : undefined;
      const where =
        opener === undefined ? "" : ` (opened here; still open at line ${this.lines.linePos(e.pos[0]).line})`;
      this.problemAt(opener ?? e.pos[0], "", `${first}${hint}${where}`, e.name === "YAMLWarning" ? "warning" : "error");
    }
    this.checkDuplicateKeys(doc.contents, []);
    return doc;
  }

  /** Errors of the text as YAML (not of the table): what was reported before any reading of the document. */
  get syntaxErrors(): readonly Problem[] {
    return this.problems.slice(0, this.parsed).filter((p) => p.severity === "error" && p.path === "");
  }

  get ok(): boolean {
    return this.doc !== undefined && !this.problems.some((p) => p.severity === "error");
  }

  /** Follows an alias to its anchored node, within the alias budget. */
  deref(node: unknown, path: string): Node | null | undefined {
    if (!isAlias(node)) return node as Node | null | undefined;
    if (--this.aliasesLeft < 0) {
      if (this.aliasesLeft === -1)
        this.error(
          node,
          path,
          `more than ${LIMITS.aliases} alias expansions: write the values out instead of using anchors (*alias)`,
        );
      return undefined;
    }
    return node.resolve(this.doc!);
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

  /** The file's text between two offsets (e.g. a scalar as written, quotes and escapes included). */
  slice(start: number, end: number): string {
    return this.text.slice(start, end);
  }

  problemAt(offset: number, path: string, message: string, severity: Problem["severity"]): void {
    const { line, col } = this.lines.linePos(offset);
    this.problems.push({ severity, file: this.file, line, column: col, path, message });
  }

  /**
   * Reports every repeated key of every mapping (keys compared by scalar value, as the yaml package does),
   * and nesting deeper than block and flow together may go: checkShape's estimate of block nesting can
   * be as low as half the truth (see blockTooDeep).
   */
  private checkDuplicateKeys(node: unknown, path: string[]): boolean {
    const max = LIMITS.depth + LIMITS.flowDepth;
    if ((isMap(node) || isSeq(node)) && path.length >= max) {
      this.error(node, "", `collections nest deeper than ${max} levels: flatten the structure`);
      return false;
    }
    if (isMap(node)) {
      const seen = new Map<unknown, unknown>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : undefined;
        const segment = key === undefined ? undefined : typeof key === "string" ? key : JSON.stringify(key);
        if (segment !== undefined) {
          const first = seen.get(key);
          if (first === undefined) seen.set(key, pair.key);
          else
            this.error(
              pair.key,
              [...path, segment].join(".").replace(/\.\[/g, "["),
              `duplicate key "${segment}" (first at line ${this.position(first).line}): remove or merge the repeated key`,
            );
        }
        path.push(segment ?? "?");
        const ok = this.checkDuplicateKeys(pair.key, path) && this.checkDuplicateKeys(pair.value, path);
        path.pop();
        if (!ok) return false;
      }
    } else if (isSeq(node)) {
      for (let i = 0; i < node.items.length; i++) {
        path.push(`[${i}]`);
        const ok = this.checkDuplicateKeys(node.items[i], path);
        path.pop();
        if (!ok) return false;
      }
    }
    return true;
  }

  /**
   * Rejects input that is too large, has absurd lines or control characters, or nests collections too
   * deeply, before parsing it: the yaml package recurses once per level and passes every later token up
   * through each level, so thousands of levels overflow the stack (it threw RangeError) or take seconds.
   */
  private checkShape(text: string): boolean {
    const fail = (line: number, column: number, message: string) => {
      this.problems.push({ severity: "error", file: this.file, line, column, path: "", message });
      return false;
    };
    if (Buffer.byteLength(text, "utf8") > LIMITS.bytes)
      return fail(
        1,
        1,
        `file is larger than ${LIMITS.bytes / 1024} KiB: a review table is far smaller; check that this is the right file`,
      );
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < text.length; i++) {
      // YAML allows no C0 control character but tab, LF and CR (nor DEL): a NUL byte means binary
      // data, which the yaml package would otherwise accept silently inside a scalar.
      const code = text.charCodeAt(i);
      if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f) {
        return fail(
          line,
          i - lineStart + 1,
          `control character U+${code.toString(16).toUpperCase().padStart(4, "0")}: a review table is plain text; check that this is the right file`,
        );
      }
      if (code === 0x0a) {
        if (i - lineStart > LIMITS.lineLength)
          return fail(line, LIMITS.lineLength + 1, `line is longer than ${LIMITS.lineLength} characters: break it up`);
        line++;
        lineStart = i + 1;
      }
    }
    if (text.length - lineStart > LIMITS.lineLength)
      return fail(line, LIMITS.lineLength + 1, `line is longer than ${LIMITS.lineLength} characters: break it up`);
    const flow = flowTooDeep(text);
    if (flow)
      return fail(
        flow.line,
        flow.column,
        `collections nest deeper than ${LIMITS.flowDepth} levels: flatten the structure`,
      );
    const block = blockTooDeep(text);
    if (block)
      return fail(
        block.line,
        block.column,
        `collections nest deeper than ${LIMITS.depth} levels: flatten the structure`,
      );
    return true;
  }
}

/**
 * The first flow bracket (`[`, `{`) deeper than LIMITS.flowDepth. The yaml package's own lexer tells
 * brackets from quoted strings, comments and block scalars; the character scan this replaces could be
 * fooled (`note: don't` opened a "quote" that hid every bracket after it, so 5,000 levels got through).
 */
function flowTooDeep(text: string): { line: number; column: number } | undefined {
  let depth = 0;
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === "[" || token === "{") {
      if (++depth > LIMITS.flowDepth) return lineColumn(text, offset);
    } else if ((token === "]" || token === "}") && depth > 0) depth--;
    // The lexer's markers for a document, a scalar and a flow error are not in the source.
    if (token !== "\x02" && token !== "\x1f" && token !== "\x18") offset += token.length;
  }
  return undefined;
}

/**
 * The first place where block collections may nest deeper than LIMITS.depth: one level for each
 * deeper indentation still open, and one for each `- `, `? ` or `: ` that opens a compact collection on
 * the same line (`- - - x`). A collection as a mapping's value may share its key's indentation, so the
 * estimate can be half the true depth; the walk after parsing reports the exact place.
 */
function blockTooDeep(text: string): { line: number; column: number } | undefined {
  const open: { column: number; depth: number }[] = [];
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    const l = lines[n]!;
    let i = 0;
    while (l[i] === " ") i++;
    if (i === l.length || l[i] === "#" || l[i] === "\r") continue;
    while (open.length > 0 && open[open.length - 1]!.column >= i) open.pop();
    let depth = (open[open.length - 1]?.depth ?? 0) + 1;
    open.push({ column: i, depth });
    while (depth <= LIMITS.depth) {
      const c = l[i];
      const blank = (j: number) => j === l.length || l[j] === " " || l[j] === "\t";
      if ((c === "-" || c === "?" || c === ":") && blank(i + 1)) {
        i++;
        while (l[i] === " " || l[i] === "\t") i++;
        if (i === l.length || l[i] === "#") break;
        open.push({ column: i, depth: ++depth });
      } else if (c === "&" || c === "!") {
        while (!blank(i)) i++;
        while (l[i] === " " || l[i] === "\t") i++;
      } else break;
    }
    if (depth > LIMITS.depth) return { line: n + 1, column: i + 1 };
  }
  return undefined;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf("\n") + 1;
  let line = 1;
  for (let i = before.indexOf("\n"); i >= 0; i = before.indexOf("\n", i + 1)) line++;
  return { line, column: offset - lineStart + 1 };
}

/**
 * Quoted scalars and flow collections by where they end → where they start: an error noticed at the end
 * of one is about its opening quote or bracket. One walk of the document, however many errors.
 */
function unclosedOpeners(doc: Document.Parsed): Map<number, number> {
  const out = new Map<number, number>();
  const note = (n: { range?: [number, number, number] | null }) => {
    if (n.range) out.set(n.range[1], n.range[0]);
  };
  visit(doc, {
    Scalar: (_, n) => void ((n.type === "QUOTE_DOUBLE" || n.type === "QUOTE_SINGLE") && note(n)),
    Seq: (_, n) => void (n.flow && note(n)),
    Map: (_, n) => void (n.flow && note(n)),
  });
  return out;
}

export function offsetOf(node: unknown): number {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? range[0] : 0;
}

export function describe(node: unknown): string {
  if (node === null || node === undefined) return "nothing";
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return "null";
    if (typeof v === "string") return `the string "${v.length > 40 ? v.slice(0, 40) + "…" : v}"`;
    return typeof v === "number" || typeof v === "boolean" || typeof v === "bigint"
      ? `${typeof v} ${String(v)}`
      : typeof v;
  }
  return "an unsupported value";
}
