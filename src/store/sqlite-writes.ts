import type { Database, Statement } from 'better-sqlite3';
import type { NewAuditEntry, ObservedArtifact } from './release-store.js';

/**
 * The writes of the SQLite release store that run on the writer thread once it is up (see
 * SqliteWriter): what a package's first sight writes, its releases, artifacts and document. The
 * same code runs on the store's own connection before that, so the two cannot drift. Everything
 * here is plain values (a message to the thread is a copy), and no value is imported from
 * better-sqlite3, so the thread's bundle loads the native module itself.
 */

/** A new release row's own values, in this order; the package's are given once (see NewReleases). */
export const releaseRowColumns = ['version', 'published_at', 'analysis', 'meta', 'state', 'hold_until', 'next_change_at'] as const;
const packageColumns = ['ecosystem', 'name', 'first_seen_at', 'clock_floor_at'] as const;
const insertColumns = [...packageColumns, ...releaseRowColumns];
/** Rows written together per INSERT (well under SQLite's 32,766 parameters). */
const insertBatchRows = 100;

/** An audit entry as its row's values: at (ms), actor, role, action, subject, reason, detail (JSON). */
export type AuditValues = [number, string, string, string, string, string | null, string];

export function auditValues(entry: NewAuditEntry): AuditValues {
  return [entry.at.getTime(), entry.actor, entry.role, entry.action, entry.subject, entry.reason, JSON.stringify(entry.detail)];
}

/** A package's new release rows and what is written with them, in one transaction. */
export interface NewReleases {
  ecosystem: string;
  name: string;
  firstSeenAtMs: number;
  clockFloorAtMs: number | null;
  /** The new rows' values, flat, `releaseRowColumns` per row. */
  rows: unknown[];
  /** Known releases whose publish time upstream gave only now: [published at ms, meta JSON, id]. */
  fills: [number, string, number][];
  /** The first states' audit entries, by version: each written only if this write inserted that version's row. */
  rowAudits: [string, AuditValues][];
  /** Entries about the whole read, written after those. */
  audits: AuditValues[];
}

/** Files of releases as upstream lists them, recorded at `nowMs`. */
export interface NewArtifacts {
  nowMs: number;
  entries: { releaseId: number; artifacts: (Omit<ObservedArtifact, 'publishedAt'> & { publishedAtMs: number | null })[] }[];
}

export interface StoredDocument {
  key: string;
  body: Uint8Array;
  etag: string | null;
  lastModified: string | null;
  fetchedAtMs: number;
}

/** The settings of every Airlock connection to a SQLite file: WAL, one writer at a time, others wait for it. */
export function tuneConnection(db: Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
}

export class SqliteWrites {
  private readonly inserts = new Map<number, Statement>();
  private readonly stmts;
  /** Each a transaction that takes the write lock first: another connection may write meanwhile. */
  readonly writeReleases: (batch: NewReleases) => [string, number][];
  readonly writeArtifacts: (batch: NewArtifacts) => void;

  constructor(private readonly db: Database) {
    this.stmts = {
      fillPublished: db.prepare(
        // Every write of a fact bumps the revision and makes the release due (next_change_at = 0).
        // A publish time learned after first sight never starts the clock before first sight.
        'UPDATE releases SET published_at = ?, meta = ?, clock_floor_at = MAX(COALESCE(clock_floor_at, first_seen_at), first_seen_at), revision = revision + 1, next_change_at = 0 WHERE id = ?',
      ),
      insertAudit: db.prepare('INSERT INTO audit (at, actor, role, action, subject, reason, detail) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      hasArtifacts: db.prepare<[number], { one: number }>('SELECT 1 AS one FROM artifacts WHERE release_id = ? LIMIT 1'),
      insertArtifact: db.prepare(
        // A file new to a release whose files Airlock had already read gets the latest first
        // sight of its siblings as its clock floor; an upload time learned after first sight
        // gets the file's own first sight.
        `INSERT INTO artifacts (release_id, filename, url, digests, size, published_at, first_seen_at, analysis, clock_floor_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, (SELECT MAX(first_seen_at) FROM artifacts WHERE release_id = ? AND first_seen_at < ?))
         ON CONFLICT (release_id, filename) DO UPDATE SET url = excluded.url,
           clock_floor_at = CASE WHEN artifacts.published_at IS NULL AND excluded.published_at IS NOT NULL
             THEN MAX(COALESCE(artifacts.clock_floor_at, artifacts.first_seen_at), artifacts.first_seen_at)
             ELSE artifacts.clock_floor_at END,
           published_at = COALESCE(artifacts.published_at, excluded.published_at)`,
      ),
      putDocument: db.prepare(
        `INSERT INTO documents (key, body, etag, last_modified, fetched_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET body = excluded.body, etag = excluded.etag,
           last_modified = excluded.last_modified, fetched_at = excluded.fetched_at`,
      ),
    };
    const releases = db.transaction((batch: NewReleases): [string, number][] => {
      for (const [publishedAt, meta, id] of batch.fills) this.stmts.fillPublished.run(publishedAt, meta, id);
      const ids: [string, number][] = [];
      const width = releaseRowColumns.length;
      const rows = batch.rows.length / width;
      const shared = [batch.ecosystem, batch.name, batch.firstSeenAtMs, batch.clockFloorAtMs];
      // A package's first sight is hundreds of releases: one statement per row was most of recording them.
      for (let from = 0; from < rows; from += insertBatchRows) {
        const n = Math.min(insertBatchRows, rows - from);
        const values: unknown[] = [];
        for (let r = from; r < from + n; r++) values.push(...shared, ...batch.rows.slice(r * width, (r + 1) * width));
        for (const row of this.insertRows(n).all(...values) as { id: number; version: string }[]) ids.push([row.version, row.id]);
      }
      // Another connection may have recorded some of these versions meanwhile (a second process
      // on the file): its rows stand, and only the rows inserted here were discovered here.
      const inserted = ids.length === rows ? null : new Set(ids.map(([version]) => version));
      for (const [version, values] of batch.rowAudits) if (!inserted || inserted.has(version)) this.stmts.insertAudit.run(...values);
      for (const values of batch.audits) this.stmts.insertAudit.run(...values);
      return ids;
    });
    const artifacts = db.transaction((batch: NewArtifacts) => {
      for (const { releaseId, artifacts } of batch.entries) {
        // Decided before inserting: files recorded together with a release's first are its first.
        const own = this.stmts.hasArtifacts.get(releaseId) ? 'pending' : null;
        for (const a of artifacts) {
          this.stmts.insertArtifact.run(releaseId, a.filename, a.url, JSON.stringify(a.digests), a.size, a.publishedAtMs, batch.nowMs, own, releaseId, batch.nowMs);
        }
      }
    });
    this.writeReleases = (batch) => releases.immediate(batch);
    this.writeArtifacts = (batch) => artifacts.immediate(batch);
  }

  /** Appends one audit entry (in the caller's transaction, if any); its id. */
  audit(entry: NewAuditEntry): number {
    return Number(this.stmts.insertAudit.run(...auditValues(entry)).lastInsertRowid);
  }

  writeDocument(doc: StoredDocument): void {
    this.stmts.putDocument.run(doc.key, doc.body, doc.etag, doc.lastModified, doc.fetchedAtMs);
  }

  /** The INSERT of `n` new release rows at once, prepared once per size. */
  private insertRows(n: number): Statement {
    let stmt = this.inserts.get(n);
    if (!stmt) {
      const row = `(${insertColumns.map(() => '?').join(', ')})`;
      stmt = this.db.prepare(
        `INSERT INTO releases (${insertColumns.join(', ')}) VALUES ${Array(n).fill(row).join(', ')}
         ON CONFLICT (ecosystem, name, version) DO NOTHING RETURNING id, version`,
      );
      this.inserts.set(n, stmt);
    }
    return stmt;
  }
}
