import { pipeline } from 'node:stream';
import type { Request, Response } from 'express';
import type { AppContext } from '../../../app-context.js';
import { AirlockError } from '../../../errors.js';
import type { Release } from '../../../quarantine/release.js';
import { heldError, waitsOnAnalysisOnly } from '../held-error.js';
import type { NpmIndex } from '../npm-index.js';
import type { TarballFetcher } from '../tarball-fetcher.js';
import { unscopedName } from '../package-name.js';
import { requirePackage } from './packument-route.js';

/** How long a tarball request waits for an analysis that is all that still holds the release. */
const analysisWaitMs = 5000;

/**
 * `GET|HEAD /npm/<name>/-/<file>.tgz`, gated on its own: lockfile installs and `npm ci` never read
 * the packument, so a held release's tarball answers 403 with the reason, never the bytes. The
 * bytes are verified before they are stored and are served from disk.
 */
export async function tarballRoute(
  req: Request,
  res: Response,
  name: string,
  filename: string,
  ctx: AppContext,
  index: NpmIndex,
  fetcher: TarballFetcher,
): Promise<void> {
  const snapshot = await requirePackage(index, name);
  const upstream = snapshot.packument.byFilename.get(filename);
  let release: Release | null | undefined = upstream ? snapshot.releases.get(upstream.version) : null;
  if (!upstream) {
    // Gone upstream, but a lockfile may still pin it: say why it is refused rather than "not found".
    const version = versionOfFilename(name, filename);
    release = version ? await ctx.store.getRelease('npm', name, version) : null;
    if (!release) throw new AirlockError('ENOTFOUND', `npm:${name} has no tarball ${filename} upstream`, { subject: `npm:${name}` });
  }
  if (!release) throw new AirlockError('ENOTFOUND', `npm:${name}@${upstream!.version} is not recorded`, { subject: `npm:${name}` });

  let status = ctx.quarantine.status(release);
  if (waitsOnAnalysisOnly(release, status, ctx.clock.now())) {
    release = await ctx.quarantine.awaitAnalysis(release, analysisWaitMs);
    status = ctx.quarantine.status(release);
  }
  if (!status.visible) throw heldError(release, status, ctx.clock.now());

  // A visible release gone upstream is still served when its verified tarball is stored.
  const artifact = await index.artifactOf(release, upstream);
  if (!artifact) throw new AirlockError('ENOTFOUND', `npm:${name}@${release.version} has no recorded tarball`, { subject: `npm:${name}` });
  let stored = await fetcher.ensure(release, artifact);
  let stream;
  try {
    stream = await ctx.blobs.open(stored.key);
  } catch {
    // The blob vanished under a running process (storage cleaned up): fetch it again once.
    fetcher.forget(artifact);
    stored = await fetcher.ensure(release, artifact);
    stream = await ctx.blobs.open(stored.key);
  }
  const etag = `"${stored.key}"`;
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('ETag', etag);
  // Revalidate every time: a tarball served now may be revoked later.
  res.setHeader('Cache-Control', 'max-age=0, must-revalidate');
  if (req.headers['if-none-match']?.split(',').some((t) => t.trim() === etag)) {
    stream.destroy();
    res.statusCode = 304;
    res.end();
    return;
  }
  res.setHeader('Content-Length', String(stored.size));
  if (req.method === 'HEAD') {
    stream.destroy();
    res.end();
    return;
  }
  await new Promise<void>((resolve) => {
    pipeline(stream, res, (err) => {
      // Headers are sent: a broken stream can only be reported by cutting the connection.
      if (err) res.destroy();
      resolve();
    });
  });
}

/** `widget-1.0.0.tgz` of `@acme/widget` → `1.0.0`; null when the file name is not of this package. */
function versionOfFilename(name: string, filename: string): string | null {
  const prefix = `${unscopedName(name)}-`;
  return filename.startsWith(prefix) ? filename.slice(prefix.length, -'.tgz'.length) : null;
}
