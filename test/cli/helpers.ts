import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Readable } from "node:stream";
import { main, type Io } from "../../src/cli/main.js";

// `main(argv, process)` is how bin/parallel-review.js calls the CLI: the process must be a valid Io.
export const processIsIo: Io = process;

/** The repository root (where jest runs), found from the working directory. */
export const ROOT = ((): string => {
  for (let dir = resolve(process.cwd()); ; dir = dirname(dir)) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "parallel-review")
      return dir;
    if (dirname(dir) === dir) throw new Error("run the tests from the parallel-review repository");
  }
})();

/**
 * The bundled table without its editor line: that line names ./schema/ beside the repository's own
 * reviewers.yml, and validate warns when a copy elsewhere points at nothing (tested on its own).
 */
export const EXAMPLE_TABLE = readFileSync(join(ROOT, "reviewers.yml"), "utf8").replace(
  /^# yaml-language-server:.*\n/,
  "",
);
export const FIXTURES = join(ROOT, "test", "fixtures", "cli");

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Calls the CLI in-process with captured output; `env` replaces the process's environment when given. */
export async function run(
  argv: string[],
  cwd: string,
  stdin?: string,
  env?: Record<string, string>,
): Promise<RunResult> {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    cwd: () => cwd,
    ...(stdin !== undefined ? { stdin: Readable.from([Buffer.from(stdin, "utf8")]) } : {}),
    ...(env ? { env } : {}),
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** Runs the built CLI (`node bin/parallel-review.js`) as a child process. */
export function spawnCli(argv: string[], cwd: string, stdin?: string): RunResult {
  const bin = join(ROOT, "bin", "parallel-review.js");
  if (!existsSync(join(ROOT, "lib", "cli", "main.js")))
    throw new Error('lib/ is not built: run "npm run build" (npm test does it first)');
  const r = spawnSync(process.execPath, [bin, ...argv], {
    cwd,
    input: stdin ?? "",
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const made: string[] = [];

/** A fresh temporary directory, removed by `cleanup()`. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "parallel-review-cli-"));
  made.push(dir);
  return dir;
}

export function cleanup(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", GIT_CONFIG_GLOBAL: "/dev/null" },
  });
}

export function write(dir: string, path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}

/** An empty repository on branch main with a local identity. */
export function initRepo(): string {
  const dir = tempDir();
  git(dir, "init", "-q", "-b", "main");
  git(dir, "config", "user.name", "Test User");
  git(dir, "config", "user.email", "test@example.com");
  git(dir, "config", "commit.gpgsign", "false");
  return dir;
}

/** Commits `files` with src/payments/charge.ts on main, then on branch "feature" (checked out) one commit changing charge.ts. */
export function paymentChange(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries({ ...files, "src/payments/charge.ts": "export const charge = 1;\n" }))
    write(dir, path, text);
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "base");
  git(dir, "checkout", "-q", "-b", "feature");
  write(dir, "src/payments/charge.ts", "export const charge = 2;\n");
  git(dir, "commit", "-q", "-am", "change a payment");
}

/**
 * The scenario of the plan tests. On main: the example table as reviewers.yml and a few files.
 * On branch "feature" (checked out), one commit:
 * - modified src/payments/charge.ts (payments)
 * - added terraform/iam.tf (iam)
 * - renamed src/auth/login.ts → misc/login.ts (out of auth: counts under the old path)
 * - renamed scripts/setup.sh → infra/setup.sh (into iam: counts under the new path)
 * - removed src/billing/invoice.ts (payments)
 * - modified reviewers.yml (the table itself: config_owners = security)
 * - added README.md (no domain)
 */
export function scenarioRepo(): string {
  const dir = initRepo();
  write(dir, "reviewers.yml", EXAMPLE_TABLE);
  write(dir, "src/payments/charge.ts", "export function charge(amount: number) {\n  return amount;\n}\n");
  write(
    dir,
    "src/auth/login.ts",
    "export function login(user: string) {\n  return `hello ${user}`;\n}\n// a file long enough for rename detection\n",
  );
  write(dir, "scripts/setup.sh", "#!/bin/sh\n# sets the machine up\necho setting up\nexit 0\n");
  write(dir, "src/billing/invoice.ts", "export const invoice = 1;\n");
  write(dir, "docs/guide.md", "# Guide\n");
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "base");
  git(dir, "checkout", "-q", "-b", "feature");
  write(dir, "src/payments/charge.ts", "export function charge(amount: number) {\n  return Math.round(amount);\n}\n");
  write(dir, "terraform/iam.tf", 'resource "aws_iam_role" "app" {}\n');
  write(dir, "README.md", "# Scenario\n");
  for (const d of ["misc", "infra"]) mkdirSync(join(dir, d)); // git mv needs the target directory
  git(dir, "mv", "src/auth/login.ts", "misc/login.ts");
  git(dir, "mv", "scripts/setup.sh", "infra/setup.sh");
  git(dir, "rm", "-q", "src/billing/invoice.ts");
  write(dir, "reviewers.yml", EXAMPLE_TABLE + "# changed on the branch\n");
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "feature");
  return dir;
}
