import type pg from 'pg';
import { checkMigrations, type Migration } from './migrations.js';

/**
 * One advisory-lock key for every Airlock schema change (the bytes of "airlock\0" as a number),
 * so replicas starting together queue behind each other instead of migrating twice.
 */
export const migrationLockKey = 0x6169726c6f636b00n;

/**
 * Applies the migrations of `track` that this database has not seen, in order, in one
 * transaction holding `pg_advisory_xact_lock`: a second replica starting at the same moment waits
 * for the first to commit and then finds nothing left to do. PostgreSQL's DDL is transactional,
 * so a migration that fails leaves the schema as it was. Returns the versions applied.
 */
export async function migratePostgres(pool: pg.Pool, track: string, migrations: readonly Migration[], now = new Date()): Promise<number[]> {
  checkMigrations(track, migrations);
  // A replica starting on a schema already up to date (every start but the first after an
  // upgrade) needs one read, not a locked transaction: versions only grow, and one that moved
  // past this Airlock is refused below as it is here.
  if ((await appliedVersion(pool, track)) === migrations.length) return [];
  const client = await pool.connect();
  const applied: number[] = [];
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [migrationLockKey.toString()]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      track TEXT NOT NULL,
      version INTEGER NOT NULL,
      name TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL,
      PRIMARY KEY (track, version)
    )`);
    const { rows } = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations WHERE track = $1', [track]);
    const current = rows[0]?.v ?? 0;
    if (current > migrations.length)
      throw new Error(
        `the database's "${track}" schema is at version ${current}, newer than this Airlock knows (${migrations.length}); upgrade Airlock`,
      );
    for (const m of migrations.slice(current)) {
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (track, version, name, applied_at) VALUES ($1, $2, $3, $4)', [
        track,
        m.version,
        m.name,
        now,
      ]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** The track's latest applied version, read without the lock; null before the first migration made the table. */
async function appliedVersion(pool: pg.Pool, track: string): Promise<number | null> {
  try {
    const { rows } = await pool.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations WHERE track = $1', [track]);
    return rows[0]?.v ?? 0;
  } catch (err) {
    if ((err as { code?: unknown }).code === '42P01') return null; // undefined_table: a new database
    throw err;
  }
}
