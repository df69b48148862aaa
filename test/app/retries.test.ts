import { afterAll, afterEach, describe, expect, test } from "@jest/globals";
import nock from "nock";
import { ProbotOctokit } from "probot";
import { withRetries } from "../../src/github/client.js";

/** Retries must not stack: Probot's retry plugin (on in production) and ours would multiply attempts. */
afterEach(() => nock.cleanAll());
// nock patches node:http for the whole jest worker and each test file loads its own nock: release it when
// the file is done, or a later file's requests (the app's client is node:http) meet its stale interceptors.
afterAll(() => nock.restore());

type Answer = [number, object, Record<string, string>?];

/** GitHub answering `method path` with `answers` in turn (the last one again and again): how many were asked. */
function answering(method: "get" | "post", path: string, answers: readonly Answer[]): () => number {
  nock.disableNetConnect();
  nock.enableNetConnect((host) => /^(127\.0\.0\.1|localhost)(:\d+)?$/.test(host));
  let n = 0;
  nock("https://api.github.com")
    .persist()
    .intercept(path, method.toUpperCase())
    .reply(() => answers[Math.min(n++, answers.length - 1)]!);
  return () => n;
}

const count502 = () => answering("get", "/repos/acme/shop/pulls/7", [[502, { message: "bad gateway" }]]);

test("with Probot's retry plugin on, a persistent 5xx is attempted 1 + 3 times, not 16", async () => {
  const attempts = count502();
  const octokit = withRetries(
    new ProbotOctokit({ auth: { token: "t" }, retry: { retryAfterBaseValue: 1 }, throttle: { enabled: false } }),
    { maxWaitMs: 1 },
  );
  await expect(
    octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { owner: "acme", repo: "shop", pull_number: 7 }),
  ).rejects.toMatchObject({ status: 502 });
  expect(attempts()).toBe(4);
});

test("with the plugin off, our own retries apply: 1 + 3 attempts", async () => {
  const attempts = count502();
  const octokit = withRetries(
    new ProbotOctokit({ auth: { token: "t" }, retry: { enabled: false }, throttle: { enabled: false } }),
    { maxWaitMs: 1 },
  );
  await expect(
    octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { owner: "acme", repo: "shop", pull_number: 7 }),
  ).rejects.toMatchObject({ status: 502 });
  expect(attempts()).toBe(4);
});

/** GitHub's primary rate limit spent (`x-ratelimit-remaining: 0`): retried after the reset, if that is within the bound. */
function rateLimited(resetInS: number, then: number): () => number {
  const reset = String(Math.floor(Date.now() / 1000) + resetInS);
  return answering("get", "/repos/acme/shop/pulls/7", [
    [403, { message: "API rate limit exceeded" }, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset }],
    [then, { number: 7 }],
  ]);
}

const appClient = (maxWaitMs: number) =>
  withRetries(new ProbotOctokit({ auth: { token: "t" }, retry: { enabled: false }, throttle: { enabled: false } }), {
    maxWaitMs,
  });
const pull = (o: ReturnType<typeof appClient>) =>
  o.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", { owner: "acme", repo: "shop", pull_number: 7 });

test("a primary rate limit that resets within the bound is waited for, then retried", async () => {
  const attempts = rateLimited(0, 200);
  await expect(pull(appClient(5_000))).resolves.toMatchObject({ status: 200 });
  expect(attempts()).toBe(2);
});

test("a primary rate limit that resets past the bound fails at once (the reconcile is retried later)", async () => {
  const attempts = rateLimited(3600, 200);
  await expect(pull(appClient(60_000))).rejects.toMatchObject({ status: 403 });
  expect(attempts()).toBe(1);
});

/** A caller with a fallback (the team-membership query: REST asks each) takes it after one retry of a transient failure. */
describe("a request with a fallback (`request: { fallback: true }`)", () => {
  const graphqlAnswers = (answers: readonly Answer[]) => answering("post", "/graphql", answers);
  const query = (o: ReturnType<typeof appClient>) =>
    o.graphql("query { viewer { login } }", { request: { fallback: true } });

  test("a 5xx or a failed connection is retried once, not three times: then the caller falls back", async () => {
    const attempts = graphqlAnswers([[502, { message: "bad gateway" }]]);
    await expect(query(appClient(1))).rejects.toMatchObject({ status: 502 });
    expect(attempts()).toBe(2);
    // A blip: the one retry answers.
    nock.cleanAll();
    const blip = graphqlAnswers([
      [502, { message: "bad gateway" }],
      [200, { data: { viewer: { login: "app" } } }],
    ]);
    await expect(query(appClient(1))).resolves.toEqual({ viewer: { login: "app" } });
    expect(blip()).toBe(2);
    // Without it the same request is attempted 1 + 3 times.
    nock.cleanAll();
    const again = graphqlAnswers([[502, { message: "bad gateway" }]]);
    await expect(appClient(1).graphql("query { viewer { login } }")).rejects.toMatchObject({ status: 502 });
    expect(again()).toBe(4);
  });

  test("a secondary rate limit is still waited out (the fallback would meet it too), then retried", async () => {
    const attempts = graphqlAnswers([
      [403, { message: "You have exceeded a secondary rate limit" }, { "retry-after": "0" }],
      [200, { data: { viewer: { login: "app" } } }],
    ]);
    await expect(query(appClient(5_000))).resolves.toEqual({ viewer: { login: "app" } });
    expect(attempts()).toBe(2);
  });
});
