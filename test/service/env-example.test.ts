import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "@jest/globals";
import { ROOT } from "../helpers/app-process.js";

/** .env.example is a claim: it lists every variable the service reads, and nothing it does not read. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

const PROBOT_READS = ["GHE_HOST", "GHE_PROTOCOL", "GH_ORG"]; // read by Probot itself (createProbot, setup page)

test(".env.example lists exactly the variables the server and the workers read", () => {
  const code = [join(ROOT, "src/server.ts"), ...sources(join(ROOT, "src/service"))]
    .map((f) => readFileSync(f, "utf8"))
    .join("\n");
  const read = new Set(
    [...code.matchAll(/\benv\.([A-Z][A-Z0-9_]+)|(?:intFrom|countFrom|env)\(env, "([A-Z][A-Z0-9_]+)"/g)].map(
      (m) => m[1] ?? m[2]!,
    ),
  );
  for (const v of PROBOT_READS) read.add(v);
  const listed = new Set(
    [...readFileSync(join(ROOT, ".env.example"), "utf8").matchAll(/^([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!),
  );
  expect([...listed].sort()).toEqual([...read].sort());
});
