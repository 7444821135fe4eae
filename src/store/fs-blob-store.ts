import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { AirlockError } from '../errors.js';
import type { BlobBackend, BlobWriter } from './blob-store.js';
import { openTempFile } from './temp-file.js';
import { checkKey, VerifiedBlobStore } from './verified-blob-store.js';

/**
 * Blob files under `<root>/sha256/ab/<hex>`, written via temp file and rename. No fsync before the
 * rename (it cost every first download a disk flush on the analysis's critical path): a process
 * that dies leaves the page cache intact, and a blob torn by a power loss is caught on first read,
 * since `CheckedBlobStore` re-hashes every blob once per process before serving it and has it
 * fetched again from upstream when it no longer matches its key.
 */
export class FsBlobBackend implements BlobBackend {
  constructor(private readonly root: string) {}

  async begin(): Promise<BlobWriter> {
    const tmp = await openTempFile(path.join(this.root, 'tmp'));
    return {
      write: tmp.write,
      commit: async (key) => {
        await tmp.close();
        const final = this.pathFor(key);
        await mkdir(path.dirname(final), { recursive: true });
        await rename(tmp.path, final);
      },
      abort: tmp.discard,
    };
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
    checkKey(key);
    return path.join(this.root, 'sha256', key.slice(0, 2), key);
  }
}

/** The embedded default: verified blobs as files under `root`. */
export class FsBlobStore extends VerifiedBlobStore {
  constructor(root: string) {
    super(new FsBlobBackend(root));
  }
}
