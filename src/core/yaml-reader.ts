import { isAlias, isMap, isScalar, isSeq, type Node } from "yaml";
import { describe, offsetOf, type YamlSource } from "./yaml-source.js";
import { didYouMean } from "./suggest.js";

/** A value read from the document, with the node it came from (for positions). */
export interface Located<T> {
  readonly value: T;
  /** Where the value is written: the node itself, or the alias (`*name`) that stands for it. */
  readonly node: unknown;
}

/** An entry of a mapping: its key (string) and value node, both located. */
export interface Entry {
  readonly key: string;
  readonly keyNode: unknown;
  /** The value, an alias already followed. */
  readonly node: Node | null | undefined;
  /**
   * Where to point problems about the value: as written (an alias rather than the anchored node far
   * away, which sits under another key path), or the key when there is no value.
   */
  readonly at: unknown;
}

/**
 * Typed, position-keeping reads over a YamlSource. Every reader reports its own problem and returns
 * undefined on a wrong type, so validation can continue and report everything in one pass.
 */
export class YamlReader {
  constructor(readonly src: YamlSource) {}

  /** Entries of a mapping, in document order. Keys must be strings. `at` positions a wrong type (see Entry.at). */
  entries(raw: unknown, path: string, at?: unknown): Entry[] | undefined {
    const node = this.src.deref(raw, path);
    if (!isMap(node)) {
      this.src.error(at ?? node ?? raw, path, `expected a mapping (key: value), found ${describe(node)}`);
      return undefined;
    }
    // Under an alias (`personas: *shared`), everything is pointed at the alias: that is where it is used.
    const via = isAlias(raw) ? raw : isAlias(at) ? at : undefined;
    const out: Entry[] = [];
    for (const pair of node.items) {
      const key = this.src.deref(pair.key, path);
      if (!isScalar(key) || typeof key.value !== "string") {
        this.src.error(via ?? pair.key ?? node, path, `keys must be plain strings, found ${describe(key)}`);
        continue;
      }
      out.push({
        key: key.value,
        keyNode: via ?? pair.key,
        node: this.src.deref(pair.value, join(path, key.value)),
        at: via ?? pair.value ?? pair.key,
      });
    }
    return out;
  }

  /** Entries of a mapping whose keys must come from `known`; unknown keys are reported with a suggestion. */
  fields(raw: unknown, path: string, known: readonly string[], at?: unknown): Map<string, Entry> | undefined {
    const entries = this.entries(raw, path, at);
    if (!entries) return undefined;
    const out = new Map<string, Entry>();
    for (const e of entries) {
      if (!known.includes(e.key)) {
        const hint = didYouMean(e.key, known);
        this.src.error(
          e.keyNode,
          join(path, e.key),
          `unknown key "${e.key}"${hint ? ` (did you mean "${hint}"?)` : `: expected one of ${known.join(", ")}`}`,
        );
        continue;
      }
      out.set(e.key, e);
    }
    return out;
  }

  string(entry: Entry | undefined, path: string, opts: { nonEmpty?: boolean } = {}): string | undefined {
    if (!entry) return undefined;
    const v = isScalar(entry.node) ? entry.node.value : undefined;
    if (typeof v !== "string" || (opts.nonEmpty && v.trim() === "")) {
      this.src.error(
        entry.at,
        path,
        `expected ${opts.nonEmpty ? "a non-empty" : "a"} string, found ${describe(entry.node)}`,
      );
      return undefined;
    }
    return v;
  }

  boolean(entry: Entry | undefined, path: string): boolean | undefined {
    if (!entry) return undefined;
    const v = isScalar(entry.node) ? entry.node.value : undefined;
    if (typeof v !== "boolean") {
      this.src.error(entry.at, path, `expected true or false, found ${describe(entry.node)}`);
      return undefined;
    }
    return v;
  }

  integer(entry: Entry | undefined, path: string, min: number, max: number): number | undefined {
    if (!entry) return undefined;
    const v = isScalar(entry.node) ? entry.node.value : undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      this.src.error(entry.at, path, `expected a whole number from ${min} to ${max}, found ${describe(entry.node)}`);
      return undefined;
    }
    return v;
  }

  oneOf<T extends string>(entry: Entry | undefined, path: string, allowed: readonly T[]): T | undefined {
    const v = this.string(entry, path);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) {
      const hint = didYouMean(v, allowed);
      this.src.error(
        entry!.at,
        path,
        `"${v}" is not allowed here: use ${allowed.map((a) => `"${a}"`).join(", ")}${hint ? ` (did you mean "${hint}"?)` : ""}`,
      );
      return undefined;
    }
    return v as T;
  }

  /** A list of strings; a single string is accepted as a list of one when `single` is set. */
  strings(entry: Entry | undefined, path: string, opts: { single?: boolean } = {}): Located<string>[] | undefined {
    if (!entry) return undefined;
    const node = entry.node;
    if (opts.single && isScalar(node) && typeof node.value === "string") return [{ value: node.value, node: entry.at }];
    if (isScalar(node) && node.value === null) return [];
    if (!isSeq(node)) {
      this.src.error(entry.at, path, `expected a list of strings, found ${describe(node)}`);
      return undefined;
    }
    const via = isAlias(entry.at) ? entry.at : undefined; // see entries()
    const out: Located<string>[] = [];
    node.items.forEach((raw, i) => {
      const item = this.src.deref(raw, `${path}[${i}]`);
      const v = isScalar(item) ? item.value : undefined;
      if (typeof v !== "string" || v.trim() === "") {
        this.src.error(via ?? raw ?? node, `${path}[${i}]`, `expected a non-empty string, found ${describe(item)}`);
        return;
      }
      out.push({ value: v, node: via ?? raw });
    });
    return out;
  }

  /** Reports repeated values in a list as warnings and returns the list without them; `same` says what counts as a repeat. */
  unique(
    items: Located<string>[],
    path: string,
    what: string,
    same: (value: string) => string = (v) => v,
  ): Located<string>[] {
    const seen = new Set<string>();
    return items.filter((it) => {
      const key = same(it.value);
      if (!seen.has(key)) return (seen.add(key), true);
      this.src.warning(it.node, path, `${what} "${it.value}" is listed twice: remove the repeat`);
      return false;
    });
  }

  /** Offset helper re-exported for column arithmetic inside a scalar (e.g. a glob's bad character). */
  offset(node: unknown): number {
    return offsetOf(node);
  }

  /**
   * Offset in the file of the character at `index` of a scalar's value, reading past the opening quote
   * and escapes (`"\\"`, `"\u00e9"`, `'it''s'`), so that a problem inside a string points at its
   * character. When the two cannot be lined up (an alias, a block scalar, a value folded over several
   * lines), the scalar's own offset.
   */
  valueOffset(node: unknown, index: number): number {
    const start = offsetOf(node);
    if (isAlias(node) || !isScalar(node) || !node.range) return start;
    const raw = this.src.slice(node.range[0], node.range[1]);
    if (node.type === "PLAIN") return raw.includes("\n") ? start : start + index;
    if (node.type !== "QUOTE_DOUBLE" && node.type !== "QUOTE_SINGLE") return start;
    let i = 1;
    for (let n = 0; n < index;) {
      const c = raw[i];
      if (c === undefined || c === "\n" || c === "\r") return start;
      if (node.type === "QUOTE_SINGLE" || c !== "\\") {
        i += node.type === "QUOTE_SINGLE" && c === "'" ? 2 : 1;
        n++;
        continue;
      }
      const hex = { x: 2, u: 4, U: 8 }[raw[i + 1] as "x" | "u" | "U"];
      if (hex === undefined) {
        if (raw[i + 1] === "\n" || raw[i + 1] === "\r") return start;
        i += 2;
        n++;
      } else {
        n += parseInt(raw.slice(i + 2, i + 2 + hex), 16) > 0xffff ? 2 : 1; // a surrogate pair in the value
        i += 2 + hex;
      }
    }
    return start + i;
  }
}

export function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
