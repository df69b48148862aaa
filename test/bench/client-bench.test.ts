import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, test } from "@jest/globals";

/**
 * The documented `node --expose-gc lib/bench/client-bench.js` (docs/performance.md), run small: every
 * client it compares answers, and each gets a figure. It measures nothing here (too few requests).
 */
test("client-bench runs every client, the pipeline-alone rows included, and prints a figure for each", () => {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const r = spawnSync(
    process.execPath,
    ["--expose-gc", "lib/bench/client-bench.js", "--requests", "20", "--concurrency", "2"],
    { cwd: root, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" }, timeout: 60_000 },
  );
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  const rows = r.stdout.split("\n").filter((l) => /^\s+\d+\.\d{3} ms {2,}\S/.test(l));
  expect(rows).toHaveLength(13);
  for (const label of [
    "app's Octokit + withRetries, lean client, pacing off",
    "lean client + JSON.parse (no Octokit)",
    "Octokit's pipeline alone (no HTTP): Probot's class, retry and throttle off",
    "Octokit's pipeline alone (no HTTP): the app's class",
  ])
    expect(rows.some((l) => l.endsWith(label))).toBe(true);
  for (const l of rows) expect(Number(/(\d+\.\d{3}) ms/.exec(l)![1])).toBeGreaterThan(0);
});
