import { describe, expect, test } from "@jest/globals";
import { readFileSync } from "node:fs";
import { useFakeGitHub } from "../helpers/app-harness.js";
import { events } from "../helpers/payloads.js";

/**
 * The README's approval flow, with the bundled reviewers.yml: its claims are checked here, notably that
 * a push touching only terraform/ (domain iam) resets Security and adds Infrastructure, while Backend's
 * and Finance's approvals carry over.
 */
const fake = useFakeGitHub();
const BUNDLED = readFileSync(new URL("../../reviewers.yml", import.meta.url), "utf8");

describe("the README's approval flow", () => {
  test("approvals, one person one persona, then a push touching only terraform/", async () => {
    const { gh, probot } = fake.fresh({
      table: BUNDLED,
      files: [{ filename: "src/payments/charge.ts" }],
      teams: { backend: ["bob"], security: ["sam"], finance: ["fiona"], platform: ["ivy"] },
    });
    const receive = (d: unknown) => probot.receive(d as never);
    await receive(events.pullRequest(gh, "opened"));
    expect(gh.run("parallel-review")!.output.title).toBe("Waiting for Security Engineer, Backend Engineer, Finance");

    gh.review("sam", "APPROVED");
    await receive(events.review(gh, "submitted", "sam"));
    expect(gh.run("review/security")!.conclusion).toBe("success");
    await receive(
      events.comment(gh, "created", gh.comment("bob", "/request-changes backend retry loop can double-charge")),
    );
    expect(gh.run("review/backend")!.conclusion).toBe("failure");
    expect(gh.run("parallel-review")!.conclusion).toBe("failure");
    expect(gh.run("parallel-review")!.output.title).toContain("Backend Engineer: changes requested by @bob");
    await receive(events.click(gh, "review/finance", "approve", "mallory"));
    expect(gh.run("review/finance")!.output.summary).toMatch(/@mallory .*is not a Finance reviewer: not counted/);
    await receive(events.click(gh, "review/finance", "approve", "fiona"));
    expect(gh.run("review/finance")!.conclusion).toBe("success");
    await receive(events.comment(gh, "created", gh.comment("bob", "/approve backend")));
    expect(gh.run("review/backend")!.conclusion).toBe("success");
    expect(gh.run("parallel-review")!.conclusion).toBe("success");
    expect(gh.run("parallel-review")!.output.title).toBe("All 3 personas approved");

    const approvedAt = gh.pull.headSha;
    gh.push(
      "head-2",
      [{ filename: "src/payments/charge.ts" }, { filename: "terraform/main.tf", status: "added" }],
      [{ filename: "terraform/main.tf", status: "added" }],
    );
    await receive(events.pullRequest(gh, "synchronize"));
    expect(gh.run("review/infra")!.status).toBe("in_progress");
    expect(gh.run("review/security")!.status).toBe("in_progress");
    for (const p of ["backend", "finance"]) {
      expect(gh.run(`review/${p}`)!.conclusion).toBe("success");
      expect(gh.run(`review/${p}`)!.output.summary).toContain(
        `carried over from ${approvedAt.slice(0, 7)}: no changes in its paths`,
      );
    }
    expect(gh.run("parallel-review")!.status).toBe("in_progress");
  });
});
