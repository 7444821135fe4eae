import { AirlockError } from '../errors.js';
import { noFindings, type AnalysisState, type Release, type ReleaseFacts } from '../domain/release.js';
import type { Decision } from '../domain/decision.js';
import type { ReleaseState, StateCount } from '../domain/release-state.js';
import type { StoredFinding } from '../domain/finding.js';
import { severities } from '../domain/severity.js';
import type { Ecosystem } from '../domain/ecosystem.js';
import { mustExist } from '../must-exist.js';
import { FileDocumentStore } from './file-document-store.js';
import { DocumentWrites, type PendingDocument } from './document-writes.js';
import { newRelease, writtenMetas } from './recorded-release.js';
import type { SqliteDatabase } from './open-sqlite.js';
import type { Statement } from 'better-sqlite3';
import { migrateSqlite } from './sqlite-migrate.js';
import { sqliteReleaseMigrations } from './sqlite-release-migrations.js';
import { NextChangeListeners } from './next-change-listeners.js';
import { followOtherConnections, watchSqliteNextChanges } from './sqlite-next-change-watch.js';
import { stateCountQuery, sumStateCounts } from './state-count-query.js';
import type {
  Artifact,
  AuditEntry,
  AuditQuery,
  CachedDocument,
  ClosingAudit,
  DuePage,
  InitialState,
  NewAuditEntry,
  NextChangeListener,
  ObservedArtifact,
  ObservedRelease,
  ReleaseQuery,
  ReleaseVersion,
  ReleaseStore,
  StateTransition,
  TrackedRelease,
} from './release-store.js';

interface ReleaseRow {
  id: number;
  ecosystem: Ecosystem;
  name: string;
  version: string;
  published_at: number | null;
  first_seen_at: number;
  clock_floor_at: number | null;
  analysis: AnalysisState;
  findings: string;
  analyzed_at: number | null;
  baseline_version: string | null;
  decision: string | null;
  withdrawn_at: number | null;
  meta: string;
  file_findings: string;
  state: ReleaseState | null;
  hold_until: number | null;
  next_change_at: number | null;
  revision: number;
  risk_rank: number;
}

interface ArtifactRow {
  id: number;
  release_id: number;
  filename: string;
  url: string;
  digests: string;
  size: number | null;
  published_at: number | null;
  first_seen_at: number;
  clock_floor_at: number | null;
  blob_key: string | null;
  analysis: AnalysisState | null;
  findings: string;
  analyzed_at: number | null;
}

interface AuditRow {
  id: number;
  at: number;
  actor: string;
  role: string;
  action: string;
  subject: string;
  reason: string | null;
  detail: string;
}

const toDate = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

function toRelease(row: ReleaseRow): Release {
  const decision = row.decision ? (JSON.parse(row.decision) as Decision & { decidedAt: string }) : null;
  return {
    id: row.id,
    ecosystem: row.ecosystem,
    name: row.name,
    version: row.version,
    publishedAt: toDate(row.published_at),
    firstSeenAt: new Date(row.first_seen_at),
    clockFloorAt: toDate(row.clock_floor_at),
    analysis: row.analysis,
    // The release's own findings, then those of files analyzed on their own (each names its file).
    findings:
      row.findings === '[]' && row.file_findings === '[]'
        ? noFindings
        : [...(JSON.parse(row.findings) as StoredFinding[]), ...(JSON.parse(row.file_findings) as StoredFinding[])],
    analyzedAt: toDate(row.analyzed_at),
    baselineVersion: row.baseline_version,
    decision: decision ? { ...decision, decidedAt: new Date(decision.decidedAt) } : null,
    withdrawnAt: toDate(row.withdrawn_at),
    meta: JSON.parse(row.meta) as Record<string, unknown>,
  };
}

/** SQLite's order of the (ecosystem, name, version) index, in which a package's rows were always read. */
function byVersionText(a: Release, b: Release): number {
  return a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
}

function toTracked(row: ReleaseRow): TrackedRelease {
  return { release: toRelease(row), state: row.state, nextChangeAt: toDate(row.next_change_at), revision: row.revision };
}

/** The index of the most severe finding in `severities` (0 = critical), or its length when there are none: the queue's sort key. */
function riskRank(findings: readonly StoredFinding[]): number {
  return Math.min(severities.length, ...findings.map((f) => severities.indexOf(f.severity)).filter((i) => i >= 0));
}

/** WHERE clause and parameters of a release query (shared by the listing and its count). */
function releaseFilter(query: ReleaseQuery): { where: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.ecosystem) { where.push('ecosystem = ?'); params.push(query.ecosystem); }
  if (query.name) { where.push('name = ?'); params.push(query.name); }
  // 'pending' as a literal: the partial index of pending analyses is only chosen for a condition it implies.
  if (query.analysis === 'pending') where.push("analysis = 'pending'");
  else if (query.analysis) { where.push('analysis = ?'); params.push(query.analysis); }
  // A decided release with findings in files added later can be sent back to review by them.
  if (query.undecided) where.push("(decision IS NULL OR file_findings <> '[]') AND withdrawn_at IS NULL");
  if (query.states) {
    where.push(`state IN (${query.states.map(() => '?').join(', ') || 'NULL'})`);
    params.push(...query.states);
    // Implied already; spelled out as the partial hold index's condition so the planner can use it.
    if (!query.states.includes('released')) where.push("state <> 'released'");
  }
  if (query.search) {
    where.push("(ecosystem || ':' || name || '@' || version) LIKE ? ESCAPE '\\'"); params.push(`%${query.search.replace(/[\\%_]/g, '\\$&')}%`);
  }
  return { where: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}

const releaseOrder: Record<NonNullable<ReleaseQuery['order']>, string> = {
  newest: 'id DESC',
  risk: 'risk_rank, COALESCE(analyzed_at, first_seen_at) DESC, id DESC',
  until: 'hold_until, id',
  package: 'ecosystem, name, id DESC',
};

function toArtifact(row: ArtifactRow): Artifact {
  return {
    id: row.id,
    releaseId: row.release_id,
    filename: row.filename,
    url: row.url,
    digests: JSON.parse(row.digests) as Record<string, string>,
    size: row.size,
    publishedAt: toDate(row.published_at),
    firstSeenAt: new Date(row.first_seen_at),
    clockFloorAt: toDate(row.clock_floor_at),
    blobKey: row.blob_key,
    analysis: row.analysis,
    findings: JSON.parse(row.findings) as StoredFinding[],
    analyzedAt: toDate(row.analyzed_at),
  };
}

function toAudit(row: AuditRow): AuditEntry {
  return { ...row, at: new Date(row.at), detail: JSON.parse(row.detail) as Record<string, unknown> };
}

/** Columns of a new release row; rows written together per INSERT (well under SQLite's 32,766 parameters). */
const insertColumns = 12;
const insertBatchRows = 100;

/**
 * The embedded release store: one SQLite file in WAL mode. Every transaction that writes begins
 * IMMEDIATE, taking the write lock before it reads: another process on the file (the CLI) may
 * commit between a deferred transaction's read and its first write, and SQLite then refuses the
 * write (SQLITE_BUSY) instead of waiting for the lock.
 */
export class SqliteReleaseStore implements ReleaseStore {
  private readonly stmts;
  private readonly insertStatements = new Map<number, Statement>();
  /**
   * This connection's writes are heard as they are made (see watchSqliteNextChanges); another
   * connection's to the same file, once it has committed, as the soonest next change read again.
   */
  private readonly nextChanges = new NextChangeListeners(true);
  private stopFollowing: (() => void) | null = null;
  /** Documents for the table waiting for the end of this turn of the event loop (see putDocument), all in one transaction. */
  private readonly tableWrites = new DocumentWrites<string>((batch) => this.writeDocuments(batch), Number.POSITIVE_INFINITY);

  /** Documents as files (see FileDocumentStore); null keeps them in the documents table. */
  private readonly documentFiles: FileDocumentStore | null;
  /** The documents table still holds documents written before they went to files: read them, and drop each once rewritten. */
  private documentsInTable: boolean;
  /** Settles once leftover temporary document files are gone (how many went). */
  private readonly leftovers: Promise<number>;

  /**
   * `documentsDir`: keep cached upstream documents as files there (see FileDocumentStore),
   * rather than in the database (`openDatabase` puts them beside the database file).
   */
  constructor(
    private readonly db: SqliteDatabase,
    options: { documentsDir?: string } = {},
  ) {
    migrateSqlite(db, 'releases', sqliteReleaseMigrations);
    this.documentFiles = options.documentsDir ? new FileDocumentStore(options.documentsDir) : null;
    this.documentsInTable = !this.documentFiles || db.prepare('SELECT 1 FROM documents LIMIT 1').get() !== undefined;
    // Temporary files of a write a crash cut short, in the background: they are never read.
    this.leftovers = this.documentFiles?.removeLeftovers().catch(() => 0) ?? Promise.resolve(0);
    watchSqliteNextChanges(db, (at) => this.nextChanges.changed(at));
    this.stmts = {
      byPackage: db.prepare<[string, string], ReleaseRow>('SELECT * FROM releases WHERE ecosystem = ? AND name = ?'),
      byVersion: db.prepare<[string, string, string], ReleaseRow>('SELECT * FROM releases WHERE ecosystem = ? AND name = ? AND version = ?'),
      byId: db.prepare<[number], ReleaseRow>('SELECT * FROM releases WHERE id = ?'),
      lastId: db.prepare<[], { id: number | null }>('SELECT MAX(id) AS id FROM releases'),
      versions: db.prepare<[string, string], ReleaseVersion>('SELECT id, version FROM releases WHERE ecosystem = ? AND name = ?'),
      // Every write of a fact bumps the revision and makes the release due (next_change_at = 0).
      // A publish time learned after first sight never starts the clock before first sight.
      fillPublished: db.prepare(
        'UPDATE releases SET published_at = ?, meta = ?, clock_floor_at = MAX(COALESCE(clock_floor_at, first_seen_at), first_seen_at), revision = revision + 1, next_change_at = 0 WHERE id = ?',
      ),
      packages: db.prepare<[string, string, number], { name: string }>(
        'SELECT DISTINCT name FROM releases WHERE ecosystem = ? AND name > ? ORDER BY name LIMIT ?',
      ),
      saveAnalysis: db.prepare(
        "UPDATE releases SET analysis = 'done', findings = ?, baseline_version = ?, analyzed_at = ?, risk_rank = ?, revision = revision + 1, next_change_at = 0 WHERE id = ?",
      ),
      saveAnalysisIfPending: db.prepare(
        "UPDATE releases SET analysis = 'done', findings = ?, baseline_version = ?, analyzed_at = ?, risk_rank = ?, revision = revision + 1, next_change_at = 0 WHERE id = ? AND analysis = 'pending'",
      ),
      saveArtifactAnalysisIfPending: db.prepare(
        "UPDATE artifacts SET analysis = 'done', findings = ?, analyzed_at = ? WHERE id = ? AND analysis = 'pending'",
      ),
      resetAnalysis: db.prepare(
        `UPDATE releases SET analysis = 'pending', findings = '[]', analyzed_at = NULL, risk_rank = ${severities.length}, revision = revision + 1, next_change_at = 0 WHERE id = ?`,
      ),
      insertDecision: db.prepare(
        'INSERT INTO decisions (release_id, action, reason, actor, role, decided_at, digests) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      setDecision: db.prepare('UPDATE releases SET decision = ?, revision = revision + 1, next_change_at = 0 WHERE id = ?'),
      setWithdrawn: db.prepare('UPDATE releases SET withdrawn_at = ?, revision = revision + 1, next_change_at = 0 WHERE id = ?'),
      due: db.prepare<[number, number], ReleaseRow>('SELECT * FROM releases WHERE next_change_at <= ? ORDER BY next_change_at LIMIT ?'),
      transition: db.prepare(
        'UPDATE releases SET state = ?, hold_until = ?, next_change_at = ?, revision = revision + 1 WHERE id = ? AND revision = ?',
      ),
      markDue: db.prepare('UPDATE releases SET revision = revision + 1, next_change_at = 0 WHERE ecosystem = ? AND name = ?'),
      // New rows are counted by the statement that inserts them (see migration 10), a state at a time.
      countInserted: db.prepare(
        'INSERT INTO release_state_counts (ecosystem, state, count) VALUES (?, ?, ?) ON CONFLICT (ecosystem, state) DO UPDATE SET count = count + excluded.count',
      ),
      countByState: db.prepare<[], StateCount>('SELECT ecosystem, state, count FROM release_state_counts WHERE count > 0'),
      nextChange: db.prepare<[], { at: number }>(
        'SELECT next_change_at AS at FROM releases WHERE next_change_at IS NOT NULL ORDER BY next_change_at LIMIT 1',
      ),
      nextChangeAfter: db.prepare<[number], { at: number }>('SELECT next_change_at AS at FROM releases WHERE next_change_at > ? ORDER BY next_change_at LIMIT 1'),
      artifacts: db.prepare<[number], ArtifactRow>('SELECT * FROM artifacts WHERE release_id = ? ORDER BY filename'),
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
      setBlob: db.prepare('UPDATE artifacts SET blob_key = ?, stored_size = COALESCE(?, stored_size) WHERE id = ?'),
      markServed: db.prepare('UPDATE artifacts SET last_served_at = MAX(COALESCE(last_served_at, 0), ?) WHERE id IN (SELECT value FROM json_each(?))'),
      // Over the partial index on stored artifacts only; a blob several artifacts share counts once.
      storedBytes: db.prepare<[], { n: number | null }>(
        'SELECT SUM(n) AS n FROM (SELECT MAX(COALESCE(stored_size, size, 0)) AS n FROM artifacts WHERE blob_key IS NOT NULL GROUP BY blob_key)',
      ),
      // Walks the last-served index; kept artifacts (withdrawn upstream, approved) are skipped.
      evictable: db.prepare<[number], { artifactId: number; blobKey: string; size: number }>(
        `SELECT a.id AS artifactId, a.blob_key AS blobKey, COALESCE(a.stored_size, a.size, 0) AS size
         FROM artifacts a INDEXED BY artifacts_last_served JOIN releases r ON r.id = a.release_id
         WHERE a.blob_key IS NOT NULL AND r.withdrawn_at IS NULL
           AND (r.decision IS NULL OR json_extract(r.decision, '$.action') <> 'approve')
         ORDER BY COALESCE(a.last_served_at, a.first_seen_at), a.id LIMIT ?`,
      ),
      clearBlob: db.prepare('UPDATE artifacts SET blob_key = NULL, stored_size = NULL WHERE id = ? AND blob_key = ?'),
      blobReferenced: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM artifacts WHERE blob_key = ? LIMIT 1'),
      hasArtifacts: db.prepare<[number], { one: number }>('SELECT 1 AS one FROM artifacts WHERE release_id = ? LIMIT 1'),
      pendingArtifacts: db.prepare<[], ArtifactRow>("SELECT * FROM artifacts WHERE analysis = 'pending' ORDER BY id"),
      pendingArtifactsOf: db.prepare<[string], ArtifactRow>(
        "SELECT * FROM artifacts WHERE analysis = 'pending' AND release_id IN (SELECT value FROM json_each(?)) ORDER BY id",
      ),
      saveArtifactAnalysis: db.prepare("UPDATE artifacts SET analysis = 'done', findings = ?, analyzed_at = ? WHERE id = ?"),
      rerank: db.prepare('UPDATE releases SET risk_rank = ?, revision = revision + 1, next_change_at = 0 WHERE id = ?'),
      releaseOfArtifact: db.prepare<[number], { release_id: number }>('SELECT release_id FROM artifacts WHERE id = ?'),
      // A cache of the done files' findings on the release row, so every read of a release has them.
      refreshFileFindings: db.prepare(
        `UPDATE releases SET file_findings = (
           SELECT COALESCE(json_group_array(json(f.value)), '[]')
           FROM (SELECT id, findings FROM artifacts WHERE release_id = releases.id AND analysis = 'done' ORDER BY id) a, json_each(a.findings) f
         ) WHERE id = ?`,
      ),
      moveArtifacts: db.prepare(
        `UPDATE artifacts SET release_id = ?, analysis = 'pending', findings = '[]', analyzed_at = NULL
         WHERE release_id = ? AND filename NOT IN (SELECT filename FROM artifacts WHERE release_id = ?)`,
      ),
      deleteArtifacts: db.prepare('DELETE FROM artifacts WHERE release_id = ?'),
      moveDecisions: db.prepare('UPDATE decisions SET release_id = ? WHERE release_id = ?'),
      deleteRelease: db.prepare('DELETE FROM releases WHERE id = ?'),
      insertAudit: db.prepare(
        'INSERT INTO audit (at, actor, role, action, subject, reason, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      getDocument: db.prepare<[string], { body: Buffer; etag: string | null; last_modified: string | null; fetched_at: number }>(
        'SELECT body, etag, last_modified, fetched_at FROM documents WHERE key = ?',
      ),
      deleteDocument: db.prepare('DELETE FROM documents WHERE key = ?'),
      putDocument: db.prepare(
        `INSERT INTO documents (key, body, etag, last_modified, fetched_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET body = excluded.body, etag = excluded.etag,
           last_modified = excluded.last_modified, fetched_at = excluded.fetched_at`,
      ),
    };
  }

  /** The INSERT of `n` new release rows at once (`insertColumns` parameters each), prepared once per size. */
  private insertRows(n: number): Statement {
    let stmt = this.insertStatements.get(n);
    if (!stmt) {
      const row = `(${Array(insertColumns).fill('?').join(', ')})`;
      stmt = this.db.prepare(
        `INSERT INTO releases (id, ecosystem, name, version, published_at, first_seen_at, clock_floor_at, analysis, meta, state, hold_until, next_change_at)
         VALUES ${Array(n).fill(row).join(', ')}`,
      );
      this.insertStatements.set(n, stmt);
    }
    return stmt;
  }

  async recordSeen(
    ecosystem: Ecosystem,
    name: string,
    observed: ObservedRelease[],
    now: Date,
    initialAnalysis: (release: ObservedRelease) => AnalysisState,
    initialState?: (release: ReleaseFacts) => InitialState,
    closingAudit?: ClosingAudit,
  ): Promise<{ releases: Release[]; added: Release[] }> {
    const run = this.db.transaction(() => {
      const rows = this.stmts.byPackage.all(ecosystem, name);
      const existing = new Map(rows.map((r) => [r.version, r]));
      // A release new to a package Airlock had already read was not there at the last read that
      // added anything, so its clock cannot start before that read, whatever date upstream gives.
      // (Rows first seen at this same instant came with this same read.)
      let lastRead: number | null = null;
      for (const r of rows) if (r.first_seen_at < now.getTime() && (lastRead === null || r.first_seen_at > lastRead)) lastRead = r.first_seen_at;
      const clockFloorAt = toDate(lastRead);
      const refilled = new Set<number>();
      // New rows are written a batch at a time (one multi-row INSERT each): at a package's first
      // sight that is hundreds of releases, and one statement per row was most of recording them.
      // Each is built once, as it will read back (see newRelease), and judged as such. Their ids
      // are given here, after the largest stored (as SQLite would choose them: the table keeps
      // no AUTOINCREMENT sequence), inside this write transaction, so no other writer can take
      // them; nothing is read back.
      let nextId = (this.stmts.lastId.get()?.id ?? 0) + 1;
      const added: Release[] = [];
      const batches: unknown[][] = [];
      const audits: NewAuditEntry[] = [];
      const inserted = new Map<string, number>();
      const metaOf = writtenMetas();
      // A version listed twice is one release: the last listing counts, as in a JSON object.
      const listed = new Map<string, ObservedRelease>();
      for (const x of observed) listed.set(x.version, x);
      for (const o of listed.values()) {
        const row = existing.get(o.version);
        if (!row) {
          const meta = metaOf(o.meta);
          const release = newRelease(ecosystem, name, o, now, clockFloorAt, initialAnalysis(o), meta.object);
          release.id = nextId++;
          const initial = initialState?.(release);
          let batch = batches[batches.length - 1];
          if (!batch || added.length % insertBatchRows === 0) batches.push((batch = []));
          batch.push(
            release.id,
            ecosystem,
            name,
            o.version,
            release.publishedAt?.getTime() ?? null,
            now.getTime(),
            lastRead,
            release.analysis,
            meta.text,
            initial?.state ?? null,
            initial?.holdUntil?.getTime() ?? null,
            // Without a first state it is due at once, so the sweeper records one.
            initial ? (initial.nextChangeAt?.getTime() ?? null) : 0,
          );
          if (initial?.audit) audits.push(initial.audit);
          if (initial) inserted.set(initial.state, (inserted.get(initial.state) ?? 0) + 1);
          added.push(release);
        } else if (row.published_at === null && o.publishedAt && !refilled.has(row.id)) {
          // Upstream learned the publish time later (e.g. a full document after an abbreviated one).
          this.stmts.fillPublished.run(o.publishedAt.getTime(), JSON.stringify(o.meta ?? JSON.parse(row.meta)), row.id);
          refilled.add(row.id);
        }
      }
      for (const batch of batches) {
        const n = batch.length / insertColumns;
        const written = this.insertRows(n).run(...batch).changes;
        if (written !== n) throw new AirlockError('EINTERNAL', `internal error: ${written} of ${n} new releases of ${name} were written`);
      }
      for (const [state, n] of inserted) this.stmts.countInserted.run(ecosystem, state, n);
      for (const entry of audits) this.insertAudit(entry);
      if (added.length > 0) for (const entry of closingAudit?.(new Set(added.map((r) => r.version))) ?? []) this.insertAudit(entry);
      // Known rows as read (those whose publish time was just filled read again), then the new ones.
      const known = rows.map((r) => (refilled.has(r.id) ? toRelease(mustExist(this.stmts.byId.get(r.id), `release #${r.id} just updated`)) : toRelease(r)));
      return { releases: [...known, ...added].sort(byVersionText), added };
    });
    return run.immediate();
  }

  async getRelease(ecosystem: Ecosystem, name: string, version: string): Promise<Release | null> {
    const row = this.stmts.byVersion.get(ecosystem, name, version);
    return row ? toRelease(row) : null;
  }

  async getReleaseById(id: number): Promise<Release | null> {
    const row = this.stmts.byId.get(id);
    return row ? toRelease(row) : null;
  }

  async listReleases(query: ReleaseQuery = {}): Promise<Release[]> {
    const { where, params } = releaseFilter(query);
    const sql = `SELECT * FROM releases ${where} ORDER BY ${releaseOrder[query.order ?? 'newest']} LIMIT ? OFFSET ?`;
    params.push(query.limit ?? -1, query.offset ?? 0);
    return (this.db.prepare(sql).all(...params) as ReleaseRow[]).map(toRelease);
  }

  async listVersions(ecosystem: Ecosystem, name: string): Promise<ReleaseVersion[]> {
    return this.stmts.versions.all(ecosystem, name);
  }

  async countReleases(query: ReleaseQuery = {}): Promise<number> {
    const byState = stateCountQuery(query);
    if (byState) return sumStateCounts(await this.countByState(), byState);
    const { where, params } = releaseFilter(query);
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM releases ${where}`).get(...params) as { n: number }).n;
  }

  async listPackages(ecosystem: Ecosystem, page: { after?: string; limit?: number } = {}): Promise<string[]> {
    return this.stmts.packages.all(ecosystem, page.after ?? '', page.limit ?? -1).map((r) => r.name);
  }

  async dueAndNext(now: Date, limit: number): Promise<DuePage> {
    const due = this.stmts.due.all(now.getTime(), limit).map(toTracked);
    const next = this.stmts.nextChangeAfter.get(now.getTime());
    return { due, next: next ? new Date(next.at) : null };
  }

  async applyTransitions(transitions: StateTransition[]): Promise<number[]> {
    return this.db.transaction(() => {
      const applied: number[] = [];
      for (const t of transitions) {
        const info = this.stmts.transition.run(t.state, t.holdUntil?.getTime() ?? null, t.nextChangeAt?.getTime() ?? null, t.releaseId, t.revision);
        if (info.changes === 0) continue;
        if (t.audit) this.insertAudit(t.audit);
        applied.push(t.releaseId);
      }
      return applied;
    }).immediate();
  }

  async markDue(ecosystem: Ecosystem, name: string): Promise<number> {
    return this.stmts.markDue.run(ecosystem, name).changes;
  }

  async nextChangeAt(): Promise<Date | null> {
    const row = this.stmts.nextChange.get();
    return row ? new Date(row.at) : null;
  }

  watchNextChanges(listener: NextChangeListener): () => void {
    this.stopFollowing ??= followOtherConnections(this.db, () => {
      const row = this.stmts.nextChange.get();
      if (row) this.nextChanges.changed(new Date(row.at));
    });
    return this.nextChanges.add(listener);
  }

  async countByState(): Promise<StateCount[]> {
    return this.stmts.countByState.all();
  }

  async saveAnalysis(
    releaseId: number,
    result: { findings: StoredFinding[]; baselineVersion: string | null; analyzedAt: Date },
  ): Promise<void> {
    this.stmts.saveAnalysis.run(
      JSON.stringify(result.findings),
      result.baselineVersion,
      result.analyzedAt.getTime(),
      riskRank(result.findings),
      releaseId,
    );
  }

  async saveAnalysisIfPending(
    releaseId: number,
    result: { findings: StoredFinding[]; baselineVersion: string | null; analyzedAt: Date },
    audit: NewAuditEntry,
  ): Promise<boolean> {
    return this.db
      .transaction(() => {
        const saved = this.stmts.saveAnalysisIfPending.run(
          JSON.stringify(result.findings),
          result.baselineVersion,
          result.analyzedAt.getTime(),
          riskRank(result.findings),
          releaseId,
        );
        if (saved.changes === 0) return false;
        this.insertAudit(audit);
        return true;
      })
      .immediate();
  }

  async resetAnalysis(releaseId: number): Promise<void> {
    this.stmts.resetAnalysis.run(releaseId);
  }

  async recordDecision(releaseId: number, decision: Decision): Promise<void> {
    this.db.transaction(() => this.writeDecision(releaseId, decision)).immediate();
  }

  /** The decision history row and the release's latest decision; the caller holds the transaction. */
  private writeDecision(releaseId: number, decision: Decision): void {
    this.stmts.insertDecision.run(
      releaseId,
      decision.action,
      decision.reason,
      decision.actor,
      decision.role,
      decision.decidedAt.getTime(),
      decision.digests ? JSON.stringify(decision.digests) : null,
    );
    this.stmts.setDecision.run(JSON.stringify(decision), releaseId);
  }

  async decideIf(releaseId: number, previous: Decision | null, decision: Decision, audit: NewAuditEntry): Promise<boolean> {
    return this.db
      .transaction(() => {
        // Compare-and-set on the latest decision, inside the write lock: the row changes only if
        // its decision is still the one read (same action, decider and time).
        const current = this.db.prepare<[number], { decision: string | null }>('SELECT decision FROM releases WHERE id = ?').get(releaseId);
        if (!current) return false;
        const stored = current.decision ? (JSON.parse(current.decision) as { action: string; actor: string; decidedAt: string }) : null;
        const same = stored === null || previous === null
          ? stored === previous
          : stored.action === previous.action && stored.actor === previous.actor && stored.decidedAt === previous.decidedAt.toISOString();
        if (!same) return false;
        this.writeDecision(releaseId, decision);
        this.insertAudit(audit);
        return true;
      })
      .immediate();
  }

  async setWithdrawn(releaseId: number, at: Date | null): Promise<void> {
    this.stmts.setWithdrawn.run(at?.getTime() ?? null, releaseId);
  }

  async recordArtifacts(releaseId: number, artifacts: ObservedArtifact[], now: Date): Promise<Artifact[]> {
    await this.recordManyArtifacts([{ releaseId, artifacts }], now);
    return this.listArtifacts(releaseId);
  }

  async recordManyArtifacts(entries: { releaseId: number; artifacts: ObservedArtifact[] }[], now: Date, options: { onlyFirst?: boolean } = {}): Promise<void> {
    this.db.transaction(() => {
      for (const { releaseId, artifacts } of entries) {
        // Decided before inserting: files recorded together with a release's first are its first.
        const has = this.stmts.hasArtifacts.get(releaseId) !== undefined;
        if (has && options.onlyFirst) continue;
        const own = has ? 'pending' : null;
        for (const a of artifacts) {
          this.stmts.insertArtifact.run(
            releaseId,
            a.filename,
            a.url,
            JSON.stringify(a.digests),
            a.size,
            a.publishedAt?.getTime() ?? null,
            now.getTime(),
            own,
            releaseId,
            now.getTime(),
          );
        }
      }
    }).immediate();
  }

  async listArtifacts(releaseId: number): Promise<Artifact[]> {
    return this.stmts.artifacts.all(releaseId).map(toArtifact);
  }

  async setArtifactBlob(artifactId: number, blobKey: string, size?: number): Promise<void> {
    this.stmts.setBlob.run(blobKey, size ?? null, artifactId);
  }

  async markArtifactsServed(artifactIds: number[], servedAt: Date): Promise<void> {
    if (artifactIds.length > 0) this.stmts.markServed.run(servedAt.getTime(), JSON.stringify(artifactIds));
  }

  async storedArtifactBytes(): Promise<number> {
    return this.stmts.storedBytes.get()?.n ?? 0;
  }

  async listEvictableArtifacts(limit: number): Promise<{ artifactId: number; blobKey: string; size: number }[]> {
    return this.stmts.evictable.all(limit);
  }

  async evictArtifact(artifactId: number, blobKey: string): Promise<{ evicted: boolean; blobStillReferenced: boolean }> {
    return this.db.transaction(() => {
      const evicted = this.stmts.clearBlob.run(artifactId, blobKey).changes > 0;
      return { evicted, blobStillReferenced: this.stmts.blobReferenced.get(blobKey) !== undefined };
    }).immediate();
  }

  async listArtifactsPendingAnalysis(releaseIds?: number[]): Promise<Artifact[]> {
    const rows = releaseIds ? this.stmts.pendingArtifactsOf.all(JSON.stringify(releaseIds)) : this.stmts.pendingArtifacts.all();
    return rows.map(toArtifact);
  }

  async saveArtifactAnalysis(artifactId: number, result: { findings: StoredFinding[]; analyzedAt: Date }): Promise<void> {
    this.db.transaction(() => {
      const row = this.stmts.releaseOfArtifact.get(artifactId);
      if (!row) return;
      this.stmts.saveArtifactAnalysis.run(JSON.stringify(result.findings), result.analyzedAt.getTime(), artifactId);
      this.stmts.refreshFileFindings.run(row.release_id);
      this.factChanged(row.release_id);
    }).immediate();
  }

  async saveArtifactAnalysisIfPending(artifactId: number, result: { findings: StoredFinding[]; analyzedAt: Date }, audit: NewAuditEntry): Promise<boolean> {
    return this.db
      .transaction(() => {
        const row = this.stmts.releaseOfArtifact.get(artifactId);
        if (!row) return false;
        const saved = this.stmts.saveArtifactAnalysisIfPending.run(JSON.stringify(result.findings), result.analyzedAt.getTime(), artifactId);
        if (saved.changes === 0) return false;
        this.stmts.refreshFileFindings.run(row.release_id);
        this.factChanged(row.release_id);
        this.insertAudit(audit);
        return true;
      })
      .immediate();
  }

  async mergeReleases(intoId: number, fromIds: number[]): Promise<void> {
    this.db.transaction(() => {
      for (const fromId of fromIds) {
        if (fromId === intoId) continue;
        this.stmts.moveArtifacts.run(intoId, fromId, intoId);
        this.stmts.deleteArtifacts.run(fromId);
        this.stmts.moveDecisions.run(intoId, fromId);
        this.stmts.deleteRelease.run(fromId);
      }
      this.stmts.refreshFileFindings.run(intoId);
      this.factChanged(intoId);
    }).immediate();
  }

  /** A file's findings changed what the release may be: rank it again and make it due for the sweeper. */
  private factChanged(releaseId: number): void {
    const row = this.stmts.byId.get(releaseId);
    if (row) this.stmts.rerank.run(riskRank(toRelease(row).findings), releaseId);
  }

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    return { ...entry, id: this.insertAudit(entry) };
  }

  async appendAuditEntries(entries: NewAuditEntry[]): Promise<void> {
    this.db.transaction(() => {
      for (const entry of entries) this.insertAudit(entry);
    }).immediate();
  }

  private insertAudit(entry: NewAuditEntry): number {
    const info = this.stmts.insertAudit.run(
      entry.at.getTime(),
      entry.actor,
      entry.role,
      entry.action,
      entry.subject,
      entry.reason,
      JSON.stringify(entry.detail),
    );
    return Number(info.lastInsertRowid);
  }

  async listAudit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.subject) { where.push("subject LIKE ? ESCAPE '\\'"); params.push(`%${query.subject.replace(/[\\%_]/g, '\\$&')}%`); }
    if (query.actor) { where.push('actor = ?'); params.push(query.actor); }
    if (query.action) { where.push('action = ?'); params.push(query.action); }
    if (query.beforeId !== undefined) { where.push('id < ?'); params.push(query.beforeId); }
    if (query.afterId !== undefined) { where.push('id > ?'); params.push(query.afterId); }
    const order = query.order === 'oldest' ? 'ASC' : 'DESC';
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${order} LIMIT ?`;
    params.push(query.limit ?? 100);
    return (this.db.prepare(sql).all(...params) as AuditRow[]).map(toAudit);
  }

  async getDocument(key: string): Promise<CachedDocument | null> {
    const file = await this.documentFiles?.get(key);
    if (file) return file;
    if (!this.documentsInTable) return null;
    const pending = this.tableWrites.pending(key);
    if (pending) return pending.doc;
    const row = this.stmts.getDocument.get(key);
    if (!row) return null;
    return { body: row.body, etag: row.etag, lastModified: row.last_modified, fetchedAt: new Date(row.fetched_at) };
  }

  /**
   * Documents given in one turn of the event loop are written together when it ends, in one
   * transaction: at a cold install's first sights each packument came with a commit of its own.
   * The promise settles once its document is written (or is not).
   */
  async putDocument(key: string, doc: CachedDocument): Promise<void> {
    if (this.documentFiles) {
      await this.documentFiles.put(key, doc);
      // The file now answers for the key: an older copy in the table would only take room.
      if (this.documentsInTable && this.db.open) this.stmts.deleteDocument.run(key);
      return;
    }
    return this.tableWrites.put(key, key, doc);
  }

  private writeDocuments(batch: PendingDocument[]): void {
    this.db.transaction(() => {
      for (const { key, doc } of batch) this.stmts.putDocument.run(key, doc.body, doc.etag, doc.lastModified, doc.fetchedAt.getTime());
    }).immediate();
  }

  async close(): Promise<void> {
    this.stopFollowing?.();
    // Documents given before closing are written, not lost to the turn that would have written them.
    if (this.db.open) await this.tableWrites.idle();
    await this.documentFiles?.idle();
    await this.leftovers;
    this.db.close();
  }
}
