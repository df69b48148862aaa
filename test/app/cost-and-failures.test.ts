import { beforeAll, describe, expect, test } from "@jest/globals";
import type { Probot } from "probot";
import { isGraphQLQuery, queryName, type FakeGitHub, type LoggedRequest } from "../helpers/fake-github.js";
import { events, type Delivery } from "../helpers/payloads.js";
import { loadOpenApi, type OpenApi } from "../../src/simulator/openapi.js";
import { useFakeGitHub } from "../helpers/app-harness.js";

const fake = useFakeGitHub();
let openapi: OpenApi;
beforeAll(async () => {
  openapi = await loadOpenApi(); // shared with the harness: one load per process
});

/**
 * What each event costs in GitHub requests (the figures in docs/performance.md come from here),
 * conditional table reads, and failing closed when GitHub misbehaves.
 */
const TABLE = `version: 1
personas:
  backend: { name: Backend Engineer, teams: [backend] }
  security: { name: Security Engineer, teams: [security] }
  finance: { name: Finance, users: [fiona] }
domains:
  payments:
    paths: ["src/payments/"]
    require: [backend, security, finance]
`;

let gh: FakeGitHub;
let probot: Probot;

function setup(opts: { table?: string; tablePath?: string; files?: number } = {}) {
  const files = Array.from({ length: opts.files ?? 1 }, (_, i) => ({ filename: `src/payments/f${i}.ts` }));
  ({ gh, probot } = fake.fresh({
    table: opts.table ?? TABLE,
    tablePath: opts.tablePath ?? ".github/reviewers.yml",
    files,
    teams: { backend: ["bob"], security: ["sam"] },
  }));
}

const receive = (d: Delivery) => probot.receive(d as never);

/**
 * Requests of one event, grouped as "METHOD /route" with ids and shas folded, GitHub auth excluded (a
 * GraphQL query is a read: "QUERY <operation>", e.g. "QUERY PullSnapshot"); and the check-run writes they carried (a GraphQL request
 * carries several), as the REST writes they stand for.
 */
async function cost(
  d: Delivery,
): Promise<{ reads: number; writes: number; notModified: number; routes: string[]; runWrites: string[] }> {
  const from = gh.log.length;
  const runsFrom = gh.runWrites.length;
  await receive(d);
  const made = gh.log.slice(from).filter((l) => !l.path.startsWith("/app/"));
  const read = (l: LoggedRequest) => l.method === "GET" || isGraphQLQuery(l);
  return {
    reads: made.filter(read).length,
    writes: made.filter((l) => !read(l)).length,
    notModified: made.filter((l) => l.status === 304).length,
    routes: made.map(route),
    runWrites: gh.runWrites.slice(runsFrom).map(route),
  };
}

/** A pull request opened, then approved by comment for security (sam) and backend (bob): finance (fiona) is left. */
async function openedAndTwoApprovals(): Promise<void> {
  setup();
  await receive(events.pullRequest(gh, "opened"));
  for (const [user, persona] of [
    ["sam", "security"],
    ["bob", "backend"],
  ] as const)
    await receive(events.comment(gh, "created", gh.comment(user, `/approve ${persona}`)));
}

function route(l: LoggedRequest): string {
  const query = queryName(l);
  if (query) return `QUERY ${query}`;
  return `${l.method} ${l.path
    .replace(/\?.*$/, "")
    .replace(/[0-9a-f]{40}/g, ":sha")
    .replace(/\/\d+(?=\/|$)/g, "/:n")}`;
}

describe("GitHub requests per event", () => {
  test.each([
    [1, 0],
    [250, 3],
  ])(
    "PR opened with %i files and 3 personas: one query (+ %i REST file pages), 4 check runs in one GraphQL request + 1 review request, then the radar",
    async (files, pages) => {
      setup({ files });
      const c = await cost(events.pullRequest(gh, "opened"));
      // One GraphQL query: the pull request, the table, the app's runs, the pull requests sharing the
      // head, files, reviews, comments and commits. More than a page of files: every page over REST, at once.
      expect(c.routes.filter((r) => r === "QUERY PullSnapshot")).toHaveLength(1);
      expect(c.routes.filter((r) => r.endsWith("/pulls/:n/files"))).toHaveLength(pages);
      // + 3: the two teams and the user of the required personas exist (cached for five minutes).
      // No second read: a gate written closed is not read again (only an opened one is).
      // + 2: the conflict radar after the reconcile reads the open pull requests (one GraphQL query) and, in
      // another, its own check run on each head it may write (read when it writes: another radar may have
      // changed it); the table and this head's files come from the reconcile; no write while nothing overlaps.
      expect(c.reads).toBe(1 + pages + 3 + 2);
      expect(c.routes.filter((r) => r.startsWith("QUERY "))).toEqual([
        "QUERY PullSnapshot",
        "QUERY OpenPulls",
        "QUERY ConflictRuns",
      ]);
      expect(c.routes.filter((r) => r.startsWith("GET /repos/acme/shop/contents"))).toEqual([]);
      // One write round: the gate and the three persona checks are created by one GraphQL request.
      expect(c.writes).toBe(2);
      expect(c.routes.filter((r) => r.startsWith("POST"))).toEqual([
        "POST /graphql",
        "POST /repos/acme/shop/pulls/:n/requested_reviewers",
      ]);
      expect(c.runWrites).toEqual(Array(4).fill("POST /repos/acme/shop/check-runs"));
    },
  );

  test("a pull request's file pages are all asked for when the payload says how many files it changed", async () => {
    setup({ files: 250 });
    await receive(events.pullRequest(gh, "opened"));
    // The reconcile names every page (1, 2, 3 at once); the radar afterwards follows GitHub's links.
    const pages = gh.log.flatMap((l) => /\/pulls\/7\/files\?per_page=100&page=(\d+)$/.exec(l.path)?.[1] ?? []);
    expect(pages.slice(0, 3).sort()).toEqual(["1", "2", "3"]);
  });

  test("a decision to pass is read afresh, bypassing what the app remembers, and read once more after it is written", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    gh.review("sam", "APPROVED");
    await receive(events.review(gh, "submitted", "sam"));
    gh.review("bob", "APPROVED");
    await receive(events.review(gh, "submitted", "bob"));
    const from = gh.log.length;
    const c = await cost(events.click(gh, "review/finance", "approve", "fiona"));
    const asked = gh.log.slice(from).flatMap(membersAsked);
    expect(gh.run("parallel-review")!.conclusion).toBe("success");
    // Three queries: the first decision, the confirming one (fresh: memberships without what the process
    // remembers), and the one after the gate was opened. The first lists the teams the last reconcile asked
    // about (a click may open the gate), but sam's and bob's reviews count for every persona: that sam is
    // not in backend (nor bob in security) no list can say, and it was remembered.
    expect(c.routes.filter((r) => r === "QUERY PullSnapshot")).toHaveLength(3);
    // The confirming read and the one after the write each list the teams of every approver again (found
    // there: no request of their own); finance names a user, fiona: no team.
    expect(c.routes.filter((r) => r === "QUERY TeamMembers")).toEqual([]);
    expect(asked.sort()).toEqual([
      "acme/backend",
      "acme/backend",
      "acme/backend",
      "acme/security",
      "acme/security",
      "acme/security",
    ]);
    // That sam is not in backend (nor bob in security) each of those reads asks for itself: an answer of an
    // earlier read never stands for a later one (docs/security.md, eligibility).
    expect(c.routes.filter((r) => r.startsWith("GET /orgs/"))).toEqual([
      "GET /orgs/acme/teams/backend/memberships/sam",
      "GET /orgs/acme/teams/security/memberships/bob",
      "GET /orgs/acme/teams/backend/memberships/sam",
      "GET /orgs/acme/teams/security/memberships/bob",
    ]);
    expect(c.routes.filter((r) => r.startsWith("GET /repos/"))).toEqual([]);
  });

  test("a decision to pass whose every answer came with its one read is not read twice: the teams' members listed in it", async () => {
    await openedAndTwoApprovals();
    const from = gh.log.length;
    const c = await cost(events.click(gh, "review/finance", "approve", "fiona"));
    expect(gh.run("parallel-review")!.conclusion).toBe("success");
    // Two queries: the decision (sam and bob listed in their teams in the same query; fiona a user of the
    // table) and the one after the gate was opened. Nothing asked between the read and the write.
    expect(c.routes.filter((r) => r === "QUERY PullSnapshot")).toHaveLength(2);
    expect(
      gh.log
        .slice(from, from + 1)
        .flatMap(membersAsked)
        .sort(),
    ).toEqual(["acme/backend", "acme/security"]);
    expect(c.routes.filter((r) => r.startsWith("GET /orgs/") || r === "QUERY TeamMembers")).toEqual([]);
  });

  test("which first reads list teams: a comment of chatter none, an /approve comment those the pull request's personas name", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    await receive(events.comment(gh, "created", gh.comment("sam", "/approve security")));
    const listedBy = async (d: Parameters<typeof receive>[0]) => {
      const from = gh.log.length;
      await receive(d);
      const first = gh.log.slice(from).find((l) => queryName(l) === "PullSnapshot")!;
      return membersAsked(first).sort();
    };
    expect(await listedBy(events.comment(gh, "created", gh.comment("mallory", "hello")))).toEqual([]);
    expect(await listedBy(events.comment(gh, "created", gh.comment("mallory", "lgtm\n/approve")))).toEqual([
      "acme/backend",
      "acme/security", // finance names a user
    ]);
  });

  test("the same pass with more comments than a page: the rest listed over REST after the read, so it is read again", async () => {
    await openedAndTwoApprovals();
    for (let i = 0; i < 100; i++) gh.comment("carol", `note ${i}`); // a stranger could write these
    const c = await cost(events.click(gh, "review/finance", "approve", "fiona"));
    expect(gh.run("parallel-review")!.conclusion).toBe("success");
    expect(c.routes.filter((r) => r === "GET /repos/acme/shop/issues/:n/comments").length).toBeGreaterThan(0);
    expect(c.routes.filter((r) => r === "QUERY PullSnapshot")).toHaveLength(3);
  });

  test("sam left his team after approving: the click's first read does not list him, his remembered membership is read again and the gate stays closed", async () => {
    await openedAndTwoApprovals();
    gh.teams.set("security", new Set());
    const mark = gh.runWrites.length;
    const c = await cost(events.click(gh, "review/finance", "approve", "fiona"));
    expect(gh.run("parallel-review")!.conclusion).not.toBe("success");
    const green = gh.runWrites.slice(mark).filter((w) => (w.body as { conclusion?: string }).conclusion === "success");
    expect(green.map((w) => (w.body as { name?: string }).name ?? "")).not.toContain("parallel-review");
    // The first read, the confirming one (which asks GitHub, not the cache, about sam): no gate opened.
    expect(c.routes.filter((r) => r === "QUERY PullSnapshot")).toHaveLength(2);
    expect(c.routes).toContain("GET /orgs/acme/teams/security/memberships/sam");
  });

  test("the table costs no request of its own: it comes with the pull request, for the reconcile and the radar", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    const again = await cost(events.pullRequest(gh, "reopened"));
    expect(again.routes.filter((r) => r.includes("/contents/"))).toEqual([]);
    expect(again.writes).toBe(0);
  });

  test("a table at the root costs no more than one in .github/", async () => {
    setup({ tablePath: "reviewers.yml" });
    const c = await cost(events.pullRequest(gh, "opened"));
    expect(c.reads).toBe(1 + 3 + 2);
    expect(gh.run("parallel-review")?.status).toBe("in_progress");
  });

  test("review submitted: fresh state, one membership lookup per team, and only the two runs that changed, in one request", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    gh.review("sam", "APPROVED");
    const from = gh.log.length;
    const c = await cost(events.review(gh, "submitted", "sam"));
    // sam's two teams in one query; the one that does not list sam is asked over REST, which alone says "no".
    expect(gh.log.slice(from).flatMap(membersAsked).sort()).toEqual(["acme/backend", "acme/security"]);
    expect(c.routes.filter((r) => r.startsWith("GET /orgs/"))).toEqual([
      "GET /orgs/acme/teams/backend/memberships/sam",
    ]);
    expect(c.routes.filter((r) => r.startsWith("POST"))).toEqual(["POST /graphql"]);
    expect(c.writes).toBe(1);
    expect(c.runWrites).toEqual(Array(2).fill("PATCH /repos/acme/shop/check-runs/:n"));
  });

  test("button click: the two runs that changed and the record comment, in one request", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    const comments = gh.comments.length;
    const c = await cost(events.click(gh, "review/finance", "approve", "fiona"));
    expect(c.routes.filter((r) => r.startsWith("POST"))).toEqual(["POST /graphql"]);
    expect(c.writes).toBe(1);
    expect(c.runWrites).toHaveLength(2);
    // The ledger goes out with the gate, before the record comment (the audit trail): mutations run in order.
    const mutation = String((gh.writes().at(-1)!.body as { query: string }).query);
    expect(mutation.match(/w\d+: [a-z]\w+/g)).toEqual(["w0: updateCheckRun", "w1: updateCheckRun", "w2: addComment"]);
    expect(gh.comments.slice(comments).map((x) => x.user.login)).toEqual(["parallel-review[bot]"]);
  });
});

describe("failing closed", () => {
  test("an error reading the pull request's files fails the gate with the reason, never leaves it green", async () => {
    setup();
    gh.faults.push({ method: "GET", path: /\/pulls\/7\/files$/, status: 500, times: 10 });
    await expect(receive(events.pullRequest(gh, "opened"))).rejects.toThrow();
    const gate = gh.run("parallel-review")!;
    expect(gate.conclusion).toBe("failure");
    expect(gate.output.title).toBe("parallel-review could not evaluate this pull request");
    expect(gate.output.summary).toContain("Re-run");
  });

  test("a transient 5xx on a read is retried and the end state is right", async () => {
    setup();
    gh.faults.push({ method: "GET", path: /\/pulls\/7\/reviews$/, status: 502, times: 1 });
    await receive(events.pullRequest(gh, "opened"));
    expect(gh.run("parallel-review")!.status).toBe("in_progress");
    // The reviews are read within the GraphQL query: GitHub fails the query, and the app asks again.
    expect(gh.log.filter((l) => queryName(l) === "PullSnapshot").map((l) => l.status)).toEqual([502, 200]);
  });

  test("a secondary rate limit (403 with retry-after) on a write is retried", async () => {
    setup();
    gh.faults.push({
      method: "POST",
      path: /^\/graphql$/,
      status: 403,
      headers: { "retry-after": "0" },
      body: { message: "You have exceeded a secondary rate limit" },
      times: 1,
    });
    await receive(events.pullRequest(gh, "opened"));
    expect(gh.runsOn().length).toBe(4);
  });

  test("a secondary rate limit on a REST read (a membership lookup) is retried", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    gh.review("sam", "APPROVED");
    gh.faults.push({
      method: "GET",
      path: /\/memberships\//,
      status: 403,
      headers: { "retry-after": "0" },
      body: { message: "You have exceeded a secondary rate limit" },
      times: 1,
    });
    await receive(events.review(gh, "submitted", "sam"));
    // sam is not listed in backend: REST is asked, refused once, asked again.
    const lookups = gh.log.filter((l) => /\/memberships\//.test(l.path));
    expect(lookups.map((l) => [l.path, l.status])).toEqual([
      ["/orgs/acme/teams/backend/memberships/sam", 403],
      ["/orgs/acme/teams/backend/memberships/sam", 404],
    ]);
    expect(gh.run("review/security")!.conclusion).toBe("success");
  });

  test("a 5xx on a create is retried; a write that was applied anyway leaves a harmless twin the next reconcile updates", async () => {
    setup();
    gh.faults.push({ method: "POST", path: /^\/graphql$/, status: 502, times: 1 });
    await receive(events.pullRequest(gh, "opened"));
    expect(new Set(gh.runsOn().map((r) => r.name)).size).toBe(4);
    expect(gh.run("parallel-review")!.status).toBe("in_progress");
  });

  test("a 5xx that outlasts the retries fails the reconcile closed; the next event converges", async () => {
    setup();
    gh.faults.push({ method: "POST", path: /^\/graphql$/, status: 502, times: 4 }); // the request and its 3 retries
    await expect(receive(events.pullRequest(gh, "opened"))).rejects.toThrow();
    await receive(events.pullRequest(gh, "synchronize"));
    expect(new Set(gh.runsOn().map((r) => r.name)).size).toBe(4);
    expect(gh.run("parallel-review")!.status).toBe("in_progress");
  });
});

describe("review requests", () => {
  test("a team is never re-requested after one of its members reviewed", async () => {
    setup();
    await receive(events.pullRequest(gh, "opened"));
    // GitHub drops the team's request once a member reviews for it.
    gh.pull.requestedTeams = gh.pull.requestedTeams.filter((t) => t !== "security");
    gh.review("sam", "COMMENTED", "Looking at it");
    await receive(events.review(gh, "submitted", "sam"));
    const requests = gh.writes().filter((w) => w.path.endsWith("/requested_reviewers"));
    expect(requests).toHaveLength(1);
  });
});

describe("org-wide tables (_extends)", () => {
  test("a repository table extending an org table gets its personas and domains", async () => {
    // `owner/repo:path` form; the fake serves one repository, so the org table lives in it under another path.
    setup({
      table: "_extends: acme/shop:policies/org.yml\ndomains:\n  docs:\n    paths: [docs/]\n    require: [security]\n",
    });
    gh.setFile("main", "policies/org.yml", TABLE);
    gh.setChangedFiles([{ filename: "src/payments/a.ts" }, { filename: "docs/x.md" }]);
    await receive(events.pullRequest(gh, "opened"));
    expect(
      gh
        .runsOn()
        .map((r) => r.name)
        .sort(),
    ).toEqual(["parallel-review", "review/backend", "review/finance", "review/security"]);
  });

  test("each reconcile reads the extended table again, conditionally: one request, a 304 while it is unchanged", async () => {
    setup({
      table: "_extends: acme/shop:policies/org.yml\ndomains:\n  docs:\n    paths: [docs/]\n    require: [security]\n",
    });
    gh.setFile("main", "policies/org.yml", TABLE);
    gh.setChangedFiles([{ filename: "src/payments/a.ts" }]);
    const layer = (routes: string[]) => routes.filter((r) => r === "GET /repos/acme/shop/contents/policies%2Forg.yml");
    const opened = await cost(events.pullRequest(gh, "opened"));
    expect(layer(opened.routes)).toHaveLength(1);
    const again = await cost(events.pullRequest(gh, "synchronize"));
    expect(layer(again.routes)).toHaveLength(1);
    expect(again.notModified).toBe(1);
    const financeWaits = () => gh.runsOn().some((r) => r.name === "review/finance" && r.status !== "completed");
    expect(financeWaits()).toBe(true);
    // A change to the extended table is seen by the next reconcile.
    gh.setFile(
      "main",
      "policies/org.yml",
      TABLE.replace("require: [backend, security, finance]", "require: [backend, security]"),
    );
    const changed = await cost(events.pullRequest(gh, "synchronize"));
    expect(changed.notModified).toBe(0);
    expect(financeWaits()).toBe(false);
  });

  test("an _extends target that cannot be read fails the gate closed, naming the line", async () => {
    setup({ table: "_extends: missing-repo\n" });
    await receive(events.pullRequest(gh, "opened"));
    const gate = gh.run("parallel-review")!;
    expect(gate.conclusion).toBe("failure");
    expect(gate.output.summary).toContain(
      ".github/reviewers.yml:1:1 _extends: acme/missing-repo:.github/reviewers.yml does not exist",
    );
  });
});

describe("GitHub's output limits", () => {
  test("a pull request with thousands of files keeps every summary within 65,535 characters", async () => {
    setup({ files: 2500 });
    await receive(events.pullRequest(gh, "opened"));
    for (const r of gh.runsOn()) expect(r.output.summary.length).toBeLessThanOrEqual(65_535);
    expect(gh.run("review/security")!.output.summary).toContain("… and 2450 more");
  });
});

describe("request bodies are checked against GitHub's OpenAPI description", () => {
  test("the check the fake applies rejects what GitHub rejects (a 21-character button label)", () => {
    const body = {
      name: "review/x",
      head_sha: "a".repeat(40),
      status: "completed",
      conclusion: "action_required",
      output: { title: "t", summary: "s" },
      actions: [{ label: "x".repeat(21), description: "d", identifier: "approve" }],
    };
    expect(
      openapi.validateRequest("POST", "/repos/{owner}/{repo}/check-runs", new URLSearchParams(), body),
    ).not.toBeNull();
    body.actions[0]!.label = "Approve";
    expect(openapi.validateRequest("POST", "/repos/{owner}/{repo}/check-runs", new URLSearchParams(), body)).toBeNull();
  });
});

/** The teams a `TeamMembers` query listed, as "org/team". */
/** The teams whose members a query lists (a members query, or a snapshot that lists them too). */
function membersAsked(l: LoggedRequest): string[] {
  if (queryName(l) !== "TeamMembers" && queryName(l) !== "PullSnapshot") return [];
  const v = (l.body as { variables: Record<string, string> }).variables;
  const out: string[] = [];
  for (let i = 0; `o${i}` in v; i++) out.push(`${v[`o${i}`]}/${v[`s${i}`]}`);
  return out;
}
