import { BoundedCache } from '../../bounded-cache.js';
import type { BlobStore } from '../../store/blob-store.js';

export interface TarballMemoryOptions {
  /** Bytes kept in memory in all. @default 32 MiB */
  maxBytes?: number;
  /** Tarballs larger than this are always streamed from disk. @default 4 MiB */
  maxFileBytes?: number;
}

/**
 * The bytes of recently served tarballs, by blob key, least recently used out first. Blobs are
 * content-addressed and verified before they are stored, so a cached copy can never be stale;
 * whether a client may have it is decided before this is asked. A hot tarball (CI installs from
 * one lockfile) is then one socket write instead of opening, reading and closing a file.
 */
export class TarballMemory {
  private readonly entries: BoundedCache<string, Buffer>;
  private readonly maxBytes: number;
  private readonly maxFileBytes: number;

  constructor(
    private readonly blobs: BlobStore,
    options: TarballMemoryOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
    this.maxFileBytes = options.maxFileBytes ?? 4 * 1024 * 1024;
    this.entries = new BoundedCache({ maxBytes: this.maxBytes });
  }

  /** The cached bytes of a blob, or null (then the caller streams it and may `load` it). */
  get(key: string): Buffer | null {
    const bytes = this.entries.get(key);
    if (!bytes) return null;
    // Served: the newest again.
    this.entries.set(key, bytes, bytes.length);
    return bytes;
  }

  /** Drops a blob's bytes (evicted from storage: the next request must not be answered from here). */
  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Reads a small blob into memory for the next requests; larger ones are left on disk. */
  async load(key: string, size: number): Promise<void> {
    if (size > this.maxFileBytes || size > this.maxBytes || this.entries.get(key)) return;
    const chunks: Buffer[] = [];
    for await (const chunk of await this.blobs.open(key)) chunks.push(chunk as Buffer);
    // One chunk that is all of its memory (a blob store's own copy in memory) is kept as it is,
    // shared; anything else is copied, so no larger read buffer is held for a small tarball.
    const [only] = chunks;
    const bytes = chunks.length === 1 && only && only.byteOffset === 0 && only.byteLength === only.buffer.byteLength ? only : Buffer.concat(chunks);
    if (bytes.length !== size || this.entries.get(key)) return;
    this.entries.set(key, bytes, size);
  }
}
