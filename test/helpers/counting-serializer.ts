import { KeyedSerializer, type KeyedRunner } from "../../src/app/serialize.js";
import { until } from "./until.js";

/**
 * The router's in-process serializer, counting the jobs handed to it. The router joins a delivery's facts
 * to its pull request's batch before it hands the batch's job to `coalesce` (a delivery that cannot join
 * goes to `run`), so a count that has grown by n says n more deliveries are waiting. Tests that hold a
 * reconcile wait for that count before they release it: a sleep is no promise on a loaded machine (CI runs
 * the whole suite on 2 cores), and a delivery that arrives after the release gets a reconcile of its own.
 */
export class CountingSerializer implements KeyedRunner {
  private readonly inner = new KeyedSerializer();
  /** Jobs handed to `run` or `coalesce` so far. */
  handed = 0;

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    this.handed++;
    return this.inner.run(key, job);
  }

  coalesce<T>(key: string, job: () => Promise<T>): Promise<T> {
    this.handed++;
    return this.inner.coalesce(key, job);
  }

  /** Resolves once `handed` has reached `n`. */
  until(n: number): Promise<void> {
    return until(
      () => this.handed >= n,
      () => `${this.handed} jobs handed to the serializer, not ${n}`,
    );
  }
}
