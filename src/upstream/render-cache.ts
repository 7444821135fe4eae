import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { BoundedCache } from './bounded-cache.js';

const gzipAsync = promisify(gzip);

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
  body: Buffer;
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

  constructor(options: RenderCacheOptions) {
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
    this.values.grow(key, value, doc.body.length);
  }

  /** The document gzipped, computed once (off the event loop) and shared by concurrent requests. */
  gzipped(doc: RenderedDocument): Buffer | Promise<Buffer> {
    if (doc.gzipped) return doc.gzipped;
    doc.gzipping ??= gzipAsync(doc.body).then((zipped) => {
      doc.gzipped = zipped;
      const owner = this.owners.get(doc);
      if (owner) this.values.grow(owner.key, owner.value, zipped.length);
      return zipped;
    });
    return doc.gzipping;
  }

  get bytes(): number {
    return this.values.bytes;
  }
}

/** A rendered document with its strong ETag (a digest of the body). */
export function renderedDocument(body: Buffer): RenderedDocument {
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`, gzipped: null, gzipping: null };
}
