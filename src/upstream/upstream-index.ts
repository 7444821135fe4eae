import type { Clock } from '../clock.js';
import { AirlockError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { Ecosystem } from '../domain/ecosystem.js';
import type { CachedDocument, RecordSeenHint, ReleaseStore } from '../store/release-store.js';
import { BoundedCache } from '../bounded-cache.js';
import { SingleFlight } from './single-flight.js';
import { isUpstreamUnavailable, type DocumentResult, type UpstreamClient } from './upstream-client.js';

/** What an index keeps of one package; rendered documents are cached per `revision`. */
export interface IndexSnapshot {
  name: string;
  /** Changes whenever the document or the releases change. */
  revision: number;
}

/** What one ecosystem tells the shared index: where its documents are, and how to read and record one. */
export interface IndexSource<S extends IndexSnapshot> {
  ecosystem: Ecosystem;
  /** What a document is called in log lines (`packument`, `page`). */
  noun: string;
  /** Where the raw upstream document of a package is kept in the store. */
  documentKey(name: string): string;
  /** The upstream URL of a package's document. */
  documentUrl(name: string): URL;
  /** The `Accept` header upstream is asked with. */
  accept: string;
  /**
   * Reads a document and records what it says (releases, artifacts, withdrawals). Reading comes
   * first: a document that cannot be read throws an upstream error (`EUPSTREAM`) and changes nothing.
   */
  ingest(name: string, doc: CachedDocument, revision: number, origin: object, hint: RecordSeenHint): Promise<S>;
  /**
   * A document the store already holds (read again after the package left memory, or confirmed by
   * a 304) was recorded when it arrived: when given, this only reads it and its releases back,
   * or answers null when the store lacks a release of it (then it is ingested as new).
   */
  readBack?(name: string, doc: CachedDocument, revision: number): Promise<S | null>;
  /** The snapshot with its releases read again from the store (after a quarantine change). */
  reload(snapshot: S, revision: number): Promise<S>;
  /** Upstream has no such package (404/410): every release Airlock knows of it is withdrawn. */
  gone(name: string): Promise<void>;
  /** The raw document a snapshot was read from (an upstream without validators answers 200 with the same bytes). */
  raw(snapshot: S): Buffer;
  /** Estimated heap bytes a snapshot costs (its raw document and everything parsed from it). */
  cost(snapshot: S): number;
}

export interface UpstreamIndexDeps {
  store: Pick<ReleaseStore, 'getDocument' | 'putDocument'>;
  clock: Clock;
  client: Pick<UpstreamClient, 'getDocument'>;
  metrics: Pick<Metrics, 'upstreamRequests' | 'upstreamDuration' | 'indexReads'>;
  log: (message: string) => void;
  /** How long a document is used before upstream is asked again (in the background). */
  ttlMs: number;
  /** What the snapshots kept in memory may cost together, by `IndexSource.cost`. */
  maxBytes: number;
  /** Snapshots kept whatever they cost. */
  maxEntries?: number;
  /** Told the bytes held after every change, for a gauge. */
  onBytes?: (bytes: number) => void;
}

interface Entry<S> {
  /** null: upstream has no such package. */
  snapshot: S | null;
  /** Clock time (ms) of the last upstream check, successful or not (a failed check also waits a TTL). */
  checkedAt: number;
  /** The change count of the package when `snapshot`'s releases were read. */
  releasesAt: number;
  /** Upstream's validators for the document in `snapshot`, for the next conditional request. */
  etag: string | null;
  lastModified: string | null;
  /** When upstream sent the document in `snapshot` (its identity in the store); 0 without one. */
  fetchedAt: number;
}

/**
 * What stays of a package once it is dropped from memory: enough to know that its rendered
 * documents still describe it (same upstream document, same releases, checked within a TTL), so a
 * warm request is served without reading and parsing the document again.
 */
interface Shelved {
  revision: number;
  checkedAt: number;
  releasesAt: number;
  fetchedAt: number;
  /** Upstream's validators for that document, to ask whether it changed without reading it back. */
  etag: string | null;
  lastModified: string | null;
}

/** Shelved packages remembered (a few dozen bytes each); past it the shelf starts over. */
const maxShelved = 200_000;

/**
 * The packages of one ecosystem, kept in memory and refreshed from upstream at most once per
 * `ttlMs`, conditionally. A package Airlock already has is served at once while it revalidates in
 * the background (clients never wait on upstream for it); only a package seen for the first time
 * (or dropped from memory with an old stored document) waits. Every fresh document is recorded in
 * the store; when upstream is unreachable the last document keeps being served (also after a
 * restart), and a document that cannot be read keeps the last good one, both logged. Memory is
 * bounded by what snapshots cost and is only a cache: everything is rebuilt from the store and upstream.
 */
export class UpstreamIndex<S extends IndexSnapshot> {
  private readonly entries: BoundedCache<string, Entry<S>>;
  private readonly changes = new Map<string, number>();
  /** Origins of the ingests in progress (see `changed`). */
  private readonly recording = new WeakSet<object>();
  private readonly refreshes = new SingleFlight<Entry<S>>();
  private readonly reloads = new SingleFlight<S>();
  private readonly revalidations = new SingleFlight<number | null>();
  /** Every package read, in memory or dropped: its current revision and when upstream was last asked. */
  private readonly shelved = new Map<string, Shelved>();
  private revisions = 0;

  constructor(
    private readonly source: IndexSource<S>,
    private readonly deps: UpstreamIndexDeps,
  ) {
    this.entries = new BoundedCache({ maxBytes: deps.maxBytes, maxEntries: deps.maxEntries, onBytes: deps.onBytes });
  }

  /**
   * Called on every quarantine change of a package: its releases are read again on next use. A
   * change whose `origin` is an ingest in progress here is that ingest recording the document:
   * the releases it returns already include it, so it is not counted against them.
   */
  changed(name: string, origin?: object): void {
    if (origin && this.recording.has(origin)) return;
    this.changes.set(name, this.changeCount(name) + 1);
  }

  /** The package, or null when upstream has no such package. */
  async get(name: string): Promise<S | null> {
    let entry = this.entries.get(name);
    if (!entry) entry = await this.refreshes.run(name, () => this.refresh(name));
    else if (this.deps.clock.now().getTime() - entry.checkedAt >= this.deps.ttlMs) {
      // Stale while revalidating: what is visible is still decided against the current clock on
      // every request, so serving the last document meanwhile never shows a held release early.
      this.refreshes.run(name, () => this.refresh(name)).catch((err: unknown) => this.deps.log(`${this.id(name)}: refresh failed: ${(err as Error).message}`));
    }
    if (entry.snapshot && entry.releasesAt !== this.changeCount(name)) return this.reload(name, entry, entry.snapshot);
    return entry.snapshot;
  }

  /** Whether the package is in memory now (its document parsed). */
  inMemory(name: string): boolean {
    return this.entries.get(name) !== undefined;
  }

  /** Whether this process has read the package (it may have left memory since), or is reading it now. */
  seen(name: string): boolean {
    return this.shelved.has(name) || this.entries.get(name) !== undefined || this.refreshes.running(name);
  }

  /**
   * The revision of the package as last read, when it is still current: upstream was asked within
   * a TTL, and no quarantine change happened since. Null otherwise (the caller reads the package).
   * Costs a map lookup whether or not the package is still in memory, so documents rendered for
   * that revision can be served without the package.
   */
  currentRevision(name: string): number | null {
    const shelf = this.shelved.get(name);
    return shelf && this.deps.clock.now().getTime() - shelf.checkedAt < this.deps.ttlMs ? this.lastRevision(name) : null;
  }

  /** The revision of the package as last read, whether or not upstream was asked within a TTL; null after a quarantine change. */
  lastRevision(name: string): number | null {
    const shelf = this.shelved.get(name);
    return shelf && shelf.releasesAt === this.changeCount(name) ? shelf.revision : null;
  }

  /**
   * The revision of a package dropped from memory whose TTL ran out, once upstream confirms that
   * its document is unchanged: a conditional request with the validators of the document it was
   * read from; on 304 (or 200 with the stored bytes, from an upstream that ignores validators) the
   * package is current again for a TTL without its document being read back and parsed, so the
   * documents rendered for that revision are served on. Null when upstream sent anything else (a
   * new document, no such package), when the package is in memory (served stale while it
   * revalidates) or was never read, or changed in the quarantine since: the caller reads the
   * package the usual way. While upstream is unreachable the last document keeps being served, as
   * `get` does (logged).
   */
  async revalidate(name: string): Promise<number | null> {
    const shelf = this.shelved.get(name);
    if (!shelf || this.entries.get(name) !== undefined || this.refreshes.running(name)) return null;
    if (shelf.releasesAt !== this.changeCount(name)) return null;
    if (this.deps.clock.now().getTime() - shelf.checkedAt < this.deps.ttlMs) return shelf.revision;
    return this.revalidations.run(name, async () => {
      const { source, deps } = this;
      const upstream = source.ecosystem;
      const checkedAt = deps.clock.now().getTime();
      try {
        const result = await this.askUpstream(name, shelf);
        if (result.status !== 304) {
          const stored = await deps.store.getDocument(source.documentKey(name));
          // An upstream that ignores validators answers 200 with the same bytes: that is a 304 too.
          const same = result.status === 200 && stored && stored.fetchedAt.getTime() === shelf.fetchedAt && stored.body.equals(result.body);
          if (!same) {
            // Anything else (a changed document, no such package) is read from this answer, as a
            // refresh would: the caller then finds the package in memory, and upstream is asked once.
            if (!this.refreshes.running(name)) await this.refreshes.run(name, () => this.settle(name, undefined, stored, result, checkedAt));
            return null;
          }
        }
        deps.metrics.upstreamRequests.inc({ upstream, outcome: 'not-modified' });
      } catch (err) {
        if (!isUpstreamUnavailable(err)) throw err;
        deps.log(`${this.id(name)}: upstream unreachable, serving the ${source.noun} fetched at ${new Date(shelf.fetchedAt).toISOString()}: ${(err as Error).message}`);
      }
      // Only when nothing replaced the shelf or changed the package meanwhile.
      if (this.shelved.get(name) !== shelf || shelf.releasesAt !== this.changeCount(name)) return null;
      this.shelved.set(name, { ...shelf, checkedAt });
      return shelf.revision;
    });
  }

  /** Bytes the snapshots in memory are estimated to cost. */
  get bytes(): number {
    return this.entries.bytes;
  }

  private changeCount(name: string): number {
    return this.changes.get(name) ?? 0;
  }

  private id(name: string): string {
    return `${this.source.ecosystem}:${name}`;
  }

  private async reload(name: string, entry: Entry<S>, current: S): Promise<S> {
    return this.reloads.run(name, async () => {
      const seen = this.changeCount(name);
      const snapshot = await this.source.reload(current, ++this.revisions);
      // Only installed when no refresh replaced the entry meanwhile.
      const reloaded = { ...entry, snapshot, releasesAt: seen };
      if (this.entries.replace(name, entry, reloaded)) this.shelve(name, reloaded);
      return snapshot;
    });
  }

  private async refresh(name: string): Promise<Entry<S>> {
    const { source, deps } = this;
    const previous = this.entries.get(name);
    const docKey = source.documentKey(name);
    // The stored document is only read when memory has none (first use, restart, eviction).
    const stored = previous?.snapshot ? null : await deps.store.getDocument(docKey);
    const validators = previous?.snapshot ? previous : stored;
    const checkedAt = deps.clock.now().getTime();
    // A package dropped from memory whose stored document upstream sent less than a TTL ago is
    // rebuilt from it: asking upstream again would only make the client wait (an artifact request
    // right after its index, once the package was evicted meanwhile).
    if (!previous && stored && checkedAt - stored.fetchedAt.getTime() < deps.ttlMs) {
      return this.install(name, await this.ingest(name, stored, stored.fetchedAt.getTime(), true));
    }
    let result;
    try {
      // Conditional only when a document is there to fall back on.
      result = await this.askUpstream(name, validators);
    } catch (err) {
      if (!isUpstreamUnavailable(err)) throw err;
      const last = await this.keepLast(name, previous, stored, checkedAt, `upstream unreachable, serving`, (err as Error).message);
      if (last) return last;
      throw err;
    }
    return this.settle(name, previous, stored, result, checkedAt);
  }

  /**
   * Installs what upstream answered for the package (asked at `checkedAt`): gone, unchanged (a 304,
   * or the bytes of the document in memory or stored), or a new document, read and recorded.
   */
  private async settle(name: string, previous: Entry<S> | undefined, stored: CachedDocument | null, result: DocumentResult, checkedAt: number): Promise<Entry<S>> {
    const { source, deps } = this;
    const docKey = source.documentKey(name);
    const upstream = source.ecosystem;
    if (result.status === 404 || result.status === 410) {
      deps.metrics.upstreamRequests.inc({ upstream, outcome: 'not-found' });
      await source.gone(name);
      return this.install(name, { snapshot: null, checkedAt, releasesAt: this.changeCount(name), etag: null, lastModified: null, fetchedAt: 0 });
    }
    // An upstream without validators answers 200 with the same bytes: that is a 304 too.
    const current = previous?.snapshot ? source.raw(previous.snapshot) : stored?.body;
    if (result.status === 304 || current?.equals(result.body)) {
      deps.metrics.upstreamRequests.inc({ upstream, outcome: 'not-modified' });
      if (previous?.snapshot) return this.install(name, { ...previous, checkedAt });
      if (!stored) throw new AirlockError('EUPSTREAM', `${upstream} upstream answered 304 for ${name} to an unconditional request`);
      return this.install(name, await this.ingest(name, stored, checkedAt, true));
    }
    deps.metrics.upstreamRequests.inc({ upstream, outcome: 'ok' });
    const doc: CachedDocument = { body: result.body, etag: result.etag, lastModified: result.lastModified, fetchedAt: new Date(checkedAt) };
    let entry: Entry<S>;
    try {
      // No document of it in memory or stored: most likely a package never seen.
      entry = await this.ingest(name, doc, checkedAt, false, { likelyNew: !previous?.snapshot && !stored });
    } catch (err) {
      // A document Airlock cannot read changes nothing: keep serving the last good one.
      if (!isUpstreamUnavailable(err)) throw err;
      const last = await this.keepLast(name, previous, stored, checkedAt, 'keeping', (err as Error).message);
      if (last) return last;
      throw err;
    }
    const installed = this.install(name, entry);
    // Recorded after the client has its answer (a packument can be megabytes, written on this
    // thread): the releases are already stored, and until it lands a restart only asks upstream again.
    setImmediate(() => {
      deps.store.putDocument(docKey, doc).catch((err: unknown) => deps.log(`${this.id(name)}: ${source.noun} not stored: ${(err as Error).message}`));
    });
    return installed;
  }

  /** Asks upstream for the package's document (conditionally with `validators`), timed and counted as a failure when it throws. */
  private async askUpstream(name: string, validators: { etag: string | null; lastModified: string | null } | null | undefined) {
    const { source, deps } = this;
    const started = process.hrtime.bigint();
    try {
      const result = await deps.client.getDocument(source.documentUrl(name), { accept: source.accept, etag: validators?.etag, lastModified: validators?.lastModified });
      deps.metrics.upstreamDuration.observe({ upstream: source.ecosystem }, Number(process.hrtime.bigint() - started) / 1e9);
      return result;
    } catch (err) {
      deps.metrics.upstreamRequests.inc({ upstream: source.ecosystem, outcome: 'error' });
      throw err;
    }
  }

  /**
   * The last good document, served on (logged) when upstream cannot give a usable one: the one in
   * memory, else the stored one (recorded when it arrived, so only read back); null when neither.
   */
  private async keepLast(name: string, previous: Entry<S> | undefined, stored: CachedDocument | null, checkedAt: number, doing: string, why: string): Promise<Entry<S> | null> {
    const noun = this.source.noun;
    if (previous) {
      this.deps.log(`${this.id(name)}: ${doing} the ${noun} checked at ${new Date(previous.checkedAt).toISOString()}: ${why}`);
      return this.install(name, { ...previous, checkedAt });
    }
    if (stored) {
      this.deps.log(`${this.id(name)}: ${doing} the ${noun} fetched at ${stored.fetchedAt.toISOString()}: ${why}`);
      return this.install(name, await this.ingest(name, stored, checkedAt, true));
    }
    return null;
  }

  /**
   * Reads a document into a snapshot. One the store already holds (`recorded`) is only read back
   * when the ecosystem can, and keeps its revision when nothing changed since it was shelved, so
   * documents rendered from it stay valid.
   */
  private async ingest(name: string, doc: CachedDocument, checkedAt: number, recorded = false, hint: RecordSeenHint = {}): Promise<Entry<S>> {
    const { source, deps } = this;
    const fetchedAt = doc.fetchedAt.getTime();
    const validators = { checkedAt, etag: doc.etag, lastModified: doc.lastModified, fetchedAt };
    // Read before recording: a quarantine change while recording makes the releases read again.
    let releasesAt = this.changeCount(name);
    if (recorded && source.readBack) {
      const shelf = this.shelved.get(name);
      const same = shelf && shelf.fetchedAt === fetchedAt && shelf.releasesAt === releasesAt;
      const snapshot = await source.readBack(name, doc, same ? shelf.revision : ++this.revisions);
      if (snapshot) {
        deps.metrics.indexReads.inc({ ecosystem: source.ecosystem, source: 'store' });
        return { snapshot, releasesAt, ...validators };
      }
    }
    const origin = {};
    this.recording.add(origin);
    let snapshot: S;
    try {
      snapshot = await source.ingest(name, doc, ++this.revisions, origin, hint);
    } finally {
      this.recording.delete(origin);
    }
    deps.metrics.indexReads.inc({ ecosystem: source.ecosystem, source: recorded ? 'store' : 'upstream' });
    // Another change may have come while recording (the recording's own is not counted): read the
    // releases once more now, rather than have the next request find the snapshot out of date.
    const seen = this.changeCount(name);
    if (seen !== releasesAt) {
      snapshot = await source.reload(snapshot, snapshot.revision);
      releasesAt = seen;
    }
    return { snapshot, releasesAt, ...validators };
  }

  private install(name: string, entry: Entry<S>): Entry<S> {
    // Least recently refreshed first; an evicted package is read again from the store or upstream.
    this.entries.set(name, entry, entry.snapshot ? this.source.cost(entry.snapshot) : 0);
    this.shelve(name, entry);
    return entry;
  }

  private shelve(name: string, entry: Entry<S>): void {
    if (!entry.snapshot) {
      this.shelved.delete(name);
      return;
    }
    if (this.shelved.size >= maxShelved && !this.shelved.has(name)) this.shelved.clear();
    this.shelved.set(name, {
      revision: entry.snapshot.revision,
      checkedAt: entry.checkedAt,
      releasesAt: entry.releasesAt,
      fetchedAt: entry.fetchedAt,
      etag: entry.etag,
      lastModified: entry.lastModified,
    });
  }
}
