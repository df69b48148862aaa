import { readFileSync } from "node:fs";
import { parseArgs } from "./args.js";
import { CliError, type Io } from "./io.js";

export const SCHEMA_USAGE = `Usage: parallel-review schema

Prints the JSON Schema of the review table, for editors. Keep a copy beside the table and name it on
the table's first line, a reference that works offline and wherever the repository is checked out:
  parallel-review schema > .github/reviewers.schema.json
  # yaml-language-server: $schema=reviewers.schema.json     (first line of .github/reviewers.yml)`;

/** The schema shipped in the package (schema/ beside lib/ and bin/). */
export const SCHEMA_URL = new URL("../../schema/reviewers.schema.json", import.meta.url);

/** The `schema` command (synchronous work behind the commands' async interface). */
export function schema(argv: readonly string[], io: Io): Promise<number> {
  return Promise.resolve(printSchema(argv, io));
}

function printSchema(argv: readonly string[], io: Io): number {
  const args = parseArgs("schema", argv, {}, 0);
  if (args.help) {
    io.stdout.write(SCHEMA_USAGE + "\n");
    return 0;
  }
  let text: string;
  try {
    text = readFileSync(SCHEMA_URL, "utf8");
  } catch (err) {
    throw new CliError(`cannot read the schema shipped with parallel-review (${(err as Error).message}): reinstall it`);
  }
  io.stdout.write(text.endsWith("\n") ? text : text + "\n");
  return 0;
}
