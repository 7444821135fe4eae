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

/**
 * Where a BlobStore keeps bytes: files, S3, … It knows nothing of digests; `VerifiedBlobStore` in
 * front of it checks every byte once while streaming and only then names the blob. Keys are
 * lowercase sha256 hex.
 */
export interface BlobBackend {
  /** Starts writing bytes whose key is not known yet (it is their sha256, known at the end). */
  begin(): Promise<BlobWriter>;
  stat(key: string): Promise<{ size: number } | null>;
  open(key: string, range?: { start: number; end: number }): Promise<Readable>;
  /** Removes a blob; removing one that is not there is not an error. */
  delete(key: string): Promise<void>;
  /** As `BlobStore.removeOrphans`. */
  removeOrphans?(olderThan: Date): Promise<number>;
}

/** Bytes being written: nothing is readable under any key until `commit`. */
export interface BlobWriter {
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Makes the bytes readable under `key`, atomically (a reader sees all of them or none). Another
   * writer may commit the same key at the same time: content-addressed, both wrote the same bytes.
   */
  commit(key: string, size: number): Promise<void>;
  /** Throws away what was written; safe to call after a failed commit. */
  abort(): Promise<void>;
}
