import { describe, expect, test } from "@jest/globals";
import type { CheckRunSpec } from "../../src/core/checks.js";
import { runDigest, runsMutation, sameRun, type ExistingRun } from "../../src/github/checks.js";

/**
 * Whether a run already shows what the app wants (src/github/checks.ts sameRun): a skipped write that
 * should have happened leaves an old gate on GitHub, so every field the app writes must count.
 */
const gate: CheckRunSpec = {
  name: "parallel-review",
  status: "completed",
  conclusion: "failure",
  title: "Waiting for 1 of 2 personas",
  summary: "security: approved\nfinance: waiting",
  text: "<!-- parallel-review:ledger {} -->",
  actions: [{ label: "Approve", description: "as this persona", identifier: "approve" }],
};

/** The run as a GraphQL read gives it: status, conclusion, text and the digest, no title or summary. */
function read(spec: CheckRunSpec, externalId: string | null = runDigest(spec)): ExistingRun {
  return {
    id: 1,
    nodeId: "CR_1",
    name: spec.name,
    status: spec.status,
    conclusion: spec.conclusion ?? null,
    title: null,
    summary: null,
    text: spec.text ?? null,
    externalId,
    startedAt: null,
  };
}

describe("sameRun with the digest the app wrote", () => {
  test("the run the spec was written to is the same: no write", () => {
    expect(sameRun(read(gate), gate)).toBe(true);
    expect(sameRun(read({ ...gate, text: undefined }), { ...gate, text: undefined })).toBe(true);
  });

  test.each<[string, Partial<CheckRunSpec>]>([
    ["status", { status: "in_progress", conclusion: undefined }],
    ["conclusion", { conclusion: "success" }],
    ["title", { title: "All personas approved" }],
    ["summary", { summary: "security: approved\nfinance: approved" }],
    ["text", { text: '<!-- parallel-review:ledger {"records":[]} -->' }],
    ["no text", { text: undefined }],
    ["name", { name: "parallel-review/main" }],
    ["an action's label", { actions: [{ ...gate.actions[0]!, label: "Approve!" }] }],
    ["an action's description", { actions: [{ ...gate.actions[0]!, description: "other" }] }],
    ["an action's identifier", { actions: [{ ...gate.actions[0]!, identifier: "request_changes" }] }],
    ["no actions", { actions: [] }],
  ])("a different %s is a write", (_, change) => {
    expect(sameRun(read(gate), { ...gate, ...change })).toBe(false);
  });

  test("a field's text moved to its neighbour is a different run", () => {
    const a = { ...gate, title: "a", summary: "b" };
    const b = { ...gate, title: "ab", summary: "" };
    expect(runDigest(a)).not.toBe(runDigest(b));
    expect(sameRun(read(a), b)).toBe(false);
  });

  test("status and conclusion are compared as read, whatever the digest says", () => {
    // GitHub's status and conclusion are the run's own: a digest cannot stand for a run that is not completed.
    expect(sameRun({ ...read(gate), status: "in_progress" }, gate)).toBe(false);
    expect(sameRun({ ...read(gate), conclusion: "success" }, gate)).toBe(false);
  });
});

describe("sameRun without the app's digest", () => {
  test("a GraphQL read of a run an older version wrote (no digest) is rewritten once", () => {
    expect(sameRun(read(gate, ""), gate)).toBe(false);
    expect(sameRun(read(gate, null), gate)).toBe(false);
  });

  test("a REST read with the whole output is compared field by field", () => {
    const rest = { ...read(gate, ""), title: gate.title, summary: gate.summary };
    expect(sameRun(rest, gate)).toBe(true);
    expect(sameRun(rest, { ...gate, summary: "other" })).toBe(false);
    expect(sameRun(rest, { ...gate, text: "other" })).toBe(false);
    expect(sameRun(rest, { ...gate, title: "other" })).toBe(false);
  });

  test("an external id that is not the app's digest is not taken for one", () => {
    const other = { ...read(gate, `x${runDigest(gate)}`), title: gate.title, summary: gate.summary };
    expect(sameRun(other, gate)).toBe(true); // compared by fields
    expect(sameRun(other, { ...gate, summary: "other" })).toBe(false);
  });
});

test("every write carries the digest of what it writes", () => {
  const { variables } = runsMutation("R_1", [
    { create: gate, sha: "a".repeat(40) },
    { update: { ...gate, conclusion: "success" }, run: { id: 1, nodeId: "CR_1" } },
  ]);
  expect((variables.w0 as { externalId: string }).externalId).toBe(runDigest(gate));
  expect((variables.w1 as { externalId: string }).externalId).toBe(runDigest({ ...gate, conclusion: "success" }));
  expect(runDigest(gate)).toMatch(/^parallel-review:v1:[A-Za-z0-9_-]{43}$/);
});

test("a lone surrogate is not taken for the replacement character UTF-8 would make of it", () => {
  expect(runDigest({ ...gate, title: "a\uD800" })).not.toBe(runDigest({ ...gate, title: "a\uFFFD" }));
  expect(runDigest({ ...gate, title: "a\uD800" })).toBe(runDigest({ ...gate, title: "a\uD800" }));
  // Absent and empty differ; so do the same texts in other fields.
  expect(runDigest({ ...gate, text: undefined })).not.toBe(runDigest({ ...gate, text: "" }));
  expect(runDigest({ ...gate, actions: [] })).not.toBe(runDigest(gate));
});

test("a text that spells out a lone surrogate's escape is not the lone surrogate", () => {
  expect(runDigest({ ...gate, title: JSON.stringify("a\uD800") })).not.toBe(runDigest({ ...gate, title: "a\uD800" }));
});

describe("the digest is stable: a run written by an earlier release still matches (or every run is rewritten once)", () => {
  // Values computed apart from the app (Python's hashlib over the framing runDigest documents): each field as
  // `<length>:<text>` (UTF-16 length, UTF-8 bytes), an absent one as `~`, a text with a lone surrogate as
  // `<length>j<JSON>`, then `<number of buttons>:` and each button's label, description and identifier.
  test("a gate with a ledger and a button", () => {
    expect(runDigest(gate)).toBe("parallel-review:v1:2Jes8x4wybFfggdw3qvAEDqvlG3cZUT-ixO75VxEZJA");
  });

  test("a waiting persona check: no conclusion, no text, no buttons, a lone surrogate in its title", () => {
    const waiting: CheckRunSpec = {
      name: "review/security",
      status: "in_progress",
      title: "Waiting \uD800",
      summary: "s",
      actions: [],
    };
    expect(runDigest(waiting)).toBe("parallel-review:v1:NvrLgVO-Y1h1I4E95Ac6oliNtH7r0BiiM_P8NNJRZrU");
  });

  test("fields shifted by one (an absent one first) are another run", () => {
    const a: CheckRunSpec = { ...gate, conclusion: undefined, title: "success", summary: "b", text: "c" };
    const b: CheckRunSpec = { ...gate, conclusion: "success", title: "b", summary: "c", text: undefined };
    expect(runDigest(a)).not.toBe(runDigest(b));
  });
});

test("the text (the gate's ledger) is compared as read, whatever the digest says", () => {
  // A write that left external_id out (an older release during a rolling deploy) keeps the old digest.
  expect(sameRun({ ...read(gate), text: '<!-- parallel-review:ledger {"records":[1]} -->' }, gate)).toBe(false);
  expect(sameRun({ ...read(gate), text: null }, gate)).toBe(false);
  expect(sameRun(read({ ...gate, text: undefined }), { ...gate, text: undefined })).toBe(true);
});
