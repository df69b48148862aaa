import type { FakeGitHub } from "./fake-github.js";
import { until } from "./until.js";

/**
 * Runs `start` with a window held open on the fake GitHub between a GraphQL write (the first mutation whose
 * document matches `write`) and the snapshot read after it: `meanwhile` runs when that write was applied and
 * the read is on its way, so what it changes only that read can see. Returns `start`'s promise, unawaited
 * until the window closed.
 */
export async function betweenWriteAndRead<T>(
  gh: FakeGitHub,
  write: RegExp,
  start: () => Promise<T>,
  meanwhile: () => void,
): Promise<{ done: Promise<T> }> {
  const held = (body: RegExp) => {
    let release!: () => void;
    const hold = { method: "POST", path: /\/graphql$/, body, until: new Promise<void>((r) => (release = r)), times: 1 };
    gh.holds.push(hold);
    return { hold, release };
  };
  const w = held(write);
  const done = start();
  done.catch(() => undefined); // the caller awaits it (a rejection is theirs to check)
  await until(
    () => w.hold.times === 0,
    () => "the write was never sent",
  );
  const r = held(/query PullSnapshot/);
  w.release();
  await until(
    () => r.hold.times === 0,
    () => "the read after the write was never sent",
  );
  meanwhile();
  r.release();
  return { done };
}
