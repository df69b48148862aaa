import type { ChangedFile } from "../core/types.js";
import { CliError } from "./io.js";

type Status = ChangedFile["status"];

/** `R100`, `C75`, `M`, … → a ChangedFile status and whether the line carries an old and a new path. */
function statusOf(code: string): { status: Status; twoPaths: boolean } | undefined {
  const m = /^([ACDMRTUX])(\d{1,3})?$/.exec(code);
  if (!m) return undefined;
  switch (m[1]) {
    case "R":
      return { status: "renamed", twoPaths: true };
    case "C":
      return { status: "copied", twoPaths: true };
    case "D":
      return m[2] === undefined ? { status: "removed", twoPaths: false } : undefined;
    case "A":
      return m[2] === undefined ? { status: "added", twoPaths: false } : undefined;
    default:
      return { status: "modified", twoPaths: false };
  }
}

function file(status: Status, path: string, previousPath?: string): ChangedFile {
  return previousPath === undefined ? { path, status } : { path, status, previousPath };
}

/**
 * A `--files-from` list: plain paths one per line, or `git diff --name-status` output (tab-separated;
 * git's "quoted" paths are unquoted). It is name-status when any line has a tab (git quotes a path holding
 * one), and then every line must be. A plain list is read literally: every line that is not blank is a path,
 * so a changed file named `#notes.md` counts. Only a name-status list can have `#` comment lines, which no
 * git status starts with. `source` names the input in errors.
 */
export function parseFileList(text: string, source: string): ChangedFile[] {
  const out: ChangedFile[] = [];
  const lines = text.split("\n").map((raw) => (raw.endsWith("\r") ? raw.slice(0, -1) : raw));
  const nameStatus = lines.some((line) => line.includes("\t"));
  lines.forEach((line, i) => {
    if (line.trim() === "" || (nameStatus && line.trimStart().startsWith("#"))) return;
    const where = `${source}:${i + 1}`;
    if (!nameStatus) {
      out.push(file("modified", checkPath(line, where)));
      return;
    }
    const fields = line.split("\t");
    const st = statusOf(fields[0]!);
    const expected = st?.twoPaths
      ? `"${fields[0]}<TAB>old path<TAB>new path"`
      : st
        ? `"${fields[0]}<TAB>path"`
        : '"STATUS<TAB>path" (STATUS one of A, M, D, T, R<score>, C<score>)';
    const fail = (why: string) => {
      throw new CliError(
        `${where}: malformed line ${JSON.stringify(line.length > 80 ? line.slice(0, 80) + "…" : line)}: ${why}; expected ${expected} as "git diff --name-status" prints, or plain paths only`,
      );
    };
    if (fields.length === 1) fail("a plain path, but other lines are name-status lines (with a tab)");
    if (!st)
      fail(
        /^[A-Z]\d{0,3}$/.test(fields[0]!)
          ? `unknown status "${fields[0]}"`
          : fields[0] === ""
            ? "it starts with a tab"
            : `"${fields[0]}" is not a git status`,
      );
    if (fields.length !== (st!.twoPaths ? 3 : 2))
      fail(`${fields.length - 1} path${fields.length === 2 ? "" : "s"} for status ${fields[0]}`);
    if (fields.slice(1).some((f) => f === "")) fail("an empty path");
    const paths = fields.slice(1).map((f) => checkPath(unquote(f, where), where));
    out.push(st!.twoPaths ? file(st!.status, paths[1]!, paths[0]) : file(st!.status, paths[0]!));
  });
  return out;
}

/** `git diff --name-status -z` output: `STATUS\0path\0` or `R100\0old\0new\0`. */
export function parseNameStatusZ(text: string): ChangedFile[] {
  const fields = text.split("\0");
  const out: ChangedFile[] = [];
  for (let i = 0; i < fields.length;) {
    const code = fields[i++]!;
    if (code === "") continue;
    const st = statusOf(code);
    if (!st) throw new CliError(`unexpected status "${code}" from git diff: please report this with your git version`);
    if (st.twoPaths) {
      const [from, to] = [fields[i++]!, fields[i++]!];
      out.push(file(st.status, to, from));
    } else out.push(file(st.status, fields[i++]!));
  }
  return out;
}

/** Paths are relative to the repository root, with "/" separators: `./a` becomes `a`; absolute paths are refused. */
function checkPath(path: string, where: string): string {
  let p = path;
  while (p.startsWith("./")) p = p.slice(2);
  if (p.startsWith("/"))
    throw new CliError(
      `${where}: "${path}" is an absolute path: list paths relative to the repository root (as "git diff --name-only" prints them)`,
    );
  if (p.split("/").some((s) => s === "..")) throw new CliError(`${where}: "${path}" leaves the repository ("..")`);
  if (p === "") throw new CliError(`${where}: "${path}" is not a file path`);
  return p;
}

/** Undoes git's C-style quoting of unusual paths (`"caf\303\251.txt"`); other paths are returned as is. */
export function unquote(field: string, where = "input"): string {
  if (!(field.length >= 2 && field.startsWith('"') && field.endsWith('"'))) return field;
  const bytes: number[] = [];
  const body = field.slice(1, -1);
  const simple: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, "\\": 92 };
  for (let i = 0; i < body.length; i++) {
    const slash = body.indexOf("\\", i);
    if (slash !== i) {
      const end = slash < 0 ? body.length : slash;
      bytes.push(...Buffer.from(body.slice(i, end), "utf8"));
      i = end - 1;
      continue;
    }
    const next = body[++i];
    if (next !== undefined && /[0-7]/.test(next)) {
      const oct = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      bytes.push(parseInt(oct, 8) & 0xff);
      i += oct.length - 1;
    } else if (next !== undefined && next in simple) bytes.push(simple[next]!);
    else throw new CliError(`${where}: bad escape "\\${next ?? ""}" in quoted path ${field}`);
  }
  return Buffer.from(bytes).toString("utf8");
}
