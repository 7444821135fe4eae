/** One regular file read from an archive. */
export interface RawFile {
  /** Normalized relative path inside the archive (forward slashes, no `./`, no `..`). */
  path: string;
  size: number;
  /** Content, when the caller asked for it and it is within the per-file cap; otherwise null. */
  data: Buffer | null;
  /** The first bytes (up to 8), always present, for magic-number checks. */
  head: Buffer;
}

/** Decides from an entry's path whether its content is needed. */
export type WantContent = (path: string, size: number) => boolean;
