import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePostgres } from '../../src/store/pg-migrate.js';
import { pgReleaseMigrations } from '../../src/store/pg-release-migrations.js';
import { PgReleaseStore } from '../../src/store/pg-release-store.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';

describe('upgrading a PostgreSQL release store to counts by state', () => {
  let cluster: Postgres;
  beforeAll(async () => {
    cluster = await startPostgres();
  }, 120_000);
  afterAll(() => cluster.stop());

  it('counts the releases already stored by state, then keeps the counts with each change', async () => {
    const pool = new pg.Pool({ connectionString: await cluster.createDatabase() });
    try {
      // The schema as the previous Airlock left it (version 6), with releases in three states.
      await migratePostgres(pool, 'releases', pgReleaseMigrations.slice(0, 6));
      const insert = (name: string, ecosystem: string, state: string | null) =>
        pool.query("INSERT INTO releases (ecosystem, name, version, first_seen_at, analysis, state) VALUES ($1, $2, '1.0.0', now(), 'skipped', $3)", [ecosystem, name, state]);
      for (let i = 0; i < 5; i++) await insert(`old-${i}`, 'npm', 'released');
      await insert('held', 'npm', 'quarantined');
      await insert('held', 'pypi', 'quarantined');
      await insert('unswept', 'npm', null);

      const store = await PgReleaseStore.open(pool);
      const counts = async () => (await store.countByState()).map((c) => `${c.ecosystem} ${c.state} ${c.count}`).sort();
      expect(await counts()).toEqual(['npm quarantined 1', 'npm released 5', 'pypi quarantined 1']);
      expect(await store.countReleases({ states: ['quarantined'] })).toBe(2);

      await pool.query("UPDATE releases SET state = 'released' WHERE name = 'held'");
      await pool.query("DELETE FROM releases WHERE name = 'old-0'");
      expect(await counts()).toEqual(['npm released 5', 'pypi released 1']);
      // Only releases not released are in the hold index now, as on SQLite.
      const { rows } = await pool.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE indexname = 'releases_held_until'");
      expect(rows[0]?.indexdef).toContain("WHERE (state <> 'released'::text)");
      // The queues' risk order reads a partial index too, and no full state index is left (migration 8).
      const releaseIndexes = await pool.query<{ indexname: string; indexdef: string }>("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'releases' ORDER BY indexname");
      expect(releaseIndexes.rows.map((r) => r.indexname)).toEqual([
        'releases_analysis_pending', 'releases_ecosystem_name_version_key', 'releases_held_until', 'releases_next_change', 'releases_package', 'releases_pkey', 'releases_queue_risk', 'releases_risk_ascending',
      ]);
      expect(releaseIndexes.rows.find((r) => r.indexname === 'releases_queue_risk')?.indexdef).toContain("WHERE (state <> 'released'::text)");
      await insert('queued', 'npm', 'awaiting-review');
      expect((await store.listReleases({ states: ['awaiting-review'], order: 'risk' })).map((r) => r.name)).toEqual(['queued']);
    } finally {
      await pool.end();
    }
  });
});
