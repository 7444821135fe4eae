import { mustExist } from '../must-exist.js';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { AirlockError } from '../errors.js';
import type { BlobBackend, BlobInfo, BlobStore, ExpectedDigests } from './blob-store.js';

const supported = new Set(['sha1', 'sha256', 'sha384', 'sha512']);

/**
 * The one place blob bytes are verified: every expected digest is computed while the bytes stream
 * into the backend, and only bytes that match all of them are committed, under their sha256. Any
 * backend (files, S3) gets the same check; a mismatch, or a source that fails half-way, keeps nothing.
 */
export class VerifiedBlobStore implements BlobStore {
  constructor(private readonly backend: BlobBackend) {}

  async put(source: AsyncIterable<Uint8Array>, expected: ExpectedDigests): Promise<BlobInfo> {
    const algorithms = Object.keys(expected).filter((a) => supported.has(a));
    if (algorithms.length === 0)
      throw new AirlockError('EINTEGRITY', 'refusing to store bytes without an expected digest to check them against');
    const hashes = new Map(['sha256', ...algorithms].map((a) => [a, createHash(a)]));
    const writer = await this.backend.begin();
    let size = 0;
    try {
      for await (const chunk of source) {
        for (const h of hashes.values()) h.update(chunk);
        size += chunk.byteLength;
        await writer.write(chunk);
      }
      const actual = Object.fromEntries([...hashes].map(([a, h]) => [a, h.digest('hex')]));
      for (const a of algorithms) {
        if (actual[a] !== expected[a]?.toLowerCase())
          throw new AirlockError('EINTEGRITY', `content does not match its ${a} digest (expected ${expected[a]}, got ${actual[a]})`);
      }
      const sha256 = mustExist(actual.sha256, 'the sha256 of a blob just hashed');
      await writer.commit(sha256, size);
      return { key: sha256, size, sha256 };
    } catch (err) {
      await writer.abort().catch(() => {});
      throw err;
    }
  }

  async stat(key: string): Promise<{ size: number } | null> {
    checkKey(key);
    return this.backend.stat(key);
  }

  async open(key: string, range?: { start: number; end: number }): Promise<Readable> {
    checkKey(key);
    return this.backend.open(key, range);
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    await this.backend.delete(key);
  }

  async removeOrphans(olderThan: Date): Promise<number> {
    return (await this.backend.removeOrphans?.(olderThan)) ?? 0;
  }
}

/** A key is sha256 hex and nothing else, so it can never name a path or another object. */
export function checkKey(key: string): void {
  if (!/^[0-9a-f]{64}$/.test(key)) throw new AirlockError('EBADREQUEST', `"${key}" is not a blob key`);
}
