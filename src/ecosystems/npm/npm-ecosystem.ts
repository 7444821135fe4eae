import { Router, type NextFunction, type Request, type Response } from 'express';
import type { AppContext } from '../../app-context.js';
import { AirlockError } from '../../errors.js';
import { UpstreamClient } from '../../upstream/upstream-client.js';
import type { EcosystemModule } from '../ecosystem.js';
import { DependencyLookahead } from './dependency-lookahead.js';
import { npmArtifacts } from './npm-artifacts.js';
import { NpmIndex } from './npm-index.js';
import { parseNpmPath } from './npm-path.js';
import { printable } from './package-name.js';
import { PackumentCache } from './packument-cache.js';
import { distTagsRoute } from './routes/dist-tags-route.js';
import { packumentRoute } from './routes/packument-route.js';
import { passThroughRoutes } from './routes/pass-through-routes.js';
import { tarballRoute } from './routes/tarball-route.js';
import { versionRoute } from './routes/version-route.js';
import { TarballFetcher } from './tarball-fetcher.js';
import { TarballMemory } from './tarball-memory.js';
import { logUpstreamFailure } from '../../log/log-upstream-failure.js';

/**
 * The npm side of Airlock, mounted at `/npm`: packuments (full and abbreviated) with only visible
 * versions, version objects and dist-tags, gated tarballs, the endpoints relayed to upstream, and
 * the tarballs the analyzer reads. Upstream is contacted only on its own host.
 */
export function createNpmEcosystem(ctx: AppContext): EcosystemModule {
  const client = new UpstreamClient({
    label: 'npm',
    allowedHosts: [ctx.config.npmUpstream.host],
    concurrency: ctx.config.upstreamConcurrency,
    timeoutMs: ctx.config.upstreamTimeoutMs,
    onFailure: (err) => logUpstreamFailure(ctx.logger, 'npm', err),
  });
  const index = new NpmIndex(ctx, client);
  const fetcher = new TarballFetcher(ctx, client);
  const cache = new PackumentCache(ctx);
  const memory = new TarballMemory(ctx.blobs);
  const lookahead = new DependencyLookahead(ctx, index, { depth: ctx.config.lookaheadDepth });
  ctx.artifactCache?.onEvict((artifactId, blobKey) => {
    fetcher.forget({ id: artifactId });
    memory.delete(blobKey);
  });
  ctx.quarantine.onChange((ecosystem, name, origin) => {
    if (ecosystem === 'npm') index.changed(name, origin);
  });

  const router = Router();
  const passThrough = passThroughRoutes(ctx, client);
  // The package routes come first: they are the hot path, and need no path matching to reach.
  router.use(async (req: Request, res: Response, next: NextFunction) => {
    try {
      const path = req.path;
      if (path.startsWith('/-/')) {
        const tags = /^\/-\/package(\/.+)\/dist-tags\/?$/.exec(path);
        if (!tags) return passThrough(req, res, next);
        if (req.method !== 'GET' && req.method !== 'HEAD') throw readOnly(req.method);
        const target = parseNpmPath(tags[1] ?? '');
        if (target.kind === 'packument') return await distTagsRoute(req, res, target.name, index, cache);
        throw new AirlockError('ENOTFOUND', `no such npm endpoint: ${printable(path)}`);
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') throw readOnly(req.method);
      const target = parseNpmPath(path);
      if (target.kind === 'packument') return await packumentRoute(req, res, target.name, index, cache, lookahead);
      if (target.kind === 'version') return await versionRoute(req, res, target.name, target.spec, index, cache);
      return await tarballRoute(req, res, target.name, target.filename, { ctx, index, cache, fetcher, memory });
    } catch (err) {
      next(err);
    }
  });
  // Anything under /-/ the pass-through routes did not take: accounts, publishing, unknown endpoints.
  router.use((req: Request, _res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next(readOnly(req.method));
    next(new AirlockError('ENOTFOUND', `no such npm endpoint: ${printable(req.path)} (Airlock serves packages, not accounts)`));
  });
  return {
    router,
    artifacts: npmArtifacts(ctx, index, fetcher),
    idle: () => lookahead.idle(),
    async close() {
      // Reads ahead in progress finish before the store closes under them.
      lookahead.close();
      await lookahead.idle();
      client.close();
    },
  };
}

function readOnly(method: string): AirlockError {
  return new AirlockError(
    'EMETHOD',
    `${method} is not supported: Airlock is a read-only mirror; publish, unpublish, dist-tag and account changes go to the upstream registry`,
    { statusText: 'Read-only mirror' },
  );
}
