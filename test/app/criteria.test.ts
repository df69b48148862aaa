import { beforeEach, describe, expect, test } from "@jest/globals";
import type { Probot } from "probot";
import { APP_ID, createProbot, tick, type FakeGitHub } from "../helpers/fake-github.js";
import { events, type Delivery } from "../helpers/payloads.js";
import { useFakeGitHub } from "../helpers/app-harness.js";
import { TABLE } from "../helpers/tables.js";
import { criterionKey } from "../../src/core/criteria.js";
import { decodeLedger } from "../../src/core/ledger.js";

/**
 * Acknowledging criteria end to end: a reviewer ticks the persona's criteria under `/approve`, the app
 * records the acknowledgement (in its ledger, bound to the head like the approval), the persona's check
 * shows who acknowledged what, and with `require_criteria` an approval counts only when it acknowledges
 * every criterion.
 */

const fake = useFakeGitHub();
let gh: FakeGitHub;
let probot: Probot;

/** TABLE with Security's own criterion and require_criteria on Security (Security also has payments' "PCI compliance verified"). */
const REQUIRED = TABLE.replace(
  "    teams: [security]\n",
  "    teams: [security]\n    criteria: [No secrets in logs]\n    require_criteria: true\n",
);

const receive = (d: Delivery) => probot.receive(d as never);
const say = async (login: string, body: string) => {
  const c = gh.comment(login, body);
  await receive(events.comment(gh, "created", c));
  return c;
};
const security = () => gh.run("review/security")!;
const appComments = () => gh.comments.filter((c) => c.performed_via_github_app?.id === APP_ID);

beforeEach(() => {
  ({ gh, probot } = fake.fresh({ table: REQUIRED, files: [{ filename: "src/payments/charge.ts" }] }));
});

describe("acknowledging criteria under /approve", () => {
  test("the check says what is required and offers the checklist to copy", async () => {
    await receive(events.pullRequest(gh, "opened"));
    const s = security().output.summary;
    expect(s).toContain("**Criteria** — an approval counts only when it acknowledges every one (`require_criteria`)");
    expect(s).toContain("```\n/approve security\n- [ ] No secrets in logs\n- [ ] PCI compliance verified\n```");
  });

  test("an approval without every criterion does not count, says what is missing; ticking all of them counts", async () => {
    await receive(events.pullRequest(gh, "opened"));
    await say("sam", "/approve security\n- [x] No secrets in logs");
    expect(security().status).toBe("in_progress");
    expect(security().output.summary).toContain(
      "- ⚠️ @sam's approval does not count yet: Security Engineer requires every criterion to be acknowledged (require_criteria); not acknowledged: “PCI compliance verified”",
    );
    expect(security().output.summary).toContain("- [x] No secrets in logs — acknowledged by @sam");
    expect(appComments().at(-1)!.body).toContain("☑️ Acknowledged 1 of 2 of Security Engineer's criteria.");
    expect(appComments().at(-1)!.body).toContain("this approval does not count");

    await say("sue", "Checked both.\n/approve security\n- [x] no secrets in LOGS\n- [x] PCI compliance verified");
    expect(security().conclusion).toBe("success");
    expect(security().output.title).toBe("Approved by @sue");
    expect(security().output.summary).toContain("- [x] PCI compliance verified — acknowledged by @sue");
    expect(security().output.summary).toContain("- [x] No secrets in logs — acknowledged by @sam, @sue");
  });

  test("a review or a click cannot acknowledge: under require_criteria they do not count, and the check says how to", async () => {
    await receive(events.pullRequest(gh, "opened"));
    gh.review("sam", "APPROVED");
    await receive(events.review(gh, "submitted", "sam"));
    await receive(events.click(gh, "review/security", "approve", "sue"));
    expect(security().status).toBe("in_progress");
    const s = security().output.summary;
    expect(s).toContain(
      "a review cannot acknowledge criteria: comment `/approve security` with every criterion ticked",
    );
    expect(s).toContain("a click cannot acknowledge criteria");
  });

  test("acknowledgements cannot be forged by editing the comment afterwards, nor lost by deleting the record", async () => {
    await receive(events.pullRequest(gh, "opened"));
    const c = await say("sam", "/approve security");
    expect(security().status).toBe("in_progress");
    // Someone with write access ticks the criteria in sam's recorded comment: it stands for what it said.
    c.body = "/approve security\n- [x] No secrets in logs\n- [x] PCI compliance verified";
    c.updated_at = tick();
    await receive(events.comment(gh, "edited", c));
    expect(security().status).toBe("in_progress");

    await say("sue", "/approve security\n- [x] No secrets in logs\n- [x] PCI compliance verified");
    expect(security().conclusion).toBe("success");
    // The ledger holds the acknowledgement: deleting every record comment, on a replica with no memory, changes nothing.
    gh.comments = gh.comments.filter((x) => x.performed_via_github_app?.id !== APP_ID);
    probot = createProbot();
    await receive(events.pullRequest(gh, "synchronize"));
    expect(security().conclusion).toBe("success");
    expect(security().output.summary).toContain("- [x] PCI compliance verified — acknowledged by @sue");
  });

  test("a ticked item that is no criterion is named in the answer and acknowledges nothing", async () => {
    await receive(events.pullRequest(gh, "opened"));
    await say("sam", "/approve security\n- [x] No secrets in log\n- [x] PCI compliance verified");
    expect(security().status).toBe("in_progress");
    expect(appComments().at(-1)!.body).toContain(
      "⚠️ ticked “No secrets in log”: not a criterion of the personas approved here",
    );
    // Only criteria of the personas approved are recorded: the stray item is not kept in the ledger.
    const ledger = decodeLedger(gh.run("parallel-review")!.output.text)!;
    expect(ledger.records.at(-1)!.commands[0]!.criteria).toEqual([criterionKey("PCI compliance verified")]);
  });

  test("without require_criteria, acknowledgements are shown but an approval counts without them", async () => {
    ({ gh, probot } = fake.fresh({ table: TABLE, files: [{ filename: "src/payments/charge.ts" }] }));
    await receive(events.pullRequest(gh, "opened"));
    await say("sam", "/approve security\n- [x] PCI compliance verified");
    expect(security().conclusion).toBe("success");
    expect(security().output.summary).toContain("- [x] PCI compliance verified — acknowledged by @sam");
    await say("fiona", "/approve finance");
    expect(gh.run("review/finance")!.conclusion).toBe("success");
  });
});
