import { describe, expect, test } from "@jest/globals";
import type { Probot } from "probot";
import type { Octokit } from "../../src/github/client.js";
import { ConflictRadar, type RadarEvent } from "../../src/app/radar.js";
import type { Deps } from "../../src/app/reconcile.js";
import { LocalSlots, WritePacer } from "../../src/github/pacer.js";
import { isCheckWrite, type RequestShape } from "../../src/github/writes.js";
import { runsMutation } from "../../src/github/checks.js";
import { gateBlocked } from "../../src/core/checks.js";
import { loadTable } from "../../src/github/table.js";
import { readSnapshot } from "../../src/github/snapshot.js";
import { loadGraphQL } from "../../src/simulator/graphql.js";
import { cannedOctokit as cannedClient } from "../helpers/canned-octokit.js";
import { FakeClock } from "../helpers/fake-clock.js";
import { sha, type FakeGitHub } from "../helpers/fake-github.js";
import { events, type Delivery } from "../helpers/payloads.js";
import { useFakeGitHub } from "../helpers/app-harness.js";
import { TWO_TEAMS } from "../helpers/tables.js";

/**
 * An attacker's review of the read path rewritten around one GraphQL request (src/github/snapshot.ts,
 * src/app/reconcile.ts assess(), the radar's reuse of the reconcile's reads). Each test asserts the safe
 * behaviour. A test marked `// FINDING:` is an attack that got through the first version: written with
 * `test.failing` while the hole is open (so `npm test` stays green; drop `.failing` with the fix), as a
 * plain test once fixed ("Fixed:" says how).
 *
 * Two levels: the app end to end against the fake GitHub (which answers GraphQL from its REST state),
 * and readSnapshot alone, where the GraphQL answer itself must be hostile or unusual (shapes GitHub can
 * give that the fake cannot produce).
 */

// ---------------------------------------------------------------------------------------------------
// readSnapshot against a canned GitHub (no sockets: the client's own `fetch` answers).
// ---------------------------------------------------------------------------------------------------

const APP = 4242;
const BOT_ID = 9001;
const HEAD = sha("attack-head");
const OTHER = sha("attack-other");
const ref = { owner: "acme", repo: "shop", number: 7 };

interface Canned {
  /** The answer to POST /graphql, or a function of the request's body that gives it. */
  graphql: unknown;
  rest: Record<string, unknown>;
  paths: string[];
  /** Every request as `METHOD path` with its body (writes are answered from `rest` like reads). */
  sent?: { call: string; body: unknown }[];
}

type Answer = (body: unknown) => unknown;

function cannedOctokit(c: Canned): Octokit {
  return cannedClient(({ method, path, body }) => {
    c.paths.push(path);
    c.sent?.push({ call: `${method} ${path}`, body });
    const data =
      path !== "/graphql" ? c.rest[path] : typeof c.graphql === "function" ? (c.graphql as Answer)(body) : c.graphql;
    return data === undefined ? undefined : { data };
  });
}

const connection = <N>(nodes: N[], more = false) => ({
  totalCount: nodes.length,
  pageInfo: { hasNextPage: more },
  nodes,
});
const person = (__typename: string, login: string, databaseId: number) => ({ __typename, login, databaseId });
const prNode = (number: number, headRefOid: string, state = "OPEN", base = "acme/shop") => ({
  number,
  state,
  headRefOid,
  baseRepository: { nameWithOwner: base },
});
const gateRun = (id: number, conclusion: string) => ({
  resourcePath: `/acme/shop/runs/${id}`,
  id: `CR_${id}`,
  name: "parallel-review",
  status: "COMPLETED",
  conclusion,
  title: "t",
  summary: "s",
  text: null,
  startedAt: "2026-11-30T10:00:00Z",
});

/** A pull request as the snapshot query returns it, one head commit with `commit` merged in. */
function pullAnswer(over: { commit?: Record<string, unknown>; pull?: Record<string, unknown> } = {}) {
  const pull = {
    number: 7,
    state: "OPEN",
    merged: false,
    isDraft: false,
    createdAt: "2026-11-30T09:00:00Z",
    changedFiles: 1,
    headRefOid: HEAD,
    baseRefName: "main",
    baseRefOid: "c".repeat(40),
    author: person("User", "carol", 1),
    reviewRequests: { nodes: [] },
    baseRef: { target: { oid: "c".repeat(40), dotGithub: null, root: null } },
    head: {
      nodes: [
        {
          commit: {
            oid: HEAD,
            checkSuites: connection([]),
            associatedPullRequests: connection([prNode(7, HEAD)]),
            ...over.commit,
          },
        },
      ],
    },
    files: connection([{ path: "src/payments/charge.ts", changeType: "MODIFIED" }]),
    reviews: connection([]),
    comments: connection([]),
    forcePushes: { totalCount: 0, nodes: [] },
    commits: { totalCount: 1, nodes: [{ commit: { oid: HEAD, author: null, committer: null } }] },
    ...over.pull,
  };
  return {
    data: {
      viewer: { login: "parallel-review[bot]", databaseId: BOT_ID },
      repository: {
        id: "R_1",
        nameWithOwner: "acme/shop",
        owner: { __typename: "Organization" },
        defaultBranchRef: { name: "main" },
        pullRequest: pull,
      },
    },
  };
}

function canned(graphql: unknown, rest: Record<string, unknown> = {}): Canned {
  return { graphql, rest, paths: [] };
}

describe("readSnapshot: pull requests sharing the head", () => {
  // FINDING: `associatedPullRequests(first: 20)` has no pageInfo and no fallback. GitHub lists a commit's
  // pull requests oldest first, and counts every open pull request that merely *contains* the commit (a
  // branch built on it, from a fork too: anyone who can open a pull request can make them). With 20 such
  // decoys opened before them, two open pull requests with the very same head do not see each other: the
  // documented "two open pull requests share a head: fails" (docs/security.md) is skipped and their
  // reconciles overwrite one gate run on the commit with their own verdicts (the last one wins). Before
  // today the REST read (GET /commits/{sha}/pulls, per_page 100) needed 100 decoys.
  // Fixed: the query asks for `pageInfo`; on a full page GET /commits/{sha}/pulls is read over REST, every
  // page of it (src/github/snapshot.ts, pulls.ts pullsForCommit).
  test("twenty decoys containing the head do not hide a second pull request on the same head", async () => {
    const decoys = Array.from({ length: 20 }, (_, i) => prNode(100 + i, sha(`decoy-${i}`)));
    const c = canned(pullAnswer({ commit: { associatedPullRequests: connection(decoys, true) } }), {
      // What REST says of the same commit (its first page already has the twin).
      [`/repos/acme/shop/commits/${HEAD}/pulls`]: [
        ...[7, 130].map((number) => ({
          number,
          state: "open",
          head: { sha: HEAD },
          base: { repo: { full_name: "acme/shop" } },
        })),
      ],
    });
    const s = await readSnapshot(cannedOctokit(c), ref, APP);
    expect(s.sharing).toEqual([7, 130]);
  });

  test("the base repository filter: a fork's own pull request on the same head is not a twin, this repository's is", async () => {
    const nodes = [prNode(7, HEAD), prNode(8, HEAD, "OPEN", "mallory/shop"), prNode(9, HEAD, "OPEN", "ACME/Shop")];
    const s = await readSnapshot(
      cannedOctokit(canned(pullAnswer({ commit: { associatedPullRequests: connection(nodes) } }))),
      ref,
      APP,
    );
    expect(s.sharing).toEqual([7, 9]);
  });
});

describe("readSnapshot: whose comments are the app's records", () => {
  test.each([
    ["a User with the bot's id", person("User", "parallel-review", BOT_ID)],
    ["a Mannequin with the bot's id", person("Mannequin", "parallel-review[bot]", BOT_ID)],
    ["another app's Bot named like ours", person("Bot", "parallel-review", BOT_ID + 1)],
  ])("%s is not the app", async (_, author) => {
    const comments = connection([{ fullDatabaseId: "41", author, body: "x", createdAt: "t", updatedAt: "t" }]);
    const s = await readSnapshot(cannedOctokit(canned(pullAnswer({ pull: { comments } }))), ref, APP);
    expect(s.comments[0]!.viaAppId).toBeUndefined();
  });

  test("an answer without a viewer makes no comment a record", async () => {
    const comments = connection([
      {
        fullDatabaseId: "41",
        author: person("Bot", "parallel-review", BOT_ID),
        body: "x",
        createdAt: "t",
        updatedAt: "t",
      },
    ]);
    const answer = pullAnswer({ pull: { comments } });
    const noViewer = { data: { ...answer.data, viewer: null } };
    const s = await readSnapshot(cannedOctokit(canned(noViewer)), ref, APP);
    expect(s.comments[0]!.viaAppId).toBeUndefined();
  });

  // FINDING (hardening): `fullDatabaseId` is a nullable BigInt in GitHub's schema and is read with
  // Number(): a null becomes id 0 (undefined, NaN) for every such comment and review. The ledger tells
  // recorded command comments by id (`recordedSources`), so once one id-0 comment is recorded every later
  // id-0 comment — an eligible reviewer's `/request-changes` included — reads as already recorded and is
  // ignored: fail open. Fixed: an id the app cannot read fails the read (src/github/snapshot.ts idOf).
  test("a comment or review without an id is not given id 0 (the read fails or goes to REST)", async () => {
    const comments = connection([
      { fullDatabaseId: null, author: person("User", "sam", 3), body: "/approve", createdAt: "t", updatedAt: "t" },
      {
        fullDatabaseId: null,
        author: person("User", "sue", 4),
        body: "/request-changes",
        createdAt: "t",
        updatedAt: "t",
      },
    ]);
    const c = canned(pullAnswer({ pull: { comments } }), {
      "/repos/acme/shop/issues/7/comments": [],
    });
    const read = readSnapshot(cannedOctokit(c), ref, APP).then(
      (s) => s.comments.map((x) => x.id),
      () => "failed" as const,
    );
    const ids = await read;
    expect(ids === "failed" || ids.every((id) => Number.isSafeInteger(id) && id > 0)).toBe(true);
  });
});

describe("readSnapshot: GraphQL answers that are partial or odd", () => {
  test("data together with errors (a field GitHub could not resolve) fails the read: nothing is judged on a partial answer", async () => {
    const answer = {
      ...pullAnswer(),
      errors: [{ type: "FORBIDDEN", path: ["repository", "pullRequest", "head"], message: "Resource not accessible" }],
    };
    await expect(readSnapshot(cannedOctokit(canned(answer)), ref, APP)).rejects.toThrow(/Resource not accessible/);
  });

  test.each([
    ["no commit at all", { head: { nodes: [] } }],
    ["a null head connection", { head: null }],
  ])("%s in commits(last: 1): runs and twins of the reported head are read over REST", async (_, pull) => {
    const c = canned(pullAnswer({ pull }), {
      [`/repos/acme/shop/commits/${HEAD}/check-runs`]: {
        total_count: 1,
        check_runs: [
          {
            id: 5,
            node_id: "CR_5",
            name: "parallel-review",
            status: "completed",
            conclusion: "success",
            output: { title: "t", summary: "s", text: null },
            started_at: "t",
            app: { id: APP },
          },
        ],
      },
      [`/repos/acme/shop/commits/${HEAD}/pulls`]: [
        { number: 8, state: "open", head: { sha: HEAD }, base: { repo: { full_name: "acme/shop" } } },
      ],
    });
    const s = await readSnapshot(cannedOctokit(c), ref, APP);
    expect(s.runs.map((r) => [r.id, r.conclusion])).toEqual([[5, "success"]]);
    expect(s.sharing).toEqual([7, 8]);
  });

  test("commits(last: 1) is another commit than headRefOid (e.g. a backdated head): the reported head's runs, not that commit's", async () => {
    const c = canned(
      pullAnswer({
        commit: {
          oid: OTHER,
          checkSuites: connection([{ app: { databaseId: APP }, checkRuns: connection([gateRun(1, "SUCCESS")]) }]),
        },
      }),
      {
        [`/repos/acme/shop/commits/${HEAD}/check-runs`]: { total_count: 0, check_runs: [] },
        [`/repos/acme/shop/commits/${HEAD}/pulls`]: [],
      },
    );
    const s = await readSnapshot(cannedOctokit(c), ref, APP);
    expect(s.runs).toEqual([]);
  });

  test("the table path is a directory on the base (not a Blob): the read fails, it does not fall through to reviewers.yml", async () => {
    const target = {
      oid: "c".repeat(40),
      dotGithub: { path: ".github/reviewers.yml", object: {} }, // a Tree: the Blob fragment matched nothing
      root: {
        path: "reviewers.yml",
        object: { text: "version: 1\npersonas: {}\n", isTruncated: false, isBinary: false },
      },
    };
    const c = canned(pullAnswer({ pull: { baseRef: { target } } }), {
      "/repos/acme/shop/contents/.github/reviewers.yml": [{ type: "file", name: "x" }],
    });
    await expect(readSnapshot(cannedOctokit(c), ref, APP)).rejects.toThrow(/not a file/);
  });

  test("a renamed file on the first page is listed over REST with its old path (its old domain must review)", async () => {
    const files = connection([{ path: "docs/charge.md", changeType: "RENAMED" }]);
    const c = canned(pullAnswer({ pull: { files } }), {
      "/repos/acme/shop/pulls/7/files": [
        { filename: "docs/charge.md", status: "renamed", previous_filename: "src/payments/charge.ts" },
      ],
    });
    const s = await readSnapshot(cannedOctokit(c), ref, APP);
    expect(s.files).toEqual([{ path: "docs/charge.md", status: "renamed", previousPath: "src/payments/charge.ts" }]);
  });

  // FINDING (hardening): `checkSuites(first: 10)` has no pageInfo. GitHub normally keeps one suite per app
  // and commit, but nothing in the read says so: with more suites than a page the app's runs in the others
  // are not seen, so a green gate run there is neither closed when the gate closes nor its ledger read.
  // Fixed: the query asks for the suites' `pageInfo`; on a full page the runs are listed over REST.
  test("a full page of the app's check suites: the runs are listed over REST", async () => {
    const suites = Array.from({ length: 10 }, (_, i) => ({
      app: { databaseId: APP },
      checkRuns: connection([gateRun(10 + i, "FAILURE")]),
    }));
    const green = {
      id: 99,
      node_id: "CR_99",
      name: "parallel-review",
      status: "completed",
      conclusion: "success",
      output: { title: "t", summary: "s", text: null },
      started_at: "t",
      app: { id: APP },
    };
    const c = canned(pullAnswer({ commit: { checkSuites: connection(suites, true) } }), {
      [`/repos/acme/shop/commits/${HEAD}/check-runs`]: { total_count: 1, check_runs: [green] },
    });
    const s = await readSnapshot(cannedOctokit(c), ref, APP);
    expect(s.runs.map((r) => r.id)).toContain(99);
  });
});

// ---------------------------------------------------------------------------------------------------
// The app end to end against the fake GitHub.
// ---------------------------------------------------------------------------------------------------

const fake = useFakeGitHub();
let gh: FakeGitHub;
let probot: Probot;
const receive = (d: Delivery) => probot.receive(d as never);
const failing = (d: Delivery) => probot.receive(d as never).catch(() => "failed");
const gate = (head?: string) => gh.run("parallel-review", head);
const green = (head?: string) => gate(head)?.status === "completed" && gate(head)?.conclusion === "success";

function setup(files: { filename: string; status?: string; previous_filename?: string }[]) {
  ({ gh, probot } = fake.fresh({
    table: TWO_TEAMS,
    tablePath: ".github/reviewers.yml",
    files,
    teams: { backend: ["bob"], security: ["sam"] },
  }));
}

async function approve(login: string) {
  gh.review(login, "APPROVED");
  await receive(events.review(gh, "submitted", login));
}

describe("the app end to end: renamed files", () => {
  test("a file renamed out of src/payments among more than a page of files still needs payments' reviewers", async () => {
    const filler = Array.from({ length: 120 }, (_, i) => ({ filename: `docs/page-${i}.md`, status: "added" }));
    setup([...filler, { filename: "docs/charge.ts", status: "renamed", previous_filename: "src/payments/charge.ts" }]);
    await receive(events.pullRequest(gh, "opened"));
    expect(gate()).toBeDefined();
    expect(green()).toBe(false);
    await approve("bob");
    expect(green()).toBe(false); // security must review too
    await approve("sam");
    expect(green()).toBe(true);
  });
});

describe("the app end to end: the table file", () => {
  test.each(["", "\n", "# nothing\n", "~\n", "{}\n"])(
    "an empty .github/reviewers.yml (%j) beside a strict reviewers.yml is an invalid table, not 'nothing required'",
    async (text) => {
      ({ gh, probot } = fake.fresh({
        table: TWO_TEAMS,
        files: [{ filename: "src/payments/charge.ts" }],
        teams: { backend: ["bob"], security: ["sam"] },
      }));
      gh.setFile("main", ".github/reviewers.yml", text);
      await receive(events.pullRequest(gh, "opened"));
      expect(gate()?.conclusion).toBe("failure");
      expect(gate()?.output.title).toMatch(/invalid/);
    },
  );
});

describe("the app end to end: a GraphQL answer with errors", () => {
  test("a green gate, then a change request whose read meets a GraphQL error: the gate is closed (over REST)", async () => {
    setup([{ filename: "src/payments/charge.ts" }]);
    await receive(events.pullRequest(gh, "opened"));
    await approve("bob");
    await approve("sam");
    expect(green()).toBe(true);
    gh.review("sam", "CHANGES_REQUESTED");
    gh.faults.push({
      method: "POST",
      path: /^\/graphql$/,
      status: 200,
      body: { data: { viewer: null, repository: null }, errors: [{ message: "Something went wrong" }] },
      times: 1,
    });
    expect(await failing(events.review(gh, "submitted", "sam"))).toBe("failed");
    expect(gate()).toBeDefined();
    expect(green()).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------
// The write pacer (src/github/pacer.ts): keeping a gate green that should close.
// ---------------------------------------------------------------------------------------------------

describe("the write pacer under a flood of answers a stranger causes", () => {
  // FINDING: one FIFO lane per installation, a write a second, and a write not started 60 s after it was
  // queued fails unsent. A stranger's refused `/approve` comments are each answered with a comment (up to
  // 20 per reconcile, on as many pull requests as they like), all in the installation's one lane. With a
  // minute of answers queued, the write that closes a green gate after an eligible reviewer's change
  // request fails unsent; the reconcile fails, and its failure report (another write, same lane) fails
  // the same way ("could not report the failure on the gate either"): the gate stays green for as long as
  // the flood lasts, and the author can merge. Probot's throttle, before today, delayed the closing write
  // behind the backlog but sent it. The docs call the lane "liveness only, never a pass"; keeping a gate
  // green is a pass. Fix: the gate's check-run writes (and the failure report) in a lane of their own
  // ahead of courtesy writes (answers, review requests), or answers to refused attempts bounded per
  // installation and dropped first.
  // Fixed: check-run writes (the gate, persona checks, the failure report) go ahead of courtesy writes in an
  // installation's lane (src/github/writes.ts isCheckWrite), so they start within a write or two.
  /** What becomes of a gate's close queued behind 70 answers (a minute and more of paced writes). */
  async function closeBehindAnswers(answer: RequestShape, gate: RequestShape): Promise<string> {
    const clock = new FakeClock();
    const pacer = new WritePacer({ clock, slots: new LocalSlots(clock) });
    const answers = Array.from({ length: 70 }, () =>
      pacer.run("99", () => Promise.resolve("answered"), isCheckWrite(answer)).catch(() => "unsent"),
    );
    const close = pacer.run("99", () => Promise.resolve("closed"), isCheckWrite(gate)).catch(() => "unsent");
    await clock.advance(120_000);
    await Promise.all(answers);
    return close;
  }

  test("the write that closes a gate still goes out behind a minute of answers to a stranger", async () => {
    const answer = { method: "POST", url: "/repos/{owner}/{repo}/issues/{issue_number}/comments" };
    expect(await closeBehindAnswers(answer, { method: "POST", url: "/graphql" })).toBe("closed");
  });

  test("…and behind a minute of answers written as GraphQL comments (records ride in the check-run mutation)", async () => {
    const mutation = (writes: Parameters<typeof runsMutation>[1]) => ({
      method: "POST",
      url: "/graphql",
      query: runsMutation("R_1", writes).query,
    });
    const answer = mutation([{ comment: "no", subjectId: "PR_1" }]);
    const gate = mutation([{ update: gateBlocked("parallel-review", "closed", []), run: { id: 1, nodeId: "CR_1" } }]);
    expect(await closeBehindAnswers(answer, gate)).toBe("closed");
  });

  test("control: the same close queued as a courtesy write would wait behind the answers and be dropped", async () => {
    const clock = new FakeClock();
    const pacer = new WritePacer({ clock, slots: new LocalSlots(clock) });
    const answers = Array.from({ length: 70 }, () =>
      pacer.run("99", () => Promise.resolve("answered")).catch(() => "unsent"),
    );
    const close = pacer.run("99", () => Promise.resolve("closed")).catch(() => "unsent");
    await clock.advance(120_000);
    await Promise.all(answers);
    expect(await close).toBe("unsent");
  });
});

// ---------------------------------------------------------------------------------------------------
// The conflict radar reusing the reconcile's reads (src/app/radar.ts, `Seen`).
// ---------------------------------------------------------------------------------------------------

describe("the conflict radar with conflicts: block, reusing the reconcile's runs", () => {
  const HA = sha("radar-a");
  const HB = sha("radar-b");
  const BLOCK = `${TWO_TEAMS}settings:\n  conflicts: block\n`;
  const charge = [{ path: "src/payments/charge.ts", status: "modified" as const }];

  /**
   * GitHub with #7 (A, this event) and #8 (B) open into main, both changing charge.ts; A's runs as given
   * (REST's shape; the radar's GraphQL query is answered with them, and its mutation with a run's id).
   */
  function github(runsOfA: RestRun[]): Canned {
    const runs = runsOfA.map((r) => ({
      resourcePath: `/acme/shop/runs/${r.id}`,
      id: r.node_id,
      name: r.name,
      status: r.status.toUpperCase(),
      conclusion: r.conclusion.toUpperCase(),
      title: r.output.title,
      summary: r.output.summary,
      text: r.output.text,
      startedAt: r.started_at,
    }));
    const suites = {
      pageInfo: { hasNextPage: false },
      nodes: [{ app: { databaseId: APP }, checkRuns: connection(runs) }],
    };
    const open = [7, 8].map((number) => ({
      number,
      title: `#${number}`,
      createdAt: "2026-11-30T09:00:00Z",
      headRefOid: number === 7 ? HA : HB,
    }));
    const graphql = (body: unknown) => {
      const { query, variables } = body as { query: string; variables: Record<string, unknown> };
      if (query.startsWith("mutation")) return { data: { w0: { checkRun: { id: "CR_50" } } } };
      if (query.startsWith("query OpenPulls")) return { data: { repository: { pullRequests: { nodes: open } } } };
      if (query.startsWith("query PullFiles")) {
        const files = (n: unknown) => ({
          headRefOid: n === 7 ? HA : HB,
          changedFiles: 1,
          files: {
            pageInfo: { hasNextPage: false },
            nodes: [{ path: "src/payments/charge.ts", changeType: "MODIFIED" }],
          },
        });
        const asked = Object.keys(variables).filter((k) => /^p\d+$/.test(k));
        return { data: { repository: Object.fromEntries(asked.map((k) => [k, files(variables[k])])) } };
      }
      const heads = Object.keys(variables).filter((k) => /^h\d+$/.test(k));
      const commit = (k: string) => ({ checkSuites: variables[k] === HA ? suites : connection([]) });
      return { data: { repository: { id: "R_1", ...Object.fromEntries(heads.map((k) => [k, commit(k)])) } } };
    };
    return {
      graphql,
      paths: [],
      sent: [],
      rest: {
        [`/repos/acme/shop/commits/${HA}/check-runs`]: { total_count: runsOfA.length, check_runs: runsOfA },
        [`/repos/acme/shop/commits/${HB}/check-runs`]: { total_count: 0, check_runs: [] },
        "/repos/acme/shop/check-runs": { id: 50 },
        "/repos/acme/shop/check-runs/50": { id: 50 },
      },
    };
  }
  interface RestRun {
    id: number;
    node_id: string;
    name: string;
    status: string;
    conclusion: string;
    output: { title: string; summary: string; text: string | null };
    started_at: string;
    app: { id: number };
  }
  /** The check-run mutations the radar sent, in order. */
  const writes = (c: Canned) =>
    c.sent!.flatMap((r) => {
      const { query, variables } = (r.body ?? {}) as { query?: string; variables?: Record<string, unknown> };
      if (r.call !== "POST /graphql" || !query?.startsWith("mutation")) return [];
      return [...query.matchAll(/(w\d+): (create|update)CheckRun/g)].map((m) => ({
        kind: m[2]!,
        input: variables![m[1]!] as Record<string, unknown>,
      }));
    });
  /** Every GraphQL document sent is one GitHub's published schema accepts. */
  const expectValidGraphQL = async (c: Canned) => {
    const endpoint = await loadGraphQL();
    for (const r of c.sent!.filter((x) => x.call === "POST /graphql"))
      expect(endpoint.validate((r.body as { query: string }).query)).toEqual([]);
  };
  const deps = (c: Canned): Deps => ({
    octokit: cannedOctokit(c),
    appId: APP,
    log: { info: () => undefined, warn: () => undefined },
  });
  const event = async (c: Canned): Promise<RadarEvent> => ({
    number: 7,
    base: "main",
    headSha: HA,
    title: "#7",
    createdAt: "2026-11-30T09:00:00Z",
    seen: {
      headSha: HA,
      baseRef: "main",
      table: await loadTable(cannedOctokit(c), { owner: "acme", repo: "shop" }, { file: "reviewers.yml", text: BLOCK }),
      files: charge,
    },
  });

  // Fixed (was a FINDING): the radar took A's runs from the reconcile's read (`seen.runs`), made before the
  // reconcile's rounds, its writes and the wait for the per-repository radar serializer. Meanwhile another
  // event's radar may have rewritten A's conflicts check (B closed: "no overlap", success). When B was
  // reopened and this radar found the same overlap as the stale read, it judged A's check unchanged and
  // wrote nothing, and remembered the digest, so B's own radar then skipped A too: A's required
  // `parallel-review/conflicts` stayed green while B changed the same files. The radar now lists the runs
  // when it writes (the reconcile's table and files are still reused: they are the event's own head and base).
  test("A's check was turned green after the reconcile read it: the radar still writes the failure", async () => {
    // What the radar writes for A when B overlaps (the failure the reconcile then read back).
    const first = github([]);
    await new ConflictRadar().refresh(deps(first), ref, await event(first));
    await expectValidGraphQL(first);
    const post = writes(first).find((w) => w.kind === "create")!.input;
    expect(post.conclusion).toBe("FAILURE");
    // GitHub now: the same run, rewritten green by B's radar when B closed; B has since been reopened.
    const now = github([
      {
        id: 50,
        node_id: "CR_50",
        name: String(post.name),
        status: "completed",
        conclusion: "success",
        output: { title: "No overlap", summary: "No other open pull request changes the same files.", text: null },
        started_at: "2026-11-30T10:00:00Z",
        app: { id: APP },
      },
    ]);
    await new ConflictRadar().refresh(deps(now), ref, await event(now));
    await expectValidGraphQL(now);
    // Read in the same event, just before the write (one query for every head it may write), not earlier.
    const sent = now.sent!.filter((r) => r.call === "POST /graphql");
    expect(sent.map((r) => (r.body as { query: string }).query.split(/[ (]/, 2).join(" "))).toEqual([
      "query OpenPulls",
      "query PullFiles",
      "query ConflictRuns",
      "mutation WriteChecksAndRecords",
    ]);
    // A's run rewritten to the failure, in the same mutation as B's own check (B overlaps A).
    expect(writes(now)).toEqual([
      { kind: "update", input: expect.objectContaining({ checkRunId: "CR_50", conclusion: "FAILURE" }) },
      { kind: "create", input: expect.objectContaining({ headSha: HB, conclusion: "FAILURE" }) },
    ]);
  });

  // FINDING: src/app/radar.ts:133 (ConflictRadar.write) skipped a pull request whose radar this process had
  // last written with the same digest, without reading its runs: "unchanged since this process wrote it" is
  // not "unchanged on GitHub". Another replica's radar (or this process's reconcile retiring every run when
  // the table went away) may have written the check since; A's required `parallel-review/conflicts` then
  // stayed green while B overlapped it. Fixed: the radar reads the runs at write time on every refresh and
  // lets GitHub's run, not its memory, say whether a write is needed.
  test("A's check was turned green by another replica after this process wrote the failure: the same radar writes it again", async () => {
    const radar = new ConflictRadar(); // one process: what it wrote is remembered between events
    const first = github([]);
    await radar.refresh(deps(first), ref, await event(first));
    const post = writes(first).find((w) => w.kind === "create")!.input;
    expect(post.conclusion).toBe("FAILURE");
    const green = github([
      {
        id: 50,
        node_id: "CR_50",
        name: String(post.name),
        status: "completed",
        conclusion: "success",
        output: { title: "No overlap", summary: "No other open pull request changes the same files.", text: null },
        started_at: "2026-11-30T10:00:00Z",
        app: { id: APP },
      },
    ]);
    await radar.refresh(deps(green), ref, await event(green));
    await expectValidGraphQL(green);
    expect(writes(green)).toContainEqual({
      kind: "update",
      input: expect.objectContaining({ checkRunId: "CR_50", conclusion: "FAILURE" }),
    });
  });

  // FINDING: src/app/radar.ts:136 (ConflictRadar.write) updated only the newest of the app's conflicts runs
  // on a head. Two replicas that both read "no run" create twins; the older one then kept whatever it said
  // first (neutral, under `conflicts: warn`) after the table moved to `block` and B overlapped A. GitHub
  // documents no rule for which twin branch protection reads (see "Several runs of one name on a commit").
  // Fixed: as for the gate, every run of the name is written to the same state.
  test("A has twin conflicts runs (two replicas created one each): both are written to the failure", async () => {
    const twin = (id: number) => ({
      id,
      node_id: `CR_${id}`,
      name: "parallel-review/conflicts",
      status: "completed",
      conclusion: "neutral",
      output: { title: "Overlaps #8", summary: "written under conflicts: warn", text: null },
      started_at: "2026-11-30T10:00:00Z",
      app: { id: APP },
    });
    const now = github([twin(50), twin(51)]);
    await new ConflictRadar().refresh(deps(now), ref, await event(now));
    await expectValidGraphQL(now);
    const updated = writes(now).filter((w) => w.kind === "update");
    expect(updated.map((w) => [w.input.checkRunId, w.input.conclusion])).toEqual([
      ["CR_50", "FAILURE"],
      ["CR_51", "FAILURE"],
    ]);
  });
});
