import { describe, expect, test } from "@jest/globals";
import type { Octokit } from "../../src/github/client.js";
import { Recent } from "../../src/github/recent.js";
import { listedMembers, MAX_TEAMS_PER_QUERY, Memberships, membersQuery, teamRefOf } from "../../src/github/teams.js";

/**
 * A GitHub of teams: `members` are active members (child teams' included), `pending` invited ones. GraphQL
 * answers each alias with its team's slug and members (or as `graphql` says); REST answers the membership
 * endpoint.
 */
function github(opts: {
  members: Record<string, string[]>;
  pending?: Record<string, string[]>;
  graphql?: (vars: Record<string, string>) => Promise<unknown>;
}) {
  const calls: string[] = [];
  const octokit = {
    graphql: async (query: string, params: Record<string, unknown>) => {
      // REST is the fallback: the query asks not to be retried on a transient failure (src/github/client.ts).
      const { request, ...vars } = params as Record<string, string> & { request?: unknown };
      expect(request).toEqual({ fallback: true });
      calls.push(`graphql ${Object.keys(vars).length / 2}`);
      expect(query).toBe(membersQuery(Object.keys(vars).length / 2));
      if (opts.graphql) return opts.graphql(vars);
      const out: Record<string, unknown> = {};
      for (let i = 0; `o${i}` in vars; i++) {
        const slug = vars[`s${i}`]!.toLowerCase();
        const team = opts.members[`${vars[`o${i}`]}/${slug}`.toLowerCase()];
        out[`m${i}`] = { team: team && { slug, members: { nodes: team.map((login) => ({ login })) } } };
      }
      return out;
    },
    request: async (route: string, p: { org: string; team_slug: string; username: string }) => {
      expect(route).toBe("GET /orgs/{org}/teams/{team_slug}/memberships/{username}");
      calls.push(`rest ${p.org}/${p.team_slug}:${p.username}`);
      const team = `${p.org}/${p.team_slug}`.toLowerCase();
      const login = p.username.toLowerCase();
      if (opts.members[team]?.includes(login)) return { data: { state: "active" } };
      if (opts.pending?.[team]?.includes(login)) return { data: { state: "pending" } };
      throw Object.assign(new Error("Not Found"), { status: 404 });
    },
  };
  return { octokit: octokit as unknown as Octokit, calls };
}

describe("Memberships: lookups asked together go in one query", () => {
  test("one lookup alone is REST's, as before", async () => {
    const { octokit, calls } = github({ members: { "acme/security": ["sam"] } });
    expect(await new Memberships(octokit, "acme", true).isMember("security", "sam")).toBe(true);
    expect(calls).toEqual(["rest acme/security:sam"]);
  });

  test("several at once: one query; a member found there is one; anyone else is asked over REST", async () => {
    const { octokit, calls } = github({
      members: { "acme/security": ["sam", "bobby"], "acme/infra": ["ivy"], "other/ops": ["oli"] },
      pending: { "acme/infra": ["pam"] },
    });
    const m = new Memberships(octokit, "acme", true);
    const answers = await Promise.all([
      m.isMember("security", "Sam"), // found (logins compare ignoring case)
      m.isMember("infra", "ivy"), // found
      m.isMember("infra", "pam"), // invited: not listed, REST says pending
      m.isMember("security", "bob"), // "bobby" is listed, not bob: REST says not a member
      m.isMember("other/ops", "oli"), // another organization's team
      m.isMember("nobody", "sam"), // no such team: null in the query, 404 over REST
    ]);
    expect(answers).toEqual([true, true, false, false, true, false]);
    // One alias per team (security, infra, other/ops, nobody).
    expect(calls).toEqual(["graphql 4", "rest acme/infra:pam", "rest acme/security:bob", "rest acme/nobody:sam"]);
  });

  test("a failed query decides nothing: every lookup goes over REST and fails as REST fails", async () => {
    const { octokit, calls } = github({
      members: { "acme/security": ["sam"], "acme/infra": ["ivy"] },
      graphql: () => Promise.reject(new Error("Could not resolve to an Organization")),
    });
    const m = new Memberships(octokit, "acme", true);
    expect(await Promise.all([m.isMember("security", "sam"), m.isMember("infra", "sam")])).toEqual([true, false]);
    expect(calls).toEqual(["graphql 2", "rest acme/security:sam", "rest acme/infra:sam"]);

    const failing = github({
      members: {},
      graphql: () => Promise.reject(new Error("rate limited")),
    });
    failing.octokit.request = (() => Promise.reject(Object.assign(new Error("boom"), { status: 502 }))) as never;
    const f = new Memberships(failing.octokit, "acme", true);
    await expect(Promise.all([f.isMember("security", "sam"), f.isMember("infra", "ivy")])).rejects.toThrow("boom");
  });

  test("an answer of an unexpected shape (null aliases, null nodes, no team) finds nobody", async () => {
    const found = { team: { slug: "security", members: { nodes: [null, { login: "sam" }] } } };
    const cases: [unknown, string[]][] = [
      [{}, ["security", "infra"]],
      [null, ["security", "infra"]],
      [{ m0: null, m1: { team: null } }, ["security", "infra"]],
      [{ m0: { team: { slug: "security", members: { nodes: [null] } } } }, ["security", "infra"]],
      // A team GitHub found by its name (another team's slug): not the one asked.
      [{ m0: { team: { slug: "sec", members: { nodes: [{ login: "sam" }] } } } }, ["security", "infra"]],
      // What one alias lists stands beside another's null…
      [{ m0: found, m1: null }, ["infra"]],
      [{ m0: found, m1: { team: null } }, ["infra"]],
      // …and beside a team's list that cannot be read (not a list): that team alone goes to REST.
      [{ m0: found, m1: { team: { slug: "infra", members: { nodes: "sam" } } } }, ["infra"]],
    ];
    for (const [data, rest] of cases) {
      const { octokit, calls } = github({
        members: { "acme/security": ["sam"] },
        graphql: () => Promise.resolve(data),
      });
      const m = new Memberships(octokit, "acme", true);
      expect(await Promise.all([m.isMember("security", "sam"), m.isMember("infra", "sam")])).toEqual([true, false]);
      expect(calls).toEqual(["graphql 2", ...rest.map((t) => `rest acme/${t}:sam`)]);
    }
  });

  test("each pair is asked once per reconcile, and lookups asked later go in a query of their own", async () => {
    const { octokit, calls } = github({ members: { "acme/security": ["sam", "sue"] } });
    const m = new Memberships(octokit, "acme", true);
    await Promise.all([m.isMember("security", "sam"), m.isMember("security", "SAM"), m.isMember("security", "sue")]);
    await Promise.all([m.isMember("security", "sue"), m.isMember("security", "zed"), m.isMember("security", "sam")]);
    expect(calls).toEqual(["graphql 1", "rest acme/security:zed"]);
  });

  test("found members are remembered as members; a fresh reconcile asks again", async () => {
    const recent = new Recent<boolean>(60_000, 100);
    const { octokit, calls } = github({ members: { "acme/security": ["sam"], "acme/infra": ["ivy"] } });
    await Promise.all([
      new Memberships(octokit, "acme", true, recent).isMember("security", "sam"),
      new Memberships(octokit, "acme", true, recent).isMember("infra", "ivy"),
    ]);
    const first = new Memberships(octokit, "acme", true, recent);
    await Promise.all([first.isMember("security", "sam"), first.isMember("infra", "ivy")]);
    expect(recent.get("acme/security:sam")).toBe(true);
    expect(calls).toEqual(["rest acme/security:sam", "rest acme/infra:ivy"]);
    calls.length = 0;
    const fresh = new Memberships(octokit, "acme", true, recent, true);
    await Promise.all([fresh.isMember("security", "sam"), fresh.isMember("infra", "ivy")]);
    expect(calls).toEqual(["graphql 2"]);
  });

  test("what a query finds, and what REST says is no member, is remembered as such", async () => {
    const recent = new Recent<boolean>(60_000, 100);
    const { octokit } = github({ members: { "acme/security": ["sam"] } });
    const m = new Memberships(octokit, "acme", true, recent, true);
    expect(await Promise.all([m.isMember("security", "sam"), m.isMember("infra", "sam")])).toEqual([true, false]);
    expect([recent.get("acme/security:sam"), recent.get("acme/infra:sam")]).toEqual([true, false]);
  });

  test("many teams at once: queries of at most 50 teams, sent together, each answer for its own team", async () => {
    expect(MAX_TEAMS_PER_QUERY).toBe(50);
    const teams = Array.from({ length: 120 }, (_, i) => `t${i}`);
    // sam is in every third team, and in the last of each query's (an answer applied to the right team).
    const isIn = (i: number) => i % 3 === 0 || i === 49 || i === 99 || i === 119;
    const members = Object.fromEntries(teams.map((t, i) => [`acme/${t}`, isIn(i) ? ["sam"] : ["sue"]]));
    const { octokit, calls } = github({ members });
    const m = new Memberships(octokit, "acme", true);
    const answers = await Promise.all(teams.map((t) => m.isMember(t, "sam")));
    expect(answers).toEqual(teams.map((_, i) => isIn(i)));
    expect(calls.filter((c) => c.startsWith("graphql"))).toEqual(["graphql 50", "graphql 50", "graphql 20"]);
    expect(calls.filter((c) => c.startsWith("rest")).sort()).toEqual(
      teams
        .filter((_, i) => !isIn(i))
        .map((t) => `rest acme/${t}:sam`)
        .sort(),
    );
    // Exactly two queries' worth: two queries, no empty third.
    const even = github({ members });
    const n = new Memberships(even.octokit, "acme", true);
    await Promise.all(teams.slice(0, 100).map((t) => n.isMember(t, "sam")));
    expect(even.calls.filter((c) => c.startsWith("graphql"))).toEqual(["graphql 50", "graphql 50"]);
  });

  test("a team's lookups share its alias: each login found or not in its own team's list", async () => {
    const { octokit, calls } = github({ members: { "acme/security": ["sam", "sue"], "acme/infra": ["ivy"] } });
    const m = new Memberships(octokit, "acme", true);
    const answers = await Promise.all(
      ["sam", "sue", "ivy", "zed"].flatMap((l) => [m.isMember("security", l), m.isMember("infra", l)]),
    );
    expect(answers).toEqual([true, false, true, false, false, true, false, false]);
    expect(calls.filter((c) => c.startsWith("graphql"))).toEqual(["graphql 2"]);
    expect(calls.filter((c) => c.startsWith("rest")).sort()).toEqual(
      ["infra:sam", "infra:sue", "security:ivy", "security:zed", "infra:zed"].map((k) => `rest acme/${k}`).sort(),
    );
  });

  test("a user-owned repository's bare team slugs name nobody, and are not asked", async () => {
    const { octokit, calls } = github({ members: { "alice/security": ["sam"] } });
    const m = new Memberships(octokit, "alice", false);
    expect(await Promise.all([m.isMember("security", "sam"), m.isMember("acme/x", "sam")])).toEqual([false, false]);
    expect(calls).toEqual(["rest acme/x:sam"]);
  });
});

describe("Memberships: teams a read of the reconcile listed (the confirming snapshot)", () => {
  const listed = (entries: [string, string, string[]][]) =>
    new Map(entries.map(([org, slug, logins]) => [{ org, slug }, new Set(logins)]));

  test("a login listed is a member without a request (and remembered); one not listed is asked over REST", async () => {
    const { octokit, calls } = github({ members: { "acme/security": ["sam", "sue"] }, pending: {} });
    const recent = new Recent<boolean>(60_000, 100);
    const m = new Memberships(octokit, "acme", true, recent, true);
    m.preload(listed([["ACME", "Security", ["sam"]]])); // keys compare ignoring case
    const answers = await Promise.all([
      m.isMember("security", "Sam"),
      m.isMember("security", "sue"), // not listed (a page of 100, say): REST says member
      m.isMember("security", "mallory"), // not listed, REST says no
    ]);
    expect(answers).toEqual([true, true, false]);
    expect(calls).toEqual(["rest acme/security:sue", "rest acme/security:mallory"]);
    expect(recent.get("acme/security:sam")).toBe(true);
  });

  test("a team not listed by the read is looked up as before: together in a query, REST for the rest", async () => {
    const { octokit, calls } = github({ members: { "acme/security": ["sam"], "acme/infra": ["ivy", "ian"] } });
    const m = new Memberships(octokit, "acme", true, undefined, true);
    m.preload(listed([["acme", "security", ["sam"]]]));
    expect(
      await Promise.all([m.isMember("security", "sam"), m.isMember("infra", "ivy"), m.isMember("infra", "ian")]),
    ).toEqual([true, true, true]);
    expect(calls).toEqual(["graphql 1"]);
  });

  test("after forgetListed, a pair not asked yet is looked up afresh; one asked before keeps its answer", async () => {
    const { octokit, calls } = github({ members: { "acme/security": ["sam", "sue"] } });
    const m = new Memberships(octokit, "acme", true, undefined, true);
    m.preload(listed([["acme", "security", ["sam", "sue"]]]));
    expect(await m.isMember("security", "sam")).toBe(true);
    m.forgetListed();
    expect(await Promise.all([m.isMember("security", "sam"), m.isMember("security", "sue")])).toEqual([true, true]);
    expect(calls).toEqual(["rest acme/security:sue"]);
  });

  test("a first read's list wins over what is remembered: a login it names is a member, answered by this reconcile", async () => {
    const { octokit, calls } = github({ members: { "acme/security": ["sam"] } });
    const recent = new Recent<boolean>(60_000, 100);
    recent.set("acme/security:sam", false); // remembered before sam joined
    const m = new Memberships(octokit, "acme", true, recent);
    m.preload(listed([["acme", "security", ["sam"]]]));
    expect(await m.isMember("security", "sam")).toBe(true);
    expect(m.usedRemembered).toBe(false);
    expect(calls).toEqual([]);
  });

  test("a login the list does not name is answered from what is remembered, and says so", async () => {
    const { octokit, calls } = github({ members: { "acme/security": ["sam"] } });
    const recent = new Recent<boolean>(60_000, 100);
    recent.set("acme/security:sue", true); // remembered; sue left since, the list no longer names her
    const m = new Memberships(octokit, "acme", true, recent);
    m.preload(listed([["acme", "security", ["sam"]]]));
    expect(await m.isMember("security", "sam")).toBe(true);
    expect(m.usedRemembered).toBe(false);
    expect(await m.isMember("security", "sue")).toBe(true); // the remembered answer …
    expect(m.usedRemembered).toBe(true); // … which a decision to pass must then read again
    expect(calls).toEqual([]);
  });

  test("remembered answers are not used, nor said to be, by a fresh reconcile; a remembered no counts too", async () => {
    const { octokit, calls } = github({ members: { "acme/security": ["sam"] } });
    const recent = new Recent<boolean>(60_000, 100);
    recent.set("acme/security:sam", true);
    recent.set("acme/infra:sam", false);
    const fresh = new Memberships(octokit, "acme", true, recent, true);
    expect(await fresh.isMember("security", "sam")).toBe(true);
    expect(fresh.usedRemembered).toBe(false);
    expect(calls).toEqual(["rest acme/security:sam"]);
    const cached = new Memberships(octokit, "acme", true, recent);
    expect(await cached.isMember("infra", "sam")).toBe(false);
    expect(cached.usedRemembered).toBe(true);
    expect(calls).toHaveLength(1);
  });

  test("listedMembers reads GitHub's nullable shapes: a null list, a node without a login, a team without a slug", () => {
    const teams = [
      { org: "acme", slug: "a" },
      { org: "acme", slug: "b" },
      { org: "acme", slug: "c" },
      { org: "acme", slug: "d" },
    ];
    const found = listedMembers(teams, {
      m0: { team: { slug: "a", members: { nodes: null } } },
      m1: { team: { slug: "b", members: { nodes: [{ login: "Bea" }, {}, null, { login: 7 }] } } },
      m2: { team: { members: { nodes: [{ login: "cy" }] } } },
      m3: { team: { slug: "d", members: null } },
    });
    expect([...found].map(([t, logins]) => [t.slug, [...logins]])).toEqual([["b", ["bea"]]]);
  });

  test("the teams asked about, each once as first named; a user-owned repository's bare slugs are none", async () => {
    const { octokit } = github({ members: { "acme/security": ["sam"], "other/ops": ["oli"] } });
    const m = new Memberships(octokit, "acme", true);
    await Promise.all([m.isMember("security", "sam"), m.isMember("Security", "sue"), m.isMember("other/ops", "oli")]);
    expect(m.teamsAsked()).toEqual([
      { org: "acme", slug: "security" },
      { org: "other", slug: "ops" },
    ]);
    const user = new Memberships(octokit, "carol", false);
    await user.isMember("security", "sam");
    expect(user.teamsAsked()).toEqual([]);
  });
});

test("the query: one alias per team, every value a variable, its members listed (not searched)", () => {
  expect(membersQuery(2)).toBe(
    "query TeamMembers($o0: String!, $s0: String!, $o1: String!, $s1: String!) { " +
      "m0: organization(login: $o0) { team(slug: $s0) { slug members(membership: ALL, first: 100) { nodes { login } } } } " +
      "m1: organization(login: $o1) { team(slug: $s1) { slug members(membership: ALL, first: 100) { nodes { login } } } } }",
  );
});

test("teamRefOf: a bare slug is the owner's team, only in an organization; org/slug as named (a third part dropped)", () => {
  expect(teamRefOf("security", "acme", true)).toEqual({ org: "acme", slug: "security" });
  expect(teamRefOf("security", "carol", false)).toBeUndefined();
  expect(teamRefOf("other/ops", "carol", false)).toEqual({ org: "other", slug: "ops" });
  expect(teamRefOf("other/ops/x", "acme", true)).toEqual({ org: "other", slug: "ops" });
});
