import { describe, expect, test } from "@jest/globals";
import {
  ConflictRadar,
  RadarHook,
  type PullEventPayload,
  type RadarEvent,
  type RadarOutcome,
} from "../../src/app/radar.js";
import type { Deps } from "../../src/app/reconcile.js";
import type { RepoRef } from "../../src/github/client.js";

/**
 * The router's radar hook: events that arrive while a refresh of their repository runs share the next
 * refresh of their base (one open list, one read of the runs, one write for all of them), at most
 * `maxBatch` pull requests each; each event gets its own pull request's outcome.
 */

interface Call {
  readonly repo: string;
  readonly events: readonly RadarEvent[];
  release(): void;
  fail(err: Error): void;
}

/** A radar whose refreshes wait until the test releases them, recording what each was given. */
class HeldRadar extends ConflictRadar {
  readonly calls: Call[] = [];
  override refreshAll(_d: Deps, repo: RepoRef, events: readonly RadarEvent[]): Promise<Map<number, RadarOutcome>> {
    return new Promise((resolve, reject) => {
      const outcomes = new Map(events.map((e) => [e.number, { written: [e.number], overlaps: [] }]));
      this.calls.push({
        repo: `${repo.owner}/${repo.repo}`,
        events: [...events],
        release: () => resolve(outcomes),
        fail: reject,
      });
    });
  }
}

const warnings: string[] = [];
const deps = {
  octokit: {},
  appId: 1,
  log: { info: () => undefined, warn: (_o: object, m: string) => void warnings.push(m) },
} as unknown as Deps;

function payload(
  number: number,
  opts: { repo?: string; base?: string; sha?: string; state?: string } = {},
): PullEventPayload {
  return {
    repository: { name: opts.repo ?? "shop", owner: { login: "acme" } },
    pull_request: {
      number,
      title: `change ${number}`,
      created_at: "2026-12-01T00:00:00Z",
      state: opts.state ?? "open",
      base: { ref: opts.base ?? "main" },
      head: { sha: opts.sha ?? `${number}`.padStart(40, "0") },
    },
  };
}

const settle = () => new Promise((r) => setImmediate(r));

describe("RadarHook: events waiting for a refresh share the next one", () => {
  test("the first event is refreshed at once; those arriving meanwhile share one refresh; each gets its own outcome", async () => {
    const radar = new HeldRadar();
    const hook = new RadarHook(radar);
    const first = hook.after(deps, payload(1));
    await settle();
    expect(radar.calls.map((c) => c.events.map((e) => e.number))).toEqual([[1]]);
    const later = [
      hook.after(deps, payload(2)),
      hook.after(deps, payload(3)),
      hook.after(deps, payload(2, { sha: "b".repeat(40) })),
    ];
    await settle();
    expect(radar.calls).toHaveLength(1); // one refresh of a repository at a time
    radar.calls[0]!.release();
    await expect(first).resolves.toEqual({ written: [1], overlaps: [] });
    await settle();
    // Pull request 2's two events and 3's in one refresh, in the order they happened.
    expect(radar.calls.map((c) => c.events.map((e) => [e.number, e.headSha.slice(0, 1)]))).toEqual([
      [[1, "0"]],
      [
        [2, "0"],
        [3, "0"],
        [2, "b"],
      ],
    ]);
    radar.calls[1]!.release();
    expect(await Promise.all(later)).toEqual([
      { written: [2], overlaps: [] },
      { written: [3], overlaps: [] },
      { written: [2], overlaps: [] },
    ]);
  });

  test("at most maxBatch pull requests per refresh (events of one pull request count once); other bases and repositories apart", async () => {
    const radar = new HeldRadar({ maxPulls: 95 }); // one page: 95 compared + 1 + 4 changed
    expect(radar.maxBatch).toBe(4);
    const hook = new RadarHook(radar);
    const all = [hook.after(deps, payload(1))];
    await settle();
    for (const n of [2, 3, 2, 4, 5, 6]) all.push(hook.after(deps, payload(n)));
    all.push(hook.after(deps, payload(7, { base: "release" })));
    all.push(hook.after(deps, payload(8, { repo: "web" })));
    await settle();
    // Another repository does not wait for this one's refresh.
    expect(radar.calls.map((c) => [c.repo, c.events.map((e) => e.number)])).toEqual([
      ["acme/shop", [1]],
      ["acme/web", [8]],
    ]);
    for (let i = 0; i < 5; i++) {
      radar.calls.forEach((c) => c.release());
      await settle();
    }
    expect(radar.calls.map((c) => [c.repo, c.events.map((e) => e.number)])).toEqual([
      ["acme/shop", [1]],
      ["acme/web", [8]],
      ["acme/shop", [2, 3, 2, 4, 5]],
      ["acme/shop", [6]],
      ["acme/shop", [7]],
    ]);
    expect(radar.calls.every((c) => new Set(c.events.map((e) => e.base)).size === 1)).toBe(true);
    await Promise.all(all);
  });

  test("a failed refresh is logged for each event that waited for it and fails none of them", async () => {
    warnings.length = 0;
    const radar = new HeldRadar();
    const hook = new RadarHook(radar);
    const first = hook.after(deps, payload(1));
    await settle();
    const waiting = [hook.after(deps, payload(2)), hook.after(deps, payload(3))];
    radar.calls[0]!.release();
    await first;
    await settle();
    radar.calls[1]!.fail(new Error("GitHub is down"));
    await expect(Promise.all(waiting)).resolves.toEqual([undefined, undefined]);
    expect(warnings).toEqual(["conflict radar failed", "conflict radar failed"]);
    // The next event starts afresh.
    const next = hook.after(deps, payload(4));
    await settle();
    radar.calls[2]!.release();
    await expect(next).resolves.toEqual({ written: [4], overlaps: [] });
  });

  test("what the hook hands the radar: the push's old head, a close, and the reconcile's reads only at the event's head and base", async () => {
    const radar = new HeldRadar();
    const hook = new RadarHook(radar);
    const seen = { headSha: "1".padStart(40, "0"), baseRef: "main" } as never;
    const stale = { headSha: "f".repeat(40), baseRef: "main" } as never;
    const done = [
      hook.after(deps, payload(1), "a".repeat(40), seen),
      hook.after(deps, payload(2, { state: "closed" }), undefined, stale),
    ];
    await settle();
    // Both arrived before a refresh started: they share the first.
    expect(radar.calls).toHaveLength(1);
    radar.calls[0]!.release();
    await Promise.all(done);
    const [push, close] = radar.calls[0]!.events as [RadarEvent, RadarEvent];
    expect(push).toMatchObject({ number: 1, previousHead: "a".repeat(40), seen });
    expect(push.closed).toBeUndefined();
    expect(close).toMatchObject({ number: 2, closed: true });
    expect(close.seen).toBeUndefined();
    expect(close.previousHead).toBeUndefined();
  });
});

describe("ConflictRadar.refreshAll refuses what one refresh cannot do", () => {
  const ev = (number: number, base = "main"): RadarEvent => ({
    number,
    base,
    headSha: `${number}`.padStart(40, "0"),
    title: "t",
    createdAt: "2026-12-01T00:00:00Z",
  });
  test("more pull requests than maxBatch, or events on two bases", async () => {
    const radar = new ConflictRadar({ maxPulls: 95 });
    await expect(
      radar.refreshAll(
        deps,
        { owner: "acme", repo: "shop" },
        [1, 2, 3, 4, 5].map((n) => ev(n)),
      ),
    ).rejects.toThrow("a radar refresh takes at most 4 pull requests, on one base");
    await expect(radar.refreshAll(deps, { owner: "acme", repo: "shop" }, [ev(1), ev(2, "release")])).rejects.toThrow(
      "on one base",
    );
  });
  test("maxBatch: 32 at most, fewer when the compared pull requests fill the open list's one page", () => {
    expect(new ConflictRadar().maxBatch).toBe(32);
    expect(new ConflictRadar({ maxPulls: 67 }).maxBatch).toBe(32);
    expect(new ConflictRadar({ maxPulls: 68 }).maxBatch).toBe(31);
    expect(new ConflictRadar({ maxPulls: 100 }).maxBatch).toBe(1);
  });
});
