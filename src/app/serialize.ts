/**
 * How the router runs the reconciles of one pull request (the key): never two at once, and a job that
 * only says "look again" joins one still waiting. In one process that is a KeyedSerializer; with Redis
 * (src/service/redis-keyed.ts) the same holds across worker processes.
 */
export interface KeyedRunner {
  run<T>(key: string, job: () => Promise<T>): Promise<T>;
  coalesce<T>(key: string, job: () => Promise<T>): Promise<T>;
}

/**
 * Runs jobs for the same key one after another. Two deliveries for one pull request that arrive
 * together would otherwise both see "no check run yet" and both create one. Across replicas the
 * reconcile stays correct on its own (it updates every run of a name and converges on the next
 * event); this only removes the common in-process race. Holds nothing once a key's jobs are done.
 */
export class KeyedSerializer implements KeyedRunner {
  private readonly tails = new Map<string, Promise<unknown>>();
  /** A coalescable job per key that has not started yet: later identical requests join it. */
  private readonly waiting = new Map<string, Promise<unknown>>();

  /**
   * Like `run`, but while a job for the key is still waiting for its turn, another request joins that
   * job instead of queueing a second one: a reconcile that has not started will read the newest state
   * anyway, so three approvals arriving together cost two reconciles, not three.
   */
  coalesce<T>(key: string, job: () => Promise<T>): Promise<T> {
    const joined = this.waiting.get(key);
    if (joined) return joined as Promise<T>;
    const result = this.run(key, () => {
      this.waiting.delete(key);
      return job();
    });
    this.waiting.set(key, result); // cleared by the job itself when it starts
    void result
      .catch(() => undefined)
      .then(() => {
        if (this.waiting.get(key) === result) this.waiting.delete(key);
      });
    return result;
  }

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(job, job);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  get busyKeys(): number {
    return this.tails.size;
  }
}
