import { pipeline } from 'node:stream';
import type { Request, Response } from 'express';
import type { AppContext } from '../../../app-context.js';
import { AirlockError, isAirlockError } from '../../../errors.js';
import type { Release } from '../../../domain/release.js';
import { analysisPendingError } from '../../../quarantine/analysis-pending-error.js';
import { heldError, waitsOnAnalysisOnly } from '../held-error.js';
import type { NpmIndex } from '../npm-index.js';
import { unscopedName } from '../package-name.js';
import type { PackumentCache } from '../packument-cache.js';
import type { Artifact } from '../../../store/release-store.js';
import type { StoredTarball, TarballFetcher } from '../tarball-fetcher.js';
import type { TarballMemory } from '../tarball-memory.js';
import { requirePackage } from './packument-route.js';

export interface TarballDeps {
  ctx: AppContext;
  index: NpmIndex;
  cache: PackumentCache;
  fetcher: TarballFetcher;
  memory: TarballMemory;
}

/**
 * `GET|HEAD /npm/<name>/-/<file>.tgz`, gated on its own: lockfile installs and `npm ci` never read
 * the packument, so a held release's tarball answers 403 with the reason, never the bytes. The
 * bytes are verified before they are stored, and served from disk (small, hot ones from memory).
 */
export async function tarballRoute(req: Request, res: Response, name: string, filename: string, deps: TarballDeps): Promise<void> {
  const { ctx, index } = deps;
  // Warm, with the package no longer in memory: the release and its stored tarball are in the
  // store, so a lockfile install does not read and parse the whole packument again per tarball.
  // Past the TTL, upstream is asked whether the packument changed (conditionally) rather than read again.
  if (!index.inMemory(name) && (index.currentRevision(name) ?? (await index.revalidate(name))) !== null && (await serveRecorded(req, res, name, filename, deps))) return;
  const snapshot = await requirePackage(index, name);
  const upstream = snapshot.packument.byFilename.get(filename);
  let release: Release | null | undefined = upstream ? snapshot.releases.get(upstream.version) : null;
  if (!upstream) {
    // Gone upstream, but a lockfile may still pin it: say why it is refused rather than "not found".
    release = await recordedRelease(deps, name, filename);
    if (!release) throw new AirlockError('ENOTFOUND', `npm:${name} has no tarball ${filename} upstream`, { subject: `npm:${name}` });
  }
  if (!release) throw new AirlockError('ENOTFOUND', `npm:${name}@${upstream?.version ?? filename} is not recorded`, { subject: `npm:${name}` });

  // The packument view already asked releaseStatus about every listed version, valid until the
  // next state change; only a version it does not show is asked again, for the reason.
  if (!upstream || !deps.cache.view(snapshot).shows(upstream.version)) {
    let status = ctx.quarantine.status(release);
    if (waitsOnAnalysisOnly(release, status, ctx.clock.now())) {
      // Only the analysis holds it: wait for it (ahead of background work), as the packument does.
      release = await ctx.quarantine.awaitAnalysis(release, ctx.config.firstSightWaitMs);
      if (release.analysis === 'pending') throw analysisPendingError([release], ctx.config.firstSightWaitMs);
      status = ctx.quarantine.status(release);
    }
    if (!status.visible) throw heldError(release, status, ctx.clock.now());
  }

  // A visible release gone upstream is still served when its verified tarball is stored.
  const artifact = await index.artifactOf(release, upstream);
  if (!artifact) throw new AirlockError('ENOTFOUND', `npm:${name}@${release.version} has no recorded tarball`, { subject: `npm:${name}` });
  await serveTarball(req, res, release, artifact, deps);
}

/**
 * Serves a visible release's tarball straight from what the store recorded of it (release row,
 * artifact with its digests); false when something is missing or the release is not visible
 * now, and the caller takes the long way (which also says why a held release is refused).
 */
async function serveRecorded(req: Request, res: Response, name: string, filename: string, deps: TarballDeps): Promise<boolean> {
  const release = await recordedRelease(deps, name, filename);
  if (!release || !deps.ctx.quarantine.status(release).visible) return false;
  const artifact = await deps.index.artifactOf(release);
  if (!artifact || artifact.filename !== filename || Object.keys(artifact.digests).length === 0) return false;
  await serveTarball(req, res, release, artifact, deps);
  return true;
}

async function serveTarball(req: Request, res: Response, release: Release, artifact: Artifact, deps: TarballDeps): Promise<void> {
  const { ctx, fetcher } = deps;
  let stored = await fetcher.ensure(release, artifact);
  ctx.artifactCache?.markServed(artifact.id);
  const etag = `"${stored.key}"`;
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('ETag', etag);
  // Revalidate every time: a tarball served now may be revoked later.
  res.setHeader('Cache-Control', 'max-age=0, must-revalidate');
  if (req.headers['if-none-match']?.split(',').some((t) => t.trim() === etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  const cached = deps.memory.get(stored.key);
  if (cached) {
    res.setHeader('Content-Length', String(cached.length));
    res.end(req.method === 'HEAD' ? undefined : cached);
    return;
  }
  let stream;
  try {
    stream = await ctx.blobs.open(stored.key);
  } catch (err) {
    // The blob vanished under a running process (storage cleaned up, evicted by another replica):
    // fetch it again once. Storage failing to answer is its error, not a reason to ask upstream.
    if (!isAirlockError(err) || err.code !== 'ENOTFOUND') throw err;
    fetcher.forget(artifact);
    stored = await fetcher.ensure(release, artifact);
    stream = await ctx.blobs.open(stored.key);
  }
  res.setHeader('Content-Length', String(stored.size));
  if (req.method === 'HEAD') {
    stream.destroy();
    res.end();
    return;
  }
  await send(stream, res);
  remember(deps, stored);
}

function send(stream: NodeJS.ReadableStream, res: Response): Promise<void> {
  return new Promise<void>((resolve) => {
    pipeline(stream, res, (err) => {
      // Headers are sent: a broken stream can only be reported by cutting the connection.
      if (err) res.destroy();
      resolve();
    });
  });
}

function remember(deps: TarballDeps, stored: StoredTarball): void {
  deps.memory.load(stored.key, stored.size).catch((err: unknown) => deps.ctx.log(`npm: could not keep blob ${stored.key} in memory: ${(err as Error).message}`));
}

/** The stored release a tarball file name names, whether or not upstream still lists it. */
async function recordedRelease(deps: TarballDeps, name: string, filename: string): Promise<Release | null> {
  const version = versionOfFilename(name, filename);
  return version ? deps.ctx.store.getRelease('npm', name, version) : null;
}

/** `widget-1.0.0.tgz` of `@acme/widget` → `1.0.0`; null when the file name is not of this package. */
function versionOfFilename(name: string, filename: string): string | null {
  const prefix = `${unscopedName(name)}-`;
  return filename.startsWith(prefix) ? filename.slice(prefix.length, -'.tgz'.length) : null;
}
