import path from 'node:path';
import { redactUrl, type Config } from '../config.js';
import type { AuditWakeups } from './audit-change-feed.js';
import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';
import type { JobQueue } from './job-queue.js';
import { openSqlite } from './open-sqlite.js';
import type { ReleaseStore } from './release-store.js';
import { SqliteJobQueue } from './sqlite-job-queue.js';
import { SqliteReleaseStore } from './sqlite-release-store.js';
import { SqliteTokenStore } from './sqlite-token-store.js';
import type { TokenStore } from './token-store.js';

/** Where the database is: a SQLite file (the embedded default) or a PostgreSQL server. */
export type DatabaseLocation = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

/** Releases, decisions, the audit log, tokens, sessions and background jobs: one database. */
export interface OpenedDatabase {
  store: ReleaseStore;
  tokens: TokenStore;
  /** Background jobs with leases (analyses, webhook deliveries), shared by every replica. */
  jobs: JobQueue;
  /** The location for messages, with any password redacted. */
  where: string;
  /**
   * On PostgreSQL: when the audit log grew, for the change feed that keeps caches coherent with
   * other replicas (startAuditChangeFeed), heard on the process's one listening connection.
   */
  auditWakeups?: AuditWakeups;
  close(): Promise<void>;
}

export interface Stores extends OpenedDatabase {
  blobs: BlobStore;
  /** Where the blobs are, for messages. */
  blobsWhere: string;
}

type StoreSettings = Pick<Config, 'storageDir' | 'databaseUrl' | 'blobStore' | 's3Endpoint' | 's3Region' | 's3ForcePathStyle'>;

/** The database the settings name: `AIRLOCK_DATABASE_URL`, else `airlock.db` under `AIRLOCK_STORAGE`. */
export function databaseLocation(settings: Pick<Config, 'storageDir' | 'databaseUrl'>): DatabaseLocation {
  return settings.databaseUrl
    ? { kind: 'postgres', url: settings.databaseUrl }
    : { kind: 'sqlite', file: path.join(settings.storageDir, 'airlock.db') };
}

/** Where an embedded store keeps its cached upstream documents, as files (see FileDocumentStore): beside its database. */
export function sqliteDocumentsDir(databaseFile: string): string {
  return path.join(path.dirname(databaseFile), 'documents');
}

/**
 * The PostgreSQL driver and stores, loaded only when the settings name PostgreSQL: the embedded
 * default does not carry them in its memory. Loaded once per process (each `import()` of a module
 * already loaded still asks the module loader, and through a loader hook, its thread).
 */
export function loadPostgresStores() {
  postgresStores ??= importPostgresStores();
  return postgresStores;
}
let postgresStores: ReturnType<typeof importPostgresStores> | null = null;

async function importPostgresStores() {
  const [{ default: pg }, { PgJobQueue }, { appliedVersions }, { PgNotifications, auditChannel }, { PgReleaseStore }, { PgTokenStore }] = await Promise.all([
    import('pg'),
    import('./pg-job-queue.js'),
    import('./pg-migrate.js'),
    import('./pg-notifications.js'),
    import('./pg-release-store.js'),
    import('./pg-token-store.js'),
  ]);
  return { pg, appliedVersions, auditChannel, PgJobQueue, PgNotifications, PgReleaseStore, PgTokenStore } as const;
}

/** The S3 blob store, loaded only for an S3 setting (the AWS SDK is about 14 MB of resident memory otherwise carried); once per process. */
export function loadS3BlobStore() {
  s3BlobStore ??= import('./s3-blob-store.js').then((m) => m.S3BlobStore);
  return s3BlobStore;
}
let s3BlobStore: Promise<typeof import('./s3-blob-store.js').S3BlobStore> | null = null;

/** How a process uses the stores it opens. */
export interface OpenOptions {
  /**
   * A server: on PostgreSQL two pool connections and the connection that hears other replicas'
   * writes are opened at once, beside the migrations (the latter waited for up to two seconds),
   * rather than when first used, so the first sweep and requests do not wait for them and already
   * hear other replicas. @default false (a CLI command, which needs one connection)
   */
  serve?: boolean;
}

/**
 * Opens every store on one database, migrating its schema first (on PostgreSQL under an advisory
 * lock, so replicas starting together migrate once). One `pg` pool serves both stores.
 */
export async function openDatabase(location: DatabaseLocation, log: (message: string) => void = console.error, options: OpenOptions = {}): Promise<OpenedDatabase> {
  if (location.kind === 'sqlite') {
    const db = openSqlite(location.file);
    const store = new SqliteReleaseStore(db, { documentsDir: location.file === ':memory:' ? undefined : sqliteDocumentsDir(location.file) });
    const tokens = new SqliteTokenStore(db);
    const jobs = new SqliteJobQueue(db);
    return {
      store,
      tokens,
      jobs,
      where: location.file,
      close: async () => {
        jobs.close();
        // The release store first: it writes the documents it was given before the file closes.
        await store.close();
        return tokens.close();
      },
    };
  }
  const { pg, appliedVersions, auditChannel, PgJobQueue, PgNotifications, PgReleaseStore, PgTokenStore } = await loadPostgresStores();
  const pool = new pg.Pool({ connectionString: location.url, max: 10, application_name: 'airlock' });
  // An idle connection dropped by the server (restart, failover) must not take the process down;
  // the pool opens a new one for the next query.
  pool.on('error', (err) => log(`PostgreSQL connection lost: ${err.message}`));
  // What other replicas write (releases due, jobs queued) is heard on one listening connection,
  // opened when the sweeper or a job runner first follows it.
  const notifications = new PgNotifications(location.url, (message) => log(`PostgreSQL notifications: ${message}`));
  try {
    // The schema's versions first, read once for the three stores: that read takes the first
    // connection opened, which the others (below) do not delay.
    const versions = appliedVersions(pool);
    // Beside the migrations, the notification connection and one more are opened at once, for
    // what a new process does first: its first sweep, which reads two things at once. What starts
    // after the sweep (recovery, the job queues) opens more as it needs them; opened all at once
    // here, they took the cores from the first sweep on a small machine.
    const warm = options.serve ? Promise.all([notifications.listen(listenWaitMs), warmPool(pool, startConnections - 1)]) : null;
    const applied = await versions;
    const store = await PgReleaseStore.open(pool, { notifications, applied });
    const tokens = await PgTokenStore.open(pool, { applied });
    const jobs = await PgJobQueue.open(pool, { notifications, applied });
    await warm;
    return {
      store,
      tokens,
      jobs,
      where: redactUrl(location.url),
      auditWakeups: ({ wake, listening }) => {
        const stop = notifications.subscribe(auditChannel, { notify: () => wake(), listening });
        return { close: async () => stop() };
      },
      close: async () => {
        await notifications.close();
        if (!pool.ended) await pool.end();
      },
    };
  } catch (err) {
    await notifications.close();
    await pool.end().catch(() => {});
    throw err;
  }
}

/** Connections a server's PostgreSQL pool opens at start (the schema read's, and more: see warmPool). */
const startConnections = 2;
/** How long a server's start waits for its notification connection (it keeps trying after). */
const listenWaitMs = 2000;

/** Opens `n` connections of the pool at once and returns them to it, idle; a failure is left to the first query. */
async function warmPool(pool: import('pg').Pool, n: number): Promise<void> {
  const clients = await Promise.allSettled(Array.from({ length: n }, () => pool.connect()));
  for (const c of clients) if (c.status === 'fulfilled') c.value.release();
}

/** The blob store the settings name: files under `AIRLOCK_STORAGE/blobs`, or an S3 bucket. */
export async function openBlobStore(settings: StoreSettings): Promise<{ blobs: BlobStore; where: string; close(): void }> {
  const setting = settings.blobStore;
  if (setting.kind === 'file') {
    const root = path.join(settings.storageDir, 'blobs');
    return { blobs: new FsBlobStore(root), where: root, close() {} };
  }
  const S3BlobStore = await loadS3BlobStore();
  const blobs = new S3BlobStore({
    bucket: setting.bucket,
    prefix: setting.prefix,
    endpoint: settings.s3Endpoint?.href,
    region: settings.s3Region,
    forcePathStyle: settings.s3ForcePathStyle,
    // Bytes wait here while they are verified, before they go up; on the same disk as any local state.
    spoolDir: path.join(settings.storageDir, 's3-spool'),
  });
  return { blobs, where: `s3://${setting.bucket}/${setting.prefix}${settings.s3Endpoint ? ` at ${settings.s3Endpoint.origin}` : ''}`, close: () => blobs.close() };
}

/** Every store the settings name; the one factory the server and the CLI use. */
export async function openStores(settings: StoreSettings, log?: (message: string) => void, options: OpenOptions = {}): Promise<Stores> {
  // Both at once: each mostly waits (connections, migrations; the S3 client's set-up).
  const [opened, openedBlobs] = await Promise.allSettled([openDatabase(databaseLocation(settings), log, options), openBlobStore(settings)]);
  if (opened.status === 'rejected' || openedBlobs.status === 'rejected') {
    if (opened.status === 'fulfilled') await opened.value.close();
    if (openedBlobs.status === 'fulfilled') openedBlobs.value.close();
    throw opened.status === 'rejected' ? opened.reason : (openedBlobs as PromiseRejectedResult).reason;
  }
  const database = opened.value;
  const blobs = openedBlobs.value;
  return {
    ...database,
    blobs: blobs.blobs,
    blobsWhere: blobs.where,
    close: async () => {
      blobs.close();
      await database.close();
    },
  };
}
