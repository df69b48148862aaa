import { UsageError } from "./io.js";

/** A command's flags: `value` flags take an argument (`--config FILE` or `--config=FILE`), `boolean` ones do not. */
export type FlagSpec = Readonly<Record<string, "value" | "boolean">>;

export interface ParsedArgs {
  readonly flags: ReadonlyMap<string, string | true>;
  readonly positionals: readonly string[];
  readonly help: boolean;
}

/**
 * Parses one command's arguments. `--` ends the flags; a lone `-` is a positional (or a flag value:
 * stdin). Unknown flags, repeated flags, missing values and surplus positionals are usage errors.
 */
export function parseArgs(
  command: string,
  argv: readonly string[],
  spec: FlagSpec,
  maxPositionals: number,
): ParsedArgs {
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  let help = false;
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (onlyPositionals || arg === "-" || !arg.startsWith("-")) {
      positionals.push(arg);
      continue;
    }
    if (arg === "--") {
      onlyPositionals = true;
      continue;
    }
    if (arg === "-h" || arg === "--help") {
      help = true;
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq > 0 && arg.startsWith("--") ? arg.slice(0, eq) : arg;
    const kind = spec[name];
    if (!kind) {
      const known = Object.keys(spec);
      throw new UsageError(
        `unknown option "${name}" for "${command}"${known.length ? ` (options: ${known.join(", ")})` : ": it takes no options"}`,
        command,
      );
    }
    if (flags.has(name)) throw new UsageError(`${name} is given twice: give it once`, command);
    if (kind === "boolean") {
      if (eq > 0) throw new UsageError(`${name} takes no value: write just "${name}"`, command);
      flags.set(name, true);
      continue;
    }
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next !== undefined && (next === "-" || !next.startsWith("-"))) {
        value = next;
        i++;
      }
    }
    if (value === undefined || value === "")
      throw new UsageError(`${name} needs a value (e.g. "${name} ${placeholder(name)}")`, command);
    flags.set(name, value);
  }
  if (positionals.length > maxPositionals) {
    const extra = positionals
      .slice(maxPositionals)
      .map((p) => `"${p}"`)
      .join(", ");
    throw new UsageError(
      `unexpected argument${positionals.length - maxPositionals === 1 ? "" : "s"} ${extra} for "${command}"`,
      command,
    );
  }
  return { flags, positionals, help };
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === "string" ? v : undefined;
}

function placeholder(flag: string): string {
  return flag === "--base" ? "REF" : "FILE";
}
