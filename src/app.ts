import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { AppContext, AppDeps } from './app-context.js';
import { createNpmEcosystem } from './ecosystems/npm/npm-ecosystem.js';
import { createPypiEcosystem } from './ecosystems/pypi/pypi-ecosystem.js';
import { AirlockError } from './errors.js';
import { AuthFailureLimiter } from './http/auth-failure-limiter.js';
import { errorHandler } from './http/error-handler.js';
import { requestPathGuard } from './http/request-path-guard.js';
import { securityHeaders } from './http/security-headers.js';
import { createMetrics } from './metrics.js';
import { ArtifactCache } from './store/artifact-cache.js';
import { AnalysisRunner } from './quarantine/analysis-runner.js';
import { CheckedBlobStore } from './store/checked-blob-store.js';
import { createLogger } from './log/create-logger.js';
import { requestLog } from './log/request-log.js';
import { Quarantine } from './quarantine/quarantine.js';
import { weakAdminTokenWarning } from './review/admin-token-weakness.js';
import { createReviewModule, requireReader, type ReviewModule } from './review/review-module.js';

export interface Airlock {
  /** The express app, not listening: `app.listen(0)` in tests, `config.port` in `main.ts`. */
  app: Express;
  context: AppContext;
  /** The analysis queue; `idle()` resolves when every queued analysis has finished. */
  analysis: AnalysisRunner;
  /** The reviewer side; `sweep()` records state changes made by time (tests call it after moving the clock). */
  review: ReviewModule;
  /** Resolves once the background work requests started beside analyses (npm's dependency lookahead) is done. */
  backgroundIdle(): Promise<void>;
  /** Stops background work (analysis queue, timers) so the process can exit. */
  close(): Promise<void>;
}

/** How long after start unfinished downloads are looked for. */
const orphanCleanupDelayMs = 5000;

/** Builds Airlock from its dependencies without listening. */
export function createApp(deps: AppDeps): Airlock {
  const policy = typeof deps.policy === 'function' ? deps.policy : ((p) => () => p)(deps.policy);
  const metrics = createMetrics(deps.store);
  const logger = deps.logger ?? createLogger({ level: deps.config.logLevel, pretty: deps.config.logFormat === 'pretty' });
  const log = deps.log ?? ((m: string) => logger.warn(m));
  const weakToken = weakAdminTokenWarning(deps.config.adminToken);
  if (weakToken) log(weakToken);
  const quarantine = new Quarantine({ store: deps.store, clock: deps.clock, policy, logger });
  const authFailures = new AuthFailureLimiter(deps.clock, {
    perAddress: deps.config.authFailureLimit,
    global: deps.config.authFailureGlobalLimit,
    windowMs: deps.config.authFailureWindowMs,
  });
  // Every stored blob is checked against its digest the first time this process reads it.
  const blobs = new CheckedBlobStore(deps.blobs, log);
  const artifactCache = new ArtifactCache({ store: deps.store, blobs, clock: deps.clock, metrics, log }, { maxBytes: deps.config.cacheMaxBytes });
  const context: AppContext = { ...deps, blobs, policy, quarantine, metrics, log, logger, authFailures, artifactCache };
  // Temp files of downloads a killed process left behind; an hour old, so no write in progress.
  // Looked for a few seconds after start, not during it: nothing waits on them, and on S3 the
  // first request loads much of the SDK, which a new replica's first sweep and requests would wait behind.
  const orphanCleanup = setTimeout(() => {
    void blobs
      .removeOrphans(new Date(Date.now() - 3_600_000))
      .then((n) => n > 0 && log(`removed ${n} unfinished download(s) left in blob storage`))
      .catch((err: unknown) => log(`could not clean unfinished downloads from blob storage: ${(err as Error).message}`));
  }, orphanCleanupDelayMs);
  orphanCleanup.unref();

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // routes compute their own ETags over the filtered bodies
  app.set('query parser', 'simple');
  // Only a proxy named here may say who the client is (the failed-authentication limit counts per client).
  if (deps.config.trustProxy !== null) app.set('trust proxy', deps.config.trustProxy);
  app.use(countRequests(context));
  app.use(requestLog(logger));
  // Before any route: every response gets nosniff and a sandbox policy (the web page sets its
  // own), and an ambiguous path (`\`, dot segments in any encoding) never reaches a route.
  app.use(securityHeaders());
  app.use(requestPathGuard());

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', time: deps.clock.now().toISOString() });
  });
  app.get('/metrics', async (_req, res, next) => {
    try {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    } catch (err) {
      next(err);
    }
  });

  const npm = createNpmEcosystem(context);
  const pypi = createPypiEcosystem(context);
  const artifacts = { npm: npm.artifacts, pypi: pypi.artifacts };
  // Its first sweep starts here; queued jobs are taken after it.
  const review = createReviewModule(context, artifacts);
  const analysis = new AnalysisRunner(context, artifacts, {
    retryDelayMs: deps.config.analysisRetryDelayMs,
    maxFetchAttempts: deps.config.analysisFetchAttempts,
    leaseMs: deps.config.analysisLeaseMs,
    startAfter: review.firstSweep,
  });
  quarantine.setAnalysisScheduler(analysis);
  let closed = false;
  // Analyses left pending by a restart (or another replica) are picked up again.
  void review.firstSweep
    .then(() => (closed ? undefined : analysis.recover()))
    .catch((err: unknown) => log(`could not queue pending analyses: ${(err as Error).message}`));

  // Package endpoints are anonymous unless AIRLOCK_REQUIRE_TOKEN asks for a reader token.
  app.use(['/npm', '/pypi'], requireReader(context));
  app.use('/npm', npm.router);
  app.use('/pypi', pypi.router);
  app.use(review.router);

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new AirlockError('ENOTFOUND', `no such endpoint: ${req.method} ${req.path}`));
  });
  app.use(errorHandler(log));

  return {
    app,
    context,
    analysis,
    review,
    async backgroundIdle() {
      await Promise.all([npm.idle?.(), pypi.idle?.()]);
    },
    async close() {
      closed = true;
      clearTimeout(orphanCleanup);
      await analysis.close();
      await Promise.all([npm.close?.(), pypi.close?.(), review.close(), artifactCache.close()]);
    },
  };
}

/** Counts requests by route pattern (never by raw path: package names would explode the label set). */
function countRequests(ctx: AppContext) {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = routeLabel(req);
      ctx.metrics.httpRequests.inc({ route, method: req.method, status: String(res.statusCode) });
      ctx.metrics.httpDuration.observe({ route }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}

function routeLabel(req: Request): string {
  const pattern = (req.route as { path?: string } | undefined)?.path;
  if (pattern) return `${req.baseUrl}${typeof pattern === 'string' ? pattern : ''}`;
  const first = req.originalUrl.split('/')[1] ?? '';
  return ['npm', 'pypi', 'api', 'healthz', 'metrics'].includes(first) ? `/${first}/*` : 'other';
}
