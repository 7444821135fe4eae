import path from 'node:path';
import pg from 'pg';
import type { JobQueue } from '../../src/store/job-queue.js';
import { openSqlite } from '../../src/store/open-sqlite.js';
import { PgJobQueue } from '../../src/store/pg-job-queue.js';
import { PgNotifications } from '../../src/store/pg-notifications.js';
import { PgReleaseStore } from '../../src/store/pg-release-store.js';
import { PgTokenStore } from '../../src/store/pg-token-store.js';
import type { ReleaseStore } from '../../src/store/release-store.js';
import { SqliteJobQueue } from '../../src/store/sqlite-job-queue.js';
import { SqliteReleaseStore } from '../../src/store/sqlite-release-store.js';
import { SqliteTokenStore } from '../../src/store/sqlite-token-store.js';
import type { TokenStore } from '../../src/store/token-store.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp-dir.js';

/**
 * One database as a contract test sees it: `connect()` opens another handle on the same data (a
 * second replica, or a second process on the SQLite file), so tests can race two of them.
 */
export interface EngineDatabase {
  connect(): Promise<{ releases: ReleaseStore; tokens: TokenStore; jobs: JobQueue }>;
  /** Closes every handle and removes the data. */
  drop(): Promise<void>;
}

export interface StoreEngine {
  name: string;
  /** Starts what the engine needs for one test file (a PostgreSQL cluster). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** A fresh, empty database. */
  database(): Promise<EngineDatabase>;
}

export function sqliteEngine(): StoreEngine {
  return {
    name: 'SQLite',
    async start() {},
    async stop() {},
    async database() {
      const temp = await tempDir('airlock-contract-');
      const file = path.join(temp.dir, 'airlock.db');
      const opened: { close(): Promise<void> }[] = [];
      return {
        async connect() {
          const db = openSqlite(file);
          const releases = new SqliteReleaseStore(db);
          const tokens = new SqliteTokenStore(db);
          opened.push(tokens);
          return { releases, tokens, jobs: new SqliteJobQueue(db) };
        },
        async drop() {
          for (const o of opened) await o.close();
          await temp.remove();
        },
      };
    },
  };
}

export function postgresEngine(): StoreEngine {
  let cluster: Postgres | null = null;
  return {
    name: 'PostgreSQL',
    async start() {
      cluster = await startPostgres();
    },
    async stop() {
      await cluster?.stop();
    },
    async database() {
      const url = await cluster!.createDatabase();
      const pools: pg.Pool[] = [];
      const listeners: PgNotifications[] = [];
      return {
        async connect() {
          const pool = new pg.Pool({ connectionString: url, max: 5 });
          pools.push(pool);
          // As openDatabase does: one listening connection per handle, opened when something follows it.
          const notifications = new PgNotifications(url, () => {});
          listeners.push(notifications);
          return {
            releases: await PgReleaseStore.open(pool, { notifications }),
            tokens: await PgTokenStore.open(pool),
            jobs: await PgJobQueue.open(pool, { notifications }),
          };
        },
        async drop() {
          for (const n of listeners) await n.close();
          for (const pool of pools) await pool.end();
        },
      };
    },
  };
}

export const storeEngines = [sqliteEngine(), postgresEngine()];
