import { afterAll, afterEach, describe, expect, test } from "@jest/globals";
import nock from "nock";
import { Probot } from "probot";
import { withRetries } from "../../src/github/client.js";
import { appOctokit } from "../../src/github/octokit.js";
import { LocalSlots, PacingTimeout, pacingKey, WritePacer, type WriteSlots } from "../../src/github/pacer.js";
import { FakeClock, settle } from "../helpers/fake-clock.js";
import { appKeys, startSim } from "../simulator/helpers.js";

/**
 * The app's write pacer (src/github/pacer.ts) on a fake clock: per installation, writes one at a time, in
 * order, each ≥ 1 s after the previous one started and not before it finished; reads never wait.
 */
function deferred() {
  let resolve!: (v: string) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<string>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

function setup(opts: { maxWaitMs?: number; slots?: WriteSlots } = {}) {
  const clock = new FakeClock();
  const starts: { key: string; at: number; waited: number }[] = [];
  const pacer = new WritePacer({
    clock,
    ...opts,
    slots: opts.slots ?? new LocalSlots(clock),
    onStart: (key, waited, at) => starts.push({ key, at, waited }),
  });
  const ran: string[] = [];
  /** A write that records when it ran and finishes when the test says. */
  const write = (key: string, name: string) => {
    const d = deferred();
    const result = pacer.run(key, () => {
      ran.push(`${name}@${clock.now()}`);
      return d.promise;
    });
    result.catch(() => undefined);
    return { result, finish: () => d.resolve(name), fail: (e: unknown) => d.reject(e) };
  };
  return { clock, pacer, starts, ran, write };
}

describe("WritePacer", () => {
  test("an installation's writes start ≥ 1 s apart, in order, each after the previous one finished", async () => {
    const { clock, ran, write } = setup();
    const a = write("7", "a");
    const b = write("7", "b");
    const c = write("7", "c");
    await settle();
    expect(ran).toEqual(["a@0"]);
    await clock.advance(1500); // a runs for 1.5 s: b waits for it although its second has passed
    expect(ran).toEqual(["a@0"]);
    a.finish();
    await clock.advance(0);
    expect(ran).toEqual(["a@0", "b@1500"]);
    b.finish();
    await clock.advance(999);
    expect(ran).toEqual(["a@0", "b@1500"]); // c: a second after b started, not after b finished
    await clock.advance(1);
    expect(ran).toEqual(["a@0", "b@1500", "c@2500"]);
    c.finish();
    expect(await Promise.all([a.result, b.result, c.result])).toEqual(["a", "b", "c"]);
  });

  test("installations do not wait for each other", async () => {
    const { ran, write } = setup();
    write("1", "one").finish();
    write("2", "two").finish();
    await settle();
    expect(ran).toEqual(["one@0", "two@0"]);
  });

  test("a write that fails gives its turn on; its error is the caller's", async () => {
    const { clock, ran, write } = setup();
    const a = write("7", "a");
    const b = write("7", "b");
    a.fail(new Error("422"));
    await expect(a.result).rejects.toThrow("422");
    await clock.advance(1000);
    expect(ran).toEqual(["a@0", "b@1000"]);
    b.finish();
    await expect(b.result).resolves.toBe("b");
  });

  test("a write that would wait past maxWaitMs fails without running; the ones behind it go on", async () => {
    const { clock, ran, starts, write } = setup({ maxWaitMs: 1500 });
    const writes = ["a", "b", "c"].map((n) => write("7", n));
    writes[0]!.finish();
    await clock.advance(1000);
    writes[1]!.finish();
    // c was queued at 0 and could start at 2000: past its bound, it fails at 1000 (when b starts).
    await expect(writes[2]!.result).rejects.toBeInstanceOf(PacingTimeout);
    expect(ran).toEqual(["a@0", "b@1000"]);
    expect(starts.map((s) => s.waited)).toEqual([0, 1000]);
    const d = write("7", "d"); // queued at 1000: starts at 2000, within its bound
    await clock.advance(1000);
    d.finish();
    await expect(d.result).resolves.toBe("d");
    expect(ran).toEqual(["a@0", "b@1000", "d@2000"]);
  });

  test("slots that cannot be asked (Redis down) fail the write without running it; the next one asks again", async () => {
    let down = true;
    const clock = new FakeClock();
    const local = new LocalSlots(clock);
    const slots: WriteSlots = {
      begin: (key) => (down ? Promise.reject(new Error("Connection is closed.")) : local.begin(key)),
    };
    const { ran, write } = setup({ slots });
    const a = write("7", "a");
    await expect(a.result).rejects.toThrow("Connection is closed.");
    down = false;
    const b = write("7", "b");
    b.finish();
    await expect(b.result).resolves.toBe("b");
    expect(ran).toEqual(["b@0"]);
  });

  test("an idle installation's lane is dropped", async () => {
    const { pacer, write } = setup();
    const a = write("7", "a");
    expect(pacer.pending).toBe(1);
    a.finish();
    await a.result;
    await settle();
    expect(pacer.pending).toBe(0);
  });
});

describe("requests in flight", () => {
  test("at most maxConcurrent per installation, reads and writes together; the rest go in order as places free", async () => {
    const pacer = new WritePacer({ clock: new FakeClock(), maxConcurrent: 2 });
    const started: string[] = [];
    const gates = new Map<string, ReturnType<typeof deferred>>();
    const send = (key: string, name: string, write = false) => {
      const d = deferred();
      gates.set(name, d);
      return pacer.send(key, write, () => (started.push(name), d.promise));
    };
    const r1 = send("7", "r1");
    const r2 = send("7", "r2");
    void send("7", "r3");
    const w1 = send("7", "w1", true); // a write: through its lane, then it needs a place too
    void send("8", "other");
    await settle();
    expect(started).toEqual(["r1", "r2", "other"]);
    gates.get("r1")!.resolve("r1");
    await expect(r1).resolves.toBe("r1");
    await settle();
    expect(started).toEqual(["r1", "r2", "other", "r3"]);
    gates.get("r2")!.reject(new Error("boom")); // a failed request frees its place too
    await expect(r2).rejects.toThrow("boom");
    await settle();
    expect(started).toEqual(["r1", "r2", "other", "r3", "w1"]);
    gates.get("w1")!.resolve("w1");
    await expect(w1).resolves.toBe("w1");
  });

  test("a request that throws before it is sent frees its place", async () => {
    const pacer = new WritePacer({ maxConcurrent: 1 });
    await expect(
      pacer.send("7", false, () => {
        throw new Error("bad options");
      }),
    ).rejects.toThrow("bad options");
    await expect(pacer.send("7", false, () => Promise.resolve("next"))).resolves.toBe("next");
  });
});

describe("the pacing key", () => {
  test("the throttle's id, else the installation the client is authenticated as, else the app", () => {
    expect(pacingKey({ throttle: { id: "12" }, auth: { installationId: 9 } })).toBe("12");
    expect(pacingKey({ throttle: { enabled: false } as never, auth: { installationId: 9 } })).toBe("9");
    expect(pacingKey({})).toBe("app");
  });
});

describe("through the app's Octokit", () => {
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.restore());

  test("a GraphQL query is not held behind a pending write; a mutation is", async () => {
    nock.disableNetConnect();
    const api = nock("https://api.github.com");
    const sent: string[] = [];
    api.post("/repos/acme/shop/check-runs").reply(201, () => (sent.push("check run"), { id: 1 }));
    api
      .post("/graphql", (b: { query: string }) => b.query.startsWith("mutation"))
      .reply(200, () => (sent.push("mutation"), { data: { addComment: null } }));
    api
      .post("/graphql", (b: { query: string }) => b.query.startsWith("query"))
      .reply(200, () => (sent.push("query"), { data: { viewer: { login: "app" } } }));
    api.get("/repos/acme/shop/pulls/1").reply(200, () => (sent.push("get"), { number: 1 }));

    const clock = new FakeClock();
    const Octokit = appOctokit({ pace: new WritePacer({ clock }) });
    const octokit = withRetries(new Octokit({ auth: { token: "t" } }));

    await octokit.request("POST /repos/{owner}/{repo}/check-runs", {
      owner: "acme",
      repo: "shop",
      name: "x",
      head_sha: "abc",
    });
    let mutated = false;
    const mutation = octokit
      .graphql('mutation { addComment(input: {subjectId: "1", body: "b"}) { clientMutationId } }')
      .then(() => (mutated = true));
    // The clock stands still: the mutation waits for its second, the reads go through at once.
    await octokit.graphql("query { viewer { login } }");
    await octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", {
      owner: "acme",
      repo: "shop",
      pull_number: 1,
    });
    await settle();
    expect(sent).toEqual(["check run", "query", "get"]);
    expect(mutated).toBe(false);

    await clock.advance(1000);
    await mutation;
    expect(sent).toEqual(["check run", "query", "get", "mutation"]);
    expect(api.isDone()).toBe(true);
  });

  test("with pacing off, writes go out at once", async () => {
    nock.disableNetConnect();
    const api = nock("https://api.github.com");
    api.post("/repos/acme/shop/check-runs").times(2).reply(201, { id: 1 });
    const octokit = withRetries(new (appOctokit({ pace: false }))({ auth: { token: "t" } }));
    const post = () =>
      octokit.request("POST /repos/{owner}/{repo}/check-runs", {
        owner: "acme",
        repo: "shop",
        name: "x",
        head_sha: "abc",
      });
    await Promise.all([post(), post()]); // no clock moves: a pacer would hold the second for a second
    expect(api.isDone()).toBe(true);
  });
});

describe("through Probot, against the simulator", () => {
  test("an installation's client paces under its installation id; reads are not paced", async () => {
    const sim = await startSim();
    try {
      const keys: string[] = [];
      const Octokit = appOctokit({ pace: new WritePacer({ onStart: (key) => keys.push(key) }) });
      const probot = new Probot({
        appId: 42,
        privateKey: appKeys().privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
        baseUrl: sim.apiUrl,
        logLevel: "fatal",
        Octokit,
      });
      const id = 1; // the simulator's installation on acme (startSim)
      const octokit = await probot.auth(id);
      const repo = { owner: "acme", repo: "demo" };
      const sha = sim.branchSha("demo", "main");
      await octokit.request("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", { ...repo, ref: sha });
      await octokit.request("POST /repos/{owner}/{repo}/check-runs", { ...repo, name: "paced", head_sha: sha });
      expect(keys).toEqual([String(id)]); // the token request and the GETs went unpaced
    } finally {
      await sim.stop();
    }
  });
});

describe("urgent writes (check runs) in a lane", () => {
  test("go ahead of every waiting courtesy write, never ahead of the one at the head, in their own order", async () => {
    const clock = new FakeClock();
    const pacer = new WritePacer({ clock, slots: new LocalSlots(clock) });
    const order: string[] = [];
    const write = (name: string, urgent: boolean) => pacer.run("1", () => Promise.resolve(order.push(name)), urgent);
    const all = [
      write("answer 1", false),
      write("answer 2", false),
      write("answer 3", false),
      write("gate", true),
      write("persona", true),
      write("answer 4", false),
    ];
    await clock.advance(10_000);
    await Promise.all(all);
    expect(order).toEqual(["answer 1", "gate", "persona", "answer 2", "answer 3", "answer 4"]);
  });
});
