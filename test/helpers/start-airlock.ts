import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import { createApp, type Airlock } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/log/create-logger.js';
import { parsePolicy } from '../../src/policy/load-policy.js';
import type { Policy } from '../../src/policy/policy.js';
import { FsBlobStore } from '../../src/store/fs-blob-store.js';
import { openSqlite } from '../../src/store/open-sqlite.js';
import { SqliteJobQueue } from '../../src/store/sqlite-job-queue.js';
import { SqliteReleaseStore } from '../../src/store/sqlite-release-store.js';
import { ManualClock } from './manual-clock.js';
import { tempDir } from './temp-dir.js';

export interface StartedAirlock {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  airlock: Airlock;
  clock: ManualClock;
  store: SqliteReleaseStore;
  storageDir: string;
  /** What Airlock logged, one parsed JSON line each, in order. */
  logs: Record<string, unknown>[];
  /** Replaces the policy (YAML text), as a reload would. */
  setPolicy(yaml: string): void;
  close(): Promise<void>;
}

export interface StartAirlockOptions {
  /** Policy YAML; defaults to a 72h cooldown. */
  policy?: string;
  /** Environment-style settings, e.g. `{ AIRLOCK_NPM_UPSTREAM: verdaccio.url }`. */
  env?: Record<string, string>;
  config?: Partial<Config>;
  clock?: ManualClock;
  /** Reuse a storage directory (e.g. to restart Airlock on the same data). */
  storageDir?: string;
  /**
   * Background work (analyses, webhook deliveries) as jobs in the SQLite database, as the server
   * runs it (`src/main.ts` always passes the job queue). @default false: in-memory queues
   */
  jobQueue?: boolean;
}

/** Starts a real Airlock on a loopback port with SQLite and files in a temp dir. */
export async function startAirlock(options: StartAirlockOptions = {}): Promise<StartedAirlock> {
  const temp = options.storageDir ? null : await tempDir('airlock-storage-');
  const storageDir = options.storageDir ?? temp!.dir;
  const clock = options.clock ?? new ManualClock();
  let policy: Policy = parsePolicy(options.policy ?? 'cooldown: 72h\n');
  const db = openSqlite(path.join(storageDir, 'airlock.db'));
  const store = new SqliteReleaseStore(db);
  const jobs = options.jobQueue ? new SqliteJobQueue(db) : undefined;
  const blobs = new FsBlobStore(path.join(storageDir, 'blobs'));

  // Bind first so the public URL (used in tarball and file URLs) names the real port.
  const { createServer } = await import('node:http');
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/`;

  const config = loadConfig(
    {
      AIRLOCK_STORAGE: storageDir,
      AIRLOCK_PORT: String(port),
      AIRLOCK_PUBLIC_URL: url,
      // Tests never reach the public registries: unless a test names its own upstream, both point
      // at a loopback port where nothing listens (connection refused, i.e. upstream down).
      AIRLOCK_NPM_UPSTREAM: 'http://127.0.0.1:9/',
      AIRLOCK_PYPI_UPSTREAM: 'http://127.0.0.1:9/',
      ...options.env,
    },
    options.config,
  );
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) } });
  const airlock = createApp({ config, store, blobs, clock, policy: () => policy, logger, jobs });
  server.on('request', airlock.app);

  return {
    url,
    airlock,
    clock,
    store,
    storageDir,
    logs,
    setPolicy(yaml: string) {
      policy = parsePolicy(yaml);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await airlock.close();
      await store.close();
      await temp?.remove();
    },
  };
}
