import { describe, expect, test } from "@jest/globals";
import { KeyedSerializer } from "../../src/app/serialize.js";

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("KeyedSerializer", () => {
  test("jobs of one key run one after another; other keys run alongside", async () => {
    const s = new KeyedSerializer();
    const log: string[] = [];
    const job = (name: string) => async () => {
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      return name;
    };
    await Promise.all([s.run("a", job("a1")), s.run("a", job("a2")), s.run("b", job("b1"))]);
    expect(log.indexOf("end a1")).toBeLessThan(log.indexOf("start a2"));
    expect(log.indexOf("start b1")).toBeLessThan(log.indexOf("end a1"));
    expect(s.busyKeys).toBe(0);
  });

  test("coalesce: requests arriving while a job waits for its turn share it; one arriving after it started gets a new one", async () => {
    const s = new KeyedSerializer();
    let runs = 0;
    const job = async () => {
      runs++;
      await tick();
      return runs;
    };
    const first = s.run("pr", job); // running
    const [x, y, z] = [s.coalesce("pr", job), s.coalesce("pr", job), s.coalesce("pr", job)]; // one waiting job, shared
    expect(await first).toBe(1);
    expect(await Promise.all([x, y, z])).toEqual([2, 2, 2]);
    expect(await s.coalesce("pr", job)).toBe(3);
    expect(runs).toBe(3);
  });

  test("a failing job does not block the key", async () => {
    const s = new KeyedSerializer();
    await expect(s.run("k", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(s.coalesce("k", async () => "ok")).resolves.toBe("ok");
  });
});
