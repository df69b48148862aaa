import { locate } from "../core/locate.js";
import type { PlanPersona } from "../core/plan.js";
import type { Problem } from "../core/types.js";
import type { Octokit } from "../github/client.js";
import { teamMembers, userExists } from "../github/directory.js";
import { teamRefOf } from "../github/teams.js";

/**
 * Teams and users of the required personas that GitHub does not know (a typo such as `secuirty`), or
 * that this app cannot see, and personas nobody can satisfy. Without this check a real member's
 * approval would be silently ignored and the gate would wait forever; with it, the gate fails with the
 * table's line, so the typo is fixed rather than waited on.
 */
export async function directoryProblems(opts: {
  octokit: Octokit;
  owner: string;
  ownerIsOrg: boolean;
  /** The personas to check: the plan's (the gate), or every persona of the table (`validate --online`). */
  personas: readonly Pick<PlanPersona, "id" | "name" | "teams" | "users" | "approvals">[];
  file: string;
  text: string | undefined;
  /** Who looks, for "… cannot see it": the app (default), or the CLI's token. */
  viewer?: string;
}): Promise<Problem[]> {
  const viewer = opts.viewer ?? "this app cannot see it (it needs the Members: read permission there)";
  const problems: Problem[] = [];
  const at = (path: (string | number)[], message: string): Problem => ({
    severity: "error",
    file: opts.file,
    ...(opts.text !== undefined ? locate(opts.text, path) : { line: 1, column: 1 }),
    path: path.join("."),
    message,
  });
  await Promise.all(
    opts.personas.map(async (p) => {
      let possible = 0;
      const teams = await Promise.all(
        p.teams.map(async (team, i) => {
          const ref = teamRefOf(team, opts.owner, opts.ownerIsOrg);
          if (!ref)
            return at(
              ["personas", p.id, "teams", i],
              `team "${team}": ${opts.owner} is a user account, and only organizations have teams; list users instead`,
            );
          const { org, slug } = ref;
          const members = await teamMembers(opts.octokit, org, slug);
          if (members === "invisible")
            return at(
              ["personas", p.id, "teams", i],
              `team "${team}" does not exist in ${org}, or ${viewer}: fix the name or the ${opts.viewer === undefined ? "installation" : "token"}`,
            );
          possible += members;
          return undefined;
        }),
      );
      const users = await Promise.all(
        p.users.map(async (user, i) => {
          if (await userExists(opts.octokit, user)) {
            possible++;
            return undefined;
          }
          return at(["personas", p.id, "users", i], `user "${user}" does not exist on GitHub: fix the login`);
        }),
      );
      const found = [...teams, ...users].filter((x): x is Problem => x !== undefined);
      problems.push(...found);
      if (found.length === 0 && possible < p.approvals)
        problems.push(
          at(
            ["personas", p.id],
            `nobody can satisfy ${p.name}: it needs ${p.approvals} approval${p.approvals === 1 ? "" : "s"} but its teams and users have ${possible} active member${possible === 1 ? "" : "s"}`,
          ),
        );
    }),
  );
  return problems.sort((a, b) => a.line - b.line || a.column - b.column);
}
