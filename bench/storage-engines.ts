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
/** Each engine's workload runs this many times, alternating engines, and each figure is the median: the machine's load moves between runs. */
const rounds = Number(process.env.AIRLOCK_BENCH_ROUNDS ?? 3);
const roundTripSamples = 500;
const blobBytes = 1024 * 1024;

async function timed(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** One figure of the workload: its time and how many store calls it made (so the time of one can be shown). */
interface Figure {
  ms: number;
  /** Queries sent to PostgreSQL (0 on SQLite). */
  queries: number;
  calls: number;
  /** What one call is, for the per-call column. */
  unit: string;
}

/** The same store workload on one engine. */
async function storeWorkload(store: ReleaseStore, queriesSent: () => number = () => 0): Promise<Record<string, Figure>> {
  // Each part's time and the queries it sent (PostgreSQL; one query is one round trip).
  const measure = async (fn: () => Promise<void>) => {
    const before = queriesSent();
    const ms = await timed(fn);
    return { ms, queries: queriesSent() - before };
  };
  const now = new Date('2026-11-01T10:00:00Z');
  const observed = () => Array.from({ length: versionsPerPackage }, (_, v) => ({ version: `1.0.${v}`, publishedAt: now }));
  // What quarantine.observe writes after the releases of an npm packument: one tarball per release.
  const ids: number[][] = [];
  const artifactsOf = (p: number) =>
    (ids[p] ?? []).map((releaseId, v) => ({
      releaseId,
      artifacts: [{ filename: `pkg-${p}-1.0.${v}.tgz`, url: `https://registry.example/pkg-${p}/-/pkg-${p}-1.0.${v}.tgz`, digests: { sha512: `${p}-${v}` }, size: null, publishedAt: now }],
    }));
  const firstSight = await measure(async () => {
    for (let p = 0; p < packages; p++) ids[p] = (await store.recordSeen('npm', `pkg-${p}`, observed(), now, () => 'skipped')).releases.map((r) => r.id);
  });
  const artifacts = await measure(async () => {
    for (let p = 0; p < packages; p++) await store.recordManyArtifacts(artifactsOf(p), now);
  });
  const lookup = await measure(async () => {
    for (let i = 0; i < lookups; i++) await store.getRelease('npm', `pkg-${i % packages}`, `1.0.${i % versionsPerPackage}`);
  });
  // As a server sees them: 16 requests in flight at once.
  const concurrent = await measure(async () => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = next++; i < lookups; i = next++) await store.getRelease('npm', `pkg-${i % packages}`, `1.0.${i % versionsPerPackage}`);
      }),
    );
  });
  // A known package read again (every index request after the first): nothing new to write.
  const reread = await measure(async () => {
    for (let p = 0; p < packages; p++) await store.recordSeen('npm', `pkg-${p}`, observed(), now, () => 'skipped');
  });
  // The same with its artifacts, as quarantine.observe does for each npm packument it reads.
  const rereadWithArtifacts = await measure(async () => {
    for (let p = 0; p < packages; p++) {
      await store.recordSeen('npm', `pkg-${p}`, observed(), now, () => 'skipped');
      await store.recordManyArtifacts(artifactsOf(p), now);
    }
  });
  const decide = await measure(async () => {
    for (let i = 0; i < decisions; i++) {
      const release = (await store.getRelease('npm', `pkg-${i % packages}`, `1.0.${Math.floor(i / packages)}`))!;
      const decision: Decision = { action: 'approve', reason: 'bench', actor: 'alice', role: 'reviewer', decidedAt: now };
      await store.decideIf(release.id, release.decision, decision, { at: now, actor: 'alice', role: 'reviewer', action: 'approve', subject: `npm:pkg@${i}`, reason: 'bench', detail: {} });
    }
  });
  let pages = 0;
  const exportAudit = await measure(async () => {
    for (let after = 0; ; ) {
      const page = await store.listAudit({ afterId: after, order: 'oldest', limit: 100 });
      pages++;
      if (page.length === 0) break;
      after = page[page.length - 1]!.id;
    }
  });
  return {
    [`first sight, ${packages} packages × ${versionsPerPackage} releases`]: { ...firstSight, calls: packages, unit: 'packument' },
    [`their artifacts recorded, ${packages} × ${versionsPerPackage}`]: { ...artifacts, calls: packages, unit: 'packument' },
    [`known package read again, ${packages}×`]: { ...reread, calls: packages, unit: 'packument' },
    [`known package and its artifacts again, ${packages}×`]: { ...rereadWithArtifacts, calls: packages, unit: 'packument' },
    [`release lookups, ${lookups}× one at a time`]: { ...lookup, calls: lookups, unit: 'lookup' },
    [`release lookups, ${lookups}× 16 at a time`]: { ...concurrent, calls: lookups, unit: 'lookup' },
    [`decisions with audit entry, ${decisions}×`]: { ...decide, calls: decisions, unit: 'decision' },
    [`audit export in pages of 100 (${decisions} entries)`]: { ...exportAudit, calls: pages, unit: 'page' },
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

/** Counts every query sent on the pool's connections (pool.query and checked-out clients alike): one query is one round trip. */
function countQueries(pool: pg.Pool): { readonly count: number } {
  const counter = { count: 0 };
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      counter.count++;
      return query(...args);
    };
  });
  return counter;
}

/**
 * The round-trip floor: one `SELECT 1` (prepared), its median and its mean (the figures are
 * totals, so their floor is the mean), and `n` of them `concurrency` at a time.
 */
async function roundTrip(pool: pg.Pool, n: number, concurrency: number): Promise<{ medianMs: number; meanMs: number; concurrentMs: number }> {
  const one = { name: 'bench_select_1', text: 'SELECT 1' };
  const times: number[] = [];
  for (let i = 0; i < roundTripSamples; i++) times.push(await timed(async () => void (await pool.query(one))));
  const meanMs = times.reduce((a, b) => a + b, 0) / times.length;
  times.sort((a, b) => a - b);
  let next = 0;
  const concurrentMs = await timed(async () => {
    await Promise.all(Array.from({ length: concurrency }, async () => { for (let i = next++; i < n; i = next++) await pool.query(one); }));
  });
  return { medianMs: times[times.length >> 1]!, meanMs, concurrentMs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/**
 * Storage engines side by side, in one run: the same release-store workload on SQLite and on a
 * local PostgreSQL 15 cluster, the same artifacts through the file store and through the S3 store
 * on s3rver (a test stand-in: its speed says nothing about MinIO or S3, only about our code path).
 * The engines alternate, `AIRLOCK_BENCH_ROUNDS` times each (default 3), each figure the median.
 * Beside each PostgreSQL figure: how many queries (round trips) it sent, and its floor, the time
 * of that many `SELECT 1` round trips: no statement can cost less than its round trip, so a figure
 * whose floor alone is over 1.5× SQLite's in-process call cannot meet the target on this machine.
 */
export async function benchStorageEngines(): Promise<void> {
  const cluster = await startPostgres();
  const s3 = await startS3rver();
  const temp = await tempDir('airlock-bench-storage-');
  try {
    const sqliteRuns: Record<string, Figure>[] = [];
    const pgRuns: Record<string, Figure>[] = [];
    const floors: Awaited<ReturnType<typeof roundTrip>>[] = [];
    for (let round = 0; round < rounds; round++) {
      const sqlite = new SqliteReleaseStore(openSqlite(path.join(temp.dir, `airlock-${round}.db`)));
      sqliteRuns.push(await storeWorkload(sqlite));
      await sqlite.close();
      const pool = new pg.Pool({ connectionString: await cluster.createDatabase(), max: 10 });
      const queries = countQueries(pool);
      const postgres = await PgReleaseStore.open(pool);
      pgRuns.push(await storeWorkload(postgres, () => queries.count));
      floors.push(await roundTrip(pool, lookups, 16));
      await pool.end();
    }
    const files = new FsBlobStore(path.join(temp.dir, 'blobs'));
    const bucket = new S3BlobStore({ bucket: s3.bucket, prefix: 'bench/', endpoint: s3.endpoint, forcePathStyle: true, credentials: s3.credentials, spoolDir: path.join(temp.dir, 'spool') });
    const [c, d] = [await blobWorkload(files), await blobWorkload(bucket)];
    bucket.close();

    const rttMs = median(floors.map((f) => f.meanMs));
    const rttMedianMs = median(floors.map((f) => f.medianMs));
    const concurrentFloorMs = median(floors.map((f) => f.concurrentMs));
    const rows = Object.keys(sqliteRuns[0]!).map((k) => {
      const a = median(sqliteRuns.map((r) => r[k]!.ms));
      const b = median(pgRuns.map((r) => r[k]!.ms));
      const { calls, unit } = sqliteRuns[0]![k]!;
      const perCall = pgRuns[0]![k]!.queries / calls;
      // 16 lookups at a time: the floor is that many SELECT 1 sent the same way, measured.
      const floor = k.includes('16 at a time') ? concurrentFloorMs : pgRuns[0]![k]!.queries * rttMs;
      const ratio = b / a;
      const verdict = ratio <= target ? 'ok' : floor / a > target ? `floor ${(floor / a).toFixed(1)}×` : `over ${target}×`;
      const us = (ms: number) => `${((ms / calls) * 1000).toFixed(0)}`;
      return [k, a.toFixed(0), b.toFixed(0), `${ratio.toFixed(2)}×`, `${us(a)} / ${us(b)} µs per ${unit}`, perCall.toFixed(perCall < 10 ? 1 : 0), floor.toFixed(0), verdict];
    });
    console.log(table(['release store (ms, median of ' + rounds + ')', 'SQLite', 'PostgreSQL', 'ratio', 'SQLite / PostgreSQL per call', 'queries per call', 'floor ms', `target ≤ ${target}×`], rows));
    console.log(
      `Round-trip floor: one SELECT 1 to PostgreSQL on loopback takes ${(rttMs * 1000).toFixed(0)} µs here on average (median ${(rttMedianMs * 1000).toFixed(0)} µs; ${roundTripSamples} in each of ${rounds} rounds); ` +
        `a SQLite lookup takes ${((median(sqliteRuns.map((r) => r[`release lookups, ${lookups}× one at a time`]!.ms)) / lookups) * 1000).toFixed(0)} µs in process. ` +
        `"floor N×": that figure's queries × one round trip is already N× SQLite's time, so no statement can bring it to ${target}×.`,
    );
    const blobRows = Object.keys(c).map((k) => [k, c[k]!.toFixed(0), d[k]!.toFixed(0), `${(d[k]! / c[k]!).toFixed(2)}×`]);
    console.log(`\n${table(['blob store (ms)', 'files', 'S3 (s3rver)', 'ratio'], blobRows)}`);
    console.log('PostgreSQL runs locally with fsync off (as in the tests); s3rver is a stand-in, not a measure of S3.');
  } finally {
    await s3.stop();
    await cluster.stop();
    await temp.remove();
  }
}

