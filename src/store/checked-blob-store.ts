import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { AirlockError } from '../errors.js';
import type { BlobInfo, BlobStore, ExpectedDigests } from './blob-store.js';

/** How many verified keys are remembered; past it the set starts over (a blob is then checked again). */
const maxRemembered = 200_000;

/**
 * Checks a stored blob's bytes against its key (the sha256 it was stored under) the first time
 * this process reads it, so bytes that rotted or were changed on disk (or in a bucket) since they
 * were verified are never served. A mismatching blob is deleted and reported as missing: the
 * fetchers then get it from upstream again and verify it against upstream's digest as usual.
 */
export class CheckedBlobStore implements BlobStore {
  private readonly verified = new Set<string>();
  private readonly checking = new Map<string, Promise<boolean>>();

  constructor(
    private readonly inner: BlobStore,
    private readonly log: (message: string) => void = () => {},
  ) {}

  async put(source: AsyncIterable<Uint8Array>, expected: ExpectedDigests): Promise<BlobInfo> {
    const info = await this.inner.put(source, expected);
    this.remember(info.key);
    return info;
  }

  async stat(key: string): Promise<{ size: number } | null> {
    const stat = await this.inner.stat(key);
    if (!stat || !(await this.check(key))) return null;
    return stat;
  }

  async open(key: string, range?: { start: number; end: number }): Promise<Readable> {
    if (!(await this.check(key))) throw new AirlockError('ENOTFOUND', `blob ${key} is not stored`);
    return this.inner.open(key, range);
  }

  async delete(key: string): Promise<void> {
    this.verified.delete(key);
    await this.inner.delete(key);
  }

  removeOrphans(olderThan: Date): Promise<number> {
    return this.inner.removeOrphans?.(olderThan) ?? Promise.resolve(0);
  }

  /** Whether the blob's bytes hash to its key; one check per key at a time. */
  private check(key: string): Promise<boolean> {
    if (this.verified.has(key)) return Promise.resolve(true);
    let pending = this.checking.get(key);
    if (!pending) {
      pending = this.verify(key).finally(() => this.checking.delete(key));
      this.checking.set(key, pending);
    }
    return pending;
  }

  private async verify(key: string): Promise<boolean> {
    const hash = createHash('sha256');
    try {
      for await (const chunk of await this.inner.open(key)) hash.update(chunk as Buffer);
    } catch (err) {
      if (err instanceof AirlockError && err.code === 'ENOTFOUND') return false;
      throw err;
    }
    const actual = hash.digest('hex');
    if (actual === key) {
      this.remember(key);
      return true;
    }
    this.log(`blob ${key} no longer matches its digest (its bytes hash to ${actual}); deleted, it is fetched from upstream again`);
    await this.inner.delete(key);
    return false;
  }

  private remember(key: string): void {
    if (this.verified.size >= maxRemembered) this.verified.clear();
    this.verified.add(key);
  }
}
