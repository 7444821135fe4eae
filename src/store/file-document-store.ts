import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { CachedDocument } from './release-store.js';

/** What a document file says of itself on its first line, before the body. */
interface DocumentHeader {
  key: string;
  etag: string | null;
  lastModified: string | null;
  fetchedAt: number;
  /** Bytes of body after the header line: a file cut short reads as no document. */
  length: number;
}

/**
 * Cached upstream documents (npm packuments, PyPI project pages) as files, one per key, for the
 * embedded store. The bytes are written and read in Node's thread pool, so the event loop only
 * hands them over: at a first sight each document is tens or hundreds of kilobytes, and writing it
 * into the SQLite file was the larger part of recording a package's releases there.
 *
 * A file is named by the sha256 of its key (so no key, however hostile, names a path of its own),
 * in a folder per first two hex digits. It holds one line of JSON (key, validators, fetch time,
 * body length) and then the body. Each write goes to a new name in `tmp/` and is renamed over the
 * old file, so a reader sees the old document or the new one, never a mix; writes of one key
 * happen in the order they were given. A file that is cut short, unreadable, or for another key
 * reads as absent: a cache miss, so upstream is asked again.
 */
export class FileDocumentStore {
  /** The latest write of each file still under way, so reads and later writes wait for it. */
  private readonly writes = new Map<string, Promise<void>>();
  private readonly folders = new Set<string>();
  private sequence = 0;

  /** Where writes go before they are renamed into place: one folder, so a start reads only it for leftovers. */
  private readonly temporaries: string;

  constructor(private readonly root: string) {
    this.temporaries = path.join(root, 'tmp');
  }

  async get(key: string): Promise<CachedDocument | null> {
    const file = this.fileOf(key);
    await this.writes.get(file)?.catch(() => {});
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const parsed = parseDocument(bytes);
    return parsed && parsed.key === key ? parsed.doc : null;
  }

  /** Settles once the document is in place (or could not be written: the old one, if any, stays). */
  put(key: string, doc: CachedDocument): Promise<void> {
    const file = this.fileOf(key);
    const before = this.writes.get(file);
    const write = (before ? before.catch(() => {}) : Promise.resolve()).then(() => this.write(file, key, doc));
    this.writes.set(file, write);
    const done = () => {
      if (this.writes.get(file) === write) this.writes.delete(file);
    };
    write.then(done, done);
    return write;
  }

  /** Every stored document, in no particular order (e.g. to copy the store elsewhere). */
  async *entries(): AsyncGenerator<{ key: string; doc: CachedDocument }> {
    await this.idle();
    for (const folder of await listOrEmpty(this.root)) {
      if (!/^[0-9a-f]{2}$/.test(folder)) continue;
      for (const name of await listOrEmpty(path.join(this.root, folder))) {
        if (!/^[0-9a-f]{64}$/.test(name)) continue;
        const parsed = parseDocument(await readFile(path.join(this.root, folder, name)).catch(() => Buffer.alloc(0)));
        if (parsed && this.fileOf(parsed.key) === path.join(this.root, folder, name)) yield parsed;
      }
    }
  }

  /**
   * Removes temporary files a process that ended left behind (it stopped between writing one and
   * renaming it); those of processes still running are theirs. Reads `tmp/` alone, not the
   * documents. Returns how many went.
   */
  async removeLeftovers(): Promise<number> {
    let removed = 0;
    for (const name of await listOrEmpty(this.temporaries)) {
      const m = /^[0-9a-f]{64}\.(\d+)\.\d+$/.exec(name);
      if (!m || isRunning(Number(m[1]))) continue;
      await rm(path.join(this.temporaries, name), { force: true });
      removed++;
    }
    return removed;
  }

  /** Waits for every write given so far. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.writes.values()]);
  }

  private fileOf(key: string): string {
    const name = createHash('sha256').update(key).digest('hex');
    return path.join(this.root, name.slice(0, 2), name);
  }

  private async write(file: string, key: string, doc: CachedDocument): Promise<void> {
    for (const folder of [this.temporaries, path.dirname(file)]) {
      if (this.folders.has(folder)) continue;
      await mkdir(folder, { recursive: true });
      this.folders.add(folder);
    }
    const header: DocumentHeader = { key, etag: doc.etag, lastModified: doc.lastModified, fetchedAt: doc.fetchedAt.getTime(), length: doc.body.length };
    // A name no other write uses, in this process or another on the same folder.
    const temporary = path.join(this.temporaries, `${path.basename(file)}.${process.pid}.${++this.sequence}`);
    try {
      const handle = await open(temporary, 'wx');
      try {
        // Each call writes all its bytes, the second after the first: the body is not copied.
        await handle.writeFile(`${JSON.stringify(header)}\n`);
        await handle.writeFile(doc.body);
      } finally {
        await handle.close();
      }
      await rename(temporary, file);
    } catch (err) {
      await rm(temporary, { force: true }).catch(() => {});
      throw err;
    }
  }
}

/** A document file's key and document, or null when it is not a whole one. */
function parseDocument(bytes: Buffer): { key: string; doc: CachedDocument } | null {
  const end = bytes.indexOf(0x0a);
  if (end < 0) return null;
  let header: Partial<DocumentHeader>;
  try {
    header = JSON.parse(bytes.toString('utf8', 0, end)) as Partial<DocumentHeader>;
  } catch {
    return null;
  }
  const { key, etag, lastModified, fetchedAt, length } = header;
  if (typeof key !== 'string' || typeof fetchedAt !== 'number' || length !== bytes.length - end - 1) return null;
  return {
    key,
    doc: {
      body: bytes.subarray(end + 1),
      etag: typeof etag === 'string' ? etag : null,
      lastModified: typeof lastModified === 'string' ? lastModified : null,
      fetchedAt: new Date(fetchedAt),
    },
  };
}

async function listOrEmpty(folder: string): Promise<string[]> {
  try {
    return (await readdir(folder)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Whether a process with this id runs (this one always does). */
function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
