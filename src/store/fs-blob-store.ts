import { mustExist } from '../must-exist.js';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { AirlockError } from '../errors.js';
import type { BlobInfo, BlobStore, ExpectedDigests } from './blob-store.js';

const supported = new Set(['sha1', 'sha256', 'sha384', 'sha512']);

/** Blobs as files under `<root>/sha256/ab/<hex>`, written via temp file, fsync and rename. */
export class FsBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  async put(source: AsyncIterable<Uint8Array>, expected: ExpectedDigests): Promise<BlobInfo> {
    const algorithms = Object.keys(expected).filter((a) => supported.has(a));
    if (algorithms.length === 0)
      throw new AirlockError('EINTEGRITY', 'refusing to store bytes without an expected digest to check them against');
    const hashes = new Map(['sha256', ...algorithms].map((a) => [a, createHash(a)]));
    const tmpDir = path.join(this.root, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    const tmp = path.join(tmpDir, randomUUID());
    const handle = await open(tmp, 'wx');
    let size = 0;
    let kept = false;
    try {
      for await (const chunk of source) {
        for (const h of hashes.values()) h.update(chunk);
        size += chunk.byteLength;
        await handle.write(chunk);
      }
      await handle.sync();
      await handle.close();
      const actual = Object.fromEntries([...hashes].map(([a, h]) => [a, h.digest('hex')]));
      for (const a of algorithms) {
        if (actual[a] !== expected[a]?.toLowerCase())
          throw new AirlockError('EINTEGRITY', `content does not match its ${a} digest (expected ${expected[a]}, got ${actual[a]})`);
      }
      const sha256 = mustExist(actual.sha256, 'the sha256 of a blob just hashed');
      const final = this.pathFor(sha256);
      await mkdir(path.dirname(final), { recursive: true });
      await rename(tmp, final);
      kept = true;
      return { key: sha256, size, sha256 };
    } finally {
      if (!kept) {
        await handle.close().catch(() => {});
        await rm(tmp, { force: true });
      }
    }
  }

  async stat(key: string): Promise<{ size: number } | null> {
    try {
      const s = await stat(this.pathFor(key));
      return { size: s.size };
    } catch {
      return null;
    }
  }

  async open(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const file = this.pathFor(key);
    const s = await stat(file).catch(() => null);
    if (!s) throw new AirlockError('ENOTFOUND', `blob ${key} is not stored`);
    return createReadStream(file, range);
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathFor(key), { force: true });
  }

  /** Temp files of writes that never finished (a killed download), older than `olderThan`. */
  async removeOrphans(olderThan: Date): Promise<number> {
    const tmpDir = path.join(this.root, 'tmp');
    const names = await readdir(tmpDir).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      const file = path.join(tmpDir, name);
      const s = await stat(file).catch(() => null);
      if (!s || s.mtime >= olderThan) continue;
      await rm(file, { force: true });
      removed++;
    }
    return removed;
  }

  private pathFor(key: string): string {
    if (!/^[0-9a-f]{64}$/.test(key)) throw new AirlockError('EBADREQUEST', `"${key}" is not a blob key`);
    return path.join(this.root, 'sha256', key.slice(0, 2), key);
  }
}
