import { mustExist } from '../../must-exist.js';
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { AppContext } from '../../app-context.js';
import { AirlockError, isAirlockError } from '../../errors.js';
import { analysisPendingError } from '../../quarantine/analysis-pending-error.js';
import type { Release } from '../../domain/release.js';
import type { Artifact } from '../../store/release-store.js';
import { formatInstant, type ReleaseStatus } from '../../quarantine/release-status.js';
import { formatReleaseId } from '../../domain/release-id.js';
import type { FileFetcher } from './file-fetcher.js';
import { fileStatus } from './file-status.js';
import { normalizeVersion } from './pep440-version.js';
import { isValidProjectName, normalizeProjectName } from './project-name.js';
import type { PypiIndex } from './pypi-index.js';
import { blobSource, bufferSource, sendBytes } from './send-bytes.js';

/**
 * `/files/<project>/<version>/<filename>` and its PEP 658 sibling `<filename>.metadata`, each gated
 * on the file's own state: a direct URL (hash-pinned requirements, lockfiles) gets exactly what
 * the index would show, or a 403 whose reason phrase and problem+json body say why.
 */
export function fileRoutes(ctx: AppContext, index: PypiIndex, fetcher: FileFetcher): Router {
  const router = Router();
  router.use('/files', async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new AirlockError('EMETHOD', `${req.method} is not supported on files`);
      const segments = (req.originalUrl.split('?', 1)[0] ?? '').slice(req.baseUrl.length + 1).split('/');
      if (segments.length !== 3) throw new AirlockError('ENOTFOUND', 'expected /pypi/files/<project>/<version>/<filename>');
      const [project, version, filename] = segments.map(decode) as [string, string, string];

      // Only the normalised spelling Airlock generates: anything else would be a second cache entry.
      if (!isValidProjectName(project) || normalizeProjectName(project) !== project)
        throw new AirlockError('ENOTFOUND', `"${project}" is not a normalised project name`);
      const snapshot = await index.project(project);
      let file = snapshot?.byFilename.get(filename);
      const metadata = !file && filename.endsWith('.metadata');
      if (metadata) file = snapshot?.byFilename.get(filename.slice(0, -'.metadata'.length));
      if (!snapshot || !file || file.upstream.version !== normalizeVersion(version))
        throw new AirlockError('ENOTFOUND', `pypi:${project} has no file ${filename} (not listed upstream)`, { subject: `pypi:${project}` });
      let release = snapshot.releases.get(file.upstream.releaseKey);
      if (!release) throw new AirlockError('ENOTFOUND', `pypi:${project}@${file.upstream.version} is not recorded`);

      let artifact = file.artifact;
      let status = fileStatus(ctx.quarantine, release, artifact);
      if (waitsOnAnalysisOnly(release, artifact, status, ctx.clock.now())) {
        const waitMs = ctx.config.firstSightWaitMs;
        [release, artifact] = await Promise.all([ctx.quarantine.awaitAnalysis(release, waitMs), ctx.quarantine.awaitFileAnalysis(artifact, waitMs)]);
        // 504, not 503: pip retries a 503 and then prints no reason; a 504 it reports with its reason phrase.
        if (release.analysis === 'pending' || artifact.analysis === 'pending')
          throw analysisPendingError([release], waitMs, 'EANALYSISTIMEOUT');
        status = fileStatus(ctx.quarantine, release, artifact);
      }
      if (!status.visible) throw heldError(ctx, release, status, file.upstream.filename);

      if (metadata) {
        const sha256 = file.upstream.metadataSha256;
        if (!sha256) throw new AirlockError('ENOTFOUND', `${file.upstream.filename} has no metadata file upstream`);
        const bytes = await fetcher.metadata(file.upstream.url, sha256, formatReleaseId(release));
        return await sendBytes(req, res, bufferSource(bytes), { contentType: 'text/plain; charset=utf-8', sha256 });
      }
      const key = await fetcher.ensure(file.artifact);
      ctx.artifactCache?.markServed(file.artifact.id);
      // The blob may have been evicted (AIRLOCK_CACHE_MAX) by another replica since: fetch it again
      // once. Storage failing to answer is its error, not a reason to ask upstream.
      const source = await blobSource(ctx.blobs, key).catch(async (err: unknown) => {
        if (!isAirlockError(err) || err.code !== 'ENOTFOUND') throw err;
        fetcher.forget(file.artifact.id);
        return blobSource(ctx.blobs, await fetcher.ensure(file.artifact));
      });
      await sendBytes(req, res, source, { contentType: 'application/octet-stream', sha256: mustExist(file.artifact.digests.sha256, `the sha256 of ${file.upstream.filename}`) });
    } catch (err) {
      next(err);
    }
  });
  return router;
}

/** The cooldown is over and only an analysis (the release's or the file's own) is unfinished: worth a short wait before refusing. */
function waitsOnAnalysisOnly(release: Release, artifact: Artifact, status: ReleaseStatus, now: Date): boolean {
  const pending = release.analysis === 'pending' || artifact.analysis === 'pending';
  return status.state === 'quarantined' && pending && status.until !== null && status.until <= now;
}

function heldError(ctx: AppContext, release: Release, status: ReleaseStatus, filename: string): AirlockError {
  const now = ctx.clock.now();
  const detail = `${filename}: ${status.reason}`;
  const subject = formatReleaseId(release);
  switch (status.state) {
    case 'rejected':
      return new AirlockError('EREJECTED', detail, { subject, statusText: rejectedText(ctx, release) });
    case 'withdrawn':
      return new AirlockError('EWITHDRAWN', detail, { subject, statusText: 'Withdrawn upstream' });
    case 'awaiting-review':
      return new AirlockError('EQUARANTINED', detail, { subject, statusText: 'Awaiting review' });
    default: {
      const until = status.until && status.until > now ? `Quarantined until ${formatInstant(status.until)}` : 'Quarantined: analysis not finished';
      return new AirlockError('EQUARANTINED', detail, { subject, statusText: until });
    }
  }
}

/**
 * pip shows only the status line of a refused download, so a reviewer's rejection carries its
 * reason there (`Rejected by alice: typosquat payload`); a policy block says just `Rejected`.
 */
function rejectedText(ctx: AppContext, release: Release): string {
  const policy = ctx.quarantine.policyFor('pypi', release.name, release.version);
  const decision = release.decision;
  if (policy.blockedBy || policy.internalBy || !decision || decision.action === 'approve') return 'Rejected';
  return `${decision.action === 'revoke' ? 'Revoked' : 'Rejected'} by ${decision.actor}: ${decision.reason}`;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new AirlockError('ENOTFOUND', `"${segment}" is not a valid path segment`);
  }
}
