import { afterAll, beforeAll, describe, expect, test } from "@jest/globals";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { main } from "../../src/cli/main.js";
import { parseSince } from "../../src/cli/report.js";
import { startStack, type Stack } from "../../src/dev/stack.js";
import type { GitHubSimulator } from "../../src/simulator/index.js";

/**
 * `parallel-review report` end to end: pull requests reviewed and merged through the simulator (with
 * the real app writing checks and records), then the CLI reading them back over HTTP, and the HTML
 * report opened in Debian's chromium (driven by playwright-core).
 */
const TABLE = `version: 1
personas:
  backend: { name: Backend, teams: [backend] }
  security: { name: Security, teams: [security] }
  finance: { name: Finance, users: [fiona], after: [backend] }
domains:
  payments:
    paths: [src/payments/]
    require: [backend, security, finance]
  api:
    paths: [src/api/]
    require: [backend, security]
`;

let stack: Stack;
let sim: GitHubSimulator;
let clockOffset = 0;
/** Minutes pass between steps, so times to approve differ per persona. */
const wait = (minutes: number) => void (clockOffset += minutes * 60_000);
const dir = mkdtempSync(join(tmpdir(), "parallel-review-report-"));
const REPO = "shop";

beforeAll(async () => {
  stack = await startStack({
    simulator: { validation: true, clock: () => new Date(Date.now() + clockOffset) },
    maxRetryWaitMs: 50,
  });
  sim = stack.sim;
  for (const login of ["carol", "bob", "sam", "fiona"]) sim.createUser(login);
  sim.createTeam("backend", { members: ["bob"] });
  sim.createTeam("security", { members: ["sam"] });
  sim.createRepo(REPO, { files: { "reviewers.yml": TABLE, "src/payments/charge.ts": "v1\n" } });

  // #1: payments, reviewed in parallel by Backend (10 min) and Security (30 min), then Finance after Backend.
  const one = await open("one", { "src/payments/charge.ts": "one\n" });
  wait(10);
  await review(one, "bob", "APPROVED");
  wait(20);
  await review(one, "sam", "APPROVED");
  wait(5);
  await review(one, "fiona", "APPROVED");
  await sim.mergePullRequest(REPO, one);

  // #2: api; Security asks for changes while Backend approves (a disagreement), a push, both approve again.
  const two = await open("two", { "src/api/users.ts": "two\n" });
  wait(5);
  await review(two, "bob", "APPROVED");
  await review(two, "sam", "CHANGES_REQUESTED", "validate the input");
  wait(15);
  await sim.pushToPullRequest(REPO, two, { files: { "src/api/users.ts": "two, validated\n" } });
  wait(5);
  await review(two, "sam", "APPROVED");
  await review(two, "bob", "APPROVED");
  await sim.mergePullRequest(REPO, two);

  // #3: still open: not in the report.
  await open("three", { "src/api/orders.ts": "three\n" });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function open(branch: string, files: Record<string, string>): Promise<number> {
  wait(1);
  await sim.createBranch(REPO, branch, { files, author: "carol" });
  return (await sim.openPullRequest(REPO, { title: `change ${branch}`, head: branch, author: "carol" })).number;
}

async function review(n: number, user: string, state: "APPROVED" | "CHANGES_REQUESTED", body = "") {
  wait(1);
  await sim.submitReview(REPO, n, { user, state, body });
}

async function cli(argv: string[], tty = false) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: Object.assign({ write: (s: string) => (stderr += s) }, tty ? { isTTY: true } : {}),
    cwd: () => dir,
    env: { GITHUB_TOKEN: sim.issueToken(), GITHUB_API_URL: sim.apiUrl, APP_ID: String(stack.appId) },
  });
  return { code, stdout, stderr };
}

interface JsonReport {
  summary: {
    pulls: number;
    measured: number;
    disagreementRate: number;
    reworkRate: number;
    timeSaved?: { overall: number };
    personas: { id: string; pulls: number; medianMs?: number }[];
    domains: { id: string; pulls: number }[];
  };
  pulls: {
    number: number;
    timeSaved?: number;
    reviewRounds: number;
    personas: { id: string; timeToApproveMs?: number }[];
  }[];
}

describe("parallel-review report", () => {
  test("--json: the merged pull requests' figures per persona and per domain", async () => {
    const r = await cli(["report", "--repo", `acme/${REPO}`, "--json"]);
    expect(r.stderr).toBe("reading 2 merged pull requests…\n");
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as JsonReport;
    expect(json.summary.pulls).toBe(2);
    expect(json.summary.measured).toBe(2);
    const one = json.pulls.find((p) => p.number === 1)!;
    const minutes = (id: string) => Math.round(one.personas.find((p) => p.id === id)!.timeToApproveMs! / 60_000);
    // Requested at opening (Finance: when Backend approved), approved at the review that completed it.
    expect([minutes("backend"), minutes("security"), minutes("finance")]).toEqual([11, 32, 27]);
    expect(one.timeSaved).toBeCloseTo(1 - 32 / (11 + 32 + 27), 2);
    const two = json.pulls.find((p) => p.number === 2)!;
    expect(two.reviewRounds).toBe(2);
    expect(json.summary.disagreementRate).toBe(0.5);
    expect(json.summary.reworkRate).toBe(0.5);
    expect(json.summary.personas.map((p) => [p.id, p.pulls])).toEqual([
      ["backend", 2],
      ["finance", 1],
      ["security", 2],
    ]);
    expect(json.summary.domains.map((d) => d.id)).toEqual(["api", "payments"]);
  });

  test("--csv: one row per repository, persona and domain", async () => {
    const r = await cli(["report", "--repo", `acme/${REPO}`, "--since", "2d", "--csv"]);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe("kind,id,name,pulls,median_s,p90_s,time_saved,disagreement_rate,rework_rate");
    expect(lines.map((l) => l.split(",")[0])).toEqual([
      "kind",
      "repository",
      "persona",
      "persona",
      "persona",
      "domain",
      "domain",
    ]);
    expect(lines[1]).toMatch(/^repository,acme\/shop,acme\/shop,2,,,0\.\d+,0\.5,0\.5$/);
  });

  test("the text report, with a progress bar on a terminal", async () => {
    const r = await cli(["report", "--repo", `acme/${REPO}`], true);
    expect(r.stderr).toContain("\r[------------------------------] 0/2 pull requests");
    expect(r.stderr).toContain("\r[##############################] 2/2 pull requests\n");
    expect(r.stdout).toContain("2 merged, 2 of them needed a persona, 2 with every persona's approval measured");
    expect(r.stdout).toMatch(/Per persona\n {2}ID +PULLS +MEDIAN +P90 +DISAGREEMENT +REWORK\n {2}backend +2 /);
  });

  test("--html: renders in a real browser, with one bar per persona and per measured pull request, no console errors", async () => {
    const r = await cli(["report", "--repo", `acme/${REPO}`, "--html", "report.html"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("wrote report.html: 2 merged pull requests");
    const file = join(dir, "report.html");
    expect(readFileSync(file, "utf8")).toContain('<svg id="persona-chart"');
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error" || m.type() === "warning") problems.push(m.text());
      });
      page.on("pageerror", (e) => problems.push(e.message));
      await page.goto(pathToFileURL(file).href);
      expect(await page.title()).toBe(`Parallel review effectiveness — acme/${REPO}`);
      expect(await page.locator("#persona-chart rect.bar").count()).toBe(3);
      expect(await page.locator("#saved-chart rect.bar").count()).toBe(2);
      // The bars are laid out: each has a positive rendered width.
      const widths = await page
        .locator("#persona-chart rect.bar")
        .evaluateAll((els) => els.map((e) => (e as SVGGraphicsElement).getBBox().width));
      expect(widths.every((w) => w > 0)).toBe(true);
      expect(await page.locator("#disagreement").textContent()).toBe("50 %");
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);

  test("bad input: a missing token, a malformed --repo or --since, two formats", async () => {
    let errors = "";
    const noToken = await main(["report", "--repo", "acme/shop"], {
      stdout: { write: () => true },
      stderr: { write: (s: string) => void (errors += s) },
      env: {},
    });
    expect(noToken).toBe(1);
    expect(errors).toContain("GITHUB_TOKEN is not set");
    const run = async (argv: string[]) => {
      let err = "";
      const code = await main(argv, {
        stdout: { write: () => true },
        stderr: { write: (s: string) => (err += s) },
        env: { GITHUB_TOKEN: "x" },
      });
      return { code, err };
    };
    expect((await run(["report", "--repo", "shop"])).err).toContain("--repo shop: write it as OWNER/NAME");
    expect((await run(["report", "--repo", "a/b", "--since", "soon"])).err).toContain(
      "--since soon: use a period such as 30d, 12h or 2w",
    );
    expect((await run(["report", "--repo", "a/b", "--json", "--csv"])).code).toBe(2);
    expect(parseSince("2w", new Date("2026-11-30T00:00:00Z")).toISOString()).toBe("2026-11-16T00:00:00.000Z");
  });
});
