import { readFileSync } from "node:fs";
import { coverage, COVERAGE_USAGE } from "./coverage.js";
import { CliError, UsageError, type Io } from "./io.js";
import { IMPORT_USAGE, importCodeownersCommand } from "./import-codeowners.js";
import { plan, PLAN_USAGE } from "./plan.js";
import { schema, SCHEMA_USAGE } from "./schema.js";
import { report, REPORT_USAGE } from "./report.js";
import { validate, VALIDATE_USAGE } from "./validate.js";

export type { Io } from "./io.js";

const COMMANDS: Record<
  string,
  { run: (argv: readonly string[], io: Io) => Promise<number>; usage: string; summary: string }
> = {
  validate: {
    run: validate,
    usage: VALIDATE_USAGE,
    summary: "check a review table (reviewers.yml) and print its problems",
  },
  plan: { run: plan, usage: PLAN_USAGE, summary: "show the domains and personas a change needs, with their criteria" },
  coverage: {
    run: coverage,
    usage: COVERAGE_USAGE,
    summary: "list tracked files no domain covers and patterns that match nothing",
  },
  "import-codeowners": {
    run: importCodeownersCommand,
    usage: IMPORT_USAGE,
    summary: "turn a CODEOWNERS file into a review table (on stdout)",
  },
  schema: { run: schema, usage: SCHEMA_USAGE, summary: "print the table's JSON Schema, for editors" },
  report: {
    run: report,
    usage: REPORT_USAGE,
    summary: "measure parallel review on a repository's merged pull requests (GitHub API)",
  },
};

export function usage(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return [
    "parallel-review: mandatory parallel reviews from a table of domains and reviewer personas",
    "",
    "Usage: parallel-review <command> [options]",
    "",
    "Commands:",
    ...names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n]!.summary}`),
    "",
    "Options:",
    "  -h, --help     show this help, or a command's (parallel-review plan --help)",
    "  --version      print the version",
    "",
    ...names.flatMap((n) => [COMMANDS[n]!.usage, ""]),
    "Exit status: 0 success, 1 a check failed or an input is unusable, 2 a wrong command line.",
  ].join("\n");
}

/** The CLI. Returns the exit status; never throws for a user's mistake. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [first, ...rest] = argv;
  ignoreBrokenPipe(io);
  try {
    if (first === undefined || first === "-h" || first === "--help" || first === "help") {
      io.stdout.write(usage() + "\n");
      return 0;
    }
    if (first === "--version" || first === "-V") {
      io.stdout.write(version() + "\n");
      return 0;
    }
    const command = COMMANDS[first];
    if (!command)
      throw new UsageError(
        first.startsWith("-")
          ? `unknown option "${first}"`
          : `unknown command "${first}" (commands: ${Object.keys(COMMANDS).join(", ")})`,
      );
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof CliError) {
      for (const line of err.details) io.stderr.write(line + "\n");
      io.stderr.write(`parallel-review: ${err.message}\n`);
      if (err instanceof UsageError)
        io.stderr.write(`Run "parallel-review ${err.command ? err.command + " " : ""}--help" for usage.\n`);
      return err.exitCode;
    }
    const e = err as Error;
    io.stderr.write(
      `parallel-review: internal error: ${e?.message ?? String(err)}\nThis is a bug: please report it with the command you ran${process.env.PARALLEL_REVIEW_DEBUG ? `\n${e?.stack ?? ""}` : " (set PARALLEL_REVIEW_DEBUG=1 to print the stack trace)"}.\n`,
    );
    return 1;
  }
}

/** `parallel-review plan | head` closes stdout early: stop quietly instead of crashing on EPIPE. */
function ignoreBrokenPipe(io: Io): void {
  for (const stream of [io.stdout, io.stderr]) {
    const s = stream as Partial<NodeJS.WritableStream>;
    if (typeof s.on === "function" && typeof s.listenerCount === "function" && s.listenerCount("error") === 0) {
      s.on("error", (err: NodeJS.ErrnoException) => {
        if (err.code !== "EPIPE") throw err;
      });
    }
  }
}

/** The package version, read from package.json next to lib/ (or src/ when run from source). */
export function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      name?: string;
      version?: string;
    };
    return `${pkg.name ?? "parallel-review"} ${pkg.version ?? "unknown"}`;
  } catch {
    return "parallel-review (version unknown)";
  }
}
