import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { planReview } from "../core/plan.js";
import { orderOf, planStages } from "../core/sequence.js";
import type { ChangedFile } from "../core/types.js";
import { parseArgs, stringFlag } from "./args.js";
import { parseFileList, parseNameStatusZ } from "./changes.js";
import { diffNameStatus, findBase } from "./git.js";
import { CliError, cwdOf, envOf, UsageError, type Io } from "./io.js";
import { renderPlan } from "./render.js";
import { loadValidTable } from "./table-file.js";

export const PLAN_USAGE = `Usage: parallel-review plan [--config FILE] [--base REF | --files-from FILE|-] [--json]

Shows which domains a change touches and which personas must approve it, with their criteria.
By default the change is the current branch's commits: "git diff --name-status -M <merge base> HEAD",
the merge base being with origin/HEAD, else with main.

Options:
  --config FILE       the review table (default: .github/reviewers.yml, then reviewers.yml, at the repository top level)
  --base REF          compare with the merge base of HEAD and REF instead
  --files-from FILE   take the changed files from FILE ("-" for stdin): paths relative to the repository
                      root, one per line, or "git diff --name-status" output (M/A/D/T<TAB>path,
                      R<score>/C<score><TAB>old<TAB>new); blank lines are skipped, and # comments in
                      name-status lists (a plain list is read literally: "#notes.md" is a path)
  --json              print the plan as JSON`;

const FLAGS = { "--config": "value", "--base": "value", "--files-from": "value", "--json": "boolean" } as const;

export async function plan(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs("plan", argv, FLAGS, 0);
  if (args.help) {
    io.stdout.write(PLAN_USAGE + "\n");
    return 0;
  }
  const base = stringFlag(args, "--base");
  const filesFrom = stringFlag(args, "--files-from");
  if (base !== undefined && filesFrom !== undefined)
    throw new UsageError("--base and --files-from exclude each other: give one", "plan");
  const cwd = cwdOf(io);

  const loaded = await loadValidTable(cwd, stringFlag(args, "--config"), envOf(io), (line) =>
    io.stderr.write(line + "\n"),
  );
  const change = filesFrom !== undefined ? await fromList(filesFrom, io, cwd) : await fromGit(loaded.top, base);
  const result = planReview(loaded.table, change.files);
  const order = orderOf(
    loaded.table,
    result.personas.map((p) => p.id),
  );

  if (args.flags.has("--json"))
    io.stdout.write(
      JSON.stringify(
        {
          config: loaded.display,
          ...result,
          stages: planStages(loaded.table, result),
          after: Object.fromEntries(order.after),
        },
        null,
        2,
      ) + "\n",
    );
  else
    io.stdout.write(
      renderPlan(result, {
        config: loaded.display,
        source: change.source,
        files: change.files,
        unmatchedPersonas: loaded.table.settings.unmatched,
        order,
      }),
    );
  return 0;
}

interface Change {
  readonly files: ChangedFile[];
  /** In words, for the human output: what was compared. */
  readonly source: string;
}

async function fromList(from: string, io: Io, cwd: string): Promise<Change> {
  if (from === "-") {
    if (!io.stdin) throw new CliError("--files-from -: no standard input to read");
    return { files: parseFileList(await readAll(io.stdin), "<stdin>"), source: "files from stdin" };
  }
  let text: string;
  try {
    text = await readFile(resolve(cwd, from), "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(
      `--files-from ${from}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (err as Error).message}; pass a file listing the changed paths, or "-" to read them from stdin`,
    );
  }
  return { files: parseFileList(text, from), source: `files from ${from}` };
}

async function fromGit(top: string | undefined, base: string | undefined): Promise<Change> {
  if (!top)
    throw new CliError(
      "not in a git repository: run inside one to plan the current branch, or pass the changed files with --files-from FILE",
    );
  const { ref, commit } = await findBase(top, base);
  return {
    files: parseNameStatusZ(await diffNameStatus(top, commit)),
    source: `HEAD against ${ref} (merge base ${commit.slice(0, 12)})`,
  };
}

async function readAll(stream: AsyncIterable<string | Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk));
  return Buffer.concat(chunks).toString("utf8");
}
