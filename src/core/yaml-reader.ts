import { isMap, isScalar, isSeq, type Node } from "yaml";
import { describe, offsetOf, type YamlSource } from "./yaml-source.js";
import { didYouMean } from "./suggest.js";

/** A value read from the document, with the node it came from (for positions). */
export interface Located<T> {
  readonly value: T;
  readonly node: unknown;
}

/** An entry of a mapping: its key (string) and value node, both located. */
export interface Entry {
  readonly key: string;
  readonly keyNode: unknown;
  readonly node: Node | null | undefined;
}

/**
 * Typed, position-keeping reads over a YamlSource. Every reader reports its own problem and returns
 * undefined on a wrong type, so validation can continue and report everything in one pass.
 */
export class YamlReader {
  constructor(readonly src: YamlSource) {}

  /** Entries of a mapping, in document order. Keys must be strings. */
  entries(raw: unknown, path: string): Entry[] | undefined {
    const node = this.src.deref(raw, path);
    if (!isMap(node)) {
      this.src.error(node ?? raw, path, `expected a mapping (key: value), found ${describe(node)}`);
      return undefined;
    }
    const out: Entry[] = [];
    for (const pair of node.items) {
      const key = this.src.deref(pair.key, path);
      if (!isScalar(key) || typeof key.value !== "string") {
        this.src.error(pair.key ?? node, path, `keys must be plain strings, found ${describe(key)}`);
        continue;
      }
      out.push({ key: key.value, keyNode: pair.key, node: this.src.deref(pair.value, join(path, key.value)) });
    }
    return out;
  }

  /** Entries of a mapping whose keys must come from `known`; unknown keys are reported with a suggestion. */
  fields(raw: unknown, path: string, known: readonly string[]): Map<string, Entry> | undefined {
    const entries = this.entries(raw, path);
    if (!entries) return undefined;
    const out = new Map<string, Entry>();
    for (const e of entries) {
      if (!known.includes(e.key)) {
        const hint = didYouMean(e.key, known);
        this.src.error(e.keyNode, join(path, e.key), `unknown key "${e.key}"${hint ? ` (did you mean "${hint}"?)` : `: expected one of ${known.join(", ")}`}`);
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
      this.src.error(entry.node ?? entry.keyNode, path, `expected ${opts.nonEmpty ? "a non-empty" : "a"} string, found ${describe(entry.node)}`);
      return undefined;
    }
    return v;
  }

  boolean(entry: Entry | undefined, path: string): boolean | undefined {
    if (!entry) return undefined;
    const v = isScalar(entry.node) ? entry.node.value : undefined;
    if (typeof v !== "boolean") {
      this.src.error(entry.node ?? entry.keyNode, path, `expected true or false, found ${describe(entry.node)}`);
      return undefined;
    }
    return v;
  }

  integer(entry: Entry | undefined, path: string, min: number, max: number): number | undefined {
    if (!entry) return undefined;
    const v = isScalar(entry.node) ? entry.node.value : undefined;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      this.src.error(entry.node ?? entry.keyNode, path, `expected a whole number from ${min} to ${max}, found ${describe(entry.node)}`);
      return undefined;
    }
    return v;
  }

  oneOf<T extends string>(entry: Entry | undefined, path: string, allowed: readonly T[]): T | undefined {
    const v = this.string(entry, path);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) {
      const hint = didYouMean(v, allowed);
      this.src.error(entry!.node, path, `"${v}" is not allowed here: use ${allowed.map((a) => `"${a}"`).join(", ")}${hint ? ` (did you mean "${hint}"?)` : ""}`);
      return undefined;
    }
    return v as T;
  }

  /** A list of strings; a single string is accepted as a list of one when `single` is set. */
  strings(entry: Entry | undefined, path: string, opts: { single?: boolean } = {}): Located<string>[] | undefined {
    if (!entry) return undefined;
    const node = entry.node;
    if (opts.single && isScalar(node) && typeof node.value === "string") return [{ value: node.value, node }];
    if (isScalar(node) && node.value === null) return [];
    if (!isSeq(node)) {
      this.src.error(node ?? entry.keyNode, path, `expected a list of strings, found ${describe(node)}`);
      return undefined;
    }
    const out: Located<string>[] = [];
    node.items.forEach((raw, i) => {
      const item = this.src.deref(raw, `${path}[${i}]`);
      const v = isScalar(item) ? item.value : undefined;
      if (typeof v !== "string" || v.trim() === "") {
        this.src.error(item ?? raw ?? node, `${path}[${i}]`, `expected a non-empty string, found ${describe(item)}`);
        return;
      }
      out.push({ value: v, node: item });
    });
    return out;
  }

  /** Reports repeated values in a list as warnings and returns the list without them. */
  unique(items: Located<string>[], path: string, what: string): Located<string>[] {
    const seen = new Set<string>();
    return items.filter((it) => {
      if (!seen.has(it.value)) return seen.add(it.value), true;
      this.src.warning(it.node, path, `${what} "${it.value}" is listed twice: remove the repeat`);
      return false;
    });
  }

  /** Offset helper re-exported for column arithmetic inside a scalar (e.g. a glob's bad character). */
  offset(node: unknown): number {
    return offsetOf(node);
  }
}

export function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
