import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import type { Decision } from '../src/domain/decision.js';
import type { BlobStore } from '../src/store/blob-store.js';
import { FsBlobStore } from '../src/store/fs-blob-store.js';
import { openSqlite } from '../src/store/open-sqlite.js';
import { PgReleaseStore } from '../src/store/pg-release-store.js';
import type { ReleaseStore } from '../src/store/release-store.js';
import { S3BlobStore } from '../src/store/s3-blob-store.js';
import { SqliteReleaseStore } from '../src/store/sqlite-release-store.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { startS3rver } from '../test/helpers/s3rver.js';
import { tempDir } from '../test/helpers/temp-dir.js';
import { table } from './bench-tools.js';

/** Target from the scale-out issue: PostgreSQL within 1.5× of SQLite on each figure. */
const target = 1.5;
const packages = 200;
const versionsPerPackage = 50;
const lookups = 2000;
const decisions = 500;
const blobs = 40;
const blobBytes = 1024 * 1024;

async function timed(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** The same store workload on one engine: ms per figure. */
async function storeWorkload(store: ReleaseStore): Promise<Record<string, number>> {
  const now = new Date('2026-11-01T10:00:00Z');
  const firstSight = await timed(async () => {
    for (let p = 0; p < packages; p++)
      await store.recordSeen('npm', `pkg-${p}`, Array.from({ length: versionsPerPackage }, (_, v) => ({ version: `1.0.${v}`, publishedAt: now })), now, () => 'skipped');
  });
  const lookup = await timed(async () => {
    for (let i = 0; i < lookups; i++) await store.getRelease('npm', `pkg-${i % packages}`, `1.0.${i % versionsPerPackage}`);
  });
  // As a server sees them: 16 requests in flight at once.
  const concurrent = await timed(async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = next++; i < lookups; i = next++) await store.getRelease('npm', `pkg-${i % packages}`, `1.0.${i % versionsPerPackage}`);
      }),
    );
  });
  const reread = await timed(async () => {
    // A known package read again (every index request after the first): nothing new to write.
    for (let p = 0; p < packages; p++)
      await store.recordSeen('npm', `pkg-${p}`, Array.from({ length: versionsPerPackage }, (_, v) => ({ version: `1.0.${v}`, publishedAt: now })), now, () => 'skipped');
  });
  const decide = await timed(async () => {
    for (let i = 0; i < decisions; i++) {
      const release = (await store.getRelease('npm', `pkg-${i % packages}`, `1.0.${Math.floor(i / packages)}`))!;
      const decision: Decision = { action: 'approve', reason: 'bench', actor: 'alice', role: 'reviewer', decidedAt: now };
      await store.decideIf(release.id, release.decision, decision, { at: now, actor: 'alice', role: 'reviewer', action: 'approve', subject: `npm:pkg@${i}`, reason: 'bench', detail: {} });
    }
  });
  const exportAudit = await timed(async () => {
    for (let after = 0; ; ) {
      const page = await store.listAudit({ afterId: after, order: 'oldest', limit: 100 });
      if (page.length === 0) break;
      after = page[page.length - 1]!.id;
    }
  });
  return {
    [`first sight, ${packages} packages × ${versionsPerPackage} releases`]: firstSight,
    [`known package read again, ${packages}×`]: reread,
    [`release lookups, ${lookups}× one at a time`]: lookup,
    [`release lookups, ${lookups}× 16 at a time`]: concurrent,
    [`decisions with audit entry, ${decisions}×`]: decide,
    [`audit export in pages of 100 (${decisions} entries)`]: exportAudit,
  };
}

async function blobWorkload(store: BlobStore): Promise<Record<string, number>> {
  const payloads = Array.from({ length: blobs }, () => randomBytes(blobBytes));
  const keys: string[] = [];
  const put = await timed(async () => {
    for (const bytes of payloads) {
      const info = await store.put((async function* () { yield bytes; })(), { sha512: createHash('sha512').update(bytes).digest('hex') });
      keys.push(info.key);
    }
  });
  const read = await timed(async () => {
    for (const key of keys) for await (const _ of await store.open(key));
  });
  return { [`store ${blobs} × 1 MB artifacts (verified)`]: put, [`read ${blobs} × 1 MB artifacts`]: read };
}

/**
 * Storage engines side by side, in one run: the same release-store workload on SQLite and on a
 * local PostgreSQL 15 cluster, the same artifacts through the file store and through the S3 store
 * on s3rver (a test stand-in: its speed says nothing about MinIO or S3, only about our code path).
 */
export async function benchStorageEngines(): Promise<void> {
  const cluster = await startPostgres();
  const s3 = await startS3rver();
  const temp = await tempDir('airlock-bench-storage-');
  try {
    const sqlite = new SqliteReleaseStore(openSqlite(path.join(temp.dir, 'airlock.db')));
    const pool = new pg.Pool({ connectionString: await cluster.createDatabase(), max: 10 });
    const postgres = await PgReleaseStore.open(pool);
    const [a, b] = [await storeWorkload(sqlite), await storeWorkload(postgres)];
    const files = new FsBlobStore(path.join(temp.dir, 'blobs'));
    const bucket = new S3BlobStore({ bucket: s3.bucket, prefix: 'bench/', endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials, spoolDir: path.join(temp.dir, 'spool') });
    const [c, d] = [await blobWorkload(files), await blobWorkload(bucket)];
    bucket.close();
    await sqlite.close();
    await pool.end();

    const rows = Object.keys(a).map((k) => [k, a[k]!.toFixed(0), b[k]!.toFixed(0), `${(b[k]! / a[k]!).toFixed(2)}×`, b[k]! / a[k]! <= target ? 'ok' : `over ${target}×`]);
    console.log(table(['release store (ms)', 'SQLite', 'PostgreSQL', 'ratio', `target ≤ ${target}×`], rows));
    const blobRows = Object.keys(c).map((k) => [k, c[k]!.toFixed(0), d[k]!.toFixed(0), `${(d[k]! / c[k]!).toFixed(2)}×`]);
    console.log(`\n${table(['blob store (ms)', 'files', 'S3 (s3rver)', 'ratio'], blobRows)}`);
    console.log('PostgreSQL runs locally with fsync off (as in the tests); s3rver is a stand-in, not a measure of S3.');
  } finally {
    await s3.stop();
    await cluster.stop();
    await temp.remove();
  }
}
