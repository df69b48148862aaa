import { LineCounter, parseDocument } from "yaml";

/**
 * Where a key path (`["personas", "security", "teams", 0]`) stands in a table's text, 1-based, for
 * problems found after parsing (e.g. a team GitHub does not know). Falls back to the nearest ancestor
 * that exists, then to the top of the file.
 */
export function locate(text: string, path: readonly (string | number)[]): { line: number; column: number } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  for (let n = path.length; n > 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) {
      const { line, col } = lines.linePos(node.range[0]);
      return { line, column: col };
    }
  }
  return { line: 1, column: 1 };
}
