import { afterEach, beforeAll, expect } from "@jest/globals";
import nock from "nock";
import type { Probot } from "probot";
import { loadGraphQL, type GraphQLEndpoint } from "../../src/simulator/graphql.js";
import { loadOpenApi, type OpenApi } from "../../src/simulator/openapi.js";
import { APP_ID, createProbot, FakeGitHub, testOctokit, tick } from "./fake-github.js";
import type { Deps } from "../../src/app/reconcile.js";
import type { ReadCache } from "../../src/github/recent.js";
import { forgetDirectory } from "../../src/github/directory.js";

/**
 * The Probot + nock setting every app test file shares: GitHub's OpenAPI description and GraphQL schema
 * loaded once per file, a fresh fake GitHub and app per scenario, and after each test the check that
 * every request body and GraphQL document the app sent is one GitHub would accept.
 */
export function useFakeGitHub(): { fresh: (opts: FreshOptions) => { gh: FakeGitHub; probot: Probot } } {
  let openapi: OpenApi | undefined;
  let graphql: GraphQLEndpoint | undefined;
  let current: FakeGitHub | undefined;
  beforeAll(async () => {
    [openapi, graphql] = await Promise.all([loadOpenApi(), loadGraphQL()]);
  }, 60_000);
  afterEach(() => {
    expect(current?.invalid ?? []).toEqual([]);
    nock.cleanAll();
  });
  return {
    fresh(opts) {
      nock.cleanAll();
      forgetDirectory();
      const gh = new FakeGitHub().validateWith(openapi!, graphql!);
      if (opts.table !== null) gh.setFile("main", opts.tablePath ?? "reviewers.yml", opts.table);
      for (const [team, members] of Object.entries(opts.teams ?? DEFAULT_TEAMS)) gh.teams.set(team, new Set(members));
      gh.setChangedFiles(opts.files);
      gh.install();
      current = gh;
      return { gh, probot: createProbot() };
    },
  };
}

export interface FreshOptions {
  /** The table on main; null for a repository without one. */
  readonly table: string | null;
  readonly tablePath?: string;
  readonly files: { filename: string; status?: string }[];
  readonly teams?: Record<string, string[]>;
}

const DEFAULT_TEAMS = { backend: ["bob"], security: ["sam", "sue"] };

/**
 * What the router gives reconcile() (src/app/router.ts), for tests that call it directly: the fake's clock,
 * a quiet log, and the read cache only when one is given (a caller without one, such as a library user).
 */
export function reconcileDeps(cache?: ReadCache): Deps {
  return {
    octokit: new testOctokit({ auth: "ghs_test" }),
    appId: APP_ID,
    log: { info: () => undefined, warn: () => undefined },
    now: () => new Date(tick()),
    ...(cache ? { cache } : {}),
  };
}
