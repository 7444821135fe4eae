import type { Readable } from 'node:stream';

/** Digests the bytes must match, lowercase hex by algorithm (`sha512`, `sha256`, `sha1`). */
export type ExpectedDigests = Record<string, string>;

export interface BlobInfo {
  key: string;
  size: number;
  sha256: string;
}

/**
 * Content-addressed artifact bytes. `put` verifies and writes atomically, so concurrent writers
 * of the same content are harmless; a mismatch keeps nothing. Filesystem by default; S3 plugs in here.
 */
export interface BlobStore {
  /**
   * Streams `source` into the store. Rejects with an `EINTEGRITY` AirlockError, keeping nothing,
   * when any expected digest does not match (or when none is given: unverified bytes are never kept).
   */
  put(source: AsyncIterable<Uint8Array>, expected: ExpectedDigests): Promise<BlobInfo>;
  stat(key: string): Promise<{ size: number } | null>;
  /** Opens the bytes, optionally a byte range (inclusive `end`). */
  open(key: string, range?: { start: number; end: number }): Promise<Readable>;
  /** Removes a blob; removing one that is not there is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Removes what interrupted writes left behind (temp files, unfinished uploads) older than
   * `olderThan`, and returns how many. Older than, so another process's write in progress is safe.
   */
  removeOrphans?(olderThan: Date): Promise<number>;
}
