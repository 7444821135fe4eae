/**
 * Versioned schema migrations. Each store keeps its own ordered list (its "track"); a migration is
 * applied once, in order, and recorded in `schema_migrations` with the track, version and time.
 *
 * A migration list only ever grows: a shipped migration is never edited, a change to the schema
 * is a new entry at the end. Engines run the list under a lock (SQLite: one IMMEDIATE
 * transaction; PostgreSQL: an advisory lock) so replicas starting together migrate once.
 */
export interface Migration {
  /** 1, 2, 3, … without gaps; the order they run in. */
  version: number;
  /** What it does, in a few words (`releases next_change_at index`). */
  name: string;
  /** The statements, in the engine's SQL dialect. */
  sql: string;
}

/** Checks that a track's versions are 1..n in order, so a bad edit fails at start, not half-way. */
export function checkMigrations(track: string, migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`migration ${i + 1} of track "${track}" has version ${m.version}; versions must be 1, 2, 3, … in order`);
  });
}
