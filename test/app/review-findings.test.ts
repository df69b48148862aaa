import { describe, expect, test } from "@jest/globals";
import type { Probot } from "probot";
import { APP_ID, APP_SLUG, sha, tick, type FakeGitHub } from "../helpers/fake-github.js";
import { events, type Delivery } from "../helpers/payloads.js";

/** Regressions from a second reviewer's read: each test failed before its fix. */
import { encodeRecord } from "../../src/core/actions.js";
import { useFakeGitHub } from "../helpers/app-harness.js";
import { TABLE } from "../helpers/tables.js";

const fake = useFakeGitHub();

let gh: FakeGitHub;
let probot: Probot;
function setup(
  files: { filename: string; status?: string }[] = [{ filename: "src/payments/charge.ts" }],
  table = TABLE,
) {
  ({ gh, probot } = fake.fresh({ table, files }));
}
const receive = (d: Delivery) => probot.receive(d as never);
const open = () => receive(events.pullRequest(gh, "opened"));

describe("records and commands edited or deleted by anyone with write access", () => {
  test("an app record edited by a write-access user (e.g. the author) is not trusted", async () => {
    setup();
    await open();
    await receive(events.click(gh, "review/security", "approve", "mallory")); // writes a "not counted" record
    const record = gh.comments.at(-1)!;
    expect(record.performed_via_github_app?.id).toBe(APP_ID);
    // carol (author, write access) edits the app's comment: author/app stay the same, body is hers.
    record.body = encodeRecord(
      {
        v: 1,
        via: "button",
        user: "sam",
        sha: gh.pull.headSha,
        commands: [{ kind: "approve", personas: ["security"] }],
        delivery: "forged",
      },
      "✅ @sam clicked Approve",
    );
    record.updated_at = tick();
    await receive(events.pullRequest(gh, "synchronize"));
    expect(gh.run("review/security")!.conclusion).not.toBe("success");
  });

  test("a reviewer's comment edited to add /approve does not approve in the reviewer's name", async () => {
    setup();
    await open();
    const c = gh.comment("sam", "Interesting, I will look at it tomorrow.");
    await receive(events.comment(gh, "created", c));
    c.body = "/approve security"; // edited by carol; comment.user is still sam
    c.updated_at = tick();
    const edit = events.comment(gh, "edited", c);
    (edit.payload as { sender: unknown }).sender = gh.userObj("carol");
    await receive(edit);
    expect(gh.run("review/security")!.conclusion).not.toBe("success");
  });

  test("touching an old /approve comment does not move it past the reviewer's later change request", async () => {
    setup();
    await open();
    const c = gh.comment("sam", "/approve security");
    await receive(events.comment(gh, "created", c));
    gh.review("sam", "CHANGES_REQUESTED", "tokens are logged");
    await receive(events.review(gh, "submitted", "sam"));
    expect(gh.run("review/security")!.conclusion).toBe("failure");
    c.body = "/approve security\n(typo fixed)"; // same commands, same digest; edited by carol
    c.updated_at = tick();
    await receive(events.comment(gh, "edited", c));
    expect(gh.run("review/security")!.conclusion).toBe("failure");
  });

  test("deleting the app's record does not revive a stale approval: the old comment is re-recorded as of an unknown commit", async () => {
    setup([{ filename: "src/payments/charge.ts" }, { filename: "main.tf" }]);
    await open();
    const c = gh.comment("sam", "/approve security");
    await receive(events.comment(gh, "created", c));
    expect(gh.run("review/security")!.conclusion).toBe("success");
    const before = gh.pull.headSha;
    gh.push("head-2", [{ filename: "src/payments/charge.ts" }, { filename: "main.tf" }], [{ filename: "main.tf" }]);
    await receive(events.pullRequest(gh, "synchronize", { before }));
    expect(gh.run("review/security")!.status).toBe("in_progress"); // stale, as it should be
    const record = gh.comments.find((x) => x.performed_via_github_app)!;
    gh.comments = gh.comments.filter((x) => x !== record); // deleted by a write-access user
    await receive(events.comment(gh, "deleted", record));
    expect(gh.run("review/security")!.conclusion).not.toBe("success");
  });
});
describe("a table push re-evaluates every open PR even when one fails", () => {
  test("open PRs after a failing one are judged under the new table", async () => {
    setup([{ filename: "README.md" }]);
    await open();
    expect(gh.run("parallel-review")!.conclusion).toBe("success");
    gh.setFile("main", "reviewers.yml", TABLE.replace('paths: ["*.tf"]', 'paths: ["*.tf", "README.md"]'));
    gh.openPulls = [8, 7]; // #8 errors (here: 404), #7 comes after it
    await receive(events.push(gh, "refs/heads/main", ["reviewers.yml"])).catch(() => undefined);
    expect(gh.run("parallel-review")!.conclusion).not.toBe("success");
  });
});
describe("the newest run of a name decides (it is what branch protection reads)", () => {
  test("after a cross-replica twin, waiting again does not leave the newest gate green", async () => {
    setup();
    await open(); // run A: in_progress
    // Another replica, having seen every approval, created a second gate run B (success) concurrently.
    const a = gh.run("parallel-review")!;
    gh.runs.push({
      ...a,
      id: a.id + 10_000,
      status: "completed",
      conclusion: "success",
      output: { title: "All 3 personas approved", summary: "…" },
    });
    gh.review("sam", "APPROVED");
    await receive(events.review(gh, "submitted", "sam")); // state: still waiting (backend, finance)
    expect(gh.run("parallel-review")!.conclusion).not.toBe("success"); // newest run = what branch protection reads
  });

  test("a failure reported after an error is cleared by a re-run while the verdict is waiting", async () => {
    setup();
    await open();
    gh.faults.push({ method: "GET", path: /\/pulls\/7\/reviews$/, status: 500, times: 4 });
    await receive(events.pullRequest(gh, "synchronize")).catch(() => undefined);
    expect(gh.run("parallel-review")!.conclusion).toBe("failure");
    await receive(events.rerequested(gh, "parallel-review")); // "use Re-run on this check to retry now"
    expect(gh.run("parallel-review")!.status).toBe("in_progress");
  });
});
describe("merge queues", () => {
  test("an error while judging a merge group fails its gate with the reason", async () => {
    setup();
    await open();
    gh.faults.push({ method: "GET", path: /\/pulls\/7$/, status: 500, times: 4 });
    const groupSha = sha("merge-group");
    await receive(events.mergeGroup(gh, groupSha)).catch(() => undefined);
    expect(gh.run("parallel-review", groupSha)?.conclusion).toBe("failure");
  });

  // Found by an attacker's review: the failure was written under the plain name whatever the table calls its
  // gate, so a queue waiting for `mandatory-review` waited for a check that never came.
  test("the failure is written under the gate's name the table gives, which the queue waits for", async () => {
    setup(undefined, TABLE.replace("settings:\n", "settings:\n  gate: mandatory-review\n"));
    await open();
    gh.faults.push({ method: "POST", path: /^\/graphql$/, request: /PullSnapshot/, status: 500, times: 4 });
    const groupSha = sha("merge-group");
    await receive(events.mergeGroup(gh, groupSha)).catch(() => undefined);
    expect(gh.run("mandatory-review", groupSha)?.conclusion).toBe("failure");
    expect(gh.run("mandatory-review", groupSha)?.output.title).toContain("could not judge");
  });
});
describe("pushes", () => {
  test("the previous head's green gate is superseded, so a force-push back finds no green gate", async () => {
    setup();
    await open();
    for (const u of ["bob", "sam", "fiona"]) gh.review(u, "APPROVED");
    await receive(events.pullRequest(gh, "synchronize"));
    const h1 = gh.pull.headSha;
    expect(gh.run("parallel-review", h1)!.conclusion).toBe("success");
    gh.push("head-2", [{ filename: "src/payments/charge.ts" }], [{ filename: "src/payments/charge.ts" }]);
    await receive(events.pullRequest(gh, "synchronize", { before: h1 }));
    // h1 is no longer the head; its gate should not stay green (a force-push back would be mergeable at once).
    expect(gh.run("parallel-review", h1)!.conclusion).not.toBe("success");
  });
});
describe("errors with a custom gate name", () => {
  test("a custom gate does not stay green when an error hides a change request", async () => {
    setup([{ filename: "src/payments/charge.ts" }], TABLE + "  gate: mandatory-review\n");
    await open();
    for (const u of ["bob", "sam", "fiona"]) gh.review(u, "APPROVED");
    await receive(events.pullRequest(gh, "synchronize"));
    expect(gh.run("mandatory-review")!.conclusion).toBe("success");
    gh.review("sam", "CHANGES_REQUESTED", "found a leak");
    gh.faults.push({ method: "GET", path: /\/contents\//, status: 502, times: 8 });
    await receive(events.review(gh, "submitted", "sam")).catch(() => undefined);
    expect(gh.run("mandatory-review")!.conclusion).not.toBe("success");
  });
});

describe("pull requests sharing a head commit", () => {
  test("the gate fails closed and says why: checks belong to a commit, not a pull request", async () => {
    setup([{ filename: "README.md" }]);
    gh.sharedHead = [8];
    await open();
    const gate = gh.run("parallel-review")!;
    expect(gate.conclusion).toBe("failure");
    expect(gate.output.title).toContain("Pull requests #7, #8 share the head commit");
  });
});

describe("late records", () => {
  test("a click recorded after a later review still sorts at the click", async () => {
    setup();
    await open();
    const click = events.click(gh, "review/security", "approve", "sam");
    const receivedAt = new Date(Date.parse(tick()) - 60_000).toISOString();
    // Simulate a click received a minute ago whose reconcile waited behind others: the record carries the receipt time.
    const record = encodeRecord(
      {
        v: 1,
        via: "button",
        user: "sam",
        sha: gh.pull.headSha,
        commands: [{ kind: "approve", personas: ["security"] }],
        delivery: click.id,
        clickedAt: receivedAt,
      },
      "✅ @sam clicked Approve",
    );
    gh.review("sam", "CHANGES_REQUESTED", "wait, tokens are logged");
    gh.comment(`${APP_SLUG}[bot]`, record, "Bot", { id: APP_ID, slug: APP_SLUG }); // written after the review
    await receive(events.review(gh, "submitted", "sam"));
    expect(gh.run("review/security")!.conclusion).toBe("failure");
  });
});

describe("org-wide tables in the same repository", () => {
  test("a PR editing a same-repository _extends file needs the config owners", async () => {
    setup([{ filename: "policies/org.yml" }], "_extends: acme/shop:policies/org.yml\n");
    gh.setFile("main", "policies/org.yml", TABLE);
    await open();
    expect(gh.run("review/security")!.output.summary).toContain(
      "the review table itself changed: policies/org.yml (settings.config_owners)",
    );
    expect(gh.run("parallel-review")!.status).toBe("in_progress");
  });
});
