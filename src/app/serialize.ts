/**
 * Runs jobs for the same key one after another. Two deliveries for one pull request that arrive
 * together would otherwise both see "no check run yet" and both create one. Across replicas the
 * reconcile stays correct on its own (it updates every run of a name and converges on the next
 * event); this only removes the common in-process race. Holds nothing once a key's jobs are done.
 */
export class KeyedSerializer {
  private readonly tails = new Map<string, Promise<unknown>>();

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
