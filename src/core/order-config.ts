import type { YamlReader, Entry } from "./yaml-reader.js";

/** Reports an unknown persona id (with a did-you-mean) and says whether the id is known. */
export type KnownCheck = (reader: YamlReader, id: string, node: unknown, path: string) => boolean;

interface Edge {
  readonly to: string;
  readonly node: unknown;
  readonly reader: YamlReader;
  readonly path: string;
}

/**
 * Reads and validates personas' `after:` lists (who must approve before a persona is asked). Kept out of
 * config.ts because the whole-table checks (self-dependency, cycles) need every persona read first.
 */
export class ReviewOrder {
  private readonly edges = new Map<string, Edge[]>();

  constructor(private readonly known: KnownCheck) {}

  /** The persona's `after` ids, each known and not itself; problems are reported where they are written. */
  read(reader: YamlReader, id: string, entry: Entry | undefined, path: string): string[] {
    const items = reader.unique(reader.strings(entry, path, { single: true }) ?? [], path, "persona");
    const out: string[] = [];
    for (const item of items) {
      if (item.value === id) {
        reader.src.error(
          item.node,
          path,
          `persona "${id}" cannot come after itself: remove "${id}" from its "after" list`,
        );
        continue;
      }
      if (!this.known(reader, item.value, item.node, path)) continue;
      out.push(item.value);
      const list = this.edges.get(id) ?? [];
      list.push({ to: item.value, node: item.node, reader, path });
      this.edges.set(id, list);
    }
    return out;
  }

  /**
   * A cycle would queue its personas forever. Every persona on one is reported at its own `after` entry
   * that leads back into the cycle, so whichever entry is wrong, the author sees it.
   */
  checkCycles(): void {
    for (const component of stronglyConnected(this.edges)) {
      if (component.length < 2) continue;
      const members = new Set(component);
      const loop = cycleThrough(component[0]!, members, this.edges);
      for (const id of component)
        for (const e of this.edges.get(id) ?? [])
          if (members.has(e.to))
            e.reader.src.error(
              e.node,
              e.path,
              `dependency cycle: ${loop.join(" → ")} (personas on it: ${[...component].sort().join(", ")}); remove one of these "after" entries`,
            );
    }
  }
}

/** Tarjan's algorithm, iterative so a hostile table with a long chain cannot overflow the stack. */
function stronglyConnected(edges: ReadonlyMap<string, readonly Edge[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let next = 0;
  for (const root of edges.keys()) {
    if (index.has(root)) continue;
    const work: { id: string; i: number }[] = [{ id: root, i: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const succ = edges.get(top.id) ?? [];
      if (top.i < succ.length) {
        const to = succ[top.i++]!.to;
        if (!index.has(to)) {
          index.set(to, next);
          low.set(to, next++);
          stack.push(to);
          onStack.add(to);
          work.push({ id: to, i: 0 });
        } else if (onStack.has(to)) low.set(top.id, Math.min(low.get(top.id)!, index.get(to)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id)!, low.get(top.id)!));
      if (low.get(top.id) === index.get(top.id)) {
        const component: string[] = [];
        let id: string;
        do {
          id = stack.pop()!;
          onStack.delete(id);
          component.push(id);
        } while (id !== top.id);
        out.push(component.reverse());
      }
    }
  }
  return out;
}

/** One concrete loop inside a strongly connected component, for the message: `a → b → a`. */
function cycleThrough(start: string, members: ReadonlySet<string>, edges: ReadonlyMap<string, readonly Edge[]>) {
  const path = [start];
  const seen = new Map([[start, 0]]);
  for (;;) {
    const to = (edges.get(path[path.length - 1]!) ?? []).find((e) => members.has(e.to))!.to;
    const at = seen.get(to);
    if (at !== undefined) return [...path.slice(at), to];
    seen.set(to, path.length);
    path.push(to);
  }
}
