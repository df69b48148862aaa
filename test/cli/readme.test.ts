import { describe, expect, test } from "@jest/globals";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, run } from "./helpers.js";

/**
 * The README's examples are claims: each ```console block starting with `$ npx parallel-review …` is run
 * from the repository's root and must print exactly what the README shows (stderr, then stdout; a
 * trailing `> /dev/null` drops stdout).
 */
export interface Example {
  readonly argv: string[];
  readonly dropStdout: boolean;
  readonly shown: string;
}

export function readmeExamples(readme: string): Example[] {
  const blocks = [...readme.matchAll(/^```console\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  return blocks.map((block) => {
    const [first, ...rest] = block.split("\n");
    const m = /^\$ npx parallel-review (.*?)( > \/dev\/null)?$/.exec(first!);
    if (!m) throw new Error(`a console block of the README does not start with "$ npx parallel-review": ${first}`);
    return { argv: m[1]!.split(/\s+/), dropStdout: m[2] !== undefined, shown: rest.join("\n") };
  });
}

const README = readFileSync(join(ROOT, "README.md"), "utf8");
const examples = readmeExamples(README);

describe("the README's CLI examples", () => {
  test("there are some, and the reading of them is itself right", () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
    expect(readmeExamples("```console\n$ npx parallel-review plan --json > /dev/null\nout\n```\n")).toEqual([
      { argv: ["plan", "--json"], dropStdout: true, shown: "out\n" },
    ]);
  });

  test.each(examples.map((e) => [e.argv.join(" "), e] as const))("parallel-review %s", async (_name, e) => {
    const r = await run(e.argv, ROOT, undefined, {});
    expect(r.stderr + (e.dropStdout ? "" : r.stdout)).toBe(e.shown);
  });
});
