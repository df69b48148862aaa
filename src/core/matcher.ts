import { compileGlob, type CompiledGlob } from "./glob.js";

/**
 * Many patterns, each tagged with a small integer (a domain's index), matched against many paths.
 *
 * Testing every pattern against every path costs paths × patterns matches. Instead each compiled
 * pattern is filed under the cheapest key that every path it can match must have — a literal
 * directory prefix (a trie walked along the path's segments), a literal segment anywhere in the path,
 * or the basename's extension — and only the few candidates found that way are matched.
 * Patterns with no such key (e.g. `**\/*test*`) are tried on every path.
 */
export class PathMatcher {
  /** Literal directory prefixes: the root itself holds no patterns (a pattern without a prefix goes elsewhere). */
  private readonly root = new Map<string, TrieNode>();
  private readonly bySegment = new Map<string, Tagged[]>();
  private readonly byExtension = new Map<string, Tagged[]>();
  private readonly always: Tagged[] = [];
  private readonly tagCount: number;

  constructor(entries: Iterable<{ pattern: string; tag: number }>) {
    let maxTag = -1;
    for (const { pattern, tag } of entries) {
      maxTag = Math.max(maxTag, tag);
      for (const glob of compileGlob(pattern)) this.file({ glob, tag });
    }
    this.tagCount = maxTag + 1;
  }

  /** Tags (ascending) of the patterns that match `path`. */
  match(path: string): number[] {
    const seen = new Uint8Array(this.tagCount);
    const found: number[] = [];
    const segments = path.split("/");
    const test = (list: readonly Tagged[] | undefined) => {
      if (!list) return;
      for (const { glob, tag } of list) {
        if (seen[tag] === 0 && glob.matchesSegments(segments)) {
          seen[tag] = 1;
          found.push(tag);
        }
      }
    };

    let children = this.root;
    for (const seg of segments) {
      const node = children.get(seg);
      if (!node) break;
      test(node.globs);
      children = node.children;
    }
    for (const seg of new Set(segments)) test(this.bySegment.get(seg));
    const base = segments[segments.length - 1]!;
    for (let dot = base.indexOf("."); dot >= 0; dot = base.indexOf(".", dot + 1))
      test(this.byExtension.get(base.slice(dot)));
    test(this.always);
    return found.sort((a, b) => a - b);
  }

  /** How many compiled patterns are filed under each kind of key: what the index saves, for tests and the benchmark. */
  get filing(): { prefix: number; segment: number; extension: number; always: number } {
    const count = (m: Map<string, Tagged[]>) => [...m.values()].reduce((n, l) => n + l.length, 0);
    const inTrie = (m: Map<string, TrieNode>): number =>
      [...m.values()].reduce((n, node) => n + node.globs.length + inTrie(node.children), 0);
    return {
      prefix: inTrie(this.root),
      segment: count(this.bySegment),
      extension: count(this.byExtension),
      always: this.always.length,
    };
  }

  private file(t: Tagged): void {
    const { glob } = t;
    if (glob.literalPrefix.length > 0) {
      let children = this.root;
      let node: TrieNode | undefined;
      for (const seg of glob.literalPrefix) {
        node = children.get(seg);
        if (!node) children.set(seg, (node = { children: new Map(), globs: [] }));
        children = node.children;
      }
      node!.globs.push(t);
    } else if (glob.literalSegment !== undefined) push(this.bySegment, glob.literalSegment, t);
    else if (glob.extension !== undefined) push(this.byExtension, glob.extension, t);
    else this.always.push(t);
  }
}

interface Tagged {
  glob: CompiledGlob;
  tag: number;
}

interface TrieNode {
  children: Map<string, TrieNode>;
  globs: Tagged[];
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
