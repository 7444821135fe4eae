import type { CachedDocument } from './release-store.js';

/** A document given to a store and not yet written. */
export interface PendingDocument {
  key: string;
  doc: CachedDocument;
}

interface Pending extends PendingDocument {
  waiters: { resolve: () => void; reject: (err: Error) => void }[];
}

/**
 * Cached upstream documents given to a store in one turn of the event loop, written together when
 * it ends, `batchSize` at a time (a first install gives one per package, several per turn). Each is
 * held under an id (its key, or the file the key names); a later document for an id given before
 * the first is written replaces it (the store ends the same) and both settle together. Until
 * written, `pending` answers for the id with the latest document given. Each `put` settles once its
 * batch is written, or rejects with the batch's error (the document stored before, if any, stays).
 *
 * The writer either writes a batch in the call (throwing on failure) or returns a promise of it.
 */
export class DocumentWrites<Id = string> {
  private readonly given = new Map<Id, Pending>();
  private scheduled = false;
  /** The batches written last, so `idle` can wait for them. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (batch: PendingDocument[], ids: Id[]) => void | Promise<void>,
    private readonly batchSize: number,
  ) {}

  put(id: Id, key: string, doc: CachedDocument): Promise<void> {
    return new Promise((resolve, reject) => {
      const pending = this.given.get(id);
      if (pending) {
        pending.key = key;
        pending.doc = doc;
        pending.waiters.push({ resolve, reject });
      } else this.given.set(id, { key, doc, waiters: [{ resolve, reject }] });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** The latest document given for `id` and not yet written. */
  pending(id: Id): PendingDocument | undefined {
    return this.given.get(id);
  }

  /** Writes every document given so far, and waits for those being written. */
  async idle(): Promise<void> {
    await this.flush();
  }

  private flush(): Promise<void> {
    this.scheduled = false;
    const all = [...this.given];
    this.given.clear();
    const batches: Promise<void>[] = [];
    for (let from = 0; from < all.length; from += this.batchSize) {
      const batch = all.slice(from, from + this.batchSize);
      const written = () => {
        for (const [, { waiters }] of batch) for (const w of waiters) w.resolve();
      };
      const failed = (err: unknown) => {
        const error = err instanceof Error ? err : new Error(`could not write documents: ${String(err)}`);
        for (const [, { waiters }] of batch) for (const w of waiters) w.reject(error);
      };
      let writing: void | Promise<void>;
      try {
        writing = this.write(
          batch.map(([, { key, doc }]) => ({ key, doc })),
          batch.map(([id]) => id),
        );
      } catch (err) {
        failed(err);
        continue;
      }
      batches.push(Promise.resolve(writing).then(written, failed));
    }
    const before = this.writing;
    this.writing = Promise.all([before, ...batches]).then(() => {});
    return this.writing;
  }
}
