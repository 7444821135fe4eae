import { checkMigrations, type Migration } from './migrations.js';
import type { SqliteDatabase } from './open-sqlite.js';

/**
 * Applies the migrations of `track` that this database has not seen, in order, in one IMMEDIATE
 * transaction: a second process opening the same file waits for the first (busy_timeout) and then
 * finds nothing left to do. Returns the versions applied.
 */
export function migrateSqlite(db: SqliteDatabase, track: string, migrations: readonly Migration[], now = new Date()): number[] {
  checkMigrations(track, migrations);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    track TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL,
    PRIMARY KEY (track, version)
  )`);
  const applied: number[] = [];
  db.transaction(() => {
    const row = db.prepare<[string], { v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations WHERE track = ?').get(track);
    const current = row?.v ?? 0;
    if (current > migrations.length)
      throw new Error(
        `the database's "${track}" schema is at version ${current}, newer than this Airlock knows (${migrations.length}); upgrade Airlock`,
      );
    const record = db.prepare('INSERT INTO schema_migrations (track, version, name, applied_at) VALUES (?, ?, ?, ?)');
    for (const m of migrations.slice(current)) {
      db.exec(m.sql);
      record.run(track, m.version, m.name, now.getTime());
      applied.push(m.version);
    }
  }).immediate();
  return applied;
}
