import { afterAll, afterEach, beforeAll, describe, expect, test } from "@jest/globals";
import { ProbotOctokit } from "probot";
import { ConflictRadar } from "../../src/app/radar.js";
import { startStack, type Stack } from "../../src/dev/stack.js";
import type { GitHubSimulator } from "../../src/simulator/index.js";

/**
 * The seed's remaining patterns over real HTTP (simulator ⇄ app server): reviews in sequence (`after:`)
 * and the conflict radar across open pull requests.
 */
const TABLE = `version: 1
personas:
  backend: { name: Backend, teams: [backend] }
  security: { name: Security, teams: [security] }
  finance: { name: Finance, teams: [finance], after: [backend] }
domains:
  payments:
    paths: [src/payments/]
    require: [backend, security, finance]
  web:
    paths: [web/]
    require: [backend]
`;

let stack: Stack;
let sim: GitHubSimulator;
let repoCount = 0;
let clockOffset = 0;
const later = () => void (clockOffset += 2000);

beforeAll(async () => {
  stack = await startStack({
    simulator: { validation: true, clock: () => new Date(Date.now() + clockOffset) },
    maxRetryWaitMs: 50,
  });
  sim = stack.sim;
  for (const login of ["carol", "dan", "bob", "sam", "fiona"]) sim.createUser(login);
  sim.createTeam("backend", { members: ["bob"] });
  sim.createTeam("security", { members: ["sam"] });
  sim.createTeam("finance", { members: ["fiona"] });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

afterEach(() => {
  expect(sim.validationErrors).toEqual([]);
});

function newRepo(files: Record<string, string> = {}): string {
  const repo = `shop-${++repoCount}`;
  sim.createRepo(repo, { files: { "reviewers.yml": TABLE, "README.md": "shop\n", ...files } });
  return repo;
}

async function openPr(repo: string, branch: string, files: Record<string, string>, author = "carol") {
  later();
  await sim.createBranch(repo, branch, { files, author });
  return (await sim.openPullRequest(repo, { title: `change ${branch}`, head: branch, author })).number;
}

/** The newest run of a name on the PR's head: what GitHub shows. */
function run(repo: string, n: number, name: string) {
  const runs = sim.checkRuns(repo, sim.pullRequest(repo, n).headSha).filter((r) => r.name === name);
  return runs.sort((a, b) => a.id - b.id).at(-1);
}
const shown = (repo: string, n: number, name: string) => {
  const r = run(repo, n, name);
  return r ? (r.status === "completed" ? r.conclusion : r.status) : "missing";
};

async function approve(repo: string, n: number, user: string) {
  later();
  await sim.submitReview(repo, n, { user, state: "APPROVED" });
}

describe("reviews in sequence over HTTP", () => {
  test("Finance is queued and not asked until Backend approves; the gate passes after Finance", async () => {
    const repo = newRepo();
    const n = await openPr(repo, "feature", { "src/payments/charge.ts": "export const charge = 1;\n" });
    expect(shown(repo, n, "review/finance")).toBe("queued");
    expect(run(repo, n, "review/finance")!.output.title).toBe("Queued: waiting for Backend to approve first");
    expect(sim.requestedReviewers(repo, n).teams.sort()).toEqual(["backend", "security"]);

    await approve(repo, n, "bob");
    expect(shown(repo, n, "review/finance")).toBe("in_progress");
    expect(sim.requestedReviewers(repo, n).teams).toContain("finance");
    await approve(repo, n, "sam");
    expect(shown(repo, n, "parallel-review")).toBe("in_progress");
    await approve(repo, n, "fiona");
    expect(shown(repo, n, "parallel-review")).toBe("success");
    const summary = run(repo, n, "parallel-review")!.output.summary;
    expect(summary).toContain("| Backend |");
    expect(summary).toMatch(/Rework: 1 review round, 0 re-approvals after a push\./);
  });
});

describe("the conflict radar over HTTP", () => {
  test("names the other pull request with the overlapping file, on both, and follows pushes and merges", async () => {
    const repo = newRepo({ "src/payments/charge.ts": "v1\n" });
    const first = await openPr(repo, "a", { "src/payments/charge.ts": "a\n" });
    expect(shown(repo, first, "parallel-review/conflicts")).toBe("missing"); // nothing to say: no check at all
    const second = await openPr(repo, "b", { "src/payments/charge.ts": "b\n", "web/index.html": "<p>\n" }, "dan");

    const onSecond = run(repo, second, "parallel-review/conflicts")!;
    expect(onSecond.conclusion).toBe("neutral");
    expect(onSecond.output.title).toBe(`Overlaps with #${first}`);
    expect(onSecond.output.summary).toContain("- **Same files** (1): `src/payments/charge.ts`");
    expect(onSecond.output.summary).toContain(`merge #${first} first, then rebase this pull request`);
    // The older pull request's radar is updated by the newer one's event.
    const onFirst = run(repo, first, "parallel-review/conflicts")!;
    expect(onFirst.output.title).toBe(`Overlaps with #${second}`);
    expect(onFirst.output.summary).toContain(`merge this pull request first, then rebase #${second}`);
    // The gate is untouched by the radar.
    expect(shown(repo, first, "parallel-review")).toBe("in_progress");

    // The second PR drops the shared file: both radars follow (the first one through the push's old files).
    later();
    await sim.pushToPullRequest(repo, second, { files: { "src/payments/charge.ts": "v1\n" } });
    // Checks belong to a commit: the new head has nothing to say, so it gets no radar check at all.
    expect(shown(repo, second, "parallel-review/conflicts")).toBe("missing");
    const cleared = run(repo, first, "parallel-review/conflicts")!;
    expect([cleared.conclusion, cleared.output.title]).toEqual(["success", "No overlap with other open pull requests"]);
  });

  test("a merged pull request leaves the radar of the others", async () => {
    const repo = newRepo();
    const first = await openPr(repo, "a", { "package.json": '{"name":"a"}\n' });
    const second = await openPr(repo, "b", { "package-lock.json": "{}\n" }, "dan");
    expect(run(repo, second, "parallel-review/conflicts")!.output.summary).toContain("- **Shared configuration**");
    later();
    await sim.closePullRequest(repo, first);
    expect(run(repo, second, "parallel-review/conflicts")!.conclusion).toBe("success");
  });
});

/** A client and deps for calling the radar directly, and an event as the hook would build it. */
const radarDeps = () => ({
  octokit: new ProbotOctokit({
    auth: { token: sim.issueToken() },
    baseUrl: sim.apiUrl,
    throttle: { enabled: false },
    retry: { enabled: false },
  }),
  appId: stack.appId,
  log: { info: () => undefined, warn: () => undefined },
});
const radarEvent = (repo: string, n: number, extra: object = {}) => ({
  number: n,
  base: "main",
  headSha: sim.pullRequest(repo, n).headSha,
  title: `change ${n}`,
  createdAt: new Date().toISOString(),
  ...extra,
});

/** Three pull requests changing the same file: the first one's radar names the other two. */
async function threeOverlapping() {
  const repo = newRepo({ "src/payments/charge.ts": "v1\n" });
  const a = await openPr(repo, "a", { "src/payments/charge.ts": "a\n" });
  const b = await openPr(repo, "b", { "src/payments/charge.ts": "b\n" }, "dan");
  const c = await openPr(repo, "c", { "src/payments/charge.ts": "c\n" }, "carol");
  expect(run(repo, a, "parallel-review/conflicts")!.output.title).toBe(`Overlaps with #${b}, #${c}`);
  return { repo, a, b, c };
}

describe("the conflict radar: events that waited share one refresh", () => {
  test("a push and a close refreshed together: one open list, one read of the runs, one write; the radars as after each in turn", async () => {
    const { repo, a, b, c } = await threeOverlapping();
    // The app does not see these two events: the refresh below is given both at once.
    sim.holdWebhooks();
    const before = sim.pullRequest(repo, b).headSha;
    later();
    await sim.pushToPullRequest(repo, b, { files: { "src/payments/charge.ts": "v1\n", "web/index.html": "<p>\n" } });
    later();
    await sim.closePullRequest(repo, c);
    const deps = radarDeps();
    const event = (n: number, extra: object = {}) => radarEvent(repo, n, extra);
    const from = sim.requests.length;
    const outcomes = await new ConflictRadar().refreshAll(deps, { owner: "acme", repo }, [
      event(b, { previousHead: before }),
      event(c, { closed: true }),
    ]);
    const routes = sim.requests.slice(from).map((r) => r.operationName ?? r.operation ?? r.route);
    expect(routes.filter((r) => r === "OpenPulls")).toHaveLength(1);
    expect(routes.filter((r) => r === "ConflictRuns")).toHaveLength(1);
    expect(routes.filter((r) => r === "WriteChecksAndRecords")).toHaveLength(1);
    // The pushed one overlaps nothing now; the closed one overlaps nothing; the first one's radar drops both.
    expect(outcomes.get(b)!.overlaps).toEqual([]);
    expect(outcomes.get(c)!.overlaps).toEqual([]);
    expect(outcomes.get(b)!.written).toEqual([a]);
    const cleared = run(repo, a, "parallel-review/conflicts")!;
    expect([cleared.conclusion, cleared.output.title]).toEqual(["success", "No overlap with other open pull requests"]);
    expect(shown(repo, b, "parallel-review/conflicts")).toBe("missing"); // the new head never overlapped
    sim.releaseWebhooks();
    await sim.idle();
    // The app, given the same two events one after the other, leaves the same radars.
    expect(run(repo, a, "parallel-review/conflicts")!.conclusion).toBe("success");
    expect(shown(repo, b, "parallel-review/conflicts")).toBe("missing");
  });
});

describe("the conflict radar: one pull request's events in one refresh", () => {
  test("closed, reopened and pushed: the closed head's files are not read from the new head (GitHub lists only the current one)", async () => {
    const repo = newRepo({ "src/payments/charge.ts": "v1\n" });
    await openPr(repo, "a", { "src/payments/charge.ts": "a\n" });
    const d = await openPr(repo, "d", { "src/payments/charge.ts": "d\n" }, "dan");
    sim.holdWebhooks();
    const h1 = sim.pullRequest(repo, d).headSha;
    later();
    await sim.closePullRequest(repo, d);
    const closed = radarEvent(repo, d, { closed: true });
    later();
    await sim.reopenPullRequest(repo, d);
    const reopened = radarEvent(repo, d);
    later();
    await sim.pushToPullRequest(repo, d, { files: { "docs/d.md": "d\n" } });
    const radar = new ConflictRadar(); // nothing cached: as another replica, or after a restart
    await radar.refreshAll(radarDeps(), { owner: "acme", repo }, [
      closed,
      reopened,
      radarEvent(repo, d, { previousHead: h1 }),
    ]);
    const files = (radar as unknown as { files: { get(k: string): readonly string[] | undefined } }).files;
    expect(files.get(`acme/${repo}#${d}@${h1}`.toLowerCase())).toBeUndefined();
    sim.releaseWebhooks();
    await sim.idle();
  });

  test("two closes refreshed together, nothing cached: their heads' files in one query; one unreadable head leaves only itself unknown", async () => {
    const { repo, a, b, c } = await threeOverlapping();
    sim.holdWebhooks();
    later();
    await sim.closePullRequest(repo, b);
    later();
    await sim.closePullRequest(repo, c);
    const closes = [radarEvent(repo, b, { closed: true }), radarEvent(repo, c, { closed: true })];
    const from = sim.requests.length;
    await new ConflictRadar().refreshAll(radarDeps(), { owner: "acme", repo }, closes);
    const routes = sim.requests.slice(from).map((r) => r.operationName ?? r.operation ?? r.route);
    // One query for the open pull request's files (nothing cached), one for both closed heads (one each before).
    expect(routes.filter((r) => r === "PullFiles")).toHaveLength(2);
    expect(run(repo, a, "parallel-review/conflicts")!.output.title).toBe("No overlap with other open pull requests");
    // Again from the state before, with a third close GitHub cannot list (404): the batch fails, each is read alone.
    const d = await openPr(repo, "d", { "src/payments/charge.ts": "d\n" }, "dan");
    const e = await openPr(repo, "e", { "src/payments/charge.ts": "e\n" }, "carol");
    await sim.closePullRequest(repo, d);
    await sim.closePullRequest(repo, e);
    const gone = { ...radarEvent(repo, e), number: 999, closed: true };
    const later2 = [radarEvent(repo, d, { closed: true }), radarEvent(repo, e, { closed: true }), gone];
    await new ConflictRadar().refreshAll(radarDeps(), { owner: "acme", repo }, later2);
    expect(run(repo, a, "parallel-review/conflicts")!.output.title).toBe("No overlap with other open pull requests");
    sim.releaseWebhooks();
    await sim.idle();
  });

  test("an earlier head whose files cannot be read leaves that head unknown; the others are still refreshed", async () => {
    const repo = newRepo({ "src/payments/charge.ts": "v1\n" });
    const a = await openPr(repo, "a", { "src/payments/charge.ts": "a\n" });
    sim.holdWebhooks();
    const b = await openPr(repo, "b", { "src/payments/charge.ts": "b\n" }, "dan");
    const gone = { ...radarEvent(repo, b), number: 999, closed: true }; // GitHub answers 404 for its files
    const outcomes = await new ConflictRadar().refreshAll(radarDeps(), { owner: "acme", repo }, [
      radarEvent(repo, b),
      gone,
    ]);
    expect(outcomes.get(b)!.overlaps).toEqual([a]);
    expect(run(repo, a, "parallel-review/conflicts")!.output.title).toBe(`Overlaps with #${b}`);
    sim.releaseWebhooks();
    await sim.idle();
  });
});

describe("the conflict radar's bounds", () => {
  test("compares at most maxPulls open pull requests and rewrites at most maxUpdates others per event", async () => {
    const repo = newRepo({ "src/payments/charge.ts": "v1\n" });
    const numbers: number[] = [];
    for (const b of ["a", "b", "c", "d", "e"])
      numbers.push(await openPr(repo, b, { "src/payments/charge.ts": `${b}\n` }));
    const last = numbers.at(-1)!;
    const octokit = new ProbotOctokit({
      auth: { token: sim.issueToken() },
      baseUrl: sim.apiUrl,
      throttle: { enabled: false },
      retry: { enabled: false },
    });
    const warnings: string[] = [];
    const deps = {
      octokit,
      appId: stack.appId,
      log: { info: () => undefined, warn: (_o: object, m?: string) => void warnings.push(m ?? "") },
    };
    const radar = new ConflictRadar({ maxPulls: 2, maxUpdates: 1 });
    const pr = sim.pullRequest(repo, last);
    const event = {
      number: last,
      base: "main",
      headSha: pr.headSha,
      title: "change e",
      createdAt: new Date().toISOString(),
    };
    const from = sim.requests.length;
    const outcome = await radar.refresh(deps, { owner: "acme", repo }, event);
    // Itself and one other (maxUpdates), though it overlaps the two it compared (maxPulls).
    expect(outcome.overlaps).toHaveLength(2);
    expect(outcome.written).toHaveLength(2);
    // The table (.github/ first, then the root), the open list, the three file lists it has not seen in one
    // query; then both checks' runs in one query and both writes in one mutation, whichever pull requests they are on.
    expect(sim.requests.slice(from).map((r) => r.operationName ?? r.route)).toEqual([
      "GET /repos/{owner}/{repo}/contents/{path}",
      "GET /repos/{owner}/{repo}/contents/{path}",
      "OpenPulls",
      "PullFiles",
      "ConflictRuns",
      "WriteChecksAndRecords",
    ]);
    expect(outcome.written[0]).toBe(last);
    expect(warnings).toEqual(["conflict radar: refreshed only the first pull requests it names"]);
    expect(run(repo, last, "parallel-review/conflicts")!.output.summary).toContain(
      "Compared with 2 other open pull requests into `main` — more are open: the radar compares the 2 most recently updated.",
    );
    // The same event again: nothing changed, nothing written. The runs are read again all the same (one
    // query): another replica may have rewritten them since this process did.
    const before = sim.requests.length;
    const again = await radar.refresh(deps, { owner: "acme", repo }, event);
    expect(again.written).toEqual([]);
    expect(sim.requests.slice(before).map((r) => r.operationName ?? r.route)).toEqual([
      "GET /repos/{owner}/{repo}/contents/{path}",
      "GET /repos/{owner}/{repo}/contents/{path}",
      "OpenPulls",
      "ConflictRuns",
    ]);
  });
});
