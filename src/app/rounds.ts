import type { CheckRunSpec } from "../core/checks.js";
import type { ExistingRun } from "../github/checks.js";

/**
 * The rounds of one reconcile: read → decide → write, again until a round has nothing left to confirm.
 * When a decision to open the gate is read a second time, and when a round must follow, is decided here,
 * apart from GitHub (reconcile.ts gives the reading and the writing), so it is unit-tested with decisions
 * made up to order.
 */

/** What a round decided, as much of it as decides whether another read or round is needed. */
export interface RoundDecision {
  readonly state: string;
  /** The runs wanted, the gate first. */
  readonly wanted: readonly Pick<CheckRunSpec, "name">[];
  /** The app's runs GitHub showed on the head, oldest first. */
  readonly existing: readonly Pick<ExistingRun, "name" | "status" | "conclusion">[];
  /**
   * Did every answer the decision rests on come with its one read: no membership remembered from an earlier
   * reconcile, no request after the read (during which others could write)? Only `true` spares a decision
   * to pass its confirming read: a decision that does not say is read again.
   */
  readonly readTogether?: boolean;
}

/** What a round wrote. */
export interface RoundWritten {
  readonly created: string[];
  readonly updated: string[];
  readonly unchanged: string[];
  readonly records: number;
  readonly requested: { users: string[]; teams: string[] };
  /** Reviewers GitHub refused to request: written into the ledger and onto the persona's check next round. */
  readonly refused?: Readonly<Record<string, string>>;
  /** Runs GitHub said were gone when the app updated them: the next round lists again and recreates them. */
  readonly vanished?: number;
}

/** How a round reads: which membership answers it uses, and whether it bypasses every cache. */
export interface ReadMode {
  /** The first round's membership answers (possibly remembered), or the ones looked up again for a pass. */
  readonly memberships: "first" | "fresh";
  /** Bypass every cache that could open the gate (the confirming read, and every round after the first). */
  readonly fresh: boolean;
}

export interface Rounds<D extends RoundDecision, W extends RoundWritten, H> {
  /** `settles`: the decision to pass the round before wrote, when this round reads to look for what it missed. */
  readonly decide: (hints: H, mode: ReadMode, settles?: D) => Promise<D>;
  readonly write: (decision: D) => Promise<W>;
}

/** Rounds of read → decide → write per reconcile; the last must write nothing. */
export const MAX_ROUNDS = 3;

type WithRefusals = { readonly unrequestable?: Readonly<Record<string, string>> };

export async function inRounds<D extends RoundDecision, W extends RoundWritten, H extends WithRefusals>(
  r: Rounds<D, W, H>,
  given: H,
): Promise<W> {
  let hints = given;
  let outcome: W | undefined;
  let settles: D | undefined;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const mode: ReadMode = { memberships: round === 0 ? "first" : "fresh", fresh: round > 0 };
    let decision = await r.decide(hints, mode, settles);
    // Opening the gate is the one write that cannot be taken back in time (a merge may follow at
    // once): a decision to pass is confirmed by a fresh read, bypassing the caches of answers that can
    // change and open it (memberships; the pull requests remembered on a head only add a blocker and stay),
    // before it is written, so a decision made on remembered answers, or before another replica recorded
    // a change request while this one asked GitHub more, never reaches GitHub. A decision whose every
    // answer came with its one read (the members of the teams it asked about listed in it) is the
    // confirming read's equal: it is written as it is, and the round after the write reads everything
    // again (below).
    // A gate that already passes is confirmed too: left as it is, it is a decision to pass as well, and a
    // remembered membership must not keep it green after the member left.
    if (decision.state === "pass" && round === 0 && decision.readTogether !== true)
      decision = await r.decide(hints, { memberships: "fresh", fresh: true });
    const written = await r.write(decision);
    outcome = outcome ? combine(outcome, written) : written;
    const gate = decision.wanted[0]?.name;
    // A refused review request is written into the ledger and onto the persona's check next round.
    if (written.refused) hints = { ...hints, unrequestable: { ...hints.unrequestable, ...written.refused } };
    const wroteGate = gate !== undefined && [...written.created, ...written.updated].includes(gate);
    // A gate opened is read again until a round changes nothing: a change request that another replica
    // recorded between our confirming read and our write is then seen and the gate closed before we
    // finish, so the last gate anyone writes was decided after every write it could have missed.
    // A gate written closed needs no second look: a stale closed gate fails safe, and the event that
    // made it stale (or the hourly resync) evaluates it again. Answers to attempts (record comments,
    // notices) change no decision, so a flood of refused comments cannot keep the loop going.
    // A run GitHub said was gone (perhaps a green twin a lagging replica of GitHub's could not find) is
    // looked for again: the next round recreates it or closes it, and if it never can, the reconcile fails
    // and the failure report closes the gate.
    if (!(wroteGate && decision.state === "pass") && !written.refused && !written.vanished) return outcome;
    // A pass written whole, with the hints as they were: the next read may show its state, changed only by
    // its writes, and the decision then stands without being made again (src/app/settled.ts).
    settles = wroteGate && decision.state === "pass" && !written.refused && !written.vanished ? decision : undefined;
  }
  throw new Error(
    "the review state kept changing while the app wrote it: the gate stays closed and is evaluated again on the next event",
  );
}

/** Two rounds' writes as one: what either created or updated, unchanged only if neither touched it. */
export function combine<W extends RoundWritten>(a: W, b: W): W {
  const union = (x: string[], y: string[]) => [...new Set([...x, ...y])].sort();
  return {
    ...b,
    created: union(a.created, b.created),
    updated: union(a.updated, b.updated),
    unchanged: b.unchanged.filter((n) => !a.created.includes(n) && !a.updated.includes(n)),
    records: a.records + b.records,
    requested: {
      users: union(a.requested.users, b.requested.users),
      teams: union(a.requested.teams, b.requested.teams),
    },
  };
}
