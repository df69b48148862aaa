import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "@jest/globals";
import {
  frameName,
  kindOf,
  run,
  summarizeAlloc,
  summarizeCpu,
  type CpuProfile,
  type HeapProfile,
} from "../../src/bench/profile-summary.js";

/** src/bench/profile-summary.ts: the shares docs/performance.md quotes from the app's profiles. */
const APP = "file:///srv/app/lib/app/reconcile.js";
const frame = (functionName: string, url = "", lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0 });

describe("a CPU profile", () => {
  // root → assess (app) → planReview (app) → JSON.parse (native); root → (garbage collector); (idle).
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame("(root)"), children: [2, 5, 6, 7] },
      { id: 2, callFrame: frame("assess", APP, 37), children: [3] },
      { id: 3, callFrame: frame("planReview", "file:///srv/app/lib/core/plan.js", 33), children: [4] },
      { id: 4, callFrame: frame("parse") },
      { id: 5, callFrame: frame("(garbage collector)") },
      { id: 6, callFrame: frame("(idle)") },
      { id: 7, callFrame: frame("merge", "file:///srv/app/node_modules/@octokit/endpoint/dist-bundle/index.js", 65) },
    ],
    // assess 10, planReview 20, parse 30, GC 25, Octokit 15, idle 100 (µs)
    samples: [2, 3, 4, 5, 7, 6],
    timeDeltas: [10, 20, 30, 25, 15, 100],
  };

  test("busy time by kind, self time, and the app's functions with what they call", () => {
    const s = summarizeCpu(profile);
    expect(s.totalUs).toBe(200);
    expect(s.busyUs).toBe(100);
    expect(s.byKind.map((k) => [k.name, k.share])).toEqual([
      ["native", 0.3],
      ["the app", 0.3],
      ["garbage collection", 0.25],
      ["Octokit", 0.15],
    ]);
    expect(s.self[0]).toMatchObject({ name: "parse", share: 0.3 });
    expect(s.inclusive.map((k) => [k.name, k.share])).toEqual([
      ["assess lib/app/reconcile.js:38", 0.6],
      ["planReview lib/core/plan.js:34", 0.5],
    ]);
    expect(summarizeCpu(profile, { match: /plan/ }).inclusive.map((k) => k.name)).toEqual([
      "planReview lib/core/plan.js:34",
    ]);
  });

  test("a recursive function counts each sample once", () => {
    const recursive: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame("(root)"), children: [2] },
        { id: 2, callFrame: frame("walk", APP, 9), children: [3] },
        { id: 3, callFrame: frame("walk", APP, 9) },
      ],
      samples: [3],
      timeDeltas: [40],
    };
    expect(summarizeCpu(recursive).inclusive).toEqual([{ name: "walk lib/app/reconcile.js:10", value: 40, share: 1 }]);
  });
});

test("an allocation profile: bytes by allocating function, and by the app's functions with their callees", () => {
  const profile: HeapProfile = {
    head: {
      callFrame: frame("(root)"),
      selfSize: 0,
      children: [
        {
          callFrame: frame("radarOf", "file:///srv/app/lib/core/conflicts.js", 63),
          selfSize: 300,
          children: [{ callFrame: frame("join"), selfSize: 100, children: [] }],
        },
        { callFrame: frame("slice", "node:buffer", 633), selfSize: 600, children: [] },
      ],
    },
  };
  const s = summarizeAlloc(profile);
  expect(s.bytes).toBe(1000);
  expect(s.self.map((k) => [k.name, k.value])).toEqual([
    ["slice node:buffer:634", 600],
    ["radarOf lib/core/conflicts.js:64", 300],
    ["join", 100],
  ]);
  expect(s.inclusive).toEqual([{ name: "radarOf lib/core/conflicts.js:64", value: 400, share: 0.4 }]);
});

test("bad arguments say what is wrong and what to give", () => {
  expect(run([])).toMatchObject({ code: 2, error: expect.stringMatching(/^usage: /) });
  expect(run(["p.cpuprofile", "--top", "x"])).toEqual({
    code: 2,
    error: "--top x: give a whole number of lines, 1 or more",
  });
  expect(run(["p.cpuprofile", "--match", "("])).toMatchObject({ code: 2, error: expect.stringMatching(/^--match: /) });
  expect(run(["/nonexistent/p.cpuprofile"])).toMatchObject({
    code: 1,
    error: expect.stringMatching(/^\/nonexistent\/p\.cpuprofile: .*ENOENT.*give a \.cpuprofile or \.heapprofile/),
  });
});

test("kinds of code and names", () => {
  expect(kindOf(frame("f", "node:internal/streams/readable"))).toBe("Node");
  expect(kindOf(frame("f", "file:///x/node_modules/octokit-auth-probot/index.js"))).toBe("Octokit");
  expect(kindOf(frame("f", "file:///x/node_modules/pino/pino.js"))).toBe("other packages");
  expect(kindOf(frame("(program)"))).toBe("V8 (program)");
  expect(frameName(frame("", "file:///x/lib/server.js", 9))).toBe("(anonymous) lib/server.js:10");
});

test("the documented command summarizes a real profile of Node's", () => {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), "profile-summary-"));
  try {
    const script = join(dir, "work.mjs");
    writeFileSync(
      script,
      "let s = 0; for (let i = 0; i < 3e6; i++) s += JSON.stringify({ i }).length; console.log(s);\n",
    );
    const run = spawnSync(process.execPath, ["--cpu-prof", "--cpu-prof-dir", dir, script], { encoding: "utf8" });
    expect(run.status).toBe(0);
    const file = join(
      dir,
      readdirSync(dir).find((f) => f.endsWith(".cpuprofile"))!,
    );
    const r = spawnSync(process.execPath, ["lib/bench/profile-summary.js", file, "--top", "5"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^busy \d+ ms of \d+ ms sampled/);
    expect(r.stdout).toContain("busy time by kind of code:");
    expect(r.stdout).toContain("most time of their own:");
    const bad = spawnSync(process.execPath, ["lib/bench/profile-summary.js", script], { cwd: root, encoding: "utf8" });
    expect(bad.status).not.toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
