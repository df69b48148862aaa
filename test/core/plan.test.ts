import { describe, expect, test } from "@jest/globals";
import { readFileSync } from "node:fs";
import { parseTable } from "../../src/core/config.js";
import { planReview, type ReviewPlan } from "../../src/core/plan.js";
import type { ChangedFile, ReviewTable } from "../../src/core/types.js";

const EXAMPLE = readFileSync(new URL("../../reviewers.yml", import.meta.url), "utf8");

function tableOf(text: string): ReviewTable {
  const r = parseTable({ file: "reviewers.yml", text });
  expect(r.problems).toEqual([]);
  return r.table!;
}

const TABLE = tableOf(EXAMPLE);
/** The example with `settings.unmatched: [backend]`. */
const WITH_UNMATCHED = tableOf(EXAMPLE.replace("  unmatched: []", "  unmatched: [backend]"));
/** The example with `settings.config_owners: []` (every persona). */
const EVERYONE_OWNS_CONFIG = tableOf(EXAMPLE.replace("  config_owners: [security]", "  config_owners: []"));

const modified = (...paths: string[]): ChangedFile[] => paths.map((path) => ({ path, status: "modified" }));
const ids = (plan: ReviewPlan) => ({
  domains: plan.domains.map((d) => d.id),
  personas: plan.personas.map((p) => p.id),
});
const persona = (plan: ReviewPlan, id: string) => plan.personas.find((p) => p.id === id)!;

describe("a change to payments and IAM", () => {
  const plan = planReview(
    TABLE,
    modified("src/payments/refund.ts", "terraform/iam/roles.tf", "src/billing/invoice.ts", "src/payments/charge.ts"),
  );

  test("the touched domains, in table order, with their files sorted", () => {
    expect(plan.domains).toEqual([
      {
        id: "iam",
        description: "IAM and infrastructure",
        files: ["terraform/iam/roles.tf"],
        personas: ["infra", "security"],
      },
      {
        id: "payments",
        description: "Payment processing",
        files: ["src/billing/invoice.ts", "src/payments/charge.ts", "src/payments/refund.ts"],
        personas: ["backend", "security", "finance"],
      },
    ]);
    expect(plan.unmatched).toEqual([]);
    expect(plan.tableChange).toBeUndefined();
  });

  test("each persona once, in the order of the personas section", () => {
    // security is required by both domains but listed once; the order is infra, security, backend, finance as declared, not as the domains name them.
    expect(plan.personas.map((p) => [p.id, p.name, p.domains])).toEqual([
      ["infra", "Infrastructure Engineer", ["iam"]],
      ["security", "Security Engineer", ["iam", "payments"]],
      ["backend", "Backend Engineer", ["payments"]],
      ["finance", "Finance", ["payments"]],
    ]);
  });

  test("a persona's files are the union of its domains' files, sorted", () => {
    expect(persona(plan, "security").files).toEqual([
      "src/billing/invoice.ts",
      "src/payments/charge.ts",
      "src/payments/refund.ts",
      "terraform/iam/roles.tf",
    ]);
    expect(persona(plan, "infra").files).toEqual(["terraform/iam/roles.tf"]);
  });

  test("criteria: the persona's own first, then each domain's in table order", () => {
    expect(persona(plan, "security").criteria).toEqual([
      { source: "persona", title: "Security Engineer", items: ["No secrets or credentials in code"] },
      {
        source: "iam",
        title: "IAM and infrastructure",
        items: ["No overly permissive wildcards", "MFA enforced where needed", "Audit logging enabled"],
      },
      {
        source: "payments",
        title: "Payment processing",
        items: ["PCI compliance verified", "Fraud prevention in place", "No credential exposure"],
      },
    ]);
    expect(persona(plan, "backend").criteria).toEqual([
      { source: "persona", title: "Backend Engineer", items: ["No breaking API change without a migration path"] },
      {
        source: "payments",
        title: "Payment processing",
        items: ["Error handling comprehensive", "Integration correct", "Performance acceptable"],
      },
    ]);
    // finance has no criteria of its own: that group is left out.
    expect(persona(plan, "finance").criteria).toEqual([
      {
        source: "payments",
        title: "Payment processing",
        items: ["Refund logic correct", "Reconciliation accurate", "Idempotency verified"],
      },
    ]);
  });

  test("reasons, approvals and reviewers", () => {
    expect(persona(plan, "security")).toMatchObject({
      approvals: 1,
      teams: ["security"],
      users: [],
      reasons: ["domain iam (IAM and infrastructure): 1 file", "domain payments (Payment processing): 3 files"],
    });
  });
});

describe("which files count", () => {
  test("one file in two domains counts in both", () => {
    const plan = planReview(TABLE, modified("src/payments/oauth_callback.ts"));
    expect(plan.domains.map((d) => [d.id, d.files])).toEqual([
      ["auth", ["src/payments/oauth_callback.ts"]],
      ["payments", ["src/payments/oauth_callback.ts"]],
    ]);
    expect(ids(plan).personas).toEqual(["security", "backend", "finance"]);
    // Criteria of both domains, auth first as the table declares it.
    expect(persona(plan, "backend").criteria.map((c) => c.source)).toEqual(["persona", "auth", "payments"]);
  });

  test("a renamed file counts under its old and its new path", () => {
    const plan = planReview(TABLE, [{ path: "src/other/x.ts", status: "renamed", previousPath: "src/payments/x.ts" }]);
    expect(ids(plan)).toEqual({ domains: ["payments"], personas: ["security", "backend", "finance"] });
    expect(plan.domains[0]!.files).toEqual(["src/other/x.ts"]);
    expect(plan.unmatched).toEqual([]);

    const into = planReview(TABLE, [{ path: "src/auth/x.ts", status: "renamed", previousPath: "src/payments/x.ts" }]);
    expect(ids(into).domains).toEqual(["auth", "payments"]);
  });

  test("a copied file counts under its new path only: the original is unchanged", () => {
    // The copy's source used to count too, so copying a payments file elsewhere required payments' personas.
    const plan = planReview(TABLE, [{ path: "src/other/x.ts", status: "copied", previousPath: "src/payments/x.ts" }]);
    expect(plan.domains).toEqual([]);
    expect(plan.unmatched).toEqual(["src/other/x.ts"]);
    const intoDomain = planReview(TABLE, [
      { path: "src/payments/y.ts", status: "copied", previousPath: "src/other/y.ts" },
    ]);
    expect(ids(intoDomain).domains).toEqual(["payments"]);
  });

  test("a removed file counts under its path", () => {
    const plan = planReview(TABLE, [{ path: "src/payments/legacy.ts", status: "removed" }]);
    expect(plan.domains.map((d) => [d.id, d.files])).toEqual([["payments", ["src/payments/legacy.ts"]]]);
  });

  test("ignore patterns exclude a file from their domain only", () => {
    const plan = planReview(
      TABLE,
      modified("src/payments/README.md", "src/payments/docs/guide.md", "infra/README.md", "src/auth/README.md"),
    );
    // payments and iam ignore **/*.md; auth does not.
    expect(plan.domains.map((d) => [d.id, d.files])).toEqual([["auth", ["src/auth/README.md"]]]);
    expect(plan.unmatched).toEqual(["infra/README.md", "src/payments/README.md", "src/payments/docs/guide.md"]);
  });

  test("the seed's rows, one file each", () => {
    const row = (path: string) => ids(planReview(TABLE, modified(path)));
    expect(row("infra/prod/iam.tf")).toEqual({ domains: ["iam"], personas: ["infra", "security"] });
    expect(row("db/migrations/0042_add_email.sql")).toEqual({
      domains: ["pii-migrations"],
      personas: ["security", "backend"],
    });
    expect(row("src/auth/session.ts")).toEqual({ domains: ["auth"], personas: ["security", "backend"] });
    expect(row("src/billing/tax.ts")).toEqual({ domains: ["payments"], personas: ["security", "backend", "finance"] });
    expect(row(".github/workflows/deploy.yml")).toEqual({ domains: ["ci-cd"], personas: ["security", "devex"] });
    expect(row("web/landing/hero.tsx")).toEqual({
      domains: ["landing"],
      personas: ["frontend", "marketing", "design"],
    });
  });
});

describe("unmatched files", () => {
  test("are listed, sorted; with settings.unmatched empty they need no one", () => {
    const plan = planReview(TABLE, modified("README.md", "LICENSE", "src/payments/a.ts"));
    expect(plan.unmatched).toEqual(["LICENSE", "README.md"]);
    expect(ids(plan).personas).toEqual(["security", "backend", "finance"]);
    expect(persona(plan, "backend").files).toEqual(["src/payments/a.ts"]);
  });

  test("only unmatched files: an empty list of personas", () => {
    const plan = planReview(TABLE, modified("README.md"));
    expect(plan).toEqual({ domains: [], personas: [], unmatched: ["README.md"] });
  });

  test("settings.unmatched personas are required when there are unmatched files, with them", () => {
    const plan = planReview(WITH_UNMATCHED, modified("README.md", "docs/guide.md"));
    expect(plan.domains).toEqual([]);
    expect(plan.personas).toEqual([
      {
        id: "backend",
        name: "Backend Engineer",
        domains: [],
        files: ["README.md", "docs/guide.md"],
        approvals: 1,
        teams: ["backend"],
        users: [],
        criteria: [
          { source: "persona", title: "Backend Engineer", items: ["No breaking API change without a migration path"] },
        ],
        reasons: ["2 files no domain covers (settings.unmatched)"],
      },
    ]);
  });

  test("... and only then", () => {
    const plan = planReview(WITH_UNMATCHED, modified("src/auth/login.ts"));
    expect(persona(plan, "backend").reasons).toEqual(["domain auth (Authentication): 1 file"]);
    expect(planReview(WITH_UNMATCHED, modified("terraform/main.tf")).personas.map((p) => p.id)).toEqual([
      "infra",
      "security",
    ]);
  });

  test("a persona required by a domain and for unmatched files: both reasons, all the files", () => {
    const plan = planReview(WITH_UNMATCHED, modified("src/auth/login.ts", "README.md"));
    expect(persona(plan, "backend")).toMatchObject({
      domains: ["auth"],
      files: ["README.md", "src/auth/login.ts"],
      reasons: ["domain auth (Authentication): 1 file", "1 file no domain covers (settings.unmatched)"],
    });
  });
});

describe("a change to the table itself", () => {
  test.each(["reviewers.yml", ".github/reviewers.yml"])(
    "%s requires settings.config_owners, with the reason",
    (path) => {
      const plan = planReview(TABLE, modified(path));
      expect(plan.tableChange).toEqual({ files: [path], personas: ["security"] });
      expect(plan.personas.map((p) => [p.id, p.files, p.reasons])).toEqual([
        ["security", [path], [`the review table itself changed: ${path} (settings.config_owners)`]],
      ]);
      // Its reviewers are the config owners: it is not an unmatched file (that would add settings.unmatched).
      expect(plan.unmatched).toEqual([]);
      expect(planReview(WITH_UNMATCHED, modified(path)).personas.map((p) => p.id)).toEqual(["security"]);
    },
  );

  test("with config_owners empty, every persona, in declared order", () => {
    const plan = planReview(EVERYONE_OWNS_CONFIG, modified(".github/reviewers.yml"));
    const all = ["infra", "security", "backend", "finance", "devex", "frontend", "marketing", "design"];
    expect(plan.tableChange).toEqual({ files: [".github/reviewers.yml"], personas: all });
    expect(plan.personas.map((p) => p.id)).toEqual(all);
    expect(
      plan.personas.every(
        (p) => p.reasons.join() === "the review table itself changed: .github/reviewers.yml (settings.config_owners)",
      ),
    ).toBe(true);
  });

  test("together with domains: the owner's reasons add up", () => {
    const plan = planReview(TABLE, modified("src/payments/a.ts", "reviewers.yml"));
    expect(persona(plan, "security")).toMatchObject({
      domains: ["payments"],
      files: ["reviewers.yml", "src/payments/a.ts"],
      reasons: [
        "domain payments (Payment processing): 1 file",
        "the review table itself changed: reviewers.yml (settings.config_owners)",
      ],
    });
    expect(persona(plan, "backend").reasons).toEqual(["domain payments (Payment processing): 1 file"]);
  });

  test("added, removed, or renamed away: all changes to the table", () => {
    expect(planReview(TABLE, [{ path: ".github/reviewers.yml", status: "added" }]).tableChange!.files).toEqual([
      ".github/reviewers.yml",
    ]);
    expect(planReview(TABLE, [{ path: "reviewers.yml", status: "removed" }]).tableChange!.files).toEqual([
      "reviewers.yml",
    ]);
    expect(
      planReview(TABLE, [{ path: "docs/old-reviewers.yml", status: "renamed", previousPath: "reviewers.yml" }])
        .tableChange!.files,
    ).toEqual(["reviewers.yml"]);
    expect(
      planReview(TABLE, [{ path: ".github/reviewers.yml", status: "renamed", previousPath: "reviewers.yml" }])
        .tableChange!.files,
    ).toEqual([".github/reviewers.yml", "reviewers.yml"]);
  });

  test("files merely named like it are not the table", () => {
    const plan = planReview(TABLE, modified("docs/reviewers.yml", "reviewers.yaml", ".github/reviewers.yml.bak"));
    expect(plan.tableChange).toBeUndefined();
    expect(plan.personas).toEqual([]);
    // A copy of the table elsewhere does not change it.
    expect(
      planReview(TABLE, [{ path: "backup/reviewers.yml", status: "copied", previousPath: "reviewers.yml" }])
        .tableChange,
    ).toBeUndefined();
  });

  test("the table's paths can be given", () => {
    expect(planReview(TABLE, modified("config/review.yml"), ["config/review.yml"]).tableChange).toEqual({
      files: ["config/review.yml"],
      personas: ["security"],
    });
    expect(planReview(TABLE, modified("reviewers.yml"), ["config/review.yml"]).tableChange).toBeUndefined();
  });
});

describe("edge cases and determinism", () => {
  test("an empty change is an empty plan", () => {
    expect(planReview(TABLE, [])).toEqual({ domains: [], personas: [], unmatched: [] });
  });

  test("the same change in any order, or with repeats, gives the identical plan", () => {
    const files: ChangedFile[] = [
      { path: "src/payments/b.ts", status: "modified" },
      { path: "terraform/iam/roles.tf", status: "added" },
      { path: "README.md", status: "modified" },
      { path: "src/auth/jwt.ts", status: "removed" },
      { path: "src/other/x.ts", status: "renamed", previousPath: "src/billing/x.ts" },
      { path: "reviewers.yml", status: "modified" },
      { path: "web/landing/a.css", status: "modified" },
      { path: "src/payments/a.ts", status: "modified" },
      { path: "Dockerfile", status: "modified" },
      { path: "LICENSE", status: "modified" },
    ];
    const expected = planReview(WITH_UNMATCHED, files);
    const reversed = planReview(WITH_UNMATCHED, [...files].reverse());
    const shuffled = planReview(WITH_UNMATCHED, [
      files[5]!,
      files[2]!,
      files[9]!,
      files[0]!,
      files[7]!,
      files[3]!,
      files[1]!,
      files[8]!,
      files[6]!,
      files[4]!,
    ]);
    const repeated = planReview(WITH_UNMATCHED, [...files, ...files.slice(0, 4)]);
    for (const plan of [reversed, shuffled, repeated]) {
      expect(plan).toEqual(expected);
      expect(JSON.stringify(plan)).toBe(JSON.stringify(expected));
    }
    expect(expected.domains.map((d) => d.id)).toEqual(["iam", "auth", "payments", "ci-cd", "landing"]);
    expect(expected.unmatched).toEqual(["LICENSE", "README.md"]);
    expect(expected.personas.map((p) => p.id)).toEqual([
      "infra",
      "security",
      "backend",
      "finance",
      "devex",
      "frontend",
      "marketing",
      "design",
    ]);
  });

  test("files sort by code unit, the same everywhere (not by locale)", () => {
    const plan = planReview(
      TABLE,
      modified(
        "src/payments/b.ts",
        "src/payments/B.ts",
        "src/payments/a.ts",
        "src/payments/_x.ts",
        "src/payments/Z.ts",
      ),
    );
    expect(plan.domains[0]!.files).toEqual([
      "src/payments/B.ts",
      "src/payments/Z.ts",
      "src/payments/_x.ts",
      "src/payments/a.ts",
      "src/payments/b.ts",
    ]);
  });

  test("a domain without a description is titled with its id", () => {
    const table = tableOf(
      "version: 1\npersonas:\n  a: {teams: [t]}\ndomains:\n  docs:\n    paths: [docs/]\n    require: {a: [Spelling checked]}\n",
    );
    const plan = planReview(table, modified("docs/x.md"));
    expect(plan.domains).toEqual([{ id: "docs", files: ["docs/x.md"], personas: ["a"] }]);
    expect(plan.personas[0]).toMatchObject({
      name: "a",
      criteria: [{ source: "docs", title: "docs", items: ["Spelling checked"] }],
      reasons: ["domain docs: 1 file"],
    });
  });
});
