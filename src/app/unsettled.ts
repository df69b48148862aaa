import type { ButtonClick } from "./records.js";

/**
 * Clicks this process received but could not record (every write failed). A click lives only in its
 * delivery until its record is written, so while one is unsettled the pull request's gate stays closed:
 * the next unrelated event must not judge as if the click never happened. An entry is settled when the
 * click is recorded (a redelivery succeeds); the reconcile also lets a later recorded click of the same
 * reviewer for the same persona supersede it.
 * Bounded: a pull request keeps at most 50, the process at most 1,000 pull requests (oldest dropped).
 */
export class UnsettledClicks {
  private readonly byPull = new Map<string, ButtonClick[]>();

  of(key: string): readonly ButtonClick[] {
    return this.byPull.get(key) ?? [];
  }

  add(key: string, click: ButtonClick): void {
    const list = (this.byPull.get(key) ?? [])
      .filter((c) => c.delivery !== click.delivery)
      .concat(click)
      .slice(-50);
    this.byPull.delete(key);
    this.byPull.set(key, list);
    if (this.byPull.size > 1_000) this.byPull.delete(this.byPull.keys().next().value!);
  }

  /** The click was recorded: forget it. (A later click of the same reviewer supersedes older ones in the reconcile.) */
  settle(key: string, click: ButtonClick): void {
    const left = this.of(key).filter((c) => c.delivery !== click.delivery);
    if (left.length > 0) this.byPull.set(key, left);
    else this.byPull.delete(key);
  }
}
