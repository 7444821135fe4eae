import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { DocumentWrites } from './document-writes.js';
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
 * embedded store.
 *
 * Files are read and written with synchronous calls, as SQLite reads and writes its own file on
 * the same thread: a document is tens or hundreds of kilobytes, in the page cache, so a read or a
 * write is tens of microseconds. Through the thread pool each took four to six round trips, and
 * on a two-core machine every one of them woke a pool thread that took the core from the event
 * loop: more time than the copies themselves. Writes given in one turn of the event loop are made
 * when it ends (after the responses that turn wrote); until then a read of the key answers with
 * the document being written.
 *
 * A file is named by the sha256 of its key (so no key, however hostile, names a path of its own),
 * in a folder per first two hex digits. It holds one line of JSON (key, validators, fetch time,
 * body length) and then the body. Each write goes to a new name in `tmp/` and is renamed over the
 * old file, so a reader sees the old document or the new one, never a mix. A file that is cut
 * short, unreadable, or for another key reads as absent: a cache miss, so upstream is asked again.
 */
export class FileDocumentStore {
  /** Documents given and not yet written, by file (one at a time: each write is a few syscalls). */
  private readonly writes = new DocumentWrites<string>(([d], [file]) => {
    if (d && file) this.write(file, d.key, d.doc);
  }, 1);
  private readonly folders = new Set<string>();
  private sequence = 0;

  /** Where writes go before they are renamed into place: one folder, so a start reads only it for leftovers. */
  private readonly temporaries: string;

  constructor(private readonly root: string) {
    this.temporaries = path.join(root, 'tmp');
  }

  async get(key: string): Promise<CachedDocument | null> {
    const file = this.fileOf(key);
    const pending = this.writes.pending(file);
    if (pending) return pending.key === key ? pending.doc : null;
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    const parsed = parseDocument(bytes);
    return parsed && parsed.key === key ? parsed.doc : null;
  }

  /**
   * Settles once the document is in place (or could not be written: the old one, if any, stays).
   * A later document for the key given before this one is written replaces it: the file ends the
   * same, and both settle together.
   */
  put(key: string, doc: CachedDocument): Promise<void> {
    return this.writes.put(this.fileOf(key), key, doc);
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

  /** Writes every document given so far. */
  idle(): Promise<void> {
    return this.writes.idle();
  }

  private fileOf(key: string): string {
    const name = createHash('sha256').update(key).digest('hex');
    return path.join(this.root, name.slice(0, 2), name);
  }

  private write(file: string, key: string, doc: CachedDocument): void {
    for (const folder of [this.temporaries, path.dirname(file)]) {
      if (this.folders.has(folder)) continue;
      mkdirSync(folder, { recursive: true });
      this.folders.add(folder);
    }
    const header: DocumentHeader = { key, etag: doc.etag, lastModified: doc.lastModified, fetchedAt: doc.fetchedAt.getTime(), length: doc.body.length };
    // A name no other write uses, in this process or another on the same folder.
    const temporary = path.join(this.temporaries, `${path.basename(file)}.${process.pid}.${++this.sequence}`);
    try {
      const fd = openSync(temporary, 'wx');
      try {
        // Each call writes all its bytes, the second after the first: the body is not copied.
        writeFileSync(fd, `${JSON.stringify(header)}\n`);
        writeFileSync(fd, doc.body);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, file);
    } catch (err) {
      try {
        rmSync(temporary, { force: true });
      } catch {
        // left for removeLeftovers; the write's own error is the one to report
      }
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
