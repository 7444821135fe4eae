import type { AppContext } from '../../app-context.js';
import type { Policy } from '../../policy/policy.js';
import { defaultRenderBytes, RenderCache, renderedDocument, type RenderedDocument } from '../../upstream/render-cache.js';
import { recomputeDistTags } from './dist-tags.js';
import type { PackageSnapshot } from './npm-index.js';
import { renderCorgi, renderFull, type PackumentView } from './render-packument.js';
import { packedIncludes, packVersions, unpackVersions } from './packed-versions.js';
import { PublicTarballUrls } from './tarball-url.js';
import { visibleVersions } from './visible-versions.js';

export type Variant = 'full' | 'corgi';

/** Heap bytes a version costs a view (its entry in `visible` or `held`), at most. */
const viewCostPerVersion = 160;

/**
 * A rendered packument: its strong ETag and its bytes, kept gzipped once compressed (npm, pnpm and
 * yarn all ask for gzip; the few identity requests are inflated on the way out), so the rendered
 * documents of a large app fit in the cache several times over.
 */
export type RenderedPackument = RenderedDocument;

/** What a package shows for one snapshot revision and policy, until `validUntil`. */
export interface PackageView extends PackumentView {
  /**
   * Whether the view shows `version`. A scan of the packed list, not a Set beside it: views are
   * kept for a thousand packages and more, and only a tarball or version request asks, once each.
   */
  shows(version: string): boolean;
  /** The visible versions, unpacked afresh on each read (a render, a lookahead): read it once. */
  readonly visible: readonly string[];
  revision: number;
  policy: Policy;
  /** Clock time (ms) at which a held release's hold ends and the view must be computed again. */
  validUntil: number;
  documents: Partial<Record<Variant, RenderedPackument>>;
}

export interface PackumentCacheOptions {
  /** Bytes of rendered documents kept (their gzip and version lists); the least recently computed packages go first. @default 64 MiB (a miss renders again from the parsed packument) */
  maxBytes?: number;
}

/**
 * Rendered packuments per package and variant (full, corgi), kept gzipped, in the shared render
 * cache, so a warm request is a map lookup and one write: no JSON work, no hashing, no compression.
 * A view stays valid until the package's snapshot changes (upstream refresh, or any quarantine
 * change, which bumps the revision), the policy is reloaded, or the earliest moment a held
 * release's hold ends, so releases cross their cooldown on time even while upstream is unreachable.
 */
export class PackumentCache {
  private readonly views: RenderCache<string, PackageView>;

  constructor(
    private readonly ctx: AppContext,
    options: PackumentCacheOptions = {},
  ) {
    this.views = new RenderCache({
      maxBytes: options.maxBytes ?? defaultRenderBytes,
      gzipOnly: true,
      log: (message) => ctx.log(`npm: ${message}`),
      onBytes: (bytes) => ctx.metrics.renderBytes.set({ upstream: 'npm' }, bytes),
    });
  }

  /** What the package shows now. */
  view(snapshot: PackageSnapshot): PackageView {
    const now = this.ctx.clock.now();
    const policy = this.ctx.policy();
    const cached = this.views.get(snapshot.name, snapshot.revision, policy, now.getTime());
    if (cached) return cached;

    const { visible, held, changesAt } = visibleVersions(this.ctx.quarantine, snapshot, now);
    const publicUrl = this.ctx.config.publicUrl;
    // The view outlives the snapshot (the index drops packages on its own budget): it keeps only
    // what it needs, never the snapshot, so a cached view does not pin a parsed packument and its releases.
    const name = snapshot.name;
    // Kept packed (one string, see packVersions): the view may stay cached long after its renders.
    const packed = packVersions(visible);
    const view: PackageView = {
      get visible() {
        return unpackVersions(packed);
      },
      shows: (version) => packedIncludes(packed, version),
      held,
      distTags: recomputeDistTags(snapshot.packument.distTags, visible),
      tarballs: new PublicTarballUrls(publicUrl, name),
      revision: snapshot.revision,
      policy,
      validUntil: changesAt?.getTime() ?? Number.POSITIVE_INFINITY,
      documents: {},
    };
    // Its version lists count too: a package of thousands of versions costs more than its bytes.
    this.views.set(name, view, (visible.length + held.length) * viewCostPerVersion);
    return view;
  }

  /**
   * The document already rendered for this revision of the package, while still valid (same
   * policy, no hold ended since); null when it must be rendered from the package.
   */
  rendered(name: string, revision: number, variant: Variant): RenderedPackument | null {
    const cached = this.views.get(name, revision, this.ctx.policy(), this.ctx.clock.now().getTime());
    return cached?.documents[variant] ?? null;
  }

  /** The rendered document of one variant. */
  document(snapshot: PackageSnapshot, variant: Variant): RenderedPackument {
    const view = this.view(snapshot);
    const existing = view.documents[variant];
    if (existing) return existing;
    // The version list unpacked once for this render.
    const shown: PackumentView = { visible: view.visible, held: view.held, distTags: view.distTags, tarballs: view.tarballs };
    const doc = renderedDocument(variant === 'corgi' ? renderCorgi(snapshot.packument, shown) : renderFull(snapshot.packument, shown));
    view.documents[variant] = doc;
    this.views.addDocument(snapshot.name, view, doc);
    return doc;
  }

  /** The document gzipped, computed once (off the event loop) and shared by concurrent requests. */
  gzipped(doc: RenderedPackument): Buffer | Promise<Buffer> {
    return this.views.gzipped(doc);
  }

  /** The document's identity bytes: as rendered, or inflated once from the gzip kept. */
  identity(doc: RenderedPackument): Buffer | Promise<Buffer> {
    return this.views.identity(doc);
  }
}
