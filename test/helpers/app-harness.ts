import { afterEach, beforeAll, expect } from "@jest/globals";
import nock from "nock";
import type { Probot } from "probot";
import { loadGraphQL, type GraphQLEndpoint } from "../../src/simulator/graphql.js";
import { loadOpenApi, type OpenApi } from "../../src/simulator/openapi.js";
import { createProbot, FakeGitHub } from "./fake-github.js";
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
