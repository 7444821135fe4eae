import type { Clock } from '../clock.js';
import type { Metrics } from '../metrics.js';
import type { BlobStore } from './blob-store.js';
import type { ReleaseStore } from './release-store.js';

export interface ArtifactCacheOptions {
  /** AIRLOCK_CACHE_MAX in bytes; null keeps every artifact (nothing is evicted). */
  maxBytes: number | null;
  /** How often served times are written and the bound checked. @default 5s */
  flushIntervalMs?: number;
}

/** Told of every evicted artifact, so in-process caches of its blob key or bytes forget it. */
export type EvictionListener = (artifactId: number, blobKey: string) => void;

/**
 * The bounded artifact cache: remembers when each artifact was last served (in memory, written
 * in one batch every few seconds, so serving a tarball costs a Map write) and, when the stored
 * bytes pass `maxBytes`, evicts the least recently served artifacts that may go. The store picks
 * them (never one of a release upstream withdrew, or that a reviewer approved: upstream may not
 * give those bytes again); their blob key is cleared first, so the next request fetches and
 * verifies them again, then the blob is deleted unless another artifact still references it.
 */
export class ArtifactCache {
  private served = new Map<number, Date>();
  private readonly listeners: EvictionListener[] = [];
  private readonly timer: NodeJS.Timeout | null;
  private running: Promise<void> | null = null;
  /** When the stored bytes were last summed (process time, not the injected clock: it paces work). */
  private countedAtMs = -Infinity;

  constructor(
    private readonly deps: { store: ReleaseStore; blobs: BlobStore; clock: Clock; metrics: Metrics; log: (message: string) => void },
    private readonly options: ArtifactCacheOptions,
  ) {
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 5_000);
    this.timer.unref();
  }

  /** Records that a client was served this artifact's bytes now. */
  markServed(artifactId: number): void {
    this.served.set(artifactId, this.deps.clock.now());
  }

  onEvict(listener: EvictionListener): void {
    this.listeners.push(listener);
  }

  /**
   * Writes the served times gathered since the last flush, then evicts while the stored bytes
   * pass the bound. One run at a time; a call during a run waits for it.
   */
  flush(): Promise<void> {
    this.running ??= this.run().finally(() => (this.running = null));
    return this.running;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  private async run(): Promise<void> {
    try {
      const served = this.served;
      this.served = new Map();
      // One write per distinct time (usually one or a few per flush).
      const byTime = new Map<number, number[]>();
      for (const [id, at] of served) byTime.set(at.getTime(), [...(byTime.get(at.getTime()) ?? []), id]);
      for (const [at, ids] of byTime) await this.deps.store.markArtifactsServed(ids, new Date(at));

      const max = this.options.maxBytes;
      // Unbounded, the sum only feeds the gauge: once a minute is enough.
      const nowMs = Date.now();
      if (max === null && nowMs - this.countedAtMs < 60_000) return;
      this.countedAtMs = nowMs;
      let stored = await this.deps.store.storedArtifactBytes();
      this.deps.metrics.cacheStoredBytes.set(stored);
      if (max === null || stored <= max) return;
      while (stored > max) {
        const batch = await this.deps.store.listEvictableArtifacts(100);
        if (batch.length === 0) {
          this.deps.log(`artifact cache holds ${stored} bytes, over AIRLOCK_CACHE_MAX ${max}, but all of it is kept (withdrawn upstream or approved)`);
          break;
        }
        for (const candidate of batch) {
          if (await this.evict(candidate.artifactId, candidate.blobKey)) stored -= candidate.size;
          if (stored <= max) break;
        }
      }
      this.deps.metrics.cacheStoredBytes.set(await this.deps.store.storedArtifactBytes());
    } catch (err) {
      this.deps.log(`artifact cache: could not record served artifacts or evict: ${(err as Error).message}`);
    }
  }

  /** Evicts one artifact; true when its blob was deleted (no other artifact references it). */
  private async evict(artifactId: number, blobKey: string): Promise<boolean> {
    const { evicted, blobStillReferenced } = await this.deps.store.evictArtifact(artifactId, blobKey);
    if (!evicted) return false;
    // The row no longer names the blob: a request from here on fetches it again from upstream.
    if (!blobStillReferenced) await this.deps.blobs.delete(blobKey);
    this.deps.metrics.cacheEvictions.inc();
    for (const listener of this.listeners) listener(artifactId, blobKey);
    return !blobStillReferenced;
  }
}
