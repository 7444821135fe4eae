import type { AppContext } from '../../app-context.js';
import type { Policy } from '../../policy/policy.js';
import { defaultRenderBytes, RenderCache, renderedDocument, type RenderedDocument } from '../../upstream/render-cache.js';
import { fileUrl } from './file-url.js';
import type { SimpleFormat } from './negotiate-format.js';
import type { ProjectSnapshot } from './pypi-index.js';
import { renderSimpleHtml } from './render-simple-html.js';
import { renderSimpleJson } from './render-simple-json.js';
import { simpleJsonType } from './simple-wire.js';
import { visibleProject } from './visible-project.js';

/** A rendered project page, valid for one snapshot revision and policy until `validUntil`. */
export interface RenderedPage extends RenderedDocument {
  /** Pages keep their identity bytes (pip asks for either). */
  body: Buffer;
  revision: number;
  policy: Policy;
  /** Clock time (ms) at which a held file's hold ends and the page must be rendered again. */
  validUntil: number;
}

export interface PageCacheOptions {
  /** Bytes of rendered pages kept (project × format, with their gzip); the least recently rendered go first. @default 64 MiB */
  maxBytes?: number;
}

/**
 * Rendered simple pages (and their gzip) per project and format, in the shared render cache. A
 * page stays valid until the project's snapshot changes (upstream refresh, or any quarantine
 * change, which bumps the revision), the policy is reloaded, or the earliest moment a held file's
 * hold ends.
 */
export class PageCache {
  private readonly pages: RenderCache<string, RenderedPage>;

  constructor(
    private readonly ctx: AppContext,
    options: PageCacheOptions = {},
  ) {
    this.pages = new RenderCache({
      maxBytes: options.maxBytes ?? defaultRenderBytes,
      onBytes: (bytes) => ctx.metrics.renderBytes.set({ upstream: 'pypi' }, bytes),
    });
  }

  page(snapshot: ProjectSnapshot, format: SimpleFormat): RenderedPage {
    const key = `${format} ${snapshot.name}`;
    const now = this.ctx.clock.now();
    const policy = this.ctx.policy();
    const cached = this.pages.get(key, snapshot.revision, policy, now.getTime());
    if (cached) return cached;

    const visible = visibleProject(this.ctx.quarantine, snapshot, now);
    const urlOf = (f: { upstream: { version: string; filename: string } }) =>
      fileUrl(this.ctx.config.publicUrl, snapshot.name, f.upstream.version, f.upstream.filename);
    const body = format === simpleJsonType ? renderSimpleJson(snapshot.name, visible, urlOf) : renderSimpleHtml(snapshot.name, visible, urlOf);
    const page: RenderedPage = {
      ...renderedDocument(body),
      body,
      revision: snapshot.revision,
      policy,
      validUntil: visible.changesAt?.getTime() ?? Number.POSITIVE_INFINITY,
    };
    // The page keeps its body, not the snapshot: it costs its bytes (and its gzip once computed).
    this.pages.set(key, page, 0);
    this.pages.addDocument(key, page, page);
    return page;
  }

  /** The page gzipped, computed once per rendered page. */
  gzipped(page: RenderedPage): Buffer | Promise<Buffer> {
    return this.pages.gzipped(page);
  }
}
