import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgReleaseStore } from '../../src/store/pg-release-store.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';

describe('upstream documents on PostgreSQL', () => {
  let cluster: Postgres;
  beforeAll(async () => {
    cluster = await startPostgres();
  }, 120_000);
  afterAll(() => cluster.stop());

  it('are stored compressed with lz4 (migration 9) and read back byte for byte', async () => {
    const pool = new pg.Pool({ connectionString: await cluster.createDatabase() });
    try {
      const store = await PgReleaseStore.open(pool);
      // A packument-like document large enough for the server to compress it.
      const versions = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`1.${i}.0`, { name: 'big', version: `1.${i}.0`, dist: { tarball: `http://upstream.test/big/-/big-1.${i}.0.tgz` } }]));
      const body = Buffer.from(JSON.stringify({ name: 'big', versions }));
      const fetchedAt = new Date('2026-11-01T10:00:00Z');
      await store.putDocument('npm:packument:big', { body, etag: '"e1"', lastModified: null, fetchedAt });
      const { rows } = await pool.query<{ method: string | null }>("SELECT pg_column_compression(body) AS method FROM documents WHERE key = 'npm:packument:big'");
      expect(rows).toEqual([{ method: 'lz4' }]);
      expect(await store.getDocument('npm:packument:big')).toEqual({ body, etag: '"e1"', lastModified: null, fetchedAt });
    } finally {
      await pool.end();
    }
  });
});
