import path from 'node:path';
import pg from 'pg';
import type { JobQueue } from '../../src/store/job-queue.js';
import { openSqlite } from '../../src/store/open-sqlite.js';
import { sqliteDocumentsDir } from '../../src/store/open-stores.js';
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
  /**
   * Another release store on the same data that records each statement it runs on the database,
   * and the engine's plan of any of them (EXPLAIN QUERY PLAN; PostgreSQL's EXPLAIN with sequential
   * scans disabled, so a table this small still shows whether an index can answer).
   */
  traced(): Promise<TracedReleaseStore>;
  /** Closes every handle and removes the data. */
  drop(): Promise<void>;
}

export interface TracedStatement {
  sql: string;
  /** PostgreSQL: the values bound; SQLite: none recorded (its plans do not depend on them). */
  params: unknown[];
}

export interface TracedReleaseStore {
  releases: ReleaseStore;
  statements: TracedStatement[];
  plan(statement: TracedStatement): Promise<string>;
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
          // As openDatabase opens it: cached documents as files beside the database.
          const releases = new SqliteReleaseStore(db, { documentsDir: sqliteDocumentsDir(file) });
          const tokens = new SqliteTokenStore(db);
          opened.push(tokens);
          return { releases, tokens, jobs: new SqliteJobQueue(db) };
        },
        async traced() {
          const db = openSqlite(file);
          const statements: TracedStatement[] = [];
          const prepare = db.prepare.bind(db);
          // Recorded as each statement runs (the store prepares most of them once, up front).
          db.prepare = ((sql: string) => {
            const statement = prepare(sql) as unknown as Record<string, (...args: unknown[]) => unknown>;
            for (const method of ['all', 'get', 'run', 'iterate']) {
              const run = statement[method]!.bind(statement);
              statement[method] = (...args: unknown[]) => (statements.push({ sql, params: [] }), run(...args));
            }
            return statement;
          }) as unknown as typeof db.prepare;
          const releases = new SqliteReleaseStore(db);
          opened.push(releases);
          return {
            releases,
            statements,
            async plan(statement) {
              const holes = statement.sql.match(/\?/g)?.length ?? 0;
              const rows = prepare(`EXPLAIN QUERY PLAN ${statement.sql}`).all(...Array<null>(holes).fill(null)) as { detail: string }[];
              return rows.map((r) => r.detail).join('\n');
            },
          };
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
        async traced() {
          const pool = new pg.Pool({ connectionString: url, max: 2 });
          pools.push(pool);
          const releases = await PgReleaseStore.open(pool);
          const statements: TracedStatement[] = [];
          const query = pool.query.bind(pool) as (config: unknown, values?: unknown[]) => Promise<pg.QueryResult>;
          pool.query = ((config: string | pg.QueryConfig, values?: unknown[]) => {
            if (typeof config === 'string') statements.push({ sql: config, params: values ?? [] });
            else statements.push({ sql: config.text, params: config.values ?? [] });
            return query(typeof config === 'string' ? config : { text: config.text, values: config.values }, values);
          }) as typeof pool.query;
          return {
            releases,
            statements,
            async plan(statement) {
              const client = await pool.connect();
              try {
                await client.query('ANALYZE releases, audit');
                await client.query('SET enable_seqscan = off');
                const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${statement.sql}`, statement.params);
                return rows.map((r) => r['QUERY PLAN']).join('\n');
              } finally {
                await client.query('RESET enable_seqscan');
                client.release();
              }
            },
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
