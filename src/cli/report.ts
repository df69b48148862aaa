import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { ProbotOctokit } from "probot";
import { readRecords, recordActions, reviewActions, type CommentInput } from "../core/actions.js";
import { attribute, measurePr, summarize, type PrEffect } from "../core/effectiveness.js";
import { planReview } from "../core/plan.js";
import { orderOf } from "../core/sequence.js";
import type { ReviewTable } from "../core/types.js";
import type { Octokit, RepoRef } from "../github/client.js";
import { checkRunsOn, mergedSince, type MergedPull } from "../github/history.js";
import { listComments, listFiles, listReviews } from "../github/pulls.js";
import { readTable } from "../github/table.js";
import { Memberships } from "../github/teams.js";
import { parseArgs, stringFlag } from "./args.js";
import { CliError, cwdOf, UsageError, type Io } from "./io.js";
import { renderCsv, renderHtml, renderJson, renderText, type ReportMeta } from "./report-render.js";

export const REPORT_USAGE = `Usage: parallel-review report --repo OWNER/NAME [--since 30d] [--json | --csv | --html FILE]

Measures parallel review on the pull requests merged in a period, from GitHub alone: per persona and
per domain the median and p90 time to approve, the time saved by reviewing in parallel (1 − longest /
sum), and the disagreement and rework rates (docs/effectiveness.md).

Options:
  --repo OWNER/NAME   the repository
  --since PERIOD      how far back: 30d (default), 12h, 2w, or a date (2026-11-01)
  --json              every figure and every pull request's, as JSON
  --csv               one row per repository, persona and domain
  --html FILE         a page with charts, written to FILE

Environment:
  GITHUB_TOKEN        a token that can read the repository (and its teams, for team personas)
  GITHUB_API_URL      the API of GitHub Enterprise Server (default https://api.github.com)
  APP_ID              count only this app's record comments (default: any app's)`;

const FLAGS = {
  "--repo": "value",
  "--since": "value",
  "--json": "boolean",
  "--csv": "boolean",
  "--html": "value",
} as const;
/** A report reads a handful of requests per pull request: at most this many pull requests. */
const MAX_PULLS = 1000;

export async function report(argv: readonly string[], io: Io): Promise<number> {
  const args = parseArgs("report", argv, FLAGS, 0);
  if (args.help) {
    io.stdout.write(REPORT_USAGE + "\n");
    return 0;
  }
  const repoArg = stringFlag(args, "--repo");
  if (!repoArg) throw new UsageError("--repo OWNER/NAME is required", "report");
  const m = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)$/.exec(repoArg);
  if (!m) throw new UsageError(`--repo ${repoArg}: write it as OWNER/NAME, e.g. my-org/shop`, "report");
  const formats = ["--json", "--csv", "--html"].filter((f) => args.flags.has(f));
  if (formats.length > 1) throw new UsageError(`${formats.join(" and ")} exclude each other: give one`, "report");
  const now = new Date();
  const since = parseSince(stringFlag(args, "--since") ?? "30d", now);
  const env = io.env ?? process.env;
  const token = env.GITHUB_TOKEN;
  if (!token) throw new CliError("GITHUB_TOKEN is not set: set it to a token that can read the repository");
  const octokit = new ProbotOctokit({
    auth: { token },
    baseUrl: (env.GITHUB_API_URL ?? "https://api.github.com").replace(/\/+$/, ""),
    throttle: { enabled: false },
    retry: { enabled: false },
  });
  const appId = env.APP_ID ? Number(env.APP_ID) : undefined;

  const repo = { owner: m[1]!, repo: m[2]! };
  const { pulls, effects } = await collect(octokit, repo, since, { appId, progress: progressBar(io) });
  const meta: ReportMeta = { repo: repoArg, since: since.toISOString(), until: now.toISOString(), merged: pulls };
  const summary = summarize(effects);
  const html = stringFlag(args, "--html");
  if (html !== undefined) {
    const path = resolve(cwdOf(io), html);
    await writeFile(path, renderHtml(meta, summary, effects));
    io.stderr.write(`wrote ${html}: ${pulls} merged pull requests\n`);
  } else if (args.flags.has("--json")) io.stdout.write(renderJson(meta, summary, effects));
  else if (args.flags.has("--csv")) io.stdout.write(renderCsv(meta, summary));
  else io.stdout.write(renderText(meta, summary));
  return 0;
}

/** `30d`, `12h`, `2w`, or a date: the start of the period. */
export function parseSince(value: string, now: Date): Date {
  const rel = /^(\d{1,4})([hdw])$/.exec(value);
  if (rel) {
    const hours = Number(rel[1]) * { h: 1, d: 24, w: 24 * 7 }[rel[2] as "h" | "d" | "w"];
    return new Date(now.getTime() - hours * 3600_000);
  }
  const t = /^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(t) || t > now.getTime())
    throw new UsageError(
      `--since ${value}: use a period such as 30d, 12h or 2w, or a past date such as 2026-11-01`,
      "report",
    );
  return new Date(t);
}

interface CollectOptions {
  readonly appId?: number | undefined;
  readonly progress: (done: number, total: number) => void;
}

/** Reads every merged pull request of the period and measures it. */
export async function collect(
  octokit: Octokit,
  repo: RepoRef,
  since: Date,
  opts: CollectOptions,
): Promise<{ pulls: number; effects: PrEffect[] }> {
  const merged = await mergedSince(octokit, repo, since, MAX_PULLS);
  opts.progress(0, merged.length);
  const tables = new Map<string, Promise<ReviewTable | undefined>>();
  const tableOf = (base: string) => {
    let t = tables.get(base);
    if (!t)
      tables.set(
        base,
        (t = readTable(octokit, repo, base).then((l) => (l.kind === "loaded" ? l.result.table : undefined))),
      );
    return t;
  };
  const members = new Memberships(octokit, repo.owner, true);
  const effects: PrEffect[] = [];
  let done = 0;
  // A few at a time: fast enough, and far from GitHub's secondary rate limits.
  const queue = [...merged];
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let pr = queue.shift(); pr; pr = queue.shift()) {
        const table = await tableOf(pr.baseRef);
        const effect = table ? await measureOne(octokit, repo, pr, table, members, opts.appId) : undefined;
        if (effect) effects.push(effect);
        opts.progress(++done, merged.length);
      }
    }),
  );
  effects.sort((a, b) => a.number - b.number);
  return { pulls: merged.length, effects };
}

async function measureOne(
  octokit: Octokit,
  repo: RepoRef,
  pr: MergedPull,
  table: ReviewTable,
  members: Memberships,
  appId: number | undefined,
): Promise<PrEffect | undefined> {
  const ref = { ...repo, number: pr.number };
  const [files, reviews, comments, runs] = await Promise.all([
    listFiles(octokit, ref),
    listReviews(octokit, ref),
    listComments(octokit, ref),
    checkRunsOn(octokit, repo, pr.headSha),
  ]);
  const plan = planReview(table, files);
  if (plan.personas.length === 0) return undefined;
  const isApp = (c: CommentInput) =>
    c.user?.type === "Bot" && c.viaAppId !== undefined && (appId === undefined || c.viaAppId === appId);
  // A dismissed review withdraws; it is neither an approval nor a change request to measure.
  const actions = [...reviewActions(reviews), ...recordActions(readRecords(comments, isApp))].flatMap((a) =>
    a.kind === "withdraw" ? [] : [{ ...a, kind: a.kind }],
  );
  // Eligibility now (the report is a snapshot): listed users, or active team members.
  const eligible = new Map<string, boolean>();
  for (const p of plan.personas)
    for (const login of new Set(actions.map((a) => a.user))) {
      const listed = p.users.some((u) => u.toLowerCase() === login.toLowerCase());
      const inTeam = listed
        ? true
        : (await Promise.all(p.teams.map((t) => members.isMember(t, login).catch(() => false)))).some(Boolean);
      eligible.set(`${p.id}:${login.toLowerCase()}`, inTeam);
    }
  const radar = runs.find((r) => r.name === "parallel-review/conflicts" && (appId === undefined || r.appId === appId));
  return measurePr({
    number: pr.number,
    openedAt: pr.createdAt,
    personas: plan.personas,
    after: orderOf(
      table,
      plan.personas.map((p) => p.id),
    ).after,
    actions: attribute(
      actions,
      plan.personas,
      (id, login) => eligible.get(`${id}:${login.toLowerCase()}`) === true,
      pr.author,
      table.settings.self_approval,
    ),
    ...(radar ? { sameFileOverlap: (radar.summary ?? "").includes("**Same files**") } : {}),
  });
}

/** A progress bar on a terminal; one line at the start and the end otherwise (logs stay readable). */
function progressBar(io: Io): (done: number, total: number) => void {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  return (done, total) => {
    if (!tty) {
      if (done === 0) io.stderr.write(`reading ${total} merged pull requests…\n`);
      return;
    }
    const width = 30;
    const filled = total === 0 ? width : Math.round((width * done) / total);
    io.stderr.write(`\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} pull requests`);
    if (done === total) io.stderr.write("\n");
  };
}
