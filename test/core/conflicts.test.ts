import { describe, expect, test } from "@jest/globals";
import { parseTable, formatProblem } from "../../src/core/config.js";
import { advice, conflictsCheck, CONFLICTS_CHECK, profile, radarOf, type RadarPull } from "../../src/core/conflicts.js";
import type { ReviewTable } from "../../src/core/types.js";

const TABLE = `version: 1
personas:
  backend: { users: [bob] }
  finance: { users: [fiona] }
domains:
  payments:
    paths: [src/payments/]
    require: [backend, finance]
  api:
    paths: [src/api/]
    require: [backend]
`;

function load(extra = ""): ReviewTable {
  const r = parseTable({ file: "reviewers.yml", text: TABLE + extra });
  if (!r.table) throw new Error(r.problems.map(formatProblem).join("\n"));
  return r.table;
}

const pull = (number: number, files: string[], createdAt = `2026-11-0${number % 9}T10:00:00Z`): RadarPull => ({
  number,
  title: `PR ${number}`,
  createdAt,
  files,
});

function radar(table: ReviewTable, me: RadarPull, ...others: RadarPull[]) {
  return radarOf(
    table,
    profile(table, me),
    others.map((o) => profile(table, o)),
  );
}

describe("the conflict radar", () => {
  const t = load();

  test("names a pull request that changes the same files, with the files and what to do", () => {
    const r = radar(t, pull(42, ["src/payments/charge.ts", "README.md"]), pull(41, ["src/payments/charge.ts"]));
    expect(r.overlaps).toEqual([
      {
        number: 41,
        title: "PR 41",
        sameFiles: ["src/payments/charge.ts"],
        sharedConfig: [],
        sameDomains: ["payments"],
        mergesFirst: true,
      },
    ]);
    expect(advice(r.overlaps[0]!)).toBe(
      "merge #41 first, then rebase this pull request and resolve the overlapping files",
    );
  });

  test("the older pull request is the one to merge first, seen from either side", () => {
    const older = pull(41, ["a.ts"], "2026-11-01T00:00:00Z");
    const newer = pull(42, ["a.ts"], "2026-11-02T00:00:00Z");
    expect(advice(radar(t, older, newer).overlaps[0]!)).toBe(
      "merge this pull request first, then rebase #42 and resolve the overlapping files",
    );
    expect(advice(radar(t, newer, older).overlaps[0]!)).toMatch(/^merge #41 first/);
  });

  test("shared configuration: lock files and manifests anywhere, .env*, docker-compose*, CI workflows, the table", () => {
    const me = pull(50, ["package-lock.json", "src/a.ts"]);
    const r = radar(
      t,
      me,
      pull(51, ["services/api/package.json"]),
      pull(52, [".env.production"]),
      pull(53, ["docker-compose.override.yml"]),
      pull(54, [".github/workflows/ci.yml"]),
      pull(55, ["reviewers.yml"]),
      pull(56, ["docs/workflows/ci.yml"]), // not the CI directory
      pull(57, ["src/b.ts"]),
    );
    expect(r.overlaps.map((o) => o.number)).toEqual([51, 52, 53, 54, 55]);
    expect(r.overlaps[0]!.sharedConfig).toEqual(["package-lock.json", "services/api/package.json"]);
    expect(advice(r.overlaps[0]!)).toBe(
      "merge this pull request first, then rebase #51 and regenerate or re-check the shared configuration",
    );
  });

  test("the table can add shared configuration (settings.shared_config)", () => {
    const extended = load("settings:\n  shared_config: [config/*.yaml]\n");
    const r = radar(extended, pull(60, ["config/app.yaml"]), pull(61, ["config/db.yaml"]));
    expect(r.overlaps.map((o) => o.sharedConfig)).toEqual([["config/app.yaml", "config/db.yaml"]]);
    expect(radar(t, pull(60, ["config/app.yaml"]), pull(61, ["config/db.yaml"])).overlaps).toEqual([]);
  });

  test("the same domain without a shared file is named, and says there is no textual conflict", () => {
    const r = radar(t, pull(70, ["src/api/users.ts"]), pull(71, ["src/api/orders.ts"]));
    expect(r.overlaps).toHaveLength(1);
    expect(r.overlaps[0]!.sameFiles).toEqual([]);
    expect(r.overlaps[0]!.sameDomains).toEqual(["api"]);
    expect(conflictsCheck(r, { base: "main", compared: 1, block: false }).summary).toContain(
      "### Same domains only (1): api\nNo textual conflict; the same reviewers are involved — review them together.\n- **Opened after this one** (re-check each after this one merges): #71",
    );
  });

  test("a file list is profiled once per table; the pull request's own fields come from each call", () => {
    const files = ["src/payments/charge.ts", "package.json", "src/api/x.ts"];
    const first = profile(t, pull(42, files));
    const again = profile(t, { ...pull(43, files, "2026-11-20T10:00:00Z"), title: "renamed" });
    expect(again.files).toBe(first.files); // the same set: not computed again
    expect(again.pull.number).toBe(43);
    expect(again.pull.title).toBe("renamed");
    expect(again.openedAt).toBe(Date.parse("2026-11-20T10:00:00Z"));
    expect([...again.domains].sort()).toEqual(["api", "payments"]);
    expect(again.shared).toEqual(["package.json"]);
    // Another list with the same paths, or the same list under another table, is profiled on its own terms.
    const copy = profile(t, pull(42, [...files]));
    expect(copy.files).not.toBe(first.files);
    expect(copy.files).toEqual(first.files);
    const other = load("settings:\n  shared_config: [src/api/]\n");
    const underOther = profile(other, pull(42, files));
    expect(underOther.files).not.toBe(first.files);
    expect(underOther.shared).toEqual(["package.json", "src/api/x.ts"]);
  });

  test("strongest overlaps first; nothing in common is not named; itself is never named", () => {
    const me = pull(80, ["src/api/a.ts", "src/payments/p.ts"]);
    const r = radar(
      t,
      me,
      pull(81, ["src/api/other.ts"]),
      pull(82, ["src/payments/p.ts"]),
      pull(83, ["docs/x.md"]),
      me,
    );
    expect(r.overlaps.map((o) => o.number)).toEqual([82, 81]);
  });
});

describe("the conflicts check", () => {
  const t = load();

  test("is neutral (advisory), names each pull request with files and advice", () => {
    const r = radar(t, pull(42, ["src/payments/charge.ts"]), pull(41, ["src/payments/charge.ts"]));
    const spec = conflictsCheck(r, { base: "main", compared: 3, block: false });
    expect(spec.name).toBe(CONFLICTS_CHECK);
    expect(spec.conclusion).toBe("neutral");
    expect(spec.title).toBe("Overlaps with #41");
    expect(spec.summary).toContain("### #41 PR 41");
    expect(spec.summary).toContain("- **Same files** (1): `src/payments/charge.ts`");
    expect(spec.summary).toContain("- **What to do**: merge #41 first, then rebase this pull request");
    expect(spec.summary).toContain("Compared with 3 other open pull requests into `main`.");
  });

  test("a long title is cut between characters, and says so: an emoji at the cut is never halved", () => {
    const title = "a".repeat(199) + "🚀 and more"; // the rocket is two UTF-16 units: .slice(0, 200) halved it
    const other = { ...pull(41, ["src/payments/charge.ts"]), title };
    const spec = conflictsCheck(radar(t, pull(42, ["src/payments/charge.ts"]), other), {
      base: "main",
      compared: 1,
      block: false,
    });
    expect(spec.summary).toContain(`### #41 ${"a".repeat(199)}…\n`); // clip: 199 characters and the ellipsis
    expect((spec.summary as unknown as { isWellFormed(): boolean }).isWellFormed()).toBe(true);
  });

  test("fails only with conflicts: block and only for the same files", () => {
    const same = radar(t, pull(42, ["src/a.ts"]), pull(41, ["src/a.ts"]));
    expect(conflictsCheck(same, { base: "main", compared: 1, block: true }).conclusion).toBe("failure");
    const domain = radar(t, pull(42, ["src/api/a.ts"]), pull(41, ["src/api/b.ts"]));
    expect(conflictsCheck(domain, { base: "main", compared: 1, block: true }).conclusion).toBe("neutral");
  });

  test("no overlap passes and says what was compared, including the cap", () => {
    const r = radarOf(t, profile(t, pull(42, ["x"])), [], 50);
    const spec = conflictsCheck(r, { base: "main", compared: 0, block: false });
    expect(spec.conclusion).toBe("success");
    expect(spec.summary).toContain("— more are open: the radar compares the 50 most recently updated.");
  });

  test("overlaps in domains only share one entry per set of domains, older and newer apart; file overlaps keep theirs", () => {
    const at = (day: number) => `2026-11-${String(day).padStart(2, "0")}T00:00:00Z`;
    const me = pull(50, ["src/payments/a.ts", "src/api/a.ts"], at(10));
    const r = radar(
      t,
      me,
      pull(44, ["src/payments/b.ts"], at(4)), // older, payments only
      pull(57, ["src/payments/c.ts"], at(17)), // newer, payments only
      pull(58, ["src/payments/d.ts"], at(18)), // newer, payments only
      pull(43, ["src/payments/e.ts", "src/api/e.ts"], at(3)), // older, both domains
      pull(41, ["src/payments/a.ts"], at(1)), // the same file: an entry of its own
    );
    const summary = conflictsCheck(r, { base: "main", compared: 5, block: false }).summary;
    expect(summary).toContain("### #41 PR 41\n- **Same files** (1): `src/payments/a.ts`");
    const entry = (domains: string, n: number, older?: string, newer?: string) =>
      [
        `### Same domains only (${n}): ${domains}`,
        "No textual conflict; the same reviewers are involved — review them together.",
        ...(older ? [`- **Opened before this one** (merge first, then re-check this pull request): ${older}`] : []),
        ...(newer ? [`- **Opened after this one** (re-check each after this one merges): ${newer}`] : []),
        "",
      ].join("\n");
    // Domains in the table's order; an entry per set of domains, each pull request in one.
    expect(summary).toContain(entry("payments, api", 1, "#43"));
    expect(summary).toContain(entry("payments", 3, "#44", "#57, #58"));
    expect(summary).not.toContain("### #44");
    expect(summary.indexOf("### #41")).toBeLessThan(summary.indexOf("### Same domains only"));
  });

  test("many overlaps: the title stays short", () => {
    const others = Array.from({ length: 8 }, (_, i) => pull(100 + i, ["src/a.ts"]));
    const r = radar(t, pull(1, ["src/a.ts"]), ...others);
    expect(conflictsCheck(r, { base: "main", compared: 8, block: false }).title).toBe(
      "Overlaps with #100, #101, #102, #103, #104 and 3 more",
    );
  });
});

describe("the radar's settings", () => {
  test("the gate cannot take the radar's check name; conflicts is one of report, block, off", () => {
    const problems = (extra: string) =>
      parseTable({ file: "reviewers.yml", text: TABLE + extra }).problems.map(formatProblem);
    expect(problems("settings:\n  gate: parallel-review/conflicts\n")).toEqual([
      'reviewers.yml:13:9 settings.gate: gate name "parallel-review/conflicts" is the conflict radar\'s check: choose another',
    ]);
    expect(problems("settings:\n  conflicts: warn\n")[0]).toContain(
      'settings.conflicts: "warn" is not allowed here: use "report", "block", "off"',
    );
    expect(problems("settings:\n  shared_config: ['!x']\n")[0]).toContain("negation is not supported");
  });
});
