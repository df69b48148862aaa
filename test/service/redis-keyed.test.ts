import { randomUUID } from "node:crypto";
import { expect, test } from "@jest/globals";
import { RedisKeyedRunner } from "../../src/service/redis-keyed.js";
import { redisForFile } from "../helpers/redis-server.js";
import { until } from "../helpers/until.js";

/**
 * The per-pull-request runner shared by worker processes, against a real Redis: two runners stand for
 * two workers (each with its own connection, as in two processes).
 */
const redis = redisForFile();

function workers(n: number, opts: { leaseMs?: number; maxWaitMs?: number } = {}): RedisKeyedRunner[] {
  const prefix = `t-${randomUUID().slice(0, 8)}`;
  return Array.from({ length: n }, () => {
    return new RedisKeyedRunner(redis.connect(), { prefix, ...opts });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function prefixOf(runner: RedisKeyedRunner): string {
  return (runner as unknown as { options: { prefix: string } }).options.prefix;
}

/**
 * Waits until a key exists: the tests order their workers by what Redis holds, not by sleeping, since a
 * loaded machine (CI runs the whole suite on 2 cores) can take longer than any sleep to take a lease.
 */
async function untilKey(key: string): Promise<void> {
  const probe = redis.connect();
  await until(
    async () => (await probe.exists(key)) > 0,
    () => `${key} never appeared`,
  );
}

function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

test("two workers never run jobs of one pull request at the same time; other pull requests run in parallel", async () => {
  const [a, b] = workers(2);
  let inside = 0;
  let most = 0;
  const job = (name: string, log: string[]) => async () => {
    inside++;
    most = Math.max(most, inside);
    log.push(`${name} start`);
    await sleep(150);
    log.push(`${name} end`);
    inside--;
    return name;
  };
  const log: string[] = [];
  const other: string[] = [];
  const results = await Promise.all([
    a!.run("acme/x#1", job("a1", log)),
    b!.run("acme/x#1", job("b1", log)),
    b!.run("acme/x#2", job("b2", other)),
  ]);
  expect(results).toEqual(["a1", "b1", "b2"]);
  // Each job of #1 ends before the other starts.
  expect(log.indexOf("a1 end") < log.indexOf("b1 start") || log.indexOf("b1 end") < log.indexOf("a1 start")).toBe(true);
  expect(most).toBe(2); // #2 ran alongside one of #1's
});

test("a 'look again' request joins one of the same pull request still waiting on another worker", async () => {
  const [a, b, c] = workers(3);
  const prefix = prefixOf(a!);
  const ran: string[] = [];
  const holding = latch();
  const hold = a!.run("acme/x#3", async () => {
    await holding.promise;
    ran.push("holder");
  });
  await untilKey(`${prefix}:pr-lease:acme/x#3`);
  const waiting = b!.coalesce("acme/x#3", async () => void ran.push("waiter"));
  await untilKey(`${prefix}:pr-waiting:acme/x#3`);
  await c!.coalesce("acme/x#3", async () => void ran.push("joiner")); // returns at once: the waiter will look
  expect(ran).toEqual([]);
  holding.open();
  await Promise.all([hold, waiting]);
  expect(ran).toEqual(["holder", "waiter"]);
});

test("a worker that dies holding a lease delays the pull request only until the lease expires", async () => {
  const [a, b] = workers(2, { leaseMs: 600 });
  const dead = redis.connect({});
  // A lease taken by a worker that then vanished (no renewal, no release).
  const prefix = prefixOf(a!);
  await dead.set(`${prefix}:pr-lease:acme/x#4`, "gone", "PX", 600);
  const started = Date.now();
  await b!.run("acme/x#4", async () => undefined);
  expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  expect(Date.now() - started).toBeLessThan(10_000); // not the 120 s a live holder could take
});

test("a wait that fails leaves no marker behind: the next request of that pull request does its work", async () => {
  const [a, b] = workers(2, { leaseMs: 5_000, maxWaitMs: 200 });
  const holding = latch();
  const hold = a!.run("acme/x#5", () => holding.promise);
  await untilKey(`${prefixOf(a!)}:pr-lease:acme/x#5`);
  await expect(b!.coalesce("acme/x#5", async () => "late")).rejects.toThrow(/stayed busy on another worker/);
  holding.open();
  await hold;
  let ran = false;
  await b!.coalesce("acme/x#5", async () => void (ran = true));
  expect(ran).toBe(true);
});
