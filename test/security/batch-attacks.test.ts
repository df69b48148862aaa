import { describe, expect, test } from "@jest/globals";
import type { Probot } from "probot";
import { createProbot, tick, type FakeGitHub } from "../helpers/fake-github.js";
import { events, type Delivery } from "../helpers/payloads.js";
import { useFakeGitHub } from "../helpers/app-harness.js";
import { CountingSerializer } from "../helpers/counting-serializer.js";
import { AUTH, green, sentBy, TABLE, TEAMS } from "./cast.js";
import { until } from "../helpers/until.js";

/**
 * An attacker's review of batched deliveries (src/app/batch.ts, src/app/router.ts `run`) and of the
 * delivered facts they hand over (comment and review bodies, clicks). Same cast as attacks.test.ts:
 * security = sam, sue, sasha; carol = author with write access; mallory = a stranger. A test marked
 * `// FINDING:` got through before its fix; the others pin a defence.
 */
const fake = useFakeGitHub();
let gh: FakeGitHub;
let probot: Probot;

function setup(files = AUTH, table = TABLE) {
  ({ gh, probot } = fake.fresh({ table, files, teams: TEAMS }));
}
const receive = (d: Delivery, app = probot) => app.receive(d as never);
const gate = () => gh.run("parallel-review")!;
const as = (d: Delivery, login: string): Delivery => sentBy(gh, d, login);

/** GitHub's `issue_comment.edited` delivery: the comment as it is now, `changes.body.from` as it was. */
function commentEdited(c: { id: number; body: string; user: { login: string } }, from: string, editor: string) {
  const d = as(events.comment(gh, "edited", c), editor);
  return { ...d, payload: { ...d.payload, changes: { body: { from } } } };
}

describe("comment bodies handed to a reconcile", () => {
  // FINDING: src/app/router.ts:222 (issue_comment handler) took an `edited` delivery's `changes.body.from`
  // as the unedited original (updatedAt = created_at), and src/app/reconcile.ts (withDelivered, since moved to src/app/standing.ts) let it
  // replace the listed body: carol's second edit handed her own first edit to the reconcile as sam's words,
  // and sam "approved". Fixed: the `from` body counts as edited, as of the edit (it can request changes,
  // never approve), and it is preferred to a listed body that was edited since.
  test("carol edits sam's 'LGTM' to '/approve security' and back: the second edit's `from` is carol's text, not sam's", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    const c = gh.comment("sam", "LGTM");
    await receive(events.comment(gh, "created", c));
    c.body = "/approve security";
    c.updated_at = tick();
    await receive(commentEdited(c, "LGTM", "carol"));
    expect(green(gate())).toBe(false);
    c.body = "LGTM";
    c.updated_at = tick();
    await receive(commentEdited(c, "/approve security", "carol"));
    expect(gh.run("review/security")!.conclusion).not.toBe("success");
    expect(green(gate())).toBe(false);
  });

  test("sue's /request-changes is edited away by carol and its `created` delivery is lost: the edit's `from` still blocks", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    gh.review("sam", "APPROVED", "");
    await receive(events.review(gh, "submitted", "sam"));
    expect(gate().conclusion).toBe("success");
    const c = gh.comment("sue", "/request-changes security tokens are logged");
    c.body = "thanks";
    c.updated_at = tick();
    await receive(commentEdited(c, "/request-changes security tokens are logged", "carol"));
    expect(gate().conclusion).toBe("failure");
  });
});

describe("a comment edited into a change request", () => {
  // FINDING (known residual of 2026-12-01, fixed): the edit's delivery carries the body before the edit,
  // which stood in for GitHub's edited body in that delivery's reconcile: sue's change request was recorded
  // only by the next event, and meanwhile the gate stayed green. Now the change requests of both count.
  test("sue edits her 'LGTM' into '/request-changes security …': the edit's own reconcile closes the green gate", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    gh.review("sam", "APPROVED", "");
    await receive(events.review(gh, "submitted", "sam"));
    const c = gh.comment("sue", "LGTM");
    await receive(events.comment(gh, "created", c));
    expect(gate().conclusion).toBe("success");
    c.body = "/request-changes security tokens are logged";
    c.updated_at = tick();
    await receive(commentEdited(c, "LGTM", "sue"));
    expect(gate().conclusion).toBe("failure");
    expect(gh.run("review/security")!.conclusion).toBe("failure");
  });
});

describe("deliveries that share a reconcile", () => {
  /** A reconcile of the pull request running, its read held until `release` (as test/app/batch.test.ts). */
  async function reconcileHeld() {
    let release!: () => void;
    gh.holds.push({ method: "POST", path: /^\/graphql$/, until: new Promise<void>((r) => (release = r)), times: 1 });
    const running = receive(events.rerequested(gh, "parallel-review")).catch(() => "failed");
    await until(
      () => gh.holds[0]!.times === 0,
      () => "the held request was never made",
    );
    return { release, running };
  }

  test("sue's Request changes click shares a failing reconcile with mallory's comment: both fail, and the click still keeps the gate closed", async () => {
    setup();
    const serializer = new CountingSerializer(); // tells when both deliveries wait (test/helpers)
    probot = createProbot({ serializer });
    await receive(events.pullRequest(gh, "opened"));
    gh.review("sam", "APPROVED", "");
    await receive(events.review(gh, "submitted", "sam"));
    expect(gate().conclusion).toBe("success");
    const { release, running } = await reconcileHeld();
    const handed = serializer.handed;
    const clicked = receive(events.click(gh, "review/security", "request_changes", "sue")).catch(() => "failed");
    const noise = as(events.comment(gh, "created", gh.comment("mallory", "/approve security")), "mallory");
    const commented = receive(noise).catch(() => "failed");
    await serializer.until(handed + 2); // both wait behind the held reconcile, in one batch
    gh.faults.push({ method: "POST", path: /^\/graphql$/, status: 422, times: 100 }); // GitHub's GraphQL fails
    release();
    await running;
    // Every delivery of the failed batch is answered with the error (GitHub redelivers them), and the gate
    // says why it is closed.
    expect(await clicked).toBe("failed");
    expect(await commented).toBe("failed");
    expect(gate().conclusion).toBe("failure");
    // GitHub answers again; the next event is not a redelivery: sue's click is still unrecorded, and it
    // keeps the gate closed (sam's approval alone would open it).
    gh.faults = [];
    await receive(events.rerequested(gh, "parallel-review"));
    expect(green(gate())).toBe(false);
  });

  // FINDING: src/app/router.ts `runOnce` took a batch job that failed before it started (RedisKeyedRunner:
  // Redis unreachable, or the lease held by another worker past its 120 s wait) for one that was skipped:
  // a batch without facts then needed no reconcile, and the delivery was answered as handled. A push that
  // made the base's table stricter left a green gate as it was. Fixed: a failed job's batch is reconciled
  // here, and that failing fails the delivery (GitHub delivers it again).
  test("a batch job that fails before it starts is not a skipped one: the push of a stricter table still closes the gate", async () => {
    setup([{ filename: "docs/readme.md" }]);
    let failing = false;
    const local = new CountingSerializer();
    const serializer = {
      run: <T>(key: string, job: () => Promise<T>) => local.run(key, job),
      coalesce: <T>(key: string, job: () => Promise<T>) =>
        failing
          ? Promise.reject(new Error(`${key} stayed busy on another worker for 120000 ms`))
          : local.coalesce(key, job),
    };
    const app = createProbot({ serializer });
    await receive(events.pullRequest(gh, "opened"), app);
    expect(gate().conclusion).toBe("success"); // docs/ belong to no domain
    gh.setFile(
      "main",
      "reviewers.yml",
      TABLE.replace("domains:\n", 'domains:\n  docs:\n    paths: ["docs/"]\n    require: [security]\n'),
    );
    failing = true;
    await receive(events.push(gh, "refs/heads/main", ["reviewers.yml"]), app);
    expect(green(gate())).toBe(false);
    expect(gh.run("review/security")!.conclusion).not.toBe("success");
  });

  // FINDING: the follow-up reconciles (src/app/router.ts `run`) went through `coalesce` like a delivery's "look
  // again": with Redis, another worker's delivery finding a follow-up's waiting marker skipped its own
  // reconcile, although a follow-up that fails is retried by nobody; and a follow-up skipped for another's
  // marker read as "nothing held" and ended the follow-ups. Fixed: follow-ups run in turn, never joined nor
  // skipped. Here every coalescable job is skipped, as another worker's marker would make it.
  test("follow-up reconciles are never skipped for another worker's waiting reconcile", async () => {
    setup();
    const local = new CountingSerializer();
    const serializer = {
      run: <T>(key: string, job: () => Promise<T>) => local.run(key, job),
      coalesce: async () => undefined as never,
    };
    const app = createProbot({ serializer });
    gh.review("sam", "APPROVED", "");
    await receive(events.review(gh, "submitted", "sam"), app); // a body: a fact, reconciled here
    expect(gate().conclusion).toBe("success");
    for (let i = 0; i < 20; i++) gh.comment("mallory", "/request-changes security no");
    for (let i = 0; i < 21; i++) gh.comment(`sock-${i}`, "/approve security");
    await receive(events.comment(gh, "created", gh.comment("carol", "any news?")), app);
    // The delivery's reconcile recorded mallory's twenty and left 21 people waiting (the gate closed); the
    // follow-up recorded twenty socks and judged the last (a stranger): the gate opens again.
    expect(gate().conclusion).toBe("success");
    expect(gh.comments.filter((c) => c.body.includes('"user":"sock-')).length).toBeGreaterThanOrEqual(20);
  });

  test("with Redis another worker's waiting reconcile skips the batch's job: sue's click is still reconciled here", async () => {
    setup();
    // Every coalescable job is skipped, as RedisKeyedRunner does when another worker's marker is set: that
    // worker reads what ours would, but it does not have this delivery's click.
    const serializer = {
      run: <T>(_key: string, job: () => Promise<T>) => job(),
      coalesce: async () => undefined as never,
    };
    const app = createProbot({ serializer });
    await receive(events.pullRequest(gh, "opened"), app);
    expect(gh.run("parallel-review")).toBeUndefined(); // "look again" only: skipped, the other worker reads
    gh.review("sam", "APPROVED", "");
    await receive(events.review(gh, "submitted", "sam"), app); // a body: a fact, reconciled here
    expect(gate().conclusion).toBe("success");
    await receive(events.click(gh, "review/security", "request_changes", "sue"), app);
    expect(gh.run("review/security")!.conclusion).toBe("failure");
    expect(gate().conclusion).toBe("failure");
  });
});
