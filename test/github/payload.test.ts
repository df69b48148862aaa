import { describe, expect, test } from "@jest/globals";
import { withoutLinks } from "../../src/github/payload.js";
import { example } from "../helpers/payloads.js";

/** The rule `withoutLinks` applies, written out once for the tests. */
const isLink = (k: string, v: unknown) =>
  k === "_links" || ((k === "url" || k.endsWith("_url")) && (v === null || typeof v === "string"));

/** Every key path of a JSON value whose key is a link. */
function links(value: unknown, path = ""): string[] {
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(isLink(k, v) ? [`${path}.${k}`] : []),
    ...links(v, `${path}.${k}`),
  ]);
}

describe("webhook payloads without their REST API links (src/github/payload.ts)", () => {
  test.each([
    ["pull_request", "opened"],
    ["pull_request_review", "submitted"],
    ["issue_comment", "created"],
    ["check_run", "requested_action"],
    ["merge_group", "checks_requested"],
  ])("GitHub's %s.%s example keeps everything but its links", (event, action) => {
    const payload = example(event, action);
    const lean = withoutLinks(payload);
    expect(links(payload).length).toBeGreaterThan(0);
    expect(links(lean)).toEqual([]);
    // What is left is exactly the example with those keys taken out, values and order unchanged.
    const expected = structuredClone(payload);
    const drop = (v: unknown): void => {
      if (v === null || typeof v !== "object") return;
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (isLink(k, x)) delete (v as Record<string, unknown>)[k];
        else drop(x);
      }
    };
    drop(expected);
    expect(lean).toEqual(expected);
    expect(JSON.stringify(lean).length).toBeLessThan(JSON.stringify(payload).length / 2);
  });

  test("a key that only looks like a link is kept when its value is not a string: user-named keys stay", () => {
    const payload = {
      repository: {
        id: 1,
        url: "https://api.github.com/repos/o/r",
        custom_properties: { docs_url: { team: "web" }, wiki_url: ["a"], count_url: 3, flag_url: false },
      },
      pull_request: {
        number: 7,
        html_url: null,
        title: "url",
        body: "see issues_url",
        labels: [{ url: "x", name: "n" }],
      },
    };
    expect(withoutLinks(payload)).toEqual({
      repository: {
        id: 1,
        custom_properties: { docs_url: { team: "web" }, wiki_url: ["a"], count_url: 3, flag_url: false },
      },
      pull_request: { number: 7, title: "url", body: "see issues_url", labels: [{ name: "n" }] },
    });
  });

  test("a `__proto__` key stays an own key, as JSON.parse made it: its contents never become inherited fields", () => {
    const parsed = JSON.parse(
      '{"a":1,"__proto__":{"installation":{"id":9},"url":"u"},"repository":{"custom_properties":{"__proto__":["x"]}}}',
    ) as Record<string, unknown>;
    const copy = withoutLinks(parsed) as Record<string, unknown> & { repository: { custom_properties: object } };
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(copy.installation).toBeUndefined();
    expect(Object.keys(copy)).toEqual(["a", "__proto__", "repository"]);
    expect(Object.getOwnPropertyDescriptor(copy, "__proto__")!.value).toEqual({ installation: { id: 9 } });
    expect(Object.getPrototypeOf(copy.repository.custom_properties)).toBe(Object.prototype);
    expect(JSON.stringify(copy)).toBe(
      '{"a":1,"__proto__":{"installation":{"id":9}},"repository":{"custom_properties":{"__proto__":["x"]}}}',
    );
  });

  test("scalars, arrays and null come back as they are; the input is not changed", () => {
    expect(withoutLinks(null)).toBeNull();
    expect(withoutLinks("https://x")).toBe("https://x");
    expect(withoutLinks(3)).toBe(3);
    expect(withoutLinks([1, { url: "u", a: [{ b_url: "v", c: 2 }] }])).toEqual([1, { a: [{ c: 2 }] }]);
    const input = { url: "u", a: { html_url: "h" } };
    withoutLinks(input);
    expect(input).toEqual({ url: "u", a: { html_url: "h" } });
  });
});
