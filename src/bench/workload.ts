import { seededRandom } from "../simulator/util.js";
import { DEFAULT_SETTINGS, type ChangedFile, type Domain, type Persona, type ReviewTable } from "../core/types.js";

/** Seeded, so every run benchmarks the same table and change. */
export const prng = seededRandom;

export interface Workload {
  readonly table: ReviewTable;
  readonly files: readonly ChangedFile[];
  readonly patternCount: number;
}

/** Per-domain patterns: anchored directories and globs under the service's own trees. `N` is the service number. */
const OWN = [
  "services/svc-N/",
  "src/svc-N/**",
  "src/{api,web}/svc-N/**",
  "libs/lib-N/",
  "deploy/svc-N/**/*.yaml",
  "proto/svc-N/*.proto",
  "docs/svc-N/",
  "services/svc-N/config/*.{json,yaml}",
];
/** Cross-cutting patterns, given to a few domains: extensions, basenames, and a few `**` globs with no literal key. */
const SHARED = [
  "*.tf",
  "*.tfvars",
  "**/migrations/*.sql",
  "Dockerfile",
  "Makefile",
  "*.proto",
  "docker-compose*.yml",
  "**/iam/**",
  "**/jwt*",
  "**/oauth*",
  "**/stripe*",
  "*.graphql",
  "go.mod",
  "package.json",
  ".github/workflows/",
  "**/schema.sql",
];
const IGNORE = ["**/*.md", "**/testdata/**", "services/svc-N/generated/", "**/*_test.go", "**/__snapshots__/**"];

const WORDS = [
  "core",
  "handlers",
  "models",
  "util",
  "internal",
  "cmd",
  "pkg",
  "api",
  "client",
  "server",
  "store",
  "jobs",
  "events",
  "auth",
  "billing",
  "config",
  "migrations",
  "testdata",
  "generated",
  "iam",
  "v1",
  "v2",
];
const FILES = [
  "index.ts",
  "main.go",
  "handler.ts",
  "model.py",
  "README.md",
  "schema.sql",
  "0001_init.sql",
  "main.tf",
  "values.yaml",
  "service.proto",
  "Dockerfile",
  "Makefile",
  "app_test.go",
  "jwt_verify.ts",
  "stripe_client.ts",
  "settings.json",
  "package.json",
];
const ROOTS = [
  "services/svc-N",
  "src/svc-N",
  "src/api/svc-N",
  "src/web/svc-N",
  "libs/lib-N",
  "deploy/svc-N",
  "docs/svc-N",
  "proto/svc-N",
  "infra/terraform",
  "tools/scripts",
  "vendor/github.com/acme",
  "third_party/lib-N",
];

/**
 * A monorepo-shaped table and change: `domains` domains with `patterns` patterns in all (paths and
 * ignore), and `paths` changed files of depth 2 to 7, most inside some service's tree.
 */
export function makeWorkload(seed = 20240917, domains = 100, patterns = 500, paths = 3000): Workload {
  const rnd = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const svc = () => String(Math.floor(rnd() * domains));

  const personas: Persona[] = Array.from({ length: 20 }, (_, i) => ({
    id: `p${i}`,
    name: `Persona ${i}`,
    teams: [`team-${i}`],
    users: [],
    approvals: 1 + (i % 2),
    criteria: [`Criterion of persona ${i}`],
  }));

  // 4 own patterns per domain, then the rest (shared and ignore) spread at random up to `patterns`.
  const paths_: string[][] = [];
  const ignore: string[][] = [];
  for (let d = 0; d < domains; d++) {
    const own = new Set<string>();
    while (own.size < 4) own.add(pick(OWN).replaceAll("N", String(d)));
    paths_.push([...own]);
    ignore.push([]);
  }
  let total = domains * 4;
  while (total < patterns) {
    const d = Math.floor(rnd() * domains);
    const isIgnore = rnd() < 0.35;
    const list = isIgnore ? ignore[d]! : paths_[d]!;
    const p = (isIgnore ? pick(IGNORE) : rnd() < 0.5 ? pick(SHARED) : pick(OWN)).replaceAll("N", String(d));
    if (list.includes(p)) continue;
    list.push(p);
    total++;
  }

  const domainList: Domain[] = paths_.map((p, d) => ({
    id: `svc-${d}`,
    description: `Service ${d}`,
    paths: p,
    ignore: ignore[d]!,
    require: Array.from(new Set([d % 20, (d * 7 + 3) % 20, Math.floor(rnd() * 20)])).map((i) => ({
      persona: `p${i}`,
      criteria: [`Domain ${d} check for p${i}`],
    })),
  }));

  const files: ChangedFile[] = [];
  const seen = new Set<string>();
  while (files.length < paths) {
    const depth = 2 + Math.floor(rnd() * 6); // 2..7 segments, the last one a file name
    const root = pick(ROOTS).replaceAll("N", svc()).split("/");
    const segs = root.slice(0, Math.min(root.length, depth - 1));
    while (segs.length < depth - 1) segs.push(pick(WORDS));
    segs.push(pick(FILES));
    const path = segs.join("/");
    if (seen.has(path)) continue;
    seen.add(path);
    const r = rnd();
    if (r < 0.05)
      files.push({ path, status: "renamed", previousPath: `${pick(ROOTS).replaceAll("N", svc())}/${pick(FILES)}` });
    else if (r < 0.12) files.push({ path, status: "removed" });
    else if (r < 0.25) files.push({ path, status: "added" });
    else files.push({ path, status: "modified" });
  }

  return {
    table: {
      file: "reviewers.yml",
      personas,
      domains: domainList,
      settings: { ...DEFAULT_SETTINGS, config_owners: ["p0"] },
    },
    files,
    patternCount: total,
  };
}
