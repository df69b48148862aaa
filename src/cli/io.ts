/** What the CLI needs from its process: `main(argv, process)` satisfies it; tests pass captured streams. */
export interface Io {
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
  /** Read by `--files-from -`. */
  readonly stdin?: AsyncIterable<string | Uint8Array>;
  /** The working directory; defaults to process.cwd(). */
  readonly cwd?: () => string;
  /** Environment variables (GITHUB_TOKEN for `report`); defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * An error the user can fix: printed as one message (never a stack trace), with the exit code to return.
 * Exit codes: 1 for a failed check or an unusable input, 2 for a wrong command line.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
    /** Lines printed to stderr before the message, e.g. problems of a review table. */
    readonly details: readonly string[] = [],
  ) {
    super(message);
  }
}

export class UsageError extends CliError {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message, 2);
  }
}

export function cwdOf(io: Io): string {
  return io.cwd ? io.cwd() : process.cwd();
}
