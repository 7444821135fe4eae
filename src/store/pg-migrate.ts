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
export async function migratePostgres(pool: pg.Pool, track: string, migrations: readonly Migration[], options: MigrateOptions = {}): Promise<number[]> {
  checkMigrations(track, migrations);
  // A replica starting on a schema already up to date (every start but the first after an
  // upgrade) needs one read, not a locked transaction: versions only grow, and one that moved
  // past this Airlock is refused below as it is here.
  const known = options.applied === undefined ? await appliedVersions(pool) : options.applied;
  const before = known && (known.get(track) ?? 0);
  if (before === migrations.length) return [];
  const now = options.now ?? new Date();
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

export interface MigrateOptions {
  /** When the migrations are recorded as applied. @default now */
  now?: Date;
  /**
   * Every track's latest applied version as `appliedVersions` read it just before (the stores of
   * one database opening together read them once); unset: read now.
   */
  applied?: ReadonlyMap<string, number> | null;
}

/** Every track's latest applied version in one read, without the lock; null before the first migration made the table. */
export async function appliedVersions(pool: pg.Pool): Promise<Map<string, number> | null> {
  try {
    const { rows } = await pool.query<{ track: string; v: number }>('SELECT track, MAX(version) AS v FROM schema_migrations GROUP BY track');
    return new Map(rows.map((r) => [r.track, r.v]));
  } catch (err) {
    if (isUndefinedTable(err)) return null;
    throw err;
  }
}

/** undefined_table: a new database, before its first migration. */
function isUndefinedTable(err: unknown): boolean {
  return (err as { code?: unknown }).code === '42P01';
}
