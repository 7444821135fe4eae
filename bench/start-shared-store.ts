import { startPostgres } from '../test/helpers/postgres.js';
import { startS3rverProcess } from './s3rver-process.js';

export interface SharedStore {
  /** The settings that put an Airlock on this PostgreSQL database and S3 bucket. */
  env: Record<string, string>;
  /** The s3rver child process (for its CPU time). */
  s3Pid: number;
  /** The PostgreSQL cluster's port (for its CPU time, `clusterCpuMs`). */
  pgPort: number;
  /** One sentence saying what runs where. */
  describe: string;
  stop(): Promise<void>;
}

/**
 * A fresh PostgreSQL cluster (the tests' helper: initdb/pg_ctl as a non-root user, loopback, a temp
 * dir) with one new database, and s3rver with one bucket in a child process, both on loopback, as
 * the settings an Airlock needs to use them. s3rver is a stand-in for MinIO or S3.
 */
export async function startSharedStore(prefix: string): Promise<SharedStore> {
  const [pgStarted, s3Started] = await Promise.allSettled([startPostgres(), startS3rverProcess()]);
  if (pgStarted.status === 'rejected' || s3Started.status === 'rejected') {
    await Promise.all([pgStarted.status === 'fulfilled' && pgStarted.value.stop(), s3Started.status === 'fulfilled' && s3Started.value.stop()]);
    throw pgStarted.status === 'rejected' ? pgStarted.reason : (s3Started as PromiseRejectedResult).reason;
  }
  const cluster = pgStarted.value;
  const s3 = s3Started.value;
  try {
    const databaseUrl = await cluster.createDatabase(prefix);
    return {
      env: {
        AIRLOCK_DATABASE_URL: databaseUrl,
        AIRLOCK_BLOB_STORE: `s3://${s3.bucket}/${prefix}`,
        AIRLOCK_S3_ENDPOINT: s3.endpoint,
        AIRLOCK_S3_FORCE_PATH_STYLE: 'true',
        AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
        // The SDK's notice that later versions need Node 22 says nothing about these figures; it would only clutter them.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      s3Pid: s3.pid,
      pgPort: Number(new URL(databaseUrl).port),
      describe: `PostgreSQL 15 at ${new URL(databaseUrl).host} (fsync off, as in the tests) and s3rver at ${s3.endpoint} (a stand-in for MinIO or S3)`,
      async stop() {
        await Promise.all([cluster.stop(), s3.stop()]);
      },
    };
  } catch (err) {
    await Promise.all([cluster.stop(), s3.stop()]);
    throw err;
  }
}
