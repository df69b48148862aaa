import { describe, expect, test } from "@jest/globals";
import { runsMutation } from "../../src/github/checks.js";
import { isCheckWrite, isPacedWrite, operationType } from "../../src/github/writes.js";

/** Which requests the write pacer holds back (src/github/writes.ts): writes, and whatever it cannot tell. */
const graphql = (query: unknown, extra: Record<string, unknown> = {}) => ({
  method: "POST",
  url: "/graphql",
  query,
  ...extra,
});

describe("REST", () => {
  test.each([
    ["GET", "/repos/{owner}/{repo}/pulls/{pull_number}", false],
    ["HEAD", "/repos/{owner}/{repo}", false],
    ["get", "/repos/{owner}/{repo}/commits/{ref}/check-runs", false],
    ["POST", "/repos/{owner}/{repo}/check-runs", true],
    ["PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", true],
    ["PUT", "/repos/{owner}/{repo}/pulls/{pull_number}/merge", true],
    ["DELETE", "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", true],
    ["POST", "/app/hook/deliveries/{delivery_id}/attempts", true],
    ["POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments?x=1", true],
  ])("%s %s: paced %s", (method, url, paced) => {
    expect(isPacedWrite({ method, url })).toBe(paced);
  });

  test.each([
    ["POST", "/app/installations/{installation_id}/access_tokens"],
    ["POST", "/app/installations/42/access_tokens"],
    ["POST", "https://ghe.example.com/api/v3/app/installations/42/access_tokens"],
    ["POST", "/applications/{client_id}/token"],
    ["PATCH", "/applications/{client_id}/token/scoped"],
    ["POST", "/login/oauth/access_token"],
  ])("a token request is authentication, not a content write: %s %s", (method, url) => {
    expect(isPacedWrite({ method, url })).toBe(false);
  });

  test("a look-alike of a token route is a write", () => {
    expect(isPacedWrite({ method: "POST", url: "/app/installations/42/access_tokens/extra" })).toBe(true);
    expect(isPacedWrite({ method: "DELETE", url: "/app/installations/42/access_tokens" })).toBe(true);
  });
});

describe("GraphQL", () => {
  test("a query is a read, a mutation a write", () => {
    expect(isPacedWrite(graphql("query { viewer { login } }"))).toBe(false);
    expect(isPacedWrite(graphql("mutation { addComment(input: {}) { clientMutationId } }"))).toBe(true);
  });

  test("the app's own check-run batch is a write", () => {
    const { query } = runsMutation("R_1", [
      {
        sha: "abc",
        create: { name: "x", status: "in_progress", title: "t", summary: "s", actions: [] } as never,
      },
    ]);
    expect(isPacedWrite(graphql(query))).toBe(true);
  });

  test("on GitHub Enterprise the URL is absolute", () => {
    const url = "https://ghe.example.com/api/graphql";
    expect(isPacedWrite({ method: "POST", url, query: "{ viewer { login } }" })).toBe(false);
    expect(isPacedWrite({ method: "POST", url, query: "mutation { x }" })).toBe(true);
  });

  test("a document sent as the request body is read there", () => {
    expect(isPacedWrite({ method: "POST", url: "/graphql", data: { query: "query Q { a }" } })).toBe(false);
    expect(isPacedWrite({ method: "POST", url: "/graphql", data: { query: "mutation M { a }" } })).toBe(true);
  });

  test("no document, or one that is not a string, is a write", () => {
    expect(isPacedWrite({ method: "POST", url: "/graphql" })).toBe(true);
    expect(isPacedWrite(graphql({ query: "query { a }" }))).toBe(true);
    expect(isPacedWrite(graphql(""))).toBe(true);
  });
});

describe("operationType", () => {
  test.each([
    ["{ viewer { login } }", "query"],
    ["query { a }", "query"],
    ["query Named { a }", "query"],
    ["query Named($id: ID!, $n: Int = 3) @live { node(id: $id) { id } }", "query"],
    ["mutation { a }", "mutation"],
    [
      "mutation WriteChecksAndRecords($w0: CreateCheckRunInput!) { w0: createCheckRun(input: $w0) { checkRun { id } } }",
      "mutation",
    ],
    ["subscription { a }", "subscription"],
    ["\uFEFF  # a comment\n  # another { mutation\n\tquery { a }", "query"],
    [",,, mutation\n#c\n{ a }", "mutation"],
    ["\r\n# comment only until the line ends\r\nmutation { a }", "mutation"],
  ])("%j is a %s", (doc, type) => {
    expect(operationType(doc)).toBe(type);
  });

  test("fragments are not operations, wherever they stand", () => {
    const doc = "fragment F on User { login } query Q { viewer { ...F } } fragment G on User { id }";
    expect(operationType(doc)).toBe("query");
    expect(operationType("fragment F on User { login }")).toBeUndefined();
  });

  test("braces and keywords inside strings, block strings and comments do not count", () => {
    expect(operationType('query { a(x: "} mutation { b }") }')).toBe("query");
    expect(operationType('query { a(x: """ } \\""" mutation { """) }')).toBe("query");
    expect(operationType('query { a(x: "\\" }") } # } mutation')).toBe("query");
    expect(operationType("query Q($o: In = {a: {b: 1}}) { a }")).toBe("query");
  });

  test("a name that starts with a keyword is a name", () => {
    expect(operationType("query mutationLog { a }")).toBe("query");
    expect(operationType("mutation queryAll { a }")).toBe("mutation");
    expect(operationType("queryX { a }")).toBeUndefined();
  });

  test("several operations: the one `operationName` names; none named, or no such name, is unknown", () => {
    const doc = "query Read { a } mutation Write { b }";
    expect(operationType(doc, "Read")).toBe("query");
    expect(operationType(doc, "Write")).toBe("mutation");
    expect(operationType(doc)).toBeUndefined();
    expect(operationType(doc, "Other")).toBeUndefined();
    expect(isPacedWrite(graphql(doc, { operationName: "Read" }))).toBe(false);
    expect(isPacedWrite(graphql(doc, { operationName: "Write" }))).toBe(true);
    expect(isPacedWrite(graphql(doc))).toBe(true);
  });

  test("a document the scanner cannot read is unknown, hence a write", () => {
    for (const doc of [
      "",
      "   # only a comment",
      "query { a",
      "query Q(",
      'query { a(x: "unterminated) }',
      'query { a(x: """never closed) }',
      "query Q) { a }",
      "{ a } }",
      "extend type Query { a: Int }",
      "mutation",
      "query { a } garbage",
    ]) {
      expect([doc, operationType(doc)]).toEqual([doc, undefined]);
      expect([doc, isPacedWrite(graphql(doc))]).toEqual([doc, true]);
    }
  });
});

describe("isCheckWrite: what goes ahead in an installation's lane", () => {
  test.each([
    ["POST", "/repos/{owner}/{repo}/check-runs", true],
    ["PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}", true],
    ["POST", "/graphql", true],
    ["POST", "https://ghe.example.com/api/graphql", true],
    ["POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", false],
    ["POST", "/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers", false],
    ["POST", "/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations-elsewhere", false],
  ])("%s %s → %s", (method, url, urgent) => {
    expect(isCheckWrite({ method, url })).toBe(urgent);
  });

  const comment = { comment: "answer", subjectId: "PR_1" };
  const run = {
    sha: "abc",
    create: { name: "x", status: "in_progress", title: "t", summary: "s", actions: [] } as never,
  };
  test("a mutation that writes a check run goes ahead, with the record comments that ride in it", () => {
    for (const writes of [[run], [run, comment], [comment, run]]) {
      const { query } = runsMutation("R_1", writes);
      expect(isCheckWrite(graphql(query))).toBe(true);
      expect(isCheckWrite({ method: "POST", url: "/graphql", data: { query } })).toBe(true);
    }
  });
  test("a mutation of comments alone waits its turn as the REST comment did: a stranger's answers cannot jump ahead", () => {
    const { query } = runsMutation("R_1", [comment, comment]);
    expect(isCheckWrite(graphql(query))).toBe(false);
    expect(isCheckWrite({ method: "POST", url: "/graphql", data: { query } })).toBe(false);
    expect(isPacedWrite(graphql(query))).toBe(true);
  });
  test("a GraphQL document it cannot read goes ahead, as every GraphQL write did", () => {
    expect(isCheckWrite({ method: "POST", url: "/graphql" })).toBe(true);
    expect(isCheckWrite(graphql({ query: "mutation { addComment }" }))).toBe(true);
    expect(isCheckWrite(graphql("mutation { updateIssue(input: {}) { clientMutationId } }"))).toBe(true);
  });
});
