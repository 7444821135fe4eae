import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { constants, gunzip, gzip } from 'node:zlib';
import { BoundedCache } from '../bounded-cache.js';

const gzipCallback = promisify(gzip);
/**
 * Rendered documents are compressed at the fastest level: a first-sight client waits for it. On
 * 599 real packuments (40 MB abbreviated) it took 215 ms of CPU against 345 ms at the default
 * level, for 13% more bytes (6.35 against 5.62 MB); on the lifecycle benchmark's documents, whose
 * digests do not compress, 0.6 ms against 2.7 ms each.
 */
const gzipAsync = async (body: Buffer): Promise<Buffer> => {
  // An output buffer the size of the input (and then some: incompressible bytes grow a little),
  // so the whole document is compressed in one pass in the thread pool: with the default 16 KiB
  // one a document took a pass, and a wake-up of the event loop, per 16 KiB of output.
  const zipped = await gzipCallback(body, { level: constants.Z_BEST_SPEED, chunkSize: Math.max(16 * 1024, body.length + (body.length >> 6) + 1024) });
  // The result may be a view of that whole buffer: the cache keeps the bytes alone.
  return zipped.buffer.byteLength > zipped.length * 2 ? Buffer.from(zipped) : zipped;
};
const gunzipAsync = promisify(gunzip);

/** What a rendered value was computed for: it is reused only while all three still hold. */
export interface RenderStamp {
  /** The index snapshot's revision: an upstream refresh or any quarantine change bumps it. */
  revision: number;
  /** The policy object it was computed under (compared by identity: a reload makes a new one). */
  policy: unknown;
  /** Clock time (ms) at which a held release's or file's hold ends and it must be computed again. */
  validUntil: number;
}

/** One rendered document: its bytes, their strong ETag, and their gzip once computed. */
export interface RenderedDocument {
  /** The identity bytes; null once compressed when the cache keeps only the gzip (`gzipOnly`). */
  body: Buffer | null;
  /** Over the filtered body: releasing, holding or yanking anything changes it, so a 304 is never stale. */
  etag: string;
  gzipped: Buffer | null;
  gzipping: Promise<Buffer> | null;
}

export interface RenderCacheOptions {
  /** Estimated bytes of rendered values kept; the least recently rendered go first (a miss renders again). */
  maxBytes: number;
  /** Told the new total after every change, for a gauge. */
  onBytes?: (bytes: number) => void;
  /**
   * Compress every document as soon as it is rendered and keep only the gzip (clients that all ask
   * for gzip, like npm, pnpm and yarn; the few identity requests are inflated on the way out), so
   * several times as many documents fit. @default false
   */
  gzipOnly?: boolean;
  /** Where a failed compression is told. */
  log?: (message: string) => void;
}

/** The default budget of one ecosystem's rendered documents. */
export const defaultRenderBytes = 64 * 1024 * 1024;

/**
 * Rendered index documents by key (a package, a project and format), so a warm request is a map
 * lookup and one write: no JSON or HTML work, no hashing, no compression. A value is served while
 * its stamp holds (same snapshot revision, same policy, hold boundary not reached), so releases
 * cross their cooldown on time even while upstream is unreachable. Bounded by bytes: each value
 * costs what the caller counts (its bodies, their gzip, the lists it keeps).
 */
export class RenderCache<K, V extends RenderStamp> {
  private readonly values: BoundedCache<K, V>;
  /** Which cached value each document belongs to, so its gzip counts towards it. */
  private readonly owners = new WeakMap<RenderedDocument, { key: K; value: V }>();
  /** Identity bytes being inflated from a kept gzip, shared by concurrent requests. */
  private readonly inflating = new WeakMap<RenderedDocument, Promise<Buffer>>();

  constructor(private readonly options: RenderCacheOptions) {
    this.values = new BoundedCache(options);
  }

  /** The value for `key` when it is still valid for this revision, policy and time. */
  get(key: K, revision: number, policy: unknown, nowMs: number): V | undefined {
    const cached = this.values.get(key);
    if (cached && cached.revision === revision && cached.policy === policy && nowMs < cached.validUntil) return cached;
    return undefined;
  }

  set(key: K, value: V, cost: number): void {
    this.values.set(key, value, cost);
  }

  /** Counts bytes added to a cached value after it was set (lists it keeps). */
  grow(key: K, value: V, added: number): void {
    this.values.grow(key, value, added);
  }

  /** Counts a document rendered for a cached value (its body now, its gzip once computed). */
  addDocument(key: K, value: V, doc: RenderedDocument): void {
    this.owners.set(doc, { key, value });
    const body = doc.body;
    if (!body) return;
    this.values.grow(key, value, body.length);
    if (!this.options.gzipOnly) return;
    // Compressed at once (off the event loop): the identity bytes are let go when it is done, and
    // counted again only while the value is still cached (an evicted one is no longer counted).
    doc.gzipping = gzipAsync(body).then((zipped) => {
      doc.gzipped = zipped;
      doc.body = null;
      this.values.grow(key, value, zipped.length - body.length);
      return zipped;
    });
    doc.gzipping.catch((err: unknown) => this.options.log?.(`could not compress a rendered document of ${String(key)}: ${(err as Error).message}`));
  }

  /** The document gzipped, computed once (off the event loop) and shared by concurrent requests. */
  gzipped(doc: RenderedDocument): Buffer | Promise<Buffer> {
    if (doc.gzipped) return doc.gzipped;
    if (doc.gzipping) return doc.gzipping;
    doc.gzipping = gzipAsync(doc.body ?? Buffer.alloc(0)).then((zipped) => {
      doc.gzipped = zipped;
      const owner = this.owners.get(doc);
      if (owner) this.values.grow(owner.key, owner.value, zipped.length);
      return zipped;
    });
    return doc.gzipping;
  }

  /**
   * The document's identity bytes: as rendered, or inflated from the gzip kept, once. A document a
   * client asked for without gzip keeps both forms from then on (counted), so such clients cost a
   * map lookup too, and only documents they read pay for it.
   */
  identity(doc: RenderedDocument): Buffer | Promise<Buffer> {
    if (doc.body) return doc.body;
    let inflating = this.inflating.get(doc);
    if (!inflating) {
      inflating = (async () => {
        const body = await gunzipAsync(doc.gzipped ?? (await this.gzipped(doc)));
        doc.body = body;
        const owner = this.owners.get(doc);
        if (owner) this.values.grow(owner.key, owner.value, body.length);
        return body;
      })().finally(() => this.inflating.delete(doc));
      this.inflating.set(doc, inflating);
    }
    return inflating;
  }

  get bytes(): number {
    return this.values.bytes;
  }
}

/** A rendered document with its strong ETag (a digest of the body). */
export function renderedDocument(body: Buffer): RenderedDocument {
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`, gzipped: null, gzipping: null };
}
