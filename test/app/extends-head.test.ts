import { describe, expect, test } from "@jest/globals";
import { useFakeGitHub } from "../helpers/app-harness.js";
import { events } from "../helpers/payloads.js";
import { TABLE } from "../helpers/tables.js";

/**
 * A pull request that edits a table which `_extends` an organization table: the edited table is
 * validated with its chain, so personas defined only in the extended table are known (issue 11, item 1).
 */
const fake = useFakeGitHub();

const REPO_TABLE =
  "_extends: acme/shop:policies/org.yml\ndomains:\n  docs:\n    paths: [docs/]\n    require: [security]\n";

function setup(head: string) {
  const { gh, probot } = fake.fresh({
    table: REPO_TABLE,
    tablePath: ".github/reviewers.yml",
    files: [{ filename: ".github/reviewers.yml" }],
  });
  gh.setFile("main", "policies/org.yml", TABLE);
  gh.setFile(gh.pull.headSha, "policies/org.yml", TABLE);
  gh.setFile(gh.pull.headSha, ".github/reviewers.yml", head);
  return { gh, open: () => probot.receive(events.pullRequest(gh, "opened") as never) };
}

describe("a pull request editing an _extends table", () => {
  test("personas of the extended table are known: no problem, the gate waits for reviews", async () => {
    const { gh, open } = setup(REPO_TABLE.replace("paths: [docs/]", "paths: [docs/, guides/]"));
    await open();
    const gate = gh.run("parallel-review")!;
    expect(gate.output.summary).not.toContain("unknown persona");
    expect(gate.output.summary).not.toContain("has problems");
    expect(gate.status).toBe("in_progress");
  });

  test("a persona defined nowhere in the chain is still an error on the gate", async () => {
    const { gh, open } = setup(REPO_TABLE.replace("require: [security]", "require: [securty]"));
    await open();
    const gate = gh.run("parallel-review")!;
    expect(gate.conclusion).toBe("failure");
    expect(gate.output.summary).toContain(
      '.github/reviewers.yml:5:15 domains.docs.require: unknown persona "securty" (did you mean "security"?)',
    );
  });

  test("the extended table as the pull request changes it is the one checked (same repository, head commit)", async () => {
    const { gh, open } = setup(REPO_TABLE);
    gh.setChangedFiles([{ filename: ".github/reviewers.yml" }, { filename: "policies/org.yml" }]);
    gh.setFile(gh.pull.headSha, "policies/org.yml", TABLE.replace("  security:\n", "  secops:\n"));
    await open();
    expect(gh.run("parallel-review")!.output.summary).toContain('unknown persona "security"');
  });
});
