import { describe, expect, test } from "@jest/globals";
import { ALWAYS_HELD, KeyedSlots, type Slot } from "../../src/app/slots.js";

/** A job that holds its slot until the test lets it go, and says when it started. */
function held(slots: KeyedSlots, key: string, log: string[], name = key) {
  let finish!: () => void;
  let slot!: Slot;
  const until = new Promise<void>((r) => (finish = r));
  const done = slots.run(key, async (s) => {
    slot = s;
    log.push(name);
    await until;
    return name;
  });
  return { done, finish, slot: () => slot };
}

const settle = () => new Promise((r) => setImmediate(r));

/**
 * Jobs named by key and number ("a1": key a) asking in the order given; those in `finishing` finish one by
 * one, each before the next; then the rest. The order in which all of them started.
 */
async function played(slots: KeyedSlots, arrivals: string[], finishing: string[]): Promise<string[]> {
  const log: string[] = [];
  const jobs = new Map(arrivals.map((name) => [name, held(slots, name[0]!, log, name)]));
  await settle();
  for (const name of finishing) {
    jobs.get(name)!.finish();
    await settle();
  }
  for (const j of jobs.values()) j.finish();
  await Promise.all([...jobs.values()].map((j) => j.done));
  return log;
}

describe("KeyedSlots", () => {
  test("at most `limit` jobs at once across keys, the rest in arrival order", async () => {
    const slots = new KeyedSlots(2, 2);
    const log: string[] = [];
    const [a, b, c, d] = ["a", "b", "c", "d"].map((k) => held(slots, k, log));
    await settle();
    expect(log).toEqual(["a", "b"]);
    expect([slots.running, slots.waiting]).toEqual([2, 2]);
    b!.finish();
    await settle();
    expect(log).toEqual(["a", "b", "c"]);
    a!.finish();
    c!.finish();
    d!.finish();
    expect(await Promise.all([a!.done, b!.done, c!.done, d!.done])).toEqual(["a", "b", "c", "d"]);
    expect([slots.running, slots.waiting]).toEqual([0, 0]);
  });

  test("at most `perKey` jobs of one key; another key's job is not kept waiting behind them", async () => {
    const slots = new KeyedSlots(4, 2);
    const log: string[] = [];
    const busy = [1, 2, 3, 4, 5].map((n) => held(slots, "acme", log, `acme${n}`));
    const other = held(slots, "other", log);
    await settle();
    expect(log).toEqual(["acme1", "acme2", "other"]);
    expect(slots.runningOf("acme")).toBe(2);
    expect(slots.runningOf("other")).toBe(1);
    expect(slots.waiting).toBe(3);
    expect(slots.busyKeys).toBe(2);
    busy[1]!.finish();
    await settle();
    expect(log.at(-1)).toBe("acme3"); // the key's next, in its order
    for (const j of busy) j.finish();
    other.finish();
    await Promise.all([...busy.map((j) => j.done), other.done]);
    expect(log).toEqual(["acme1", "acme2", "other", "acme3", "acme4", "acme5"]);
    expect([slots.running, slots.waiting, slots.runningOf("acme"), slots.busyKeys]).toEqual([0, 0, 0, 0]);
  });

  test("a freed slot goes to the first waiter that fits, passing over a full key's", async () => {
    const slots = new KeyedSlots(2, 1);
    const log: string[] = [];
    const a1 = held(slots, "a", log, "a1");
    const b1 = held(slots, "b", log, "b1");
    const a2 = held(slots, "a", log, "a2"); // waits: the process is full
    const c1 = held(slots, "c", log, "c1");
    await settle();
    expect(log).toEqual(["a1", "b1"]);
    b1.finish(); // a is still full: c1 gets the slot before a2
    await settle();
    expect(log).toEqual(["a1", "b1", "c1"]);
    a1.finish();
    await settle();
    expect(log).toEqual(["a1", "b1", "c1", "a2"]);
    a2.finish();
    c1.finish();
    await Promise.all([a1.done, b1.done, a2.done, c1.done]);
  });

  test("a free slot goes to the waiting key holding the fewest, not to the oldest backlog", async () => {
    // a1 done: a holds 1, b 1, c none → c1; b1 done: a 1, b 0, c 1 → b2; a2 done: a 0 → a3.
    expect(await played(new KeyedSlots(3), ["a1", "a2", "b1", "a3", "b2", "c1"], ["a1", "b1", "a2"])).toEqual([
      "a1",
      "a2",
      "b1",
      "c1",
      "b2",
      "a3",
    ]);
  });

  test("keys holding as many: the claim that came first, whichever key began waiting first", async () => {
    // c1 done: a and b hold one each → a2 (first); a1 done: the same again → b2, which came before a3.
    expect(await played(new KeyedSlots(3), ["a1", "b1", "c1", "a2", "b2", "a3"], ["c1", "a1"])).toEqual([
      "a1",
      "b1",
      "c1",
      "a2",
      "b2",
      "a3",
    ]);
  });

  test("fewest first even against an older claim of a key holding more", async () => {
    // z1 done: x holds none → x1; x1 done: x none, y two → x2, though y3 came before it.
    const started = await played(new KeyedSlots(3), ["y1", "y2", "z1", "x1", "y3", "x2"], ["z1", "x1"]);
    expect(started.slice(0, 5)).toEqual(["y1", "y2", "z1", "x1", "x2"]);
  });

  test("one release frees one slot: two waiters of other keys do not both start", async () => {
    const slots = new KeyedSlots(1, 1);
    const log: string[] = [];
    const a = held(slots, "a", log);
    const b = held(slots, "b", log);
    const c = held(slots, "c", log);
    await settle();
    a.finish();
    await settle();
    expect(log).toEqual(["a", "b"]);
    expect(slots.running).toBe(1);
    b.finish();
    c.finish();
    await Promise.all([a.done, b.done, c.done]);
  });

  test("a job that releases its slot lets the next start; it waits its turn to acquire again", async () => {
    const slots = new KeyedSlots(1);
    const log: string[] = [];
    let resume!: () => void;
    const first = slots.run("k", async (slot) => {
      log.push("first reads");
      slot.release();
      slot.release(); // twice gives back one slot, not two
      await new Promise<void>((r) => (resume = r)); // a courtesy write waiting for its turn
      log.push("first written");
      await slot.acquire();
      log.push("first reads again");
      await slot.acquire(); // already held: no second slot
      return "first";
    });
    const second = held(slots, "k", log, "second");
    await settle();
    expect(log).toEqual(["first reads", "second"]);
    expect(slots.running).toBe(1);
    resume();
    await settle();
    expect(log).toEqual(["first reads", "second", "first written"]); // waits for second's slot
    second.finish();
    expect(await first).toBe("first");
    expect(log.at(-1)).toBe("first reads again");
    expect([slots.running, slots.waiting]).toEqual([0, 0]);
  });

  test("a claim asking again goes ahead of claims that never had a slot, behind others asking again", async () => {
    const slots = new KeyedSlots(1);
    const log: string[] = [];
    const gate = { open: () => undefined as void };
    const asking = (name: string) =>
      slots.run("k", async (slot) => {
        log.push(`${name} reads`);
        slot.release(); // courtesy writes
        await new Promise<void>((r) => (gate.open = r));
        await slot.acquire();
        log.push(`${name} reads again`);
      });
    const first = asking("first");
    await settle();
    const blocker = held(slots, "k", log, "blocker"); // takes the slot first gave back
    await settle();
    const fresh = held(slots, "k", log, "fresh"); // queued: never had a slot
    gate.open(); // first asks again: ahead of fresh
    await settle();
    expect(slots.stats().waiting).toBe(2);
    blocker.finish();
    await first;
    await settle();
    expect(log).toEqual(["first reads", "blocker", "first reads again", "fresh"]);
    fresh.finish();
    await Promise.all([blocker.done, fresh.done]);
  });

  test("two claims asking again keep their order; a new claim after them", async () => {
    const slots = new KeyedSlots(1);
    const log: string[] = [];
    const resumes: (() => void)[] = [];
    const asking = (name: string) =>
      slots.run("k", async (slot) => {
        log.push(name);
        slot.release();
        await new Promise<void>((r) => resumes.push(r));
        await slot.acquire();
        log.push(`${name} again`);
      });
    const a = asking("a");
    await settle();
    const b = asking("b");
    await settle();
    const blocker = held(slots, "k", log, "blocker");
    await settle();
    const fresh = held(slots, "k", log, "fresh");
    resumes[0]!(); // a asks again
    await settle();
    resumes[1]!(); // then b
    await settle();
    blocker.finish();
    await Promise.all([a, b]);
    await settle();
    expect(log).toEqual(["a", "b", "blocker", "a again", "b again", "fresh"]);
    fresh.finish();
    await Promise.all([blocker.done, fresh.done]);
  });

  test("asks that overlap share one wait; a slot asked for after the job ended is refused, one granted after it is given back", async () => {
    const slots = new KeyedSlots(1);
    const log: string[] = [];
    let late!: Promise<void>;
    let kept!: Slot;
    let proceed!: () => void;
    const job = slots.run("k", async (slot) => {
      kept = slot;
      slot.release();
      await Promise.all([slot.acquire(), slot.acquire()]); // one slot, not two
      expect(slots.running).toBe(1);
      slot.release();
      await new Promise<void>((r) => (proceed = r));
      late = slot.acquire(); // queued behind the blocker, and not awaited: the job ends first
    });
    await settle();
    const blocker = held(slots, "k", log, "blocker");
    await settle();
    proceed();
    await job;
    expect(slots.waiting).toBe(1);
    blocker.finish();
    await blocker.done;
    await late; // granted after the job ended…
    expect(slots.running).toBe(0); // …and given back at once
    await expect(kept.acquire()).rejects.toThrow("a slot was asked for after its job ended");
    expect([slots.running, slots.waiting, slots.busyKeys]).toEqual([0, 0, 0]);
  });

  test("stats: slots held, claims waiting, the longest wait", async () => {
    const slots = new KeyedSlots(1);
    const log: string[] = [];
    expect(slots.stats()).toEqual({ running: 0, waiting: 0, oldestWaitMs: 0 });
    const a = held(slots, "k", log, "a");
    await settle();
    const b = held(slots, "k", log, "b"); // waits from now…
    const queuedB = Date.now();
    await new Promise((r) => setTimeout(r, 25));
    const c = held(slots, "k", log, "c"); // …c from later: the longest wait is b's
    await settle();
    const now = Date.now() + 5000;
    const s = slots.stats(now);
    expect([s.running, s.waiting]).toEqual([1, 2]);
    expect(s.oldestWaitMs).toBeGreaterThanOrEqual(now - queuedB);
    expect(s.oldestWaitMs).toBeLessThan(60_000);
    for (const j of [a, b, c]) j.finish();
    await Promise.all([a.done, b.done, c.done]);
  });

  test("a job released at its end is not given back twice; a failing job gives its slot back", async () => {
    const slots = new KeyedSlots(1);
    expect(
      await slots.run("k", async (slot) => {
        slot.release();
        return "released";
      }),
    ).toBe("released");
    expect(slots.running).toBe(0);
    await expect(slots.run("k", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(slots.running).toBe(0);
    const log: string[] = [];
    const a = held(slots, "k", log, "a");
    const b = held(slots, "k", log, "b");
    await settle();
    expect(log).toEqual(["a"]); // the counts are right: still one at a time
    a.finish();
    b.finish();
    await Promise.all([a.done, b.done]);
  });

  test("limits below 1 are refused; the per-key limit defaults to the limit", async () => {
    expect(() => new KeyedSlots(0)).toThrow(/at least 1/);
    expect(() => new KeyedSlots(0, 4)).toThrow(/at least 1/);
    expect(() => new KeyedSlots(2, 0)).toThrow(/at least 1/);
    const slots = new KeyedSlots(2);
    const log: string[] = [];
    const jobs = [1, 2, 3].map((n) => held(slots, "k", log, `k${n}`));
    await settle();
    expect(log).toEqual(["k1", "k2"]);
    for (const j of jobs) j.finish();
    await Promise.all(jobs.map((j) => j.done));
  });

  test("ALWAYS_HELD never waits and never gives anything back", async () => {
    await expect(ALWAYS_HELD.acquire()).resolves.toBeUndefined();
    expect(ALWAYS_HELD.release()).toBeUndefined();
  });
});
