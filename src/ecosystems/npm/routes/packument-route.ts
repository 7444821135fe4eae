import type { Request, Response } from 'express';
import { AirlockError } from '../../../errors.js';
import type { DependencyLookahead } from '../dependency-lookahead.js';
import type { NpmIndex, PackageSnapshot } from '../npm-index.js';
import { corgiType, fullType } from '../npm-wire.js';
import type { PackumentCache } from '../packument-cache.js';
import { wantsCorgi } from '../wants-corgi.js';
import { acceptsGzip } from '../../../http/accepts-gzip.js';
import { sendDocument } from './send-document.js';

/**
 * `GET /npm/<name>`: the packument with only visible versions, full or abbreviated as the Accept
 * header asks, from the rendered cache.
 */
export async function packumentRoute(
  req: Request,
  res: Response,
  name: string,
  index: NpmIndex,
  cache: PackumentCache,
  lookahead?: DependencyLookahead,
): Promise<void> {
  const corgi = wantsCorgi(req.headers.accept);
  const variant = corgi ? 'corgi' : 'full';
  // Warm: the document rendered for the package as it still is, whether or not the package is
  // still in memory. It was rendered after the first-sight wait, and any change since (upstream,
  // quarantine, a hold ending, the policy) makes it unusable, so this answers what the long way would.
  const revision = index.currentRevision(name);
  let doc = revision !== null ? cache.rendered(name, revision, variant) : null;
  // Past its TTL and dropped from memory, with its document still rendered: upstream is asked
  // whether the packument changed before it is read back and parsed (a warm install after a pause).
  if (revision === null && !index.inMemory(name)) {
    const last = index.lastRevision(name);
    if (last !== null && cache.rendered(name, last, variant)) {
      const confirmed = await index.revalidate(name);
      if (confirmed !== null) doc = cache.rendered(name, confirmed, variant);
    }
  }
  let settled: PackageSnapshot | null = null;
  if (!doc) {
    settled = await settledPackage(index, name);
    doc = cache.document(settled, variant);
  }
  const contentType = corgi ? corgiType : fullType;
  if (acceptsGzip(req)) {
    const zipped = cache.gzipped(doc);
    sendDocument(req, res, { body: null, etag: doc.etag, contentType, gzipped: zipped instanceof Buffer ? zipped : await zipped });
  } else {
    const body = cache.identity(doc);
    sendDocument(req, res, { body: body instanceof Buffer ? body : await body, etag: doc.etag, contentType });
  }
  // After answering: npm asks for the next packument only once it has this one.
  if (settled && lookahead) lookahead.served(settled, new Set(cache.view(settled).visible));
}

/** The package's snapshot after the analyses of releases it would show (bounded wait; see `NpmIndex.settle`). */
export async function settledPackage(index: NpmIndex, name: string): Promise<PackageSnapshot> {
  return index.settle(await requirePackage(index, name));
}

/** The package's snapshot, or a 404 naming it when upstream has no such package. */
export async function requirePackage(index: NpmIndex, name: string): Promise<PackageSnapshot> {
  const snapshot = await index.package(name);
  if (!snapshot) throw new AirlockError('ENOTFOUND', `npm:${name} does not exist upstream`, { subject: `npm:${name}` });
  return snapshot;
}
