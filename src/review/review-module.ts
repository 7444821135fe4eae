import { errorStack } from '../errors.js';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { AppContext } from '../app-context.js';
import type { ArtifactProvider } from '../quarantine/artifact-provider.js';
import type { Ecosystem } from '../domain/ecosystem.js';
import { auditRoutes } from './audit-routes.js';
import { authenticate } from './authenticate.js';
import { releaseRoutes } from './release-routes.js';
import { sessionRoutes } from './session-routes.js';
import { Sweeper } from './sweeper.js';
import { tokenRoutes } from './token-routes.js';
import { tokenStoreOf } from './token-store-of.js';
import { WebhookSender, type WebhookSenderOptions } from './webhook-sender.js';
import { webRoutes } from './web-routes.js';

export { requireReader } from './require-reader.js';

/** How long queued jobs wait at most for a new process's first sweep (see `ReviewModule.firstSweep`). */
const firstSweepWaitMs = 1000;

export interface ReviewModuleOptions {
  /** How often the sweeper looks for state changes made by time. @default 30s */
  sweepIntervalMs?: number;
  webhooks?: WebhookSenderOptions;
}

export interface ReviewModule {
  router: Router;
  /** Records state changes made by time (audit entries, webhooks, gauges) now; tests call it after moving the clock. */
  sweep(): Promise<void>;
  /**
   * Settles once the first sweep has (a second after start at most): the transitions due while
   * the process was down are recorded before it takes queued jobs (analyses, webhook deliveries).
   */
  firstSweep: Promise<void>;
  /** Resolves when no webhook delivery is in flight. */
  webhooksIdle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The reviewer side of Airlock: the REST API under `/api/v1/`, the web page at `/`, sign-in with
 * tokens and sessions, the sweeper that records automatic state changes, and webhooks.
 */
export function createReviewModule(
  ctx: AppContext,
  artifacts: Record<Ecosystem, ArtifactProvider>,
  options: ReviewModuleOptions = {},
): ReviewModule {
  const { tokens, opened } = tokenStoreOf(ctx);
  let firstSwept!: () => void;
  const firstSweep = new Promise<void>((resolve) => (firstSwept = resolve));
  const webhooks = new WebhookSender(ctx, { ...options.webhooks, startAfter: firstSweep });
  const sweepIntervalMs = options.sweepIntervalMs ?? 30_000;
  const sweeper = new Sweeper(ctx, webhooks);
  let closed = false;
  // New releases are recorded with their first states, and the store tells the sweeper their next
  // changes: what needs a sweep soon is a change of state.
  ctx.quarantine.onChange((_ecosystem, _name, _origin, what) => {
    if (!closed && what === 'state') sweeper.markDirty();
  });

  const api = Router();
  api.use((_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  api.use(express.json({ limit: '32kb' }));
  api.use(authenticate(ctx, tokens));
  api.use(sessionRoutes(ctx, tokens));
  api.use(releaseRoutes(ctx, artifacts, sweeper, webhooks));
  api.use(auditRoutes(ctx, sweeper));
  api.use(tokenRoutes(ctx, tokens));

  const router = Router();
  router.use('/api/v1', api);
  router.use(webRoutes());

  const timer = setInterval(() => {
    sweeper.sweep().catch((err: unknown) => ctx.log(`review sweep failed: ${errorStack(err)}`));
  }, sweepIntervalMs);
  timer.unref();
  const firstSweepBound = setTimeout(firstSwept, firstSweepWaitMs);
  firstSweepBound.unref();
  void sweeper
    .sweep()
    .catch((err: unknown) => ctx.log(`review sweep failed: ${errorStack(err)}`))
    .finally(() => {
      clearTimeout(firstSweepBound);
      firstSwept();
    });

  return {
    router,
    firstSweep,
    sweep: () => sweeper.sweep(),
    webhooksIdle: () => webhooks.idle(),
    async close() {
      closed = true;
      clearInterval(timer);
      sweeper.stop();
      await sweeper.idle();
      await webhooks.close();
      if (opened) await tokens.close();
    },
  };
}
