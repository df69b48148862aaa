import { execFileSync } from "node:child_process";
import { describe, expect, test } from "@jest/globals";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_HEAP_GROWING_PERCENT, tuneHeap, YOUNG_GENERATION_FLAG } from "../../src/service/heap.js";

/** src/service/heap.ts: the heap's growth past its live size, set at start-up (server, workers). */
describe("tuneHeap", () => {
  // Each case in its own process: a V8 flag, once set, stays for the process.
  const peak = (env: Record<string, string>, nodeFlags: string[] = []) => {
    const script = `
      import { tuneHeap } from "./lib/service/heap.js";
      const set = tuneHeap(process.env);
      // A live set of about 15 MiB, replaced as it goes: what survives each full collection stays small.
      const live = []; let peak = 0;
      for (let i = 0; i < 400000; i++) {
        live.push({ a: "x".repeat(50) + i, b: [i, i + 1, i + 2], c: { d: i } });
        if (live.length > 60000) live.splice(0, 1000);
        if (i % 1000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
      }
      console.log(JSON.stringify({ set: set ?? null, peakMiB: peak / 1048576 }));`;
    const out = execFileSync(process.execPath, [...nodeFlags, "--input-type=module", "-e", script], {
      encoding: "utf8",
      env: { PATH: process.env.PATH, ...env },
    });
    return JSON.parse(out) as { set: number | null; peakMiB: number };
  };

  test("by default the heap grows 40 % past its live size, not V8's 3 to 4 times: the peak is far lower", () => {
    const tuned = peak({});
    const v8s = peak({ HEAP_GROWING_PERCENT: "0" });
    expect(tuned.set).toBe(DEFAULT_HEAP_GROWING_PERCENT);
    expect(v8s.set).toBe(0);
    expect(tuned.peakMiB).toBeLessThan(v8s.peakMiB * 0.75);
  });

  test("a --heap-growing-percent on Node's command line wins", () => {
    const given = peak({}, ["--heap-growing-percent=0"]);
    expect(given.set).toBeNull();
    expect(given.peakMiB).toBeGreaterThan(peak({}).peakMiB / 0.75);
  });

  test("a value that is not a whole number is a clear error, and nothing is set", () => {
    expect(() => tuneHeap({ HEAP_GROWING_PERCENT: "forty" }, [])).toThrow(
      'HEAP_GROWING_PERCENT is "forty": it must be a whole number',
    );
    expect(tuneHeap({}, ["--heap_growing_percent=25"])).toBeUndefined();
  });
});

describe("the young generation's flag", () => {
  const ROOT = process.cwd();
  test("npm start, npm run worker and the Docker image (server and worker) start Node with it", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe(`exec node ${YOUNG_GENERATION_FLAG} lib/server.js`);
    expect(pkg.scripts.worker).toBe(`exec node ${YOUNG_GENERATION_FLAG} lib/worker.js`);
    const env = readFileSync(join(ROOT, "Dockerfile"), "utf8")
      .split("\n")
      .filter((l) => l.startsWith("ENV "));
    expect(env.at(-1)).toContain(` NODE_OPTIONS=${YOUNG_GENERATION_FLAG}`);
  });

  test("Node takes it from NODE_OPTIONS, and it quarters the young generation's largest size", () => {
    // Objects that survive scavenges make V8 grow the young generation to its largest size.
    const script = `const v8 = require("v8"); let max = 0; const keep = [];
      for (let i = 0; i < 300000; i++) {
        keep.push({ i, s: "y" + i });
        if (keep.length > 100000) keep.splice(0, 5000);
        if (i % 2000 === 0) max = Math.max(max, v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size);
      }
      console.log(max / 1048576);`;
    const largest = (nodeOptions?: string) =>
      Number(
        execFileSync(process.execPath, ["-e", script], {
          encoding: "utf8",
          env: { PATH: process.env.PATH, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) },
        }),
      );
    expect(largest()).toBe(32);
    expect(largest(YOUNG_GENERATION_FLAG)).toBe(8);
  });
});
