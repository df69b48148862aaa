/** A pattern, paths it matches, paths it does not match. */
export type PatternRow = [pattern: string, matches: string[], doesNotMatch: string[]];

/** The contract table of docs/configuration.md ("Path patterns"), row for row; every matcher is held to it. */
export const DOCUMENTED_PATTERNS: PatternRow[] = [
  ["*.tf", ["main.tf", "infra/iam/main.tf"], ["main.tfvars"]],
  ["/docs/", ["docs/a.md", "docs/x/y.md"], ["src/docs/a.md"]],
  ["docs/", ["docs/a.md", "src/docs/a.md"], ["docsite/a.md"]],
  ["docs/*", ["docs/a.md"], ["docs/x/b.md"]],
  ["src/auth/**", ["src/auth/jwt.ts", "src/auth/a/b.ts"], ["src/authz/x.ts", "lib/src/auth/x.ts"]],
  ["src/auth", ["src/auth", "src/auth/jwt.ts"], ["src/authentication.ts"]],
  ["**/migrations/*.sql", ["migrations/1.sql", "db/migrations/1.sql"], ["db/migrations/old/1.sql"]],
  ["Dockerfile", ["Dockerfile", "services/api/Dockerfile"], ["Dockerfile.dev"]],
  [".env*", [".env.production", "config/.env"], ["env.txt"]],
  ["*.yml", [".github/workflows/deploy.yml"], ["a.yaml"]],
  ["src/{api,web}/**", ["src/api/a.ts", "src/web/b.ts"], ["src/cli/c.ts"]],
];
