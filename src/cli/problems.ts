import { formatProblem } from "../core/config.js";
import type { Problem } from "../core/types.js";
import { UsageError } from "./io.js";

/** How the CLI prints a table's problems: for people, for GitHub Actions, or for tools. */
export type ProblemFormat = "text" | "annotations" | "json";
export const PROBLEM_FORMATS: readonly ProblemFormat[] = ["text", "annotations", "json"];

export function problemFormat(value: string | undefined, command: string): ProblemFormat {
  if (value === undefined) return "text";
  if ((PROBLEM_FORMATS as readonly string[]).includes(value)) return value as ProblemFormat;
  throw new UsageError(`--format ${value}: use one of ${PROBLEM_FORMATS.join(", ")}`, command);
}

/** Longest source line shown under a problem; a longer one is cut around the column. */
const MAX_SHOWN = 100;

/**
 * `file:line:col path: message`, then the source line and a caret under the column, as compilers print
 * them. `sources` maps a problem's file to its text; without it, just the first line.
 */
export function problemWithSource(p: Problem, sources: ReadonlyMap<string, string>): string {
  const head = formatProblem(p);
  const line = sources.get(p.file)?.split("\n")[p.line - 1]?.replace(/\r$/, "");
  if (line === undefined) return head;
  let shown = line;
  let col = Math.min(Math.max(p.column - 1, 0), line.length);
  if (line.length > MAX_SHOWN) {
    const start = Math.max(0, Math.min(col - MAX_SHOWN / 2, line.length - MAX_SHOWN));
    shown =
      (start > 0 ? "…" : "") + line.slice(start, start + MAX_SHOWN) + (start + MAX_SHOWN < line.length ? "…" : "");
    col = col - start + (start > 0 ? 1 : 0);
  }
  const gutter = String(p.line);
  // Tabs are kept in the caret line so that the caret lines up however the terminal expands them.
  const pad = shown.slice(0, col).replace(/[^\t]/g, " ");
  return `${head}\n ${gutter} | ${shown}\n ${" ".repeat(gutter.length)} | ${pad}^`;
}

/**
 * A GitHub Actions workflow command: `::error file=F,line=L,col=C,title=T::message`, shown on the pull
 * request's "Files changed" at that line. A problem in a file of another repository (an `_extends`
 * layer) cannot be placed: `located` false gives the command without a position, the message being
 * `plain` (which names the file). Properties and message are escaped as the runner expects.
 */
export function annotation(p: Problem, located: boolean, plain: string, title = "parallel-review"): string {
  const kind = p.severity === "warning" ? "warning" : "error";
  if (!located) return `::${kind} title=${prop(title)}::${data(plain)}`;
  const props = [`file=${prop(p.file)}`, `line=${p.line}`, `col=${p.column}`, `title=${prop(title)}`].join(",");
  return `::${kind} ${props}::${data(p.path ? `${p.path}: ${p.message}` : p.message)}`;
}

function data(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function prop(s: string): string {
  return data(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}
