import { describe, expect, test } from "@jest/globals";
import {
  decodeRecord,
  encodeRecord,
  reviewedFor,
  readRecords,
  recordActions,
  type CommentInput,
  type RecordData,
} from "../../src/core/actions.js";
import { clip, fit, personaCheck } from "../../src/core/checks.js";
import { planReview } from "../../src/core/plan.js";
import { DEFAULT_SETTINGS, type ReviewTable } from "../../src/core/types.js";
import { evaluate } from "../../src/core/verdict.js";

/** Bugs found by review of the approval core; each test failed before its fix. */
const HEAD = "a".repeat(40);

describe("records cannot be forged through text the app quotes", () => {
  const forged = `<!-- parallel-review:record {"v":1,"via":"button","user":"fiona","sha":"${HEAD}","commands":[{"kind":"approve","personas":["finance"]}],"delivery":"x"} -->`;
  const real: RecordData = {
    v: 1,
    via: "comment",
    user: "sam",
    sha: HEAD,
    commands: [{ kind: "request_changes", personas: ["security"], reason: forged }],
    source: 1,
    digest: "d",
  };

  test("a marker embedded in a quoted reason is never decoded in place of the app's own", () => {
    expect(decodeRecord(encodeRecord(real, `❌ @sam requested changes: “${forged}”.`))).toEqual(real);
  });

  test("a body whose only marker is not at the end is not a record", () => {
    expect(decodeRecord(`${forged}\nmore text after it`)).toBeUndefined();
  });

  test("records with malformed commands are rejected, not crashed on or half-trusted", () => {
    for (const commands of [
      [{ kind: "approve" }],
      [{ kind: "approve", personas: "security-and-more" }],
      [{ kind: "merge", personas: ["security"] }],
      [null],
    ]) {
      expect(
        decodeRecord(
          `x\n\n<!-- parallel-review:record ${JSON.stringify({ v: 1, via: "button", user: "u", sha: HEAD, commands })} -->`,
        ),
      ).toBeUndefined();
    }
  });

  test("readRecords trusts only the trailing marker of an app comment", () => {
    const c: CommentInput = {
      id: 9,
      user: { login: "app[bot]", type: "Bot" },
      body: encodeRecord(
        {
          v: 1,
          via: "button",
          user: "sam",
          sha: HEAD,
          commands: [{ kind: "request_changes", personas: ["security"], reason: forged }],
          delivery: "d1",
        },
        forged,
      ),
      createdAt: "2026-01-01T00:00:00Z",
      updatedAt: "2026-01-01T00:00:00Z",
      viaAppId: 1,
    };
    expect(recordActions(readRecords([c], () => true)).map((a) => [a.user, a.kind])).toEqual([
      ["sam", "request_changes"],
    ]);
  });
});

describe("Reviewed-for", () => {
  test("does not reach across a line break", () => {
    expect(reviewedFor("Reviewed-for:\nLooks good")).toBeUndefined();
    expect(reviewedFor("Reviewed-for: security\nLooks good")).toEqual(["security"]);
  });
});

describe("the latest action wins by instant, not by text", () => {
  test("…00Z and …00.400Z compare as times", () => {
    const table: ReviewTable = {
      file: "t",
      personas: [{ id: "s", name: "S", teams: [], users: ["sam"], approvals: 1, criteria: [] }],
      domains: [{ id: "d", paths: ["src/"], ignore: [], require: [{ persona: "s", criteria: [] }] }],
      settings: DEFAULT_SETTINGS,
    };
    const plan = planReview(table, [{ path: "src/a", status: "modified" }]);
    const base = {
      table,
      plan,
      author: "carol",
      headSha: HEAD,
      isReviewer: () => true,
      changedSince: new Map(),
      blockers: [],
    };
    const v = evaluate({
      ...base,
      actions: [
        {
          user: "sam",
          isBot: false,
          kind: "request_changes",
          personas: ["s"],
          sha: HEAD,
          at: "2026-01-01T12:00:00.400Z",
          via: "comment",
          ref: "c",
        },
        {
          user: "sam",
          isBot: false,
          kind: "approve",
          personas: "all",
          sha: HEAD,
          at: "2026-01-01T12:00:00Z",
          via: "review",
          ref: "r",
        },
      ],
    });
    expect(v.personas[0]!.state).toBe("changes_requested");
  });

  test("one user's approval and change request in the same second: the change request stands (fail closed)", () => {
    const table: ReviewTable = {
      file: "t",
      personas: [{ id: "s", name: "S", teams: [], users: ["sam"], approvals: 1, criteria: [] }],
      domains: [{ id: "d", paths: ["src/"], ignore: [], require: [{ persona: "s", criteria: [] }] }],
      settings: DEFAULT_SETTINGS,
    };
    const plan = planReview(table, [{ path: "src/a", status: "modified" }]);
    const at = "2026-01-01T12:00:00Z";
    for (const order of [
      ["request_changes", "approve"],
      ["approve", "request_changes"],
    ] as const) {
      const actions = order.map((kind, i) => ({
        user: "sam",
        isBot: false,
        kind,
        personas: ["s"],
        sha: HEAD,
        at,
        via: "comment" as const,
        ref: String(i),
      }));
      const v = evaluate({
        table,
        plan,
        author: "carol",
        headSha: HEAD,
        isReviewer: () => true,
        changedSince: new Map(),
        blockers: [],
        actions,
      });
      expect(v.personas[0]!.state).toBe("changes_requested");
    }
  });
});

describe("GitHub's limits are bytes, and cuts never split a character", () => {
  test("a summary full of multi-byte text stays within 65,535 bytes", () => {
    const table: ReviewTable = {
      file: "t",
      personas: [
        {
          id: "s",
          name: "安全",
          teams: ["t"],
          users: [],
          approvals: 1,
          criteria: Array.from({ length: 2000 }, () => "安全審査".repeat(20)),
        },
      ],
      domains: [{ id: "d", paths: ["src/"], ignore: [], require: [{ persona: "s", criteria: [] }] }],
      settings: DEFAULT_SETTINGS,
    };
    const plan = planReview(table, [{ path: "src/a", status: "modified" }]);
    const spec = personaCheck({
      persona: plan.personas[0]!,
      state: "waiting",
      approvals: [],
      changeRequests: [],
      notices: [],
    });
    expect(Buffer.byteLength(spec.summary, "utf8")).toBeLessThanOrEqual(65_535);
    expect(spec.summary).toContain("truncated");
    expect(spec.summary).not.toContain("\uFFFD");
  });

  test("fit keeps short text as it is and clip counts code points", () => {
    expect(fit("✅ ok")).toBe("✅ ok");
    const emoji = "x".repeat(38) + "🔒🔒";
    expect([...clip(emoji, 40)].length).toBe(40);
    expect(clip(emoji + "more", 40)).toBe("x".repeat(38) + "🔒…");
  });
});
