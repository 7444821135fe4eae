import { Worker } from 'node:worker_threads';
import { workerBundle, workerLoaderUrl } from '../worker-bundle.js';
import type { SqliteDatabase } from './open-sqlite.js';
import type { NewArtifacts, NewReleases, SqliteWrites, StoredDocument } from './sqlite-writes.js';

export type WriterRequest =
  | { kind: 'releases'; seq: number; batch: NewReleases }
  | { kind: 'artifacts'; seq: number; batch: NewArtifacts }
  | { kind: 'document'; seq: number; doc: StoredDocument }
  | { kind: 'close' };

export type WriterReply =
  | { seq: number; ok: true; ids: [string, number][] }
  | { seq: number; ok: false; message: string; code: string | null };

const entry = new URL('./sqlite-writer-worker.ts', import.meta.url);

/**
 * Does what a package's first sight writes (its releases, artifacts and document) on a thread of
 * its own, with its own connection to the file, so the event loop serves requests meanwhile: at
 * first sight of a large registry, writing them was a quarter of the main thread's time. All of
 * them go there, small ones too: SQLite lets one connection write at a time, and a write on the
 * event loop while the thread holds the lock would stop the loop until it is free. The rarer
 * writes left on the store's connection (decisions, transitions, analysis results) wait for the
 * lock (busy_timeout) and take it first (BEGIN IMMEDIATE), so none fails for a snapshot the thread
 * moved on.
 *
 * Until the thread is up, for an in-memory database, or once the thread has failed (logged), the
 * same writes run on the store's connection. Writes of one kind are done in the order given.
 */
/**
 * Documents posted to the thread and not yet written, at most; the rest wait here, holding only a
 * reference to their bytes (a posted one is a copy). Releases and artifacts are posted at once:
 * they are small, and a client waits on its package's. So the thread always has work while the
 * event loop is busy, and a package's releases wait behind a few documents at most.
 */
const maxPostedDocuments = 8;

type Write = Exclude<WriterRequest, { kind: 'close' }>;
interface Queued {
  request: Write;
  resolve: (ids: [string, number][]) => void;
  reject: (err: Error) => void;
}

export class SqliteWriter {
  private worker: Worker | null = null;
  private exited: Promise<void> | null = null;
  private readonly waitingDocuments: Queued[] = [];
  private readonly posted = new Map<number, Queued>();
  private postedDocuments = 0;
  private drained: (() => void) | null = null;
  private seq = 0;
  private closed = false;
  /** Writes done on the thread and on the store's connection. */
  readonly stats = { offThread: 0, inThread: 0 };
  /** Settles once writes go to the thread (true), or when they will not (false: in memory, closed, or no thread). */
  readonly ready: Promise<boolean>;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly local: SqliteWrites,
    private readonly log: (message: string) => void,
  ) {
    // No other connection can open an in-memory database.
    this.ready =
      db.memory || db.readonly
        ? Promise.resolve(false)
        : workerBundle(entry, 'SQLite writer', log).then((url) => {
            if (this.closed || !db.open) return false;
            this.start(url);
            return this.threaded;
          });
  }

  /** True once writes go to the thread. */
  get threaded(): boolean {
    return this.worker !== null;
  }

  /** Writes a package's new releases; their ids by version. */
  async releases(batch: NewReleases): Promise<[string, number][]> {
    return this.write({ kind: 'releases', seq: ++this.seq, batch });
  }

  async artifacts(batch: NewArtifacts): Promise<void> {
    await this.write({ kind: 'artifacts', seq: ++this.seq, batch });
  }

  async document(doc: StoredDocument): Promise<void> {
    await this.write({ kind: 'document', seq: ++this.seq, doc });
  }

  /** Waits for the writes given so far, then stops the thread; later writes run on the store's connection. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    if (this.posted.size > 0 || this.waitingDocuments.length > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.worker = null;
    worker.ref();
    worker.postMessage({ kind: 'close' } satisfies WriterRequest);
    await this.exited;
  }

  private async write(request: Write): Promise<[string, number][]> {
    const worker = this.worker;
    if (!worker) return this.writeHere(request);
    return new Promise((resolve, reject) => {
      const write = { request, resolve, reject };
      if (request.kind === 'document') {
        this.waitingDocuments.push(write);
        this.pump();
      } else this.post(write, worker);
    });
  }

  private writeHere(request: Write): [string, number][] {
    this.stats.inThread++;
    switch (request.kind) {
      case 'releases':
        return this.local.writeReleases(request.batch);
      case 'artifacts':
        this.local.writeArtifacts(request.batch);
        return [];
      case 'document':
        this.local.writeDocument(request.doc);
        return [];
    }
  }

  private post(write: Queued, worker: Worker): void {
    this.stats.offThread++;
    if (write.request.kind === 'document') this.postedDocuments++;
    // Kept alive while it has work: a write given just before shutdown still lands.
    if (this.posted.size === 0) worker.ref();
    this.posted.set(write.request.seq, write);
    if (write.request.kind === 'document') {
      // Its own copy, moved to the thread rather than cloned (one copy, not two), which the thread
      // moves back once written: freed with this heap's garbage, not kept until the thread's next GC.
      const body = new Uint8Array(write.request.doc.body);
      worker.postMessage({ ...write.request, doc: { ...write.request.doc, body } }, [body.buffer]);
    } else worker.postMessage(write.request);
  }

  /** Posts the documents waiting, as far as the bound allows; tells close() once nothing is left. */
  private pump(): void {
    const worker = this.worker;
    while (worker && this.postedDocuments < maxPostedDocuments) {
      const next = this.waitingDocuments.shift();
      if (!next) break;
      this.post(next, worker);
    }
    if (this.posted.size === 0 && this.waitingDocuments.length === 0 && this.drained) {
      this.drained();
      this.drained = null;
    }
  }

  private start(bundle: URL | null): void {
    const worker = new Worker(bundle ?? workerLoaderUrl, {
      workerData: { entry: entry.href, file: this.db.name, resolveFrom: import.meta.url },
      // It keeps nothing between writes: a small young generation is collected often, and returns
      // the copies of the documents it wrote (outside the heap) soon.
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 256 },
      stdout: false,
      stderr: false,
    });
    worker.unref();
    this.worker = worker;
    let failure: Error | null = null;
    worker.on('message', (reply: WriterReply) => {
      const write = this.posted.get(reply.seq);
      if (!write) return;
      this.posted.delete(reply.seq);
      if (write.request.kind === 'document') this.postedDocuments--;
      if (this.posted.size === 0) worker.unref();
      if (reply.ok) write.resolve(reply.ids);
      else write.reject(Object.assign(new Error(reply.message), { code: reply.code ?? undefined }));
      this.pump();
    });
    worker.on('error', (err) => (failure = err));
    this.exited = new Promise((resolve) => {
      worker.once('exit', (code) => {
        const why = failure?.message ?? `exit code ${code}`;
        if (this.worker === worker) {
          this.worker = null;
          this.log(`SQLite writer thread stopped (${why}); writes continue on the main connection`);
        }
        // What it was given may or may not have committed: those writes fail, and their callers
        // read the store again. What it was not yet given is written here.
        const err = new Error(`the SQLite writer thread stopped before answering: ${why}`);
        for (const write of this.posted.values()) write.reject(err);
        this.posted.clear();
        this.postedDocuments = 0;
        for (const write of this.waitingDocuments.splice(0)) {
          try {
            write.resolve(this.writeHere(write.request));
          } catch (e) {
            write.reject(e as Error);
          }
        }
        this.drained?.();
        this.drained = null;
        resolve();
      });
    });
  }
}
