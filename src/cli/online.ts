import { ProbotOctokit } from "probot";
import { parseDocument } from "yaml";
import { directoryProblems } from "../app/directory.js";
import type { Persona, Problem, ReviewTable } from "../core/types.js";
import { isStatus, type Octokit, type RepoRef } from "../github/client.js";
import { CliError } from "./io.js";

/**
 * `validate --online`: the teams and users a table names, checked against GitHub with the user's token —
 * what the gate checks on every pull request (src/app/directory.ts), before the table is pushed. A
 * typo such as `teams: [secuirty]` otherwise fails only on the gate, after merging the table.
 */
export interface OnlineOptions {
  readonly token: string;
  /** GITHUB_API_URL (GitHub Enterprise Server), else api.github.com. */
  readonly apiUrl: string | undefined;
  /** The repository the table guards: its owner's teams are the bare slugs. Unknown outside a GitHub clone. */
  readonly repo: RepoRef | undefined;
  readonly table: ReviewTable;
  /** Each file of the table's chain → its text, the repository's own file first (LoadedTable.sources). */
  readonly sources: ReadonlyMap<string, string>;
}

export async function onlineProblems(opts: OnlineOptions): Promise<Problem[]> {
  const octokit: Octokit = new ProbotOctokit({
    auth: { token: opts.token },
    baseUrl: (opts.apiUrl || "https://api.github.com").replace(/\/+$/, ""),
    throttle: { enabled: false },
    retry: { enabled: false },
    log: { debug() {}, info() {}, warn() {}, error() {} },
  });
  const bare = opts.table.personas.some((p) => p.teams.some((t) => !t.includes("/")));
  if (bare && !opts.repo)
    throw new CliError(
      "validate --online cannot tell which organization the table's teams belong to: run it in a clone whose origin is on GitHub, set GITHUB_REPOSITORY, or pass --repo OWNER/NAME",
    );
  const owner = opts.repo?.owner ?? "";
  try {
    const ownerIsOrg = opts.repo ? await isOrganization(octokit, owner) : true;
    // Each persona is checked where it is defined (the repository's file overrides an extended one), so
    // a problem points at its own line, in its own file.
    const byFile = new Map<string, Persona[]>();
    for (const p of opts.table.personas) {
      const file = definingFile(opts.sources, p.id);
      byFile.set(file, [...(byFile.get(file) ?? []), p]);
    }
    const found = await Promise.all(
      [...byFile].map(([file, personas]) =>
        directoryProblems({
          octokit,
          owner,
          ownerIsOrg,
          personas,
          file,
          text: opts.sources.get(file),
          viewer: "the token cannot see it (it needs read:org, or Members: read for a fine-grained token)",
        }),
      ),
    );
    return found.flat();
  } catch (err) {
    if (err instanceof CliError) throw err;
    const status = (err as { status?: number }).status;
    throw new CliError(
      `validate --online could not ask GitHub (${status ?? (err as Error).message}): ${status === 401 ? "the token is not valid" : "check the token and GITHUB_API_URL"}`,
    );
  }
}

/** Is the repository's owner an organization (whose teams bare slugs name) rather than a user account? */
async function isOrganization(octokit: Octokit, owner: string): Promise<boolean> {
  try {
    const { data } = await octokit.request("GET /users/{username}", { username: owner });
    return data.type === "Organization";
  } catch (err) {
    if (isStatus(err, 404))
      throw new CliError(`validate --online: the repository's owner "${owner}" does not exist on GitHub: check --repo`);
    throw err;
  }
}

/** The first file of the chain (the repository's own first) that defines `personas.<id>`. */
function definingFile(sources: ReadonlyMap<string, string>, id: string): string {
  const files = [...sources.keys()];
  return files.find((f) => parseDocument(sources.get(f)!).hasIn(["personas", id])) ?? files[0]!;
}
