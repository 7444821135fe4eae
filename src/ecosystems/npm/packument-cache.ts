import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { AppContext } from '../../app-context.js';
import type { Policy } from '../../policy/policy.js';
import { recomputeDistTags } from './dist-tags.js';
import type { PackageSnapshot } from './npm-index.js';
import { renderCorgi, renderFull, type PackumentView } from './render-packument.js';
import { publicTarballUrl } from './tarball-url.js';
import { visibleVersions } from './visible-versions.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export type Variant = 'full' | 'corgi';

/** Heap bytes a version costs a view (its entry in `visible`, `visibleSet` or `held`), roughly. */
const viewCostPerVersion = 160;

/**
 * A rendered packument: its strong ETag and its bytes, kept gzipped once compressed (npm, pnpm and
 * yarn all ask for gzip; the few identity requests are inflated on the way out), so the rendered
 * documents of a large app fit in the cache several times over.
 */
export interface RenderedPackument {
  /** The identity bytes until they are compressed; null after. */
  body: Buffer | null;
  /** Over the filtered body: releasing or holding a version changes it, so a 304 is never stale. */
  etag: string;
  gzipped: Buffer | null;
  gzipping: Promise<Buffer> | null;
}

/** What a package shows for one snapshot revision and policy, until `validUntil`. */
export interface PackageView extends PackumentView {
  visibleSet: ReadonlySet<string>;
  revision: number;
  policy: Policy;
  /** Clock time (ms) at which a held release's hold ends and the view must be computed again. */
  validUntil: number;
  documents: Partial<Record<Variant, RenderedPackument>>;
  bytes: number;
}

export interface PackumentCacheOptions {
  /** Bytes of rendered documents kept; the least recently computed packages go first. @default 64 MiB (a miss renders again from the parsed packument) */
  maxBytes?: number;
}

/**
 * Rendered packuments per package and variant (full, corgi) with their gzip, so a warm request
 * is a map lookup and one write: no JSON work, no hashing, no compression. A view stays valid
 * until the package's snapshot changes (upstream refresh, or any quarantine change, which bumps
 * the revision), the policy is reloaded, or the earliest moment a held release's hold ends, so
 * releases cross their cooldown on time even while upstream is unreachable.
 */
export class PackumentCache {
  private readonly views = new Map<string, PackageView>();
  private readonly maxBytes: number;
  private bytes = 0;

  constructor(
    private readonly ctx: AppContext,
    options: PackumentCacheOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  }

  /** What the package shows now. */
  view(snapshot: PackageSnapshot): PackageView {
    const now = this.ctx.clock.now();
    const policy = this.ctx.policy();
    const cached = this.views.get(snapshot.name);
    if (cached && cached.revision === snapshot.revision && cached.policy === policy && now.getTime() < cached.validUntil) return cached;

    const { visible, held, changesAt } = visibleVersions(this.ctx.quarantine, snapshot, now);
    const publicUrl = this.ctx.config.publicUrl;
    // The view outlives the snapshot (the index drops packages on its own budget): it keeps only
    // what it needs, never the snapshot, so a cached view does not pin a parsed packument and its releases.
    const name = snapshot.name;
    const view: PackageView = {
      visible,
      visibleSet: new Set(visible),
      held,
      distTags: recomputeDistTags(snapshot.packument.distTags, visible),
      tarballUrl: (version) => publicTarballUrl(publicUrl, name, version),
      revision: snapshot.revision,
      policy,
      validUntil: changesAt?.getTime() ?? Number.POSITIVE_INFINITY,
      documents: {},
      bytes: 0,
    };
    this.replace(name, view);
    // Its version lists count too: a package of thousands of versions costs more than its bytes.
    this.account(view, (visible.length + held.length) * viewCostPerVersion);
    return view;
  }

  /**
   * The document already rendered for this revision of the package, while still valid (same
   * policy, no hold ended since); null when it must be rendered from the package.
   */
  rendered(name: string, revision: number, variant: Variant): RenderedPackument | null {
    const cached = this.views.get(name);
    if (!cached || cached.revision !== revision || cached.policy !== this.ctx.policy()) return null;
    if (this.ctx.clock.now().getTime() >= cached.validUntil) return null;
    return cached.documents[variant] ?? null;
  }

  /** The rendered document of one variant. */
  document(snapshot: PackageSnapshot, variant: Variant): RenderedPackument {
    const view = this.view(snapshot);
    const existing = view.documents[variant];
    if (existing) return existing;
    const body = variant === 'corgi' ? renderCorgi(snapshot.packument, view) : renderFull(snapshot.packument, view);
    const doc: RenderedPackument = {
      body,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`,
      gzipped: null,
      gzipping: null,
    };
    view.documents[variant] = doc;
    this.account(view, body.length);
    // Compressed at once (off the event loop): the identity bytes are let go when it is done.
    doc.gzipping = gzipAsync(body).then((zipped) => {
      doc.gzipped = zipped;
      doc.body = null;
      // Counted again only while the view is still cached (an evicted one is no longer counted).
      if (this.views.get(snapshot.name) === view) this.account(view, zipped.length - body.length);
      return zipped;
    });
    doc.gzipping.catch((err: unknown) => this.ctx.log(`npm:${snapshot.name}: could not compress the packument: ${(err as Error).message}`));
    return doc;
  }

  /** The document gzipped, computed once (off the event loop) and shared by concurrent requests. */
  gzipped(doc: RenderedPackument): Buffer | Promise<Buffer> {
    if (doc.gzipped) return doc.gzipped;
    if (doc.gzipping) return doc.gzipping;
    const body = doc.body ?? Buffer.alloc(0);
    doc.gzipping = gzipAsync(body).then((zipped) => (doc.gzipped = zipped));
    return doc.gzipping;
  }

  /** The document's identity bytes: as rendered, or inflated from the gzip kept. */
  async identity(doc: RenderedPackument): Promise<Buffer> {
    if (doc.body) return doc.body;
    return gunzipAsync(doc.gzipped ?? (await this.gzipped(doc)));
  }

  private replace(name: string, view: PackageView): void {
    const old = this.views.get(name);
    if (old) this.bytes -= old.bytes;
    this.views.delete(name);
    this.views.set(name, view);
  }

  private account(view: PackageView, added: number): void {
    view.bytes += added;
    this.bytes += added;
    // The view just computed is never the one evicted: it is the newest entry.
    while (this.views.size > 1 && this.bytes > this.maxBytes) {
      const first = this.views.entries().next();
      if (first.done) break;
      const [oldest, evicted] = first.value;
      this.bytes -= evicted.bytes;
      this.views.delete(oldest);
    }
  }
}
