import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { AppContext } from '../../app-context.js';
import type { Policy } from '../../policy/policy.js';
import { fileUrl } from './file-url.js';
import type { SimpleFormat } from './negotiate-format.js';
import type { ProjectSnapshot } from './pypi-index.js';
import { renderSimpleHtml } from './render-simple-html.js';
import { renderSimpleJson } from './render-simple-json.js';
import { simpleJsonType } from './simple-wire.js';
import { visibleProject } from './visible-project.js';

const gzipAsync = promisify(gzip);

/** A rendered project page, valid for one snapshot revision and policy until `validUntil`. */
export interface RenderedPage {
  body: Buffer;
  /** Strong ETag over the body: a yank, removal or release changes it, so a 304 is never stale. */
  etag: string;
  revision: number;
  policy: Policy;
  /** Clock time (ms) at which a held file's hold ends and the page must be rendered again. */
  validUntil: number;
  gzipped: Promise<Buffer> | null;
}

export interface PageCacheOptions {
  /** Pages kept (project × format); the least recently rendered go first. @default 2000 */
  maxEntries?: number;
}

/**
 * Rendered simple pages (and their gzip) per project and format. A page stays valid until the
 * project's snapshot changes (upstream refresh, or any quarantine change, which bumps the
 * revision), the policy is reloaded, or the earliest moment a held file's hold ends.
 */
export class PageCache {
  private readonly entries = new Map<string, RenderedPage>();
  private readonly maxEntries: number;

  constructor(
    private readonly ctx: AppContext,
    options: PageCacheOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 2000;
  }

  page(snapshot: ProjectSnapshot, format: SimpleFormat): RenderedPage {
    const key = `${format} ${snapshot.name}`;
    const now = this.ctx.clock.now();
    const policy = this.ctx.policy();
    const cached = this.entries.get(key);
    if (cached && cached.revision === snapshot.revision && cached.policy === policy && now.getTime() < cached.validUntil) return cached;

    const visible = visibleProject(this.ctx.quarantine, snapshot, now);
    const urlOf = (f: { upstream: { version: string; filename: string } }) =>
      fileUrl(this.ctx.config.publicUrl, snapshot.name, f.upstream.version, f.upstream.filename);
    const body = format === simpleJsonType ? renderSimpleJson(snapshot.name, visible, urlOf) : renderSimpleHtml(snapshot.name, visible, urlOf);
    const page: RenderedPage = {
      body,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`,
      revision: snapshot.revision,
      policy,
      validUntil: visible.changesAt?.getTime() ?? Number.POSITIVE_INFINITY,
      gzipped: null,
    };
    this.entries.delete(key);
    this.entries.set(key, page);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
    return page;
  }

  /** The page gzipped, computed once per rendered page. */
  gzipped(page: RenderedPage): Promise<Buffer> {
    page.gzipped ??= gzipAsync(page.body);
    return page.gzipped;
  }
}
