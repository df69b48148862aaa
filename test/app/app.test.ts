import { beforeEach, describe, expect, test } from "@jest/globals";
import type { Probot } from "probot";
import { tick, APP_ID, APP_SLUG, createProbot, sha, type FakeGitHub } from "../helpers/fake-github.js";
import { events, type Delivery } from "../helpers/payloads.js";
import { useFakeGitHub } from "../helpers/app-harness.js";
import { TABLE } from "../helpers/tables.js";

const fake = useFakeGitHub();

let gh: FakeGitHub;
let probot: Probot;

function setup(
  table: string | null = TABLE,
  files: { filename: string; status?: string }[] = [{ filename: "src/payments/charge.ts" }],
) {
  ({ gh, probot } = fake.fresh({ table, files }));
}

/** TABLE with one person's approval counting for every persona they can review (distinct_reviewers is on by default). */
const SHARED_REVIEWERS = TABLE.replace("settings:\n", "settings:\n  distinct_reviewers: false\n");

const receive = (d: Delivery) => probot.receive(d as never);
const open = () => receive(events.pullRequest(gh, "opened"));

beforeEach(() => setup());

describe("opening a pull request", () => {
  test("opens one check per required persona and a waiting gate, all in one reconcile", async () => {
    await open();
    const names = gh
      .runsOn()
      .map((r) => r.name)
      .sort();
    expect(names).toEqual(["parallel-review", "review/backend", "review/finance", "review/security"]);
    const gate = gh.run("parallel-review")!;
    expect(gate.status).toBe("in_progress");
    expect(gate.conclusion).toBeNull();
    expect(gate.output.title).toBe("Waiting for Backend Engineer, Security Engineer, Finance");
    expect(gate.output.summary).toContain("| payments — Payment processing | `src/payments/charge.ts` |");
  });

  test("a waiting persona check is in progress (pending, not failing) with Approve and Request changes buttons", async () => {
    await open();
    const run = gh.run("review/security")!;
    expect(run.status).toBe("in_progress");
    expect(run.conclusion).toBeNull();
    expect(run.actions.map((a) => a.identifier)).toEqual(["approve", "request_changes"]);
    for (const a of run.actions) {
      expect(a.label.length).toBeLessThanOrEqual(20);
      expect(a.description.length).toBeLessThanOrEqual(40);
    }
    expect(run.output.title).toBe("Waiting for Security Engineer review (0 of 1 approvals)");
    expect(run.output.summary).toContain("**Eligible:** team `security`");
    expect(run.output.summary).toContain("- [ ] PCI compliance verified");
    expect(run.output.summary).toContain("`/approve security`");
  });

  test("criteria are grouped: the persona's own first, then each domain's", async () => {
    await open();
    const s = gh.run("review/backend")!.output.summary;
    expect(s.indexOf("- [ ] No breaking API change")).toBeLessThan(s.indexOf("- [ ] Error handling comprehensive"));
    expect(s).toContain("_Payment processing_");
  });

  test("requests each waiting persona's teams and users once, never the author", async () => {
    await open();
    const requests = gh.writes().filter((w) => w.path.endsWith("/requested_reviewers"));
    expect(requests).toHaveLength(1);
    expect(requests[0]!.body).toEqual({ reviewers: ["fiona"], team_reviewers: ["backend", "security"] });
    await open();
    expect(gh.writes().filter((w) => w.path.endsWith("/requested_reviewers"))).toHaveLength(1);
  });

  test("reconciling again writes nothing (idempotent)", async () => {
    await open();
    const before = gh.writes().length;
    await open();
    expect(gh.writes().length).toBe(before);
    // A push is recorded once (who pushed goes into the ledger); its redelivery writes nothing.
    const sync = events.pullRequest(gh, "synchronize");
    await receive(sync);
    const afterPush = gh.writes().length;
    await receive(sync);
    expect(gh.writes().length).toBe(afterPush);
  });

  test("a pull request that needs no persona gets a passing gate that says so", async () => {
    setup(TABLE, [{ filename: "README.md" }]);
    await open();
    const gate = gh.run("parallel-review")!;
    expect(gate.conclusion).toBe("success");
    expect(gate.output.title).toBe("No mandatory review needed");
    expect(gh.runsOn()).toHaveLength(1);
  });

  test("a repository without a table gets nothing posted", async () => {
    setup(null);
    await open();
    expect(gh.writes()).toEqual([]);
  });

  test("the table is read from the base branch, never from the pull request's head", async () => {
    gh.setFile(gh.pull.headSha, "reviewers.yml", "version: 1\npersonas: {}\ndomains: {}\n");
    await open();
    expect(gh.log.filter((l) => l.path.includes("/contents/")).every((l) => l.path.includes("ref=main"))).toBe(true);
    expect(gh.run("review/security")).toBeDefined();
  });
});

describe("approving through reviews", () => {
  test("with distinct_reviewers off, an APPROVED review counts for every persona the reviewer can review", async () => {
    setup(SHARED_REVIEWERS);
    gh.teams.get("security")!.add("bob");
    await open();
    gh.review("bob", "APPROVED");
    await receive(events.review(gh, "submitted", "bob"));
    expect(gh.run("review/backend")!.conclusion).toBe("success");
    expect(gh.run("review/security")!.conclusion).toBe("success");
    expect(gh.run("review/finance")!.status).toBe("in_progress");
    expect(gh.run("parallel-review")!.status).toBe("in_progress");
  });

  test("Reviewed-for limits a review to the personas it names", async () => {
    gh.teams.get("security")!.add("bob");
    await open();
    gh.review("bob", "APPROVED", "Looks right.\nReviewed-for: backend");
    await receive(events.review(gh, "submitted", "bob"));
    expect(gh.run("review/backend")!.conclusion).toBe("success");
    expect(gh.run("review/security")!.status).toBe("in_progress");
  });

  test("a member of a different persona's team approving counts only for that persona", async () => {
    await open();
    gh.review("sam", "APPROVED");
    await receive(events.review(gh, "submitted", "sam"));
    expect(gh.run("review/security")!.conclusion).toBe("success");
    expect(gh.run("review/backend")!.status).toBe("in_progress");
    expect(gh.run("review/finance")!.status).toBe("in_progress");
  });

  test("the author's own approval never counts (self_approval off)", async () => {
    gh.teams.get("security")!.add("carol");
    await open();
    gh.review("carol", "APPROVED");
    await receive(events.review(gh, "submitted", "carol"));
    expect(gh.run("review/security")!.status).toBe("in_progress");
  });

  test("a pending (invited, not active) team member is not eligible", async () => {
    gh.pendingTeamMembers.set("security", new Set(["pete"]));
    await open();
    gh.review("pete", "APPROVED");
    await receive(events.review(gh, "submitted", "pete"));
    expect(gh.run("review/security")!.status).toBe("in_progress");
  });

  test("a dismissed review does not count", async () => {
    await open();
    const r = gh.review("sam", "APPROVED");
    await receive(events.review(gh, "submitted", "sam"));
    expect(gh.run("review/security")!.conclusion).toBe("success");
    r.state = "DISMISSED";
    await receive(events.review(gh, "dismissed", "sam"));
    expect(gh.run("review/security")!.status).toBe("in_progress");
  });

  test("changes requested turn the persona and the gate red, naming who and why; a later approval clears it", async () => {
    await open();
    gh.review("sam", "CHANGES_REQUESTED", "Card numbers are logged in charge.ts");
    await receive(events.review(gh, "submitted", "sam"));
    const run = gh.run("review/security")!;
    expect(run.conclusion).toBe("failure");
    expect(run.output.title).toBe("Changes requested by @sam");
    expect(run.output.summary).toContain("Card numbers are logged in charge.ts");
    const gate = gh.run("parallel-review")!;
    expect(gate.conclusion).toBe("failure");
    expect(gate.output.title).toBe("Security Engineer: changes requested by @sam");

    gh.review("sam", "APPROVED");
    await receive(events.review(gh, "submitted", "sam"));
    expect(gh.run("review/security")!.conclusion).toBe("success");
    expect(gh.run("parallel-review")!.status).toBe("in_progress");
  });

  test("the gate passes only when the last persona approves", async () => {
    await open();
    gh.review("bob", "APPROVED");
    await receive(events.review(gh, "submitted", "bob"));
    gh.review("sam", "APPROVED");
    await receive(events.review(gh, "submitted", "sam"));
    expect(gh.run("parallel-review")!.status).toBe("in_progress");
    gh.review("fiona", "APPROVED");
    await receive(events.review(gh, "submitted", "fiona"));
    const gate = gh.run("parallel-review")!;
    expect(gate.conclusion).toBe("success");
    expect(gate.output.title).toBe("All 3 personas approved");
  });

  test("bots never approve", async () => {
    gh.teams.get("security")!.add("dependabot[bot]");
    await open();
    const r = gh.review("dependabot[bot]", "APPROVED");
    r.user.type = "Bot";
    await receive(events.review(gh, "submitted", "dependabot[bot]"));
    expect(gh.run("review/security")!.status).toBe("in_progress");
  });
});

describe("approving with the check's buttons", () => {
  test("an eligible click approves that persona only and is recorded as a comment by the app", async () => {
    gh.teams.get("backend")!.add("sam");
    await open();
    await receive(events.click(gh, "review/security", "approve", "sam"));
    expect(gh.run("review/security")!.conclusion).toBe("success");
    expect(gh.run("review/backend")!.status).toBe("in_progress");
    const record = gh.comments.at(-1)!;
    expect(record.performed_via_github_app?.id).toBe(APP_ID);
    expect(record.body).toContain("✅ @sam clicked Approve as **Security Engineer**");
  });

  test("a non-member clicking Approve is refused, and told so in the check and the record", async () => {
    await open();
    await receive(events.click(gh, "review/security", "approve", "mallory"));
    const run = gh.run("review/security")!;
    expect(run.status).toBe("in_progress");
    expect(run.output.summary).toContain(
      "@mallory clicked Approve via the check's button but is not a Security Engineer reviewer: not counted",
    );
    expect(gh.comments.at(-1)!.body).toContain(
      "@mallory clicked Approve as **Security Engineer** but is not a Security Engineer reviewer: not counted.",
    );
  });

  test("Request changes by button fails the persona and the gate", async () => {
    await open();
    await receive(events.click(gh, "review/finance", "request_changes", "fiona"));
    expect(gh.run("review/finance")!.conclusion).toBe("failure");
    expect(gh.run("parallel-review")!.conclusion).toBe("failure");
  });

  test("a duplicate delivery of the same click is recorded once", async () => {
    await open();
    const click = events.click(gh, "review/finance", "approve", "fiona");
    await receive(click);
    const writes = gh.writes().length;
    await receive(click);
    expect(gh.comments.filter((c) => c.performed_via_github_app)).toHaveLength(1);
    expect(gh.writes().length).toBe(writes);
  });

  test("a click survives a restart: a fresh app instance recomputes it from GitHub alone", async () => {
    await open();
    await receive(events.click(gh, "review/finance", "approve", "fiona"));
    probot = createProbot(); // a new replica with no memory
    await receive(events.pullRequest(gh, "synchronize"));
    expect(gh.run("review/finance")!.conclusion).toBe("success");
  });
});

describe("approving with comments", () => {
  test("/approve <persona> approves that persona and the app answers with a record", async () => {
    await open();
    const c = gh.comment("sam", "LGTM\n/approve security");
    await receive(events.comment(gh, "created", c));
    expect(gh.run("review/security")!.conclusion).toBe("success");
    expect(gh.comments.at(-1)!.body).toContain("✅ @sam approved as **Security Engineer**");
  });

  test("with distinct_reviewers off, /approve alone counts for every persona the commenter can review", async () => {
    setup(SHARED_REVIEWERS);
    gh.teams.get("security")!.add("bob");
    await open();
    const c = gh.comment("bob", "/approve");
    await receive(events.comment(gh, "created", c));
    expect(gh.run("review/backend")!.conclusion).toBe("success");
    expect(gh.run("review/security")!.conclusion).toBe("success");
  });

  test("/request-changes <persona> <reason> blocks with the reason", async () => {
    await open();
    const c = gh.comment("fiona", "/request-changes finance refunds are not idempotent");
    await receive(events.comment(gh, "created", c));
    const run = gh.run("review/finance")!;
    expect(run.conclusion).toBe("failure");
    expect(run.output.summary).toContain("refunds are not idempotent");
  });

  test("a recorded comment approval stands for what it said: an edit (by anyone) does not withdraw it", async () => {
    await open();
    const c = gh.comment("sam", "/approve security");
    await receive(events.comment(gh, "created", c));
    expect(gh.run("review/security")!.conclusion).toBe("success");
    c.body = "Actually, not yet.";
    c.updated_at = tick();
    await receive(events.comment(gh, "edited", c));
    expect(gh.run("review/security")!.conclusion).toBe("success");
    // To withdraw it, the reviewer acts again.
    const again = gh.comment("sam", "/request-changes security not yet");
    await receive(events.comment(gh, "created", again));
    expect(gh.run("review/security")!.conclusion).toBe("failure");
  });

  test("deleting a recorded comment approval does not withdraw it (anyone with write access can delete comments)", async () => {
    await open();
    const c = gh.comment("sam", "/approve security");
    await receive(events.comment(gh, "created", c));
    gh.comments = gh.comments.filter((x) => x.id !== c.id);
    await receive(events.comment(gh, "deleted", c));
    expect(gh.run("review/security")!.conclusion).toBe("success");
  });

  test("a user's comment imitating the app's record is ignored", async () => {
    await open();
    const forged = `<!-- parallel-review:record {"v":1,"via":"button","user":"sam","sha":"${gh.pull.headSha}","commands":[{"kind":"approve","personas":["security"]}],"delivery":"x"} -->`;
    const c = gh.comment("mallory", forged);
    await receive(events.comment(gh, "created", c));
    expect(gh.run("review/security")!.status).toBe("in_progress");
    // Even a bot account that is not this app cannot forge one.
    const bot = gh.comment("other-app[bot]", forged, "Bot", { id: APP_ID + 1, slug: "other-app" });
    await receive(events.comment(gh, "created", bot));
    expect(gh.run("review/security")!.status).toBe("in_progress");
  });

  test("a user's comment made through this app (a user-to-server token) is no record of the app's", async () => {
    await open();
    const forged = `<!-- parallel-review:record {"v":1,"via":"button","user":"sam","sha":"${gh.pull.headSha}","commands":[{"kind":"approve","personas":["security"]}],"delivery":"x"} -->`;
    // GitHub marks it performed_via_github_app with this app's id, but its author is the user, not the app's bot.
    const c = gh.comment("mallory", forged, "User", { id: APP_ID, slug: APP_SLUG });
    await receive(events.comment(gh, "created", c));
    await receive(events.comment(gh, "created", gh.comment("carol", "ping")));
    expect(gh.run("review/security")!.status).toBe("in_progress");
    expect(gh.run("parallel-review")!.conclusion).not.toBe("success");
  });

  test("a fake record hidden in a /request-changes reason cannot approve in someone else's name", async () => {
    await open();
    const forged = `<!-- parallel-review:record {"v":1,"via":"button","user":"fiona","sha":"${gh.pull.headSha}","commands":[{"kind":"approve","personas":["finance"]}],"delivery":"x"} -->`;
    const c = gh.comment("sam", `/request-changes security ${forged}`);
    await receive(events.comment(gh, "created", c));
    expect(gh.run("review/finance")!.status).toBe("in_progress");
    expect(gh.run("review/security")!.conclusion).toBe("failure");
    expect(gh.comments.at(-1)!.body).not.toContain(`<!-- parallel-review:record {"v":1,"via":"button","user":"fiona"`);
  });

  test("quoted commands do not count", async () => {
    await open();
    const c = gh.comment("sam", "> /approve security\nI would not say that yet.");
    await receive(events.comment(gh, "created", c));
    expect(gh.run("review/security")!.status).toBe("in_progress");
    expect(gh.comments.filter((x) => x.performed_via_github_app)).toHaveLength(0);
  });

  test("the app ignores the events of its own record comments", async () => {
    await open();
    const c = gh.comment("sam", "/approve security");
    await receive(events.comment(gh, "created", c));
    const record = gh.comments.at(-1)!;
    const before = gh.log.length;
    await receive(events.comment(gh, "created", { ...record, user: { login: `${APP_SLUG}[bot]` } }));
    expect(gh.log.length).toBe(before);
  });
});

describe("the latest action per user per persona wins", () => {
  test("a request for changes after an approval stands until the same user approves again", async () => {
    await open();
    gh.review("sam", "APPROVED");
    await receive(events.review(gh, "submitted", "sam"));
    const c = gh.comment("sam", "/request-changes security found a leak");
    await receive(events.comment(gh, "created", c));
    expect(gh.run("review/security")!.conclusion).toBe("failure");
    await receive(events.click(gh, "review/security", "approve", "sam"));
    expect(gh.run("review/security")!.conclusion).toBe("success");
  });
});

describe("pushes (settings.on_push)", () => {
  test("changed-domains: an approval carries over when the push touches only another persona's paths", async () => {
    setup(TABLE, [{ filename: "src/payments/charge.ts" }, { filename: "main.tf" }]);
    await open();
    gh.review("fiona", "APPROVED");
    await receive(events.review(gh, "submitted", "fiona"));
    gh.review("sam", "APPROVED");
    await receive(events.review(gh, "submitted", "sam"));
    const approvedAt = gh.pull.headSha;
    gh.push("head-2", [{ filename: "src/payments/charge.ts" }, { filename: "main.tf" }], [{ filename: "main.tf" }]);
    await receive(events.pullRequest(gh, "synchronize"));
    const finance = gh.run("review/finance")!;
    expect(finance.conclusion).toBe("success");
    expect(finance.output.summary).toContain(`carried over from ${approvedAt.slice(0, 7)}: no changes in its paths`);
    const security = gh.run("review/security")!;
    expect(security.status).toBe("in_progress");
    expect(security.output.summary).toContain("no longer counts: files it reviews changed since: main.tf");
  });

  test("a persona newly required by a push starts waiting", async () => {
    setup(TABLE, [{ filename: "main.tf" }]);
    await open();
    expect(gh.run("review/finance")).toBeUndefined();
    gh.push(
      "head-2",
      [{ filename: "main.tf" }, { filename: "src/payments/x.ts" }],
      [{ filename: "src/payments/x.ts" }],
    );
    await receive(events.pullRequest(gh, "synchronize"));
    expect(gh.run("review/finance")!.status).toBe("in_progress");
  });

  test("a persona no longer required after a push gets its check closed as neutral with the reason", async () => {
    setup(TABLE, [{ filename: "src/payments/charge.ts" }, { filename: "main.tf" }]);
    await open();
    const before = gh.pull.headSha;
    gh.push("head-2", [{ filename: "main.tf" }], [{ filename: "src/payments/charge.ts" }]);
    await receive(events.pullRequest(gh, "synchronize", { before }));
    const finance = gh.run("review/finance")!;
    expect(finance.conclusion).toBe("neutral");
    expect(finance.output.title).toBe("No longer required");
    expect(gh.run("review/security")!.status).toBe("in_progress");
    const writes = gh.writes().length;
    await receive(events.pullRequest(gh, "synchronize", { before }));
    expect(gh.writes().length).toBe(writes);
  });

  test("a force-push that the compare API cannot relate resets approvals (fail closed)", async () => {
    await open();
    gh.review("fiona", "APPROVED");
    await receive(events.review(gh, "submitted", "fiona"));
    gh.pull.headSha = sha("rewritten");
    await receive(events.pullRequest(gh, "synchronize"));
    expect(gh.run("review/finance")!.status).toBe("in_progress");
  });

  test("dismiss: any push resets every approval", async () => {
    setup(TABLE.replace("settings:\n", "settings:\n  on_push: dismiss\n"), [
      { filename: "src/payments/charge.ts" },
      { filename: "main.tf" },
    ]);
    await open();
    gh.review("fiona", "APPROVED");
    await receive(events.review(gh, "submitted", "fiona"));
    gh.push("head-2", [{ filename: "src/payments/charge.ts" }, { filename: "main.tf" }], [{ filename: "main.tf" }]);
    await receive(events.pullRequest(gh, "synchronize"));
    expect(gh.run("review/finance")!.status).toBe("in_progress");
  });

  test("keep: approvals survive any push", async () => {
    setup(TABLE.replace("settings:\n", "settings:\n  on_push: keep\n"));
    await open();
    gh.review("fiona", "APPROVED");
    await receive(events.review(gh, "submitted", "fiona"));
    gh.push("head-2", [{ filename: "src/payments/charge.ts" }], [{ filename: "src/payments/charge.ts" }]);
    await receive(events.pullRequest(gh, "synchronize"));
    expect(gh.run("review/finance")!.conclusion).toBe("success");
  });
});

describe("the table's own safety", () => {
  test("an invalid table on the base fails the gate with every problem's line:col (fail closed)", async () => {
    setup(TABLE.replace("finance: [Refund logic correct]", "finanse: [Refund logic correct]"));
    await open();
    const gate = gh.run("parallel-review")!;
    expect(gate.conclusion).toBe("failure");
    expect(gate.output.title).toBe("The review table on main is invalid");
    expect(gate.output.summary).toMatch(
      /reviewers\.yml:\d+:\d+ domains\.payments\.require\.finanse: unknown persona "finanse" \(did you mean "finance"\?\)/,
    );
    expect(gh.runsOn().filter((r) => r.name.startsWith("review/"))).toHaveLength(0);
  });

  test("a pull request that changes the table needs the config owners, and an invalid new version fails the gate", async () => {
    setup(TABLE, [{ filename: "reviewers.yml" }]);
    gh.setFile(
      gh.pull.headSha,
      "reviewers.yml",
      "version: 1\npersonas:\n  x:\n    users: [a]\n    colour: red\ndomains: {}\n",
    );
    await open();
    const gate = gh.run("parallel-review")!;
    expect(gate.conclusion).toBe("failure");
    expect(gate.output.summary).toContain('reviewers.yml:5:5 personas.x.colour: unknown key "colour"');
    expect(gh.run("review/security")!.output.summary).toContain(
      "the review table itself changed: reviewers.yml (settings.config_owners)",
    );
  });

  test("a pull request that deletes its own table is still reviewed under the base table and needs the config owners", async () => {
    setup(TABLE, [{ filename: "reviewers.yml", status: "removed" }]);
    await open();
    expect(gh.run("review/security")!.status).toBe("in_progress");
    expect(gh.run("parallel-review")!.status).toBe("in_progress");
    gh.review("sam", "APPROVED");
    await receive(events.review(gh, "submitted", "sam"));
    expect(gh.run("parallel-review")!.conclusion).toBe("success");
  });

  test("over 3,000 changed files: the gate fails closed and every persona is required", async () => {
    setup(TABLE, []);
    gh.pull.changedFiles = 3001;
    await open();
    const gate = gh.run("parallel-review")!;
    expect(gate.conclusion).toBe("failure");
    expect(gate.output.summary).toContain("More than 3000 files changed");
    expect(
      gh
        .runsOn()
        .map((r) => r.name)
        .sort(),
    ).toEqual(["parallel-review", "review/backend", "review/finance", "review/security"]);
    // The reconcile never lists them (the radar afterwards may: it compares file lists, capped).
    const radarStart = gh.log.findIndex((l) => JSON.stringify(l.body ?? "").includes("query OpenPulls"));
    expect(radarStart).toBeGreaterThan(0);
    expect(gh.log.slice(0, radarStart).some((l) => l.path.includes("/pulls/7/files"))).toBe(false);
    // Nor does a review's reconcile, whose delivery does not say how many files changed.
    const from = gh.log.length;
    gh.review("sam", "APPROVED");
    await receive(events.review(gh, "submitted", "sam"));
    expect(gh.log.slice(from).some((l) => l.path.includes("/pulls/7/files"))).toBe(false);
  });

  test.each([
    [3000, true],
    [2999, false],
  ])(
    "%i changed files, all listed: a list that reaches GitHub's 3,000 may be cut short (fails closed: %s)",
    async (n, closed) => {
      setup(
        TABLE,
        Array.from({ length: n }, (_, i) => ({ filename: `docs/page-${i}.md` })),
      );
      await open();
      const summary = gh.run("parallel-review")!.output.summary ?? "";
      expect(summary.includes("More than 3000 files changed")).toBe(closed);
      expect(gh.run("parallel-review")!.conclusion).toBe(closed ? "failure" : "success");
      // Up to 3,000 the count alone does not decide: the files are listed, and the list decides.
      expect(gh.log.some((l) => l.path.includes("/pulls/7/files"))).toBe(true);
    },
  );

  test("a push to the base that changes the table re-evaluates open pull requests targeting it", async () => {
    await open();
    gh.setFile("main", "reviewers.yml", TABLE.replace("      finance: [Refund logic correct]\n", ""));
    await receive(events.push(gh, "refs/heads/main", ["reviewers.yml"]));
    expect(gh.run("review/finance")!.conclusion).toBe("neutral");
    expect(gh.run("review/finance")!.output.title).toBe("No longer required");
  });
});

describe("delivery order and concurrency", () => {
  test("two events for one pull request at once create no duplicate check runs", async () => {
    await Promise.all([
      open(),
      receive(events.pullRequest(gh, "synchronize")),
      receive(events.pullRequest(gh, "reopened")),
    ]);
    const names = gh.runsOn().map((r) => r.name);
    expect(names.sort()).toEqual(["parallel-review", "review/backend", "review/finance", "review/security"]);
  });

  test("an event delivered late (stale payload) still converges on the current head", async () => {
    const stale = events.pullRequest(gh, "opened");
    gh.push("head-2", [{ filename: "src/payments/charge.ts" }], [{ filename: "src/payments/charge.ts" }]);
    await receive(stale);
    expect(gh.runsOn(sha("head-2")).length).toBe(4);
    expect(gh.runsOn(sha("head-1")).length).toBe(0);
  });
});

describe("drafts, re-runs and merge queues", () => {
  test("drafts: wait creates the checks but requests no one until ready for review", async () => {
    gh.pull.draft = true;
    await open();
    expect(gh.runsOn().length).toBe(4);
    expect(gh.writes().some((w) => w.path.endsWith("/requested_reviewers"))).toBe(false);
    gh.pull.draft = false;
    await receive(events.pullRequest(gh, "ready_for_review"));
    expect(gh.writes().some((w) => w.path.endsWith("/requested_reviewers"))).toBe(true);
  });

  test("re-running the gate reconciles it", async () => {
    await open();
    gh.review("sam", "APPROVED"); // arrives without its event
    await receive(events.rerequested(gh, "parallel-review"));
    expect(gh.run("review/security")!.conclusion).toBe("success");
  });

  test("a merge group gets the gate on its head: passing only when the pull request passes", async () => {
    await open();
    const groupSha = sha("merge-group");
    await receive(events.mergeGroup(gh, groupSha));
    expect(gh.run("parallel-review", groupSha)!.conclusion).toBe("failure");
    for (const u of ["bob", "sam", "fiona"]) gh.review(u, "APPROVED");
    await receive(events.mergeGroup(gh, groupSha));
    expect(gh.run("parallel-review", groupSha)!.conclusion).toBe("success");
  });
});

describe("distinct_reviewers", () => {
  test("by default one person satisfies only one persona, and an assignment is found when one exists", async () => {
    gh.teams.set("backend", new Set(["bob", "sam"]));
    await open();
    // sam could be backend or security; bob only backend. Greedy "sam → backend" would leave security empty.
    for (const u of ["sam", "bob", "fiona"]) {
      gh.review(u, "APPROVED");
      await receive(events.review(gh, "submitted", u));
    }
    expect(gh.run("review/backend")!.output.title).toBe("Approved by @bob");
    expect(gh.run("review/security")!.output.title).toBe("Approved by @sam");
    expect(gh.run("parallel-review")!.conclusion).toBe("success");
  });
});
