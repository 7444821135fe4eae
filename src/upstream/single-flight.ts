/**
 * Runs `fn` once per key at a time: concurrent callers with the same key share one promise.
 * An optimisation only (one upstream fetch per burst); correctness rests on the content-addressed
 * atomic write in the BlobStore, so several replicas doing the same work is harmless.
 */
export class SingleFlight<T> {
  private readonly inflight = new Map<string, Promise<T>>();

  run(key: string, fn: () => Promise<T>): Promise<T> {
    const existing = this.inflight.get(key);
    if (existing) return existing;
    const p = fn().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  /** Whether a run for `key` is in progress. */
  running(key: string): boolean {
    return this.inflight.has(key);
  }
}
