import { createHash } from "node:crypto";
import type { CriteriaGroup } from "./plan.js";

/**
 * Criteria a reviewer acknowledges. A criterion is named by its text as the table writes it; an
 * acknowledgement keeps only a short digest of that text (case and runs of whitespace ignored), so a
 * record stays small in the ledger and an acknowledgement matches a criterion only while the table
 * still says the same thing: rewording a criterion asks for it again.
 */

/** At most this many ticked items per command: a stranger's comment costs bounded work and ledger space. */
export const MAX_ACKNOWLEDGED = 50;
const KEY = /^[0-9a-f]{12}$/;

export function normalizeCriterion(text: string): string {
  return text.replace(/\s+/g, " ").trim().toLowerCase();
}

/** Digests of texts seen, kept because every reconcile digests each criterion of the table again. */
const digests = new Map<string, string>();
/** Bounds of that memo: a stranger's checklist items are digested too. */
export const DIGEST_MEMO = { entries: 4096, textLength: 512 } as const;

/** The digest an acknowledgement stores for a criterion's text. */
export function criterionKey(text: string): string {
  const known = digests.get(text);
  if (known !== undefined) return known;
  const key = createHash("sha256").update(normalizeCriterion(text)).digest("hex").slice(0, 12);
  if (text.length <= DIGEST_MEMO.textLength) {
    if (digests.size >= DIGEST_MEMO.entries) digests.clear();
    // A copy of its own: a short text may be a view into a long comment body, which the memo would keep alive.
    // Through UTF-16, not UTF-8: UTF-8 would turn a lone surrogate into U+FFFD, storing it under another text.
    digests.set(Buffer.from(text, "utf16le").toString("utf16le"), key);
  }
  return key;
}

/** How many digests the memo holds, and emptying it (tests). */
export function memoizedDigests(): number {
  return digests.size;
}
export function forgetDigests(): void {
  digests.clear();
}

export function isCriterionKey(s: unknown): s is string {
  return typeof s === "string" && KEY.test(s);
}

/** Every criterion of a persona's groups, each once, in order. */
export function criteriaItems(groups: readonly CriteriaGroup[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const g of groups)
    for (const item of g.items) {
      const key = criterionKey(item);
      if (!seen.has(key)) {
        seen.add(key);
        out.push(item);
      }
    }
  return out;
}

/** The criteria of `groups` that `acknowledged` (digests) does not cover. */
export function missingCriteria(
  groups: readonly CriteriaGroup[],
  acknowledged: readonly string[] | undefined,
): string[] {
  const have = new Set(acknowledged ?? []);
  return criteriaItems(groups).filter((c) => !have.has(criterionKey(c)));
}

/** `“a”, “b” and 3 more`: criteria named in a notice, kept short. */
export function listCriteria(items: readonly string[], max = 3): string {
  const shown = items.slice(0, max).map((c) => `“${clip(c.replace(/\s+/g, " "), 80)}”`);
  return shown.join(", ") + (items.length > max ? ` and ${items.length - max} more` : "");
}

function clip(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : chars.slice(0, max - 1).join("") + "…";
}
