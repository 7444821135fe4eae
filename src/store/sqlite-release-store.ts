import type { AnalysisState, Decision, Release, StoredFinding } from '../quarantine/release.js';
import type { Ecosystem } from '../release-id.js';
import type { SqliteDatabase } from './open-sqlite.js';
import { migrateSqlite } from './sqlite-migrate.js';
import { sqliteReleaseMigrations } from './sqlite-release-migrations.js';
import type {
  Artifact,
  AuditEntry,
  AuditQuery,
  CachedDocument,
  NewAuditEntry,
  ObservedArtifact,
  ObservedRelease,
  ReleaseQuery,
  ReleaseStore,
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
    findings: JSON.parse(row.findings) as StoredFinding[],
    analyzedAt: toDate(row.analyzed_at),
    baselineVersion: row.baseline_version,
    decision: decision ? { ...decision, decidedAt: new Date(decision.decidedAt) } : null,
    withdrawnAt: toDate(row.withdrawn_at),
    meta: JSON.parse(row.meta) as Record<string, unknown>,
  };
}

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
  };
}

function toAudit(row: AuditRow): AuditEntry {
  return { ...row, at: new Date(row.at), detail: JSON.parse(row.detail) as Record<string, unknown> };
}

/** The embedded release store: one SQLite file in WAL mode. */
export class SqliteReleaseStore implements ReleaseStore {
  private readonly stmts;

  constructor(private readonly db: SqliteDatabase) {
    migrateSqlite(db, 'releases', sqliteReleaseMigrations);
    this.stmts = {
      byPackage: db.prepare<[string, string], ReleaseRow>('SELECT * FROM releases WHERE ecosystem = ? AND name = ?'),
      byVersion: db.prepare<[string, string, string], ReleaseRow>('SELECT * FROM releases WHERE ecosystem = ? AND name = ? AND version = ?'),
      byId: db.prepare<[number], ReleaseRow>('SELECT * FROM releases WHERE id = ?'),
      insert: db.prepare(
        'INSERT INTO releases (ecosystem, name, version, published_at, first_seen_at, clock_floor_at, analysis, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      // A publish time learned after first sight never starts the clock before first sight.
      fillPublished: db.prepare(
        'UPDATE releases SET published_at = ?, meta = ?, clock_floor_at = MAX(COALESCE(clock_floor_at, first_seen_at), first_seen_at) WHERE id = ?',
      ),
      packages: db.prepare<[string], { name: string }>('SELECT DISTINCT name FROM releases WHERE ecosystem = ? ORDER BY name'),
      saveAnalysis: db.prepare(
        "UPDATE releases SET analysis = 'done', findings = ?, baseline_version = ?, analyzed_at = ? WHERE id = ?",
      ),
      resetAnalysis: db.prepare("UPDATE releases SET analysis = 'pending', findings = '[]', analyzed_at = NULL WHERE id = ?"),
      insertDecision: db.prepare(
        'INSERT INTO decisions (release_id, action, reason, actor, role, decided_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      setDecision: db.prepare('UPDATE releases SET decision = ? WHERE id = ?'),
      setWithdrawn: db.prepare('UPDATE releases SET withdrawn_at = ? WHERE id = ?'),
      artifacts: db.prepare<[number], ArtifactRow>('SELECT * FROM artifacts WHERE release_id = ? ORDER BY filename'),
      insertArtifact: db.prepare(
        // A file new to a release whose files Airlock had already read gets the latest first
        // sight of its siblings as its clock floor; an upload time learned after first sight
        // gets the file's own first sight.
        `INSERT INTO artifacts (release_id, filename, url, digests, size, published_at, first_seen_at, clock_floor_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, (SELECT MAX(first_seen_at) FROM artifacts WHERE release_id = ? AND first_seen_at < ?))
         ON CONFLICT (release_id, filename) DO UPDATE SET url = excluded.url,
           clock_floor_at = CASE WHEN artifacts.published_at IS NULL AND excluded.published_at IS NOT NULL
             THEN MAX(COALESCE(artifacts.clock_floor_at, artifacts.first_seen_at), artifacts.first_seen_at)
             ELSE artifacts.clock_floor_at END,
           published_at = COALESCE(artifacts.published_at, excluded.published_at)`,
      ),
      setBlob: db.prepare('UPDATE artifacts SET blob_key = ? WHERE id = ?'),
      insertAudit: db.prepare(
        'INSERT INTO audit (at, actor, role, action, subject, reason, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      getDocument: db.prepare<[string], { body: Buffer; etag: string | null; last_modified: string | null; fetched_at: number }>(
        'SELECT body, etag, last_modified, fetched_at FROM documents WHERE key = ?',
      ),
      putDocument: db.prepare(
        `INSERT INTO documents (key, body, etag, last_modified, fetched_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET body = excluded.body, etag = excluded.etag,
           last_modified = excluded.last_modified, fetched_at = excluded.fetched_at`,
      ),
    };
  }

  async recordSeen(
    ecosystem: Ecosystem,
    name: string,
    observed: ObservedRelease[],
    now: Date,
    initialAnalysis: (release: ObservedRelease) => AnalysisState,
  ): Promise<{ releases: Release[]; added: Release[] }> {
    const run = this.db.transaction(() => {
      const existing = new Map(this.stmts.byPackage.all(ecosystem, name).map((r) => [r.version, r]));
      // A release new to a package Airlock had already read was not there at the last read that
      // added anything, so its clock cannot start before that read, whatever date upstream gives.
      // (Rows first seen at this same instant came with this same read.)
      let lastRead: number | null = null;
      for (const r of existing.values()) if (r.first_seen_at < now.getTime() && (lastRead === null || r.first_seen_at > lastRead)) lastRead = r.first_seen_at;
      const addedIds: number[] = [];
      let changed = false;
      for (const o of observed) {
        const row = existing.get(o.version);
        if (!row) {
          const info = this.stmts.insert.run(
            ecosystem,
            name,
            o.version,
            o.publishedAt?.getTime() ?? null,
            now.getTime(),
            lastRead,
            initialAnalysis(o),
            JSON.stringify(o.meta ?? {}),
          );
          addedIds.push(Number(info.lastInsertRowid));
          changed = true;
        } else if (row.published_at === null && o.publishedAt) {
          // Upstream learned the publish time later (e.g. a full document after an abbreviated one).
          this.stmts.fillPublished.run(o.publishedAt.getTime(), JSON.stringify(o.meta ?? JSON.parse(row.meta)), row.id);
          changed = true;
        }
      }
      return { rows: changed ? this.stmts.byPackage.all(ecosystem, name) : [...existing.values()], addedIds };
    });
    const { rows, addedIds } = run();
    const releases = rows.map(toRelease);
    const added = new Set(addedIds);
    return { releases, added: releases.filter((r) => added.has(r.id)) };
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
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.ecosystem) (where.push('ecosystem = ?'), params.push(query.ecosystem));
    if (query.name) (where.push('name = ?'), params.push(query.name));
    if (query.analysis) (where.push('analysis = ?'), params.push(query.analysis));
    if (query.undecided) where.push('decision IS NULL AND withdrawn_at IS NULL');
    const sql = `SELECT * FROM releases ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ? OFFSET ?`;
    params.push(query.limit ?? -1, query.offset ?? 0);
    return (this.db.prepare(sql).all(...params) as ReleaseRow[]).map(toRelease);
  }

  async listPackages(ecosystem: Ecosystem): Promise<string[]> {
    return this.stmts.packages.all(ecosystem).map((r) => r.name);
  }

  async saveAnalysis(
    releaseId: number,
    result: { findings: StoredFinding[]; baselineVersion: string | null; analyzedAt: Date },
  ): Promise<void> {
    this.stmts.saveAnalysis.run(JSON.stringify(result.findings), result.baselineVersion, result.analyzedAt.getTime(), releaseId);
  }

  async resetAnalysis(releaseId: number): Promise<void> {
    this.stmts.resetAnalysis.run(releaseId);
  }

  async recordDecision(releaseId: number, decision: Decision): Promise<void> {
    this.db.transaction(() => {
      this.stmts.insertDecision.run(
        releaseId,
        decision.action,
        decision.reason,
        decision.actor,
        decision.role,
        decision.decidedAt.getTime(),
      );
      this.stmts.setDecision.run(JSON.stringify(decision), releaseId);
    })();
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
        this.stmts.insertDecision.run(releaseId, decision.action, decision.reason, decision.actor, decision.role, decision.decidedAt.getTime());
        this.stmts.setDecision.run(JSON.stringify(decision), releaseId);
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

  async recordManyArtifacts(entries: { releaseId: number; artifacts: ObservedArtifact[] }[], now: Date): Promise<void> {
    this.db.transaction(() => {
      for (const { releaseId, artifacts } of entries) {
        for (const a of artifacts) {
          this.stmts.insertArtifact.run(
            releaseId,
            a.filename,
            a.url,
            JSON.stringify(a.digests),
            a.size,
            a.publishedAt?.getTime() ?? null,
            now.getTime(),
            releaseId,
            now.getTime(),
          );
        }
      }
    })();
  }

  async listArtifacts(releaseId: number): Promise<Artifact[]> {
    return this.stmts.artifacts.all(releaseId).map(toArtifact);
  }

  async setArtifactBlob(artifactId: number, blobKey: string): Promise<void> {
    this.stmts.setBlob.run(blobKey, artifactId);
  }

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    return { ...entry, id: this.insertAudit(entry) };
  }

  async appendAuditEntries(entries: NewAuditEntry[]): Promise<void> {
    this.db.transaction(() => {
      for (const entry of entries) this.insertAudit(entry);
    })();
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
    if (query.subject) (where.push("subject LIKE ? ESCAPE '\\'"), params.push(`%${query.subject.replace(/[\\%_]/g, '\\$&')}%`));
    if (query.actor) (where.push('actor = ?'), params.push(query.actor));
    if (query.action) (where.push('action = ?'), params.push(query.action));
    if (query.beforeId !== undefined) (where.push('id < ?'), params.push(query.beforeId));
    if (query.afterId !== undefined) (where.push('id > ?'), params.push(query.afterId));
    const order = query.order === 'oldest' ? 'ASC' : 'DESC';
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${order} LIMIT ?`;
    params.push(query.limit ?? 100);
    return (this.db.prepare(sql).all(...params) as AuditRow[]).map(toAudit);
  }

  async getDocument(key: string): Promise<CachedDocument | null> {
    const row = this.stmts.getDocument.get(key);
    if (!row) return null;
    return { body: row.body, etag: row.etag, lastModified: row.last_modified, fetchedAt: new Date(row.fetched_at) };
  }

  async putDocument(key: string, doc: CachedDocument): Promise<void> {
    this.stmts.putDocument.run(key, doc.body, doc.etag, doc.lastModified, doc.fetchedAt.getTime());
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
