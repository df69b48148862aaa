import { randomUUID } from "node:crypto";
import { expect, test } from "@jest/globals";
import { Redis } from "ioredis";
import { WritePacer } from "../../src/github/pacer.js";
import { pacerConnection, RedisSlots, writePacerFrom } from "../../src/service/redis-slots.js";
import { freePort } from "../../src/dev/ports.js";
import { redisForFile } from "../helpers/redis-server.js";

/**
 * The write pacer shared through Redis (src/service/redis-slots.ts): two pacers with their own
 * connections stand for two replicas writing for one installation. Starts are read on Redis' clock
 * (the slots report them), so the ≥ 1 s spacing is asserted exactly.
 */
const redis = redisForFile();

function replicas(n: number, opts: { runningTtlMs?: number } = {}) {
  const prefix = `t-${randomUUID().slice(0, 8)}`;
  const starts: { replica: number; at: number }[] = [];
  const pacers = Array.from({ length: n }, (_, replica) => {
    const slots = new RedisSlots(redis.connect(pacerConnection(2_000)), { prefix, ...opts });
    return {
      slots,
      pacer: new WritePacer({ slots, onStart: (_key, _waited, at) => starts.push({ replica, at }) }),
    };
  });
  return { pacers, starts, prefix };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("two replicas writing for one installation: one write at a time, starts ≥ 1 s apart", async () => {
  const { pacers, starts } = replicas(2);
  let inside = 0;
  let most = 0;
  const write = (ms: number) => async () => {
    inside++;
    most = Math.max(most, inside);
    await sleep(ms);
    inside--;
  };
  // The first write outlasts its second: the other replica must wait for it to finish, not only for the gap.
  // It is under way before the others ask (whichever asks first goes first: under load that could be a
  // short one, and the long one's wait would then be tested nowhere).
  const long = pacers[0]!.pacer.run("42", write(1300));
  while (inside === 0) await sleep(5);
  await Promise.all([
    long,
    pacers[1]!.pacer.run("42", write(20)),
    pacers[0]!.pacer.run("42", write(20)),
    pacers[1]!.pacer.run("42", write(20)),
  ]);
  expect(most).toBe(1);
  expect(starts).toHaveLength(4);
  expect(new Set(starts.map((s) => s.replica))).toEqual(new Set([0, 1]));
  const at = starts.map((s) => s.at).sort((a, b) => a - b);
  for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(1000);
  expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(1300); // after the long first write finished
}, 20_000);

test("another installation is not held back by the first one's writes", async () => {
  const { pacers } = replicas(2);
  // Each write finishes only once both have started: were they paced together, neither would.
  let started = 0;
  const both = async () => {
    started++;
    while (started < 2) await sleep(10);
  };
  await Promise.all([pacers[0]!.pacer.run("1", both), pacers[1]!.pacer.run("2", both)]);
  expect(started).toBe(2);
});

test("a replica that died holding the marker holds the installation's writes for its TTL, no longer", async () => {
  const { pacers, starts } = replicas(2, { runningTtlMs: 1500 });
  const dead = await pacers[0]!.slots.begin("42"); // begun, never released: the process was killed
  expect("startedAt" in dead).toBe(true);
  await pacers[1]!.pacer.run("42", () => Promise.resolve());
  expect(starts[0]!.at - (dead as { startedAt: number }).startedAt).toBeGreaterThanOrEqual(1500);
}, 10_000);

test("the keys expire: nothing is left of an installation a second after its last write", async () => {
  const { pacers, prefix } = replicas(1);
  await pacers[0]!.pacer.run("42", () => Promise.resolve());
  const c = redis.connect();
  expect(await c.keys(`${prefix}:pace:*`)).toEqual([`${prefix}:pace:{42}:next`]);
  expect(await c.pttl(`${prefix}:pace:{42}:next`)).toBeLessThanOrEqual(1000);
});

test("Redis unreachable: the write fails (within the command deadline at worst) and is never sent", async () => {
  // The pacer's connection options (writePacerFrom's); a short disconnect timeout only so that the test's
  // never-connected socket is not held open for ioredis' default 2 s after it ends.
  const c = new Redis(`redis://127.0.0.1:${await freePort()}`, { ...pacerConnection(300), disconnectTimeout: 10 });
  c.on("error", () => undefined);
  try {
    const pacer = new WritePacer({ slots: new RedisSlots(c, { prefix: "t" }) });
    let sent = false;
    const started = Date.now();
    await expect(pacer.run("42", async () => void (sent = true))).rejects.toThrow();
    expect(sent).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
  } finally {
    c.disconnect();
  }
});

test("the process's pacer reports each write's wait (the metrics), in memory or through Redis", async () => {
  type OnStart = (key: string, waitedMs: number) => void;
  const pacers = {
    memory: (onStart: OnStart) => ({ pacer: new WritePacer({ onStart }), close: () => undefined }), // as serve() without Redis
    redis: (onStart: OnStart) => writePacerFrom(redis.url, { prefix: `t-${randomUUID().slice(0, 8)}`, onStart }),
  };
  for (const [where, make] of Object.entries(pacers)) {
    const waits: string[] = [];
    const { pacer, close } = make((key, waited) => waits.push(`${key}:${waited >= 0}`));
    try {
      await pacer.run("42", () => Promise.resolve());
      expect([where, waits]).toEqual([where, ["42:true"]]);
    } finally {
      close();
    }
  }
});
