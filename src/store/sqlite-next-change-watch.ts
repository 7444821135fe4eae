import type { SqliteDatabase } from './open-sqlite.js';

/** Who hears of next changes written through each connection (several stores may share one). */
const heardBy = new WeakMap<SqliteDatabase, Set<(at: Date) => void>>();

/**
 * Calls `heard` with the next change of every release row this connection inserts or whose next
 * change it moves, within the writing statement. TEMP triggers live in this connection only: the
 * file's schema is unchanged, and other connections (the CLI, an older Airlock) run none of it.
 * Rows with no next change (releases trusted by age, decided ones) call nothing.
 */
export function watchSqliteNextChanges(db: SqliteDatabase, heard: (at: Date) => void): void {
  let set = heardBy.get(db);
  if (!set) {
    const listeners = new Set<(at: Date) => void>();
    set = listeners;
    heardBy.set(db, listeners);
    db.function('airlock_next_change_written', { deterministic: false }, (ms: unknown) => {
      const at = new Date(Number(ms));
      for (const l of listeners) l(at);
      return null;
    });
    db.exec(`
CREATE TEMP TRIGGER IF NOT EXISTS airlock_next_change_inserted AFTER INSERT ON main.releases
  WHEN NEW.next_change_at IS NOT NULL BEGIN SELECT airlock_next_change_written(NEW.next_change_at); END;
CREATE TEMP TRIGGER IF NOT EXISTS airlock_next_change_moved AFTER UPDATE OF next_change_at ON main.releases
  WHEN NEW.next_change_at IS NOT NULL AND NEW.next_change_at IS NOT OLD.next_change_at BEGIN SELECT airlock_next_change_written(NEW.next_change_at); END;
`);
  }
  set.add(heard);
}

/** How often another connection's commits are looked for: a pragma answered from shared memory, no I/O. */
const otherWritersMs = 500;

/**
 * Calls `written` when another connection (another process on the same file) has committed since
 * the last look: `PRAGMA data_version` changes for their commits, never for this connection's own.
 * Returns what stops it.
 */
export function followOtherConnections(db: SqliteDatabase, written: () => void): () => void {
  let seen = db.pragma('data_version', { simple: true }) as number;
  const timer = setInterval(() => {
    if (!db.open) return clearInterval(timer);
    const now = db.pragma('data_version', { simple: true }) as number;
    if (now === seen) return;
    seen = now;
    written();
  }, otherWritersMs);
  timer.unref();
  return () => clearInterval(timer);
}
