import { watchFile } from 'node:fs';
import { createApp } from './app.js';
import { systemClock } from './clock.js';
import { ConfigError, loadConfig } from './config.js';
import { loadPolicy, PolicyError } from './policy/load-policy.js';
import { createLogger } from './log/create-logger.js';
import { startAuditChangeFeed } from './store/audit-change-feed.js';
import { openStores } from './store/open-stores.js';

/** Assembles Airlock from its settings and starts serving. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger({ level: config.logLevel, pretty: config.logFormat === 'pretty' });
  let policy = await loadPolicy(config.policyFile);
  const stores = await openStores(config, (message) => logger.warn({ event: 'database' }, message), { serve: true });
  const { store, tokens, blobs, jobs } = stores;
  const airlock = createApp({ config, store, tokens, blobs, jobs, clock: systemClock, policy: () => policy, logger });
  // On a shared database other replicas change releases too: follow their audit entries so this
  // process's index caches drop what they changed (one process on SQLite sees all its own changes).
  // PostgreSQL notifies each append (LISTEN/NOTIFY, on the process's one listening connection), so
  // the feed reads when there is something.
  const feed = stores.auditWakeups
    ? await startAuditChangeFeed(store, (ecosystem, name) => airlock.context.quarantine.changed(ecosystem, name), {
        log: (message) => logger.warn({ event: 'change-feed' }, message),
        wakeups: stores.auditWakeups,
      })
    : null;

  // Policy edits take effect without a restart; a broken edit keeps the last good policy.
  const reload = async (why: string) => {
    try {
      policy = await loadPolicy(config.policyFile);
      logger.info({ event: 'policy-reloaded', why, file: config.policyFile }, `policy reloaded (${why}) from ${config.policyFile}`);
    } catch (err) {
      logger.error({ event: 'policy-rejected', file: config.policyFile }, `policy not reloaded, keeping the previous one: ${(err as Error).message}`);
    }
  };
  watchFile(config.policyFile, { interval: 2000 }, (cur, prev) => {
    if (cur.mtimeMs !== prev.mtimeMs) void reload('file changed');
  }).unref();
  process.on('SIGHUP', () => void reload('SIGHUP'));

  const server = airlock.app.listen(config.port, config.host, () => {
    const npm = new URL('npm/', config.publicUrl).href;
    const pypi = new URL('pypi/simple/', config.publicUrl).href;
    logger.info(
      { event: 'start', url: config.publicUrl.href, npm, pypi, storage: config.storageDir, database: stores.where, blobs: stores.blobsWhere, policy: config.policyFile },
      `Airlock serving on ${config.publicUrl.href} (npm: ${npm}, pypi: ${pypi}; database ${stores.where}, blobs ${stores.blobsWhere}, policy ${config.policyFile})`,
    );
  });
  server.keepAliveTimeout = 65_000;
  server.on('error', (err) => {
    logger.fatal({ event: 'listen-failed' }, `Airlock cannot listen on ${config.host}:${config.port}: ${err.message}`);
    logger.flush();
    process.exit(1);
  });

  const shutdown = (signal: string) => {
    logger.info({ event: 'stop', signal }, `${signal}: shutting down`);
    server.close();
    server.closeAllConnections();
    void Promise.resolve(feed?.stop())
      .then(() => airlock.close())
      .then(() => stores.close())
      .finally(() => logger.flush(() => process.exit(0)));
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof PolicyError) console.error(err.message);
  else console.error(err);
  process.exit(1);
});
