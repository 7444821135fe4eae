import { Router } from 'express';
import type { AppContext } from '../../app-context.js';
import { UpstreamClient } from '../../upstream/upstream-client.js';
import type { EcosystemModule } from '../ecosystem.js';
import { FileFetcher } from './file-fetcher.js';
import { fileRoutes } from './file-routes.js';
import { PageCache } from './page-cache.js';
import { pypiArtifacts } from './pypi-artifacts.js';
import { PypiIndex } from './pypi-index.js';
import { simpleRoutes } from './simple-routes.js';
import { logUpstreamFailure } from '../../log/log-upstream-failure.js';

/**
 * The PyPI side of Airlock, mounted at `/pypi`: the simple index (`/pypi/simple/`), gated files
 * and their `.metadata` siblings (`/pypi/files/…`), and the artifacts the analyzer reads.
 *
 * Upstream is contacted only on the index's own host and the allowed file hosts.
 */
export function createPypiEcosystem(ctx: AppContext): EcosystemModule {
  const client = new UpstreamClient({
    label: 'pypi',
    allowedHosts: [ctx.config.pypiUpstream.host, ...ctx.config.pypiFileHosts],
    concurrency: ctx.config.upstreamConcurrency,
    timeoutMs: ctx.config.upstreamTimeoutMs,
    onFailure: (err) => logUpstreamFailure(ctx.logger, 'pypi', err),
  });
  const index = new PypiIndex(ctx, client);
  const fetcher = new FileFetcher(ctx, client);
  ctx.artifactCache?.onEvict((artifactId) => fetcher.forget(artifactId));
  const pages = new PageCache(ctx);
  ctx.quarantine.onChange((ecosystem, name) => {
    if (ecosystem === 'pypi') index.changed(name);
  });

  const router = Router();
  router.use(simpleRoutes(ctx, index, pages));
  router.use(fileRoutes(ctx, index, fetcher));
  return { router, artifacts: pypiArtifacts(ctx, fetcher), close: async () => client.close() };
}
