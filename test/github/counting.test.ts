import { describe, expect, test } from "@jest/globals";
import { counting, type Octokit } from "../../src/github/client.js";

/**
 * The count a reconcile's decision to pass rests on (src/app/reconcile.ts `readTogether`): a request it
 * missed would let the decision skip its confirming read after asking GitHub more. Every way into GitHub
 * the adapter uses is counted, with the client's own `this` and properties.
 */
function client() {
  const sent: string[] = [];
  const request = Object.assign(
    async function (this: unknown, route: string) {
      sent.push(`request ${route} this=${this === octokit ? "octokit" : String(this)}`);
      return { data: route };
    },
    { endpoint: (route: string) => ({ url: route }) },
  );
  const paginate = Object.assign(
    async (route: string) => {
      sent.push(`paginate ${route}`);
      return [route];
    },
    {
      iterator: async function* (route: string) {
        sent.push(`iterator ${route}`);
        yield { data: [route] };
      },
    },
  );
  const octokit = {
    request,
    graphql: async (query: string) => {
      sent.push(`graphql ${query}`);
      return { ok: true };
    },
    paginate,
    log: { info: () => undefined },
    auth: async () => ({ token: "t" }),
  };
  return { octokit: octokit as unknown as Octokit, sent };
}

describe("counting", () => {
  test("request, graphql, paginate and paginate.iterator each count; the answers are the client's", async () => {
    const { octokit, sent } = client();
    const c = counting(octokit);
    expect(c.calls()).toBe(0);
    expect(await c.octokit.request("GET /a")).toEqual({ data: "GET /a" });
    expect(await c.octokit.graphql("query A")).toEqual({ ok: true });
    expect(await c.octokit.paginate("GET /b")).toEqual(["GET /b"]);
    const pages = [];
    for await (const page of c.octokit.paginate.iterator("GET /c")) pages.push(page);
    expect(pages).toEqual([{ data: ["GET /c"] }]);
    expect(c.calls()).toBe(4);
    expect(sent).toEqual(["request GET /a this=octokit", "graphql query A", "paginate GET /b", "iterator GET /c"]);
  });

  test("a property that sends nothing still counts (a decision only reads again); other members pass through", async () => {
    const { octokit } = client();
    const c = counting(octokit);
    expect(c.octokit.request.endpoint("GET /x")).toEqual({ url: "GET /x" });
    expect(c.calls()).toBe(1);
    expect(c.octokit.log).toBe(octokit.log);
    expect(await c.octokit.auth()).toEqual({ token: "t" });
    expect(c.calls()).toBe(1);
  });

  test("the same method taken twice is one counted function; each counting client counts its own", async () => {
    const { octokit } = client();
    const a = counting(octokit);
    const b = counting(octokit);
    expect(a.octokit.request).toBe(a.octokit.request);
    const request = a.octokit.request;
    await request("GET /detached"); // taken off the client first, as a caller handing it on would
    await b.octokit.graphql("query B");
    expect([a.calls(), b.calls()]).toEqual([1, 1]);
  });

  test("a request that fails is counted too", async () => {
    const octokit = {
      request: async () => {
        throw new Error("boom");
      },
    } as unknown as Octokit;
    const c = counting(octokit);
    await expect(c.octokit.request("GET /a")).rejects.toThrow("boom");
    expect(c.calls()).toBe(1);
  });
});

test("a fixed function-valued property is given as it is (a proxy may not stand in for it)", () => {
  class Endpoint {}
  const request = Object.assign(async () => ({}), {});
  Object.defineProperty(request, "Endpoint", { value: Endpoint, writable: false, configurable: false });
  const c = counting({ request } as unknown as Octokit);
  expect((c.octokit.request as unknown as { Endpoint: unknown }).Endpoint).toBe(Endpoint);
  expect(c.calls()).toBe(0);
});

test("call, apply and bind reach the method they are used on, counted; so does a client derived by defaults", async () => {
  const sent: string[] = [];
  const request = Object.assign(
    async (route: string) => {
      sent.push(`request ${route}`);
      return route;
    },
    {
      defaults: (extra: string) => async (route: string) => {
        sent.push(`derived ${extra} ${route}`);
        return route;
      },
    },
  );
  const graphql = async (query: string) => {
    sent.push(`graphql ${query}`);
    return query;
  };
  const c = counting({ request, graphql } as unknown as Octokit);
  await c.octokit.request.call(undefined, "GET /first");
  await c.octokit.graphql.call(undefined, "query A"); // not the request method `call` was first read from
  await c.octokit.graphql.apply(undefined, ["query B"]);
  await c.octokit.request.bind(null)("GET /bound");
  const derived = (c.octokit.request as unknown as typeof request).defaults("x");
  await derived("GET /derived");
  expect(sent).toEqual([
    "request GET /first",
    "graphql query A",
    "graphql query B",
    "request GET /bound",
    "derived x GET /derived",
  ]);
  expect(c.calls()).toBe(6); // the five requests, and the call of `defaults`
});

test("a function-valued property that may be changed (writable, if not configurable) is counted", async () => {
  const request = Object.assign(async () => ({}), {});
  const iterator = async () => "page";
  Object.defineProperty(request, "iterator", { value: iterator, writable: true, configurable: false });
  const c = counting({ request } as unknown as Octokit);
  expect(await (c.octokit.request as unknown as { iterator: typeof iterator }).iterator()).toBe("page");
  expect(c.calls()).toBe(1);
});

test("a method the client lacks stays missing (no proxy of nothing)", () => {
  const c = counting({ request: async () => ({}) } as unknown as Octokit);
  expect(c.octokit.paginate).toBeUndefined();
  expect(c.calls()).toBe(0);
});
