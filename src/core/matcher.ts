import { compileGlob, type CompiledGlob } from "./glob.js";

/**
 * Many patterns, each tagged with a small integer (a domain's index), matched against many paths.
 *
 * Testing every pattern against every path costs paths × patterns regex runs. Instead each compiled
 * pattern is filed under the cheapest key that every path it can match must have — a literal
 * directory prefix (a trie walked along the path's segments), a literal segment anywhere in the path,
 * or the basename's extension — and only the few candidates found that way run their regex.
 * Patterns with no such key (e.g. `**\/*test*`) are tried on every path.
 */
export class PathMatcher {
  private readonly root: TrieNode = { children: new Map(), globs: [] };
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
    const test = (list: readonly Tagged[] | undefined) => {
      if (!list) return;
      for (const { glob, tag } of list) {
        if (seen[tag] === 0 && glob.regex.test(path)) {
          seen[tag] = 1;
          found.push(tag);
        }
      }
    };

    const segments = path.split("/");
    let node: TrieNode | undefined = this.root;
    for (const seg of segments) {
      node = node.children.get(seg);
      if (!node) break;
      test(node.globs);
    }
    for (const seg of new Set(segments)) test(this.bySegment.get(seg));
    const base = segments[segments.length - 1]!;
    for (let dot = base.indexOf("."); dot >= 0; dot = base.indexOf(".", dot + 1))
      test(this.byExtension.get(base.slice(dot)));
    test(this.always);
    return found.sort((a, b) => a - b);
  }

  private file(t: Tagged): void {
    const { glob } = t;
    if (glob.literalPrefix.length > 0) {
      let node = this.root;
      for (const seg of glob.literalPrefix) {
        let next = node.children.get(seg);
        if (!next) node.children.set(seg, (next = { children: new Map(), globs: [] }));
        node = next;
      }
      node.globs.push(t);
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
