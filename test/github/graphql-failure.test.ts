import { describe, expect, test } from "@jest/globals";
import { GraphqlResponseError } from "@octokit/graphql";
import { graphqlFailure, partialData } from "../../src/github/client.js";

/**
 * What the adapter keeps of a GraphQL answer with errors (src/github/client.ts): the data beside them only
 * when every error is about a part the caller can do without; nothing of any other failure.
 */
const answer = (data: unknown, errors: unknown[]) =>
  new GraphqlResponseError({ method: "POST", url: "/graphql" }, {}, { data, errors } as never);
const teamAlias = (path: readonly unknown[]) => typeof path[0] === "string" && /^m\d+$/.test(path[0]);

describe("graphqlFailure", () => {
  test("Octokit's GraphqlResponseError: its errors and the data beside them", () => {
    const f = graphqlFailure<{ a: number }>(answer({ a: 1 }, [{ message: "x", path: ["b"] }]));
    expect(f).toEqual({ errors: [{ message: "x", path: ["b"] }], data: { a: 1 } });
    expect(graphqlFailure(answer(null, [{ message: "x" }]))).toEqual({ errors: [{ message: "x" }] });
  });

  test("anything else (an HTTP error, a plain error, errors that are not a list) is no GraphQL answer", () => {
    expect(graphqlFailure(Object.assign(new Error("Server Error"), { status: 502 }))).toBeUndefined();
    expect(graphqlFailure({ name: "GraphqlResponseError", errors: "x" })).toBeUndefined();
    expect(graphqlFailure(undefined)).toBeUndefined();
  });
});

describe("partialData", () => {
  test("kept when every error's path is one the caller can do without", () => {
    const data = { repository: {}, m0: null, m1: null };
    const errors = [
      { message: "a", path: ["m0", "team"] },
      { message: "b", path: ["m1"] },
    ];
    expect(partialData(answer(data, errors), teamAlias)).toBe(data);
  });

  test("not kept with one other error, an error without a path, no errors or no data", () => {
    const data = { repository: {} };
    expect(
      partialData(
        answer(data, [
          { message: "a", path: ["m0"] },
          { message: "b", path: ["repository"] },
        ]),
        teamAlias,
      ),
    ).toBeUndefined();
    expect(partialData(answer(data, [{ message: "rate limited" }]), teamAlias)).toBeUndefined();
    expect(partialData(answer(data, []), teamAlias)).toBeUndefined();
    expect(partialData(answer(null, [{ message: "a", path: ["m0"] }]), teamAlias)).toBeUndefined();
    expect(partialData(new Error("fetch failed"), teamAlias)).toBeUndefined();
  });
});
