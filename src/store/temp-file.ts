import { randomUUID } from 'node:crypto';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';

/** A new file under `dir` that bytes are written to before they are kept (renamed or uploaded) or discarded. */
export interface TempFile {
  readonly path: string;
  readonly write: (chunk: Uint8Array) => Promise<void>;
  /** Closes the handle; closing twice is harmless. */
  readonly close: () => Promise<void>;
  /** Closes and removes the file, whatever state it is in. */
  readonly discard: () => Promise<void>;
}

/** Creates a uniquely named temp file in `dir` (created if missing), opened exclusively for writing. */
export async function openTempFile(dir: string): Promise<TempFile> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, randomUUID());
  const handle = await open(file, 'wx');
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return {
    path: file,
    write: async (chunk) => {
      await handle.write(chunk);
    },
    close,
    discard: async () => {
      await close().catch(() => {});
      await rm(file, { force: true });
    },
  };
}
