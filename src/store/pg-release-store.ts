import { createHash } from 'node:crypto';
import { AirlockError } from '../errors.js';
import { mustExist } from '../must-exist.js';
import { newRelease, writtenMetas } from './recorded-release.js';
import { DocumentWrites, type PendingDocument } from './document-writes.js';
import type pg from 'pg';
import { severities } from '../domain/severity.js';
import { noFindings, type AnalysisState, type Release, type ReleaseFacts } from '../domain/release.js';
import type { Decision } from '../domain/decision.js';
import type { ReleaseState, StateCount } from '../domain/release-state.js';
import type { StoredFinding } from '../domain/finding.js';
import type { Ecosystem } from '../domain/ecosystem.js';
import { migratePostgres, type MigrateOptions } from './pg-migrate.js';
import { NextChangeListeners } from './next-change-listeners.js';
import { nextChangeChannel, type PgNotifications } from './pg-notifications.js';
import { stateCountQuery, sumStateCounts } from './state-count-query.js';
import { pgReleaseMigrations } from './pg-release-migrations.js';
import { pgTransaction } from './pg-transaction.js';
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
  RecordSeenHint,
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
  published_at: Date | null;
  first_seen_at: Date;
  clock_floor_at: Date | null;
  analysis: AnalysisState;
  findings: StoredFinding[];
  analyzed_at: Date | null;
  baseline_version: string | null;
  decision: (Omit<Decision, 'decidedAt'> & { decidedAt: string }) | null;
  withdrawn_at: Date | null;
  meta: Record<string, unknown>;
  file_findings: StoredFinding[];
  state: ReleaseState | null;
  hold_until: Date | null;
  next_change_at: Date | null;
  revision: number;
  risk_rank: number;
}

interface ArtifactRow {
  id: number;
  release_id: number;
  filename: string;
  url: string;
  digests: Record<string, string>;
  size: string | null;
  published_at: Date | null;
  first_seen_at: Date;
  clock_floor_at: Date | null;
  blob_key: string | null;
  analysis: AnalysisState | null;
  findings: StoredFinding[];
  analyzed_at: Date | null;
}

interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  role: string;
  action: string;
  subject: string;
  reason: string | null;
  detail: Record<string, unknown>;
}

/**
 * Audit ids must become visible in id order, or a reader paging by `id > cursor` (the export, the
 * sweeper) skips an entry whose transaction drew a smaller id but committed later. Every
 * transaction that appends to the audit log takes this transaction-scoped advisory lock just
 * before its inserts, as its last step, and holds it to commit: ids are drawn and committed in one
 * order, across every replica. Audit entries are one per state change, so the wait is short.
 */
export const auditOrderLockKey = 0x6169726c61756474n;

function toRelease(row: ReleaseRow): Release {
  return {
    id: row.id,
    ecosystem: row.ecosystem,
    name: row.name,
    version: row.version,
    publishedAt: row.published_at,
    firstSeenAt: row.first_seen_at,
    clockFloorAt: row.clock_floor_at,
    analysis: row.analysis,
    // The release's own findings, then those of files analyzed on their own (each names its file).
    findings: row.findings.length === 0 && row.file_findings.length === 0 ? noFindings : [...row.findings, ...row.file_findings],
    analyzedAt: row.analyzed_at,
    baselineVersion: row.baseline_version,
    decision: row.decision ? { ...row.decision, decidedAt: new Date(row.decision.decidedAt) } : null,
    withdrawnAt: row.withdrawn_at,
    meta: row.meta,
  };
}

function toArtifact(row: ArtifactRow): Artifact {
  return {
    id: row.id,
    releaseId: row.release_id,
    filename: row.filename,
    url: row.url,
    digests: row.digests,
    size: row.size === null ? null : Number(row.size),
    publishedAt: row.published_at,
    firstSeenAt: row.first_seen_at,
    clockFloorAt: row.clock_floor_at,
    blobKey: row.blob_key,
    analysis: row.analysis,
    findings: row.findings,
    analyzedAt: row.analyzed_at,
  };
}

function toTracked(row: ReleaseRow): TrackedRelease {
  return { release: toRelease(row), state: row.state, nextChangeAt: row.next_change_at, revision: row.revision };
}

/** The index of the most severe finding in `severities` (0 = critical), or its length when there are none: the queue's sort key. */
function riskRank(findings: readonly StoredFinding[]): number {
  return Math.min(severities.length, ...findings.map((f) => severities.indexOf(f.severity)).filter((i) => i >= 0));
}

/** The soonest of some next changes (null: none is timed). */
function soonest(times: (Date | null)[]): Date | null {
  let at: Date | null = null;
  for (const t of times) if (t && (at === null || t < at)) at = t;
  return at;
}

/** "Due now" (SQLite's 0): the sweeper looks at the release at its next pass. */
const dueNow = new Date(0);

/** A time in ms for a JSON parameter, or null (also for an invalid date: stored as no time, as SQLite does). */
function ms(at: Date | null): number | null {
  return at && !Number.isNaN(at.getTime()) ? at.getTime() : null;
}

/**
 * recordSeen's new rows as the JSON array its statement reads (`jsonb_to_recordset`), times in ms:
 * one string for the driver rather than seven arrays of hundreds of elements, each escaped on its
 * own. `meta` is JSON already. Without a first state a row is due at once, so the sweeper records one.
 */
function newRowsJson(rows: { release: Release; initial: InitialState | undefined; meta: string }[]): string {
  const text = (value: string | null) => JSON.stringify(value);
  const row = ({ release, initial, meta }: (typeof rows)[number]) =>
    `{"v":${text(release.version)},"p":${ms(release.publishedAt)},"a":${text(release.analysis)},"m":${meta},"st":${text(initial?.state ?? null)},` +
    `"hu":${ms(initial?.holdUntil ?? null)},"nc":${ms(initial ? initial.nextChangeAt : dueNow)}}`;
  return `[${rows.map(row).join(',')}]`;
}

/** Every write of a fact bumps the revision and makes the release due. */
const factChanged = `revision = revision + 1, next_change_at = 'epoch'`;

/** WHERE clause of a release query (shared by the listing and its count), numbering parameters from `params`. */
function releaseFilter(query: ReleaseQuery, params: unknown[]): string {
  const param = (v: unknown) => (params.push(v), `$${params.length}`);
  const where: string[] = [];
  if (query.ecosystem) where.push(`ecosystem = ${param(query.ecosystem)}`);
  if (query.name) where.push(`name = ${param(query.name)}`);
  // 'pending' as a literal: the partial index of pending analyses is only chosen for a condition it implies.
  if (query.analysis) where.push(query.analysis === 'pending' ? "analysis = 'pending'" : `analysis = ${param(query.analysis)}`);
  // A decided release with findings in files added later can be sent back to review by them.
  if (query.undecided) where.push("(decision IS NULL OR file_findings <> '[]'::jsonb) AND withdrawn_at IS NULL");
  if (query.states) {
    where.push(`state = ANY(${param(query.states)}::text[])`);
    // Implied already; spelled out as the partial hold index's condition so the planner can use it.
    if (!query.states.includes('released')) where.push("state <> 'released'");
  }
  // ILIKE: case-insensitive, as SQLite's LIKE is for these names.
  if (query.search) where.push(`(ecosystem || ':' || name || '@' || version) ILIKE ${param(`%${query.search.replace(/[\\%_]/g, '\\$&')}%`)} ESCAPE '\\'`);
  return where.length ? `WHERE ${where.join(' AND ')}` : '';
}

/** Orders as SQLite's: NULL hold ends first, names in byte order. */
const releaseOrder: Record<NonNullable<ReleaseQuery['order']>, string> = {
  newest: 'id DESC',
  risk: 'risk_rank, COALESCE(analyzed_at, first_seen_at) DESC, id DESC',
  until: 'hold_until NULLS FIRST, id',
  package: 'ecosystem, name COLLATE "C", id DESC',
};

function toAudit(row: AuditRow): AuditEntry {
  return { ...row, id: Number(row.id) };
}

/**
 * The columns a release row is read with, named rather than `*`: the statements are prepared once
 * per connection, and a prepared `SELECT *` fails ("cached plan must not change result type") on
 * every replica still running when a newer one adds a column in its migration.
 */
const releaseColumns = `id, ecosystem, name, version, published_at, first_seen_at, clock_floor_at, analysis, findings, analyzed_at,
  baseline_version, decision, withdrawn_at, meta, file_findings, state, hold_until, next_change_at, revision, risk_rank`;
const artifactColumns = 'id, release_id, filename, url, digests, size, published_at, first_seen_at, clock_floor_at, blob_key, analysis, findings, analyzed_at';
const auditColumns = 'id, at, actor, role, action, subject, reason, detail';

/**
 * A query prepared by name: the server parses and plans it once per connection, and each later
 * call sends only its parameters. The name comes from the text, so every distinct statement
 * (including each shape of a filtered listing, a small fixed set) is prepared once.
 */
function prepared(text: string, values: unknown[] = []): pg.QueryConfig {
  let name = statementNames.get(text);
  if (name === undefined) statementNames.set(text, (name = `airlock_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`));
  return { name, text, values };
}

/** Documents written by one statement at most (putDocument): one statement per batch size up to it is prepared. */
const documentBatch = 16;

/** Each statement's name, hashed from its text once per process (the set of texts is small and fixed, see prepared). */
const statementNames = new Map<string, string>();

/**
 * The end of a state change written as one statement (one round trip, atomic without BEGIN and
 * COMMIT): appends the rows of the statement's `audit_entries` CTE (at, actor, role, action,
 * subject, reason, detail, n), in `n` order, under the audit-order lock. The lock is taken only
 * once every CTE named in `after` (the statement's row writes) has run to its end, which the
 * counts over them force, so that, as in insertAudit, holding the lock never waits on a row; and
 * only when there is an entry to append.
 */
function appendAuditCtes(after: string[], lockKeyParam: string): string {
  const writes = after.map((cte) => `(SELECT count(*) FROM ${cte}) AS ${cte}_done, `).join('');
  return `audit_lock AS (
     SELECT pg_advisory_xact_lock(${lockKeyParam}::bigint) FROM ${writes}(SELECT count(*) AS n FROM audit_entries) AS e WHERE e.n > 0
   ),
   appended AS (
     INSERT INTO audit (at, actor, role, action, subject, reason, detail)
     SELECT at, actor, role, action, subject, reason, detail FROM audit_entries, audit_lock ORDER BY n
     RETURNING id
   )`;
}

/** Audit entries as the parameter arrays `unnest` reads: at, actor, role, action, subject, reason, detail. */
function auditArrays(entries: NewAuditEntry[]): unknown[] {
  return [
    entries.map((e) => e.at),
    entries.map((e) => e.actor),
    entries.map((e) => e.role),
    entries.map((e) => e.action),
    entries.map((e) => e.subject),
    entries.map((e) => e.reason),
    entries.map((e) => JSON.stringify(e.detail)),
  ];
}

/** `unnest` of audit arrays at parameters $first…$first+6, as e(at, actor, role, action, subject, reason, detail, n). */
function auditUnnest(first: number, alias = 'e'): string {
  const p = (i: number) => `$${first + i}`;
  return `unnest(${p(0)}::timestamptz[], ${p(1)}::text[], ${p(2)}::text[], ${p(3)}::text[], ${p(4)}::text[], ${p(5)}::text[], ${p(6)}::jsonb[])
       WITH ORDINALITY AS ${alias}(at, actor, role, action, subject, reason, detail, n)`;
}

/** Appends audit entries in order inside `client`'s transaction, under the audit-order lock. */
export async function insertAudit(client: pg.PoolClient, entries: NewAuditEntry[]): Promise<number[]> {
  if (entries.length === 0) return [];
  await client.query('SELECT pg_advisory_xact_lock($1)', [auditOrderLockKey.toString()]);
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO audit (at, actor, role, action, subject, reason, detail)
     SELECT at, actor, role, action, subject, reason, detail
     FROM ${auditUnnest(1)}
     ORDER BY n
     RETURNING id`,
    auditArrays(entries),
  );
  return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
}

const byPackageSql = `SELECT ${releaseColumns} FROM releases WHERE ecosystem = $1 AND name = $2 ORDER BY id`;

/**
 * A row recordSeen inserted comes back as its id and version only: the rest is what the statement
 * was given. At a package's first sight that is hundreds of rows, and reading each back in full
 * (its dates and JSON parsed) was a large share of recording them.
 */
const addedColumns = releaseColumns
  .split(',')
  .map((c) => c.trim())
  .map((c) => (c === 'id' || c === 'version' ? c : `NULL AS ${c}`))
  .join(', ');

/**
 * recordSeen's writes in one statement. The snapshot all its parts read is the one from before
 * it, so the package's rows are those read (`known`) with the ones it filled or inserted put in.
 * A publish time learned after first sight never starts the clock before first sight.
 */
const recordSeenStatement = (guard: string) => `
  WITH filled AS (
    UPDATE releases r SET published_at = f.p, meta = f.m,
      clock_floor_at = GREATEST(COALESCE(r.clock_floor_at, r.first_seen_at), r.first_seen_at), ${factChanged}
    FROM unnest($6::int[], $7::timestamptz[], $8::jsonb[]) AS f(id, p, m)
    WHERE r.id = f.id AND r.published_at IS NULL
    RETURNING ${releaseColumns.replace(/(\w+)/g, 'r.$1')}
  ),
  added AS (
    INSERT INTO releases (ecosystem, name, version, published_at, first_seen_at, clock_floor_at, analysis, meta, state, hold_until, next_change_at)
    SELECT $1::text, $2::text, o.v, to_timestamp(o.p / 1000.0), $3::timestamptz, $4::timestamptz, o.a, o.m, o.st,
      to_timestamp(o.hu / 1000.0), to_timestamp(o.nc / 1000.0)
    FROM jsonb_to_recordset($5::jsonb) AS o(v text, p float8, a text, m jsonb, st text, hu float8, nc float8)
    ${guard}
    ON CONFLICT (ecosystem, name, version) DO NOTHING
    RETURNING id, version
  ),
  audit_entries AS (
    SELECT e.at, e.actor, e.role, e.action, e.subject, e.reason, e.detail, e.n
    FROM unnest($9::text[], $10::timestamptz[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::jsonb[])
        WITH ORDINALITY AS e(version, at, actor, role, action, subject, reason, detail, n)
      JOIN added ON added.version = e.version
    UNION ALL
    SELECT c.at, c.actor, c.role, c.action, c.subject, c.reason, c.detail, 1000000000 + c.n
    FROM ${auditUnnest(17, 'c')}
    WHERE EXISTS (SELECT 1 FROM added)
  ),
  ${appendAuditCtes(['filled', 'added'], '$24')}
  SELECT * FROM (
    SELECT ${addedColumns}, 'added' AS source FROM added
    UNION ALL SELECT ${releaseColumns}, 'filled' AS source FROM filled
    UNION ALL SELECT ${releaseColumns}, 'known' AS source FROM releases
      WHERE ecosystem = $1 AND name = $2 AND id NOT IN (SELECT id FROM filled)
  ) AS package ORDER BY id`;
const recordSeenSql = recordSeenStatement('');
/**
 * recordSeen of a package most likely new (see RecordSeenHint), without reading it first: the rows
 * go in only if the package has none, since new releases of a package already read are judged
 * knowing when it was last read ($4). Otherwise nothing is written, and the rows answered are the
 * package's, as the read would have given them.
 */
const recordNewSql = recordSeenStatement('WHERE NOT EXISTS (SELECT 1 FROM releases WHERE ecosystem = $1 AND name = $2)');

/** A publish time upstream gave for a release stored without one. */
type Fill = { row: ReleaseRow; o: ObservedRelease & { publishedAt: Date } };
/** One recordSeen call: the package, its time, and how its new releases are judged. */
interface SeenCall {
  ecosystem: Ecosystem;
  name: string;
  now: Date;
  initialAnalysis: (release: ObservedRelease) => AnalysisState;
  initialState?: (release: ReleaseFacts) => InitialState;
  closingAudit?: ClosingAudit;
}
/** A row of recordSeen's statement: the package's, each saying where it came from. */
type SeenRow = ReleaseRow & { source: 'added' | 'filled' | 'known' };

/** A decision's history row values, at the parameters a statement reads them from. */
function decisionValues(decision: Decision): unknown[] {
  return [decision.action, decision.reason, decision.actor, decision.role, decision.decidedAt, decision.digests ? JSON.stringify(decision.digests) : null];
}

/** $1 decision, $2 release id, $3…$8 its history row (the digests it was made on). */
const recordDecisionSql = `
  WITH decided AS (UPDATE releases SET decision = $1, ${factChanged} WHERE id = $2 RETURNING id)
  INSERT INTO decisions (release_id, action, reason, actor, role, decided_at, digests)
  VALUES ($2, $3::text, $4::text, $5::text, $6::text, $7::timestamptz, $8::jsonb)`;

/** $1 decision, $2 release id, $3…$5 the decision it must still have, $6…$11 its history row, $12…$18 audit entry, $19 lock key. */
const decideIfSql = `
  WITH decided AS (
    UPDATE releases SET decision = $1, ${factChanged}
    WHERE id = $2 AND CASE WHEN $3::text IS NULL THEN decision IS NULL
      ELSE decision->>'action' = $3 AND decision->>'actor' = $4::text AND decision->>'decidedAt' = $5::text END
    RETURNING id
  ),
  history AS (
    INSERT INTO decisions (release_id, action, reason, actor, role, decided_at, digests)
    SELECT id, $6::text, $7::text, $8::text, $9::text, $10::timestamptz, $11::jsonb FROM decided
    RETURNING id
  ),
  audit_entries AS (SELECT * FROM ${auditUnnest(12)} WHERE EXISTS (SELECT 1 FROM decided)),
  ${appendAuditCtes(['decided', 'history'], '$19')}
  SELECT count(*)::int AS decided FROM decided`;

/** $1 findings, $2 baseline, $3 analyzed at, $4 risk rank, $5 release id, $6…$12 audit entry, $13 lock key. */
const saveAnalysisIfPendingSql = `
  WITH saved AS (
    UPDATE releases SET analysis = 'done', findings = $1, baseline_version = $2, analyzed_at = $3, risk_rank = $4, ${factChanged}
    WHERE id = $5 AND analysis = 'pending'
    RETURNING id
  ),
  audit_entries AS (SELECT * FROM ${auditUnnest(6)} WHERE EXISTS (SELECT 1 FROM saved)),
  ${appendAuditCtes(['saved'], '$13')}
  SELECT count(*)::int AS saved FROM saved`;

/** $1…$5 the transitions (release, revision read at, state, hold end, next change), $6 each entry's transition (1-based), $7…$13 entries, $14 lock key. */
const applyTransitionsSql = `
  WITH moved AS (
    UPDATE releases r SET state = t.state, hold_until = t.hold_until, next_change_at = t.next_change_at, revision = r.revision + 1
    FROM unnest($1::int[], $2::int[], $3::text[], $4::timestamptz[], $5::timestamptz[]) WITH ORDINALITY AS t(id, revision, state, hold_until, next_change_at, n)
    WHERE r.id = t.id AND r.revision = t.revision
    RETURNING r.id, t.n
  ),
  audit_entries AS (
    SELECT e.at, e.actor, e.role, e.action, e.subject, e.reason, e.detail, e.t AS n
    FROM unnest($6::bigint[], $7::timestamptz[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::jsonb[])
      AS e(t, at, actor, role, action, subject, reason, detail)
      JOIN moved ON moved.n = e.t
  ),
  ${appendAuditCtes(['moved'], '$14')}
  SELECT id FROM moved`;

/** $1…$7 entries, $8 lock key. */
const appendAuditSql = `
  WITH audit_entries AS (SELECT * FROM ${auditUnnest(1)}),
  ${appendAuditCtes([], '$8')}
  SELECT id FROM appended`;

/**
 * Releases, artifacts, decisions, the audit log and cached documents in PostgreSQL, for several
 * Airlock replicas sharing one database. Open it with `PgReleaseStore.open`, which migrates the
 * schema first. Every multi-row change is one transaction; concurrent first sights of a package on
 * two replicas insert each release once (ON CONFLICT) and only one of them reports it as added.
 */
export class PgReleaseStore implements ReleaseStore {
  /** Heard of until this store is watched; then from every replica too, when it has `notifications`. */
  private readonly nextChanges = new NextChangeListeners(false);
  private stopFollowing: (() => void) | null = null;
  /** Documents given and not yet written (see putDocument), by key. */
  private readonly documentWrites = new DocumentWrites<string>((batch) => this.writeDocuments(batch), documentBatch);
  /** Document reads asked for this turn (see getDocument), and the promise of each key's. */
  private documentReaders: { key: string; resolve: (doc: CachedDocument | null) => void; reject: (err: Error) => void }[] = [];
  private readonly documentReads = new Map<string, Promise<CachedDocument | null>>();

  private constructor(
    private readonly pool: pg.Pool,
    private readonly ownsPool: boolean,
    private readonly notifications: PgNotifications | null,
  ) {}

  /** A statement prepared by name on whichever pooled connection runs it (see `prepared`). */
  private q<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(prepared(text, values));
  }

  /**
   * Migrates the schema (once, under a lock) and returns the store. `ownsPool`: close() ends the
   * pool. `notifications`: how `watchNextChanges` hears other replicas' writes; without it they go
   * unheard (its listeners are told they are not listening, and read the store).
   */
  static async open(pool: pg.Pool, options: { applied?: MigrateOptions['applied']; ownsPool?: boolean; notifications?: PgNotifications } = {}): Promise<PgReleaseStore> {
    await migratePostgres(pool, 'releases', pgReleaseMigrations, { applied: options.applied });
    return new PgReleaseStore(pool, options.ownsPool ?? false, options.notifications ?? null);
  }

  /** This store's own write made releases due at `at` (its NOTIFY reaches this process later; tell the listeners now). */
  private wrote(at: Date | null): void {
    if (at) this.nextChanges.changed(at);
  }

  async recordSeen(
    ecosystem: Ecosystem,
    name: string,
    observed: ObservedRelease[],
    now: Date,
    initialAnalysis: (release: ObservedRelease) => AnalysisState,
    initialState?: (release: ReleaseFacts) => InitialState,
    closingAudit?: ClosingAudit,
    hint: RecordSeenHint = {},
  ): Promise<{ releases: Release[]; added: Release[] }> {
    const seen: SeenCall = { ecosystem, name, now, initialAnalysis, initialState, closingAudit };
    let known: ReleaseRow[];
    if (hint.likelyNew && observed.length > 0) {
      // A first sight, most likely: the rows go in at once, in the one statement, only if the
      // package has none (else it answers them, and the package is recorded as below).
      const first = await this.recordNew(seen, observed);
      if ('releases' in first) return first;
      known = first.known;
    } else {
      // Most reads of a package find nothing new: answer those with one query, no transaction.
      known = (await this.q<ReleaseRow>(byPackageSql, [ecosystem, name])).rows;
    }
    return this.record(seen, observed, known);
  }

  /** recordSeen of a package Airlock holds no row of; the package's rows, as they are, when it has some after all. */
  private async recordNew(seen: SeenCall, observed: ObservedRelease[]): Promise<{ releases: Release[]; added: Release[] } | { known: ReleaseRow[] }> {
    const fresh = new Map(observed.map((o) => [o.version, o]));
    const written = await this.writeSeen(recordNewSql, seen, null, fresh, []);
    if (written.result) return written.result;
    if (written.addedIds.size > 0) return this.readPackage(seen, written.addedIds);
    // Nothing written: the package had rows (the statement answers them), or another replica
    // inserted every one of these just now (then there are none here, and the usual way finds them).
    return { known: written.rows.filter((r) => r.source === 'known') };
  }

  /** recordSeen given the package's rows as read (`known`). */
  private async record(seen: SeenCall, observed: ObservedRelease[], known: ReleaseRow[]): Promise<{ releases: Release[]; added: Release[] }> {
    const existing = new Map(known.map((r) => [r.version, r]));
    // A release new to a package Airlock had already read was not there at the last read that
    // added anything, so its clock cannot start before that read, whatever date upstream gives.
    // (Rows first seen at this same instant came with this same read.)
    let lastRead: Date | null = null;
    for (const r of known) if (r.first_seen_at < seen.now && (lastRead === null || r.first_seen_at > lastRead)) lastRead = r.first_seen_at;
    const fresh = new Map<string, ObservedRelease>();
    // Upstream learned the publish time later (e.g. a full document after an abbreviated one).
    const fills: Fill[] = [];
    for (const o of observed) {
      const row = existing.get(o.version);
      if (!row) fresh.set(o.version, o);
      else if (row.published_at === null && o.publishedAt) fills.push({ row, o: { ...o, publishedAt: o.publishedAt } });
    }
    if (fresh.size === 0 && fills.length === 0) return { releases: known.map(toRelease), added: [] };
    const written = await this.writeSeen(recordSeenSql, seen, lastRead, fresh, fills);
    return written.result ?? this.readPackage(seen, written.addedIds);
  }

  /**
   * Writes what recordSeen found new with `sql` (recordSeenSql, or recordNewSql), the new releases'
   * clocks floored at `lastRead`. Its answer, the package's releases, is null when the statement's
   * rows are not all of it: another replica wrote some of the same meanwhile (or, with
   * recordNewSql, the package had rows).
   */
  private async writeSeen(
    sql: string,
    { ecosystem, name, now, initialAnalysis, initialState, closingAudit }: SeenCall,
    lastRead: Date | null,
    fresh: Map<string, ObservedRelease>,
    fills: Fill[],
  ): Promise<{ rows: SeenRow[]; addedIds: Set<number>; result: { releases: Release[]; added: Release[] } | null }> {
    const metaOf = writtenMetas();
    // Each new release built once, as it will read back (see newRelease), and judged as such.
    const list = [...fresh.values()].map((o) => {
      const meta = metaOf(o.meta);
      const release = newRelease(ecosystem, name, o, now, lastRead, initialAnalysis(o), meta.object);
      return { release, initial: initialState?.(release), meta: meta.text };
    });
    const firstAudits = list.flatMap((x) => (x.initial?.audit ? [{ version: x.release.version, entry: x.initial.audit }] : []));
    // Entries about the whole read (releases trusted by age); written only when this call inserts rows.
    const closing = list.length > 0 ? (closingAudit?.(new Set(fresh.keys())) ?? []) : [];
    // One statement, so one round trip and atomic without a transaction: the publish times learned
    // late, the new rows, their first states' audit entries and the read's closing entries. ON
    // CONFLICT: another replica may be recording the same package right now; its rows win and only
    // the rows this statement inserted are "added" here, so "discovered" is written once.
    const { rows } = await this.q<SeenRow>(sql, [
      ecosystem,
      name,
      now,
      lastRead,
      newRowsJson(list),
      fills.map((f) => f.row.id),
      fills.map((f) => f.o.publishedAt),
      fills.map((f) => JSON.stringify(f.o.meta ?? f.row.meta)),
      firstAudits.map((a) => a.version),
      ...auditArrays(firstAudits.map((a) => a.entry)),
      ...auditArrays(closing),
      auditOrderLockKey.toString(),
    ]);
    const addedIds = new Set(rows.filter((r) => r.source === 'added').map((r) => r.id));
    const filled = rows.filter((r) => r.source === 'filled').length;
    if (filled > 0) this.wrote(dueNow);
    if (addedIds.size > 0) this.wrote(soonest(list.map((x) => (x.initial ? x.initial.nextChangeAt : dueNow))));
    // The statement's rows are the package as it was when the statement started, with what it
    // wrote. A row another replica wrote meanwhile (a version both inserted, a time both learned)
    // is read again (readPackage), rarely: the answer lists every stored release of the package.
    if (addedIds.size !== list.length || filled !== fills.length) return { rows, addedIds, result: null };
    // The rows inserted as they were built (see newRelease), with their ids.
    const given = new Map(list.map((x) => [x.release.version, x.release]));
    const added: Release[] = [];
    const releases = rows.map((r) => {
      if (r.source !== 'added') return toRelease(r);
      const release = given.get(r.version);
      // (Checked here, not with mustExist: its message would be spelled for every row.)
      if (!release) throw new AirlockError('EINTERNAL', `internal error: new release ${name}@${r.version} is missing from what was given`);
      release.id = r.id;
      added.push(release);
      return release;
    });
    return { rows, addedIds, result: { releases, added } };
  }

  /** Every stored release of a package, read again; `addedIds` those a recordSeen just inserted. */
  private async readPackage({ ecosystem, name }: SeenCall, addedIds: Set<number>): Promise<{ releases: Release[]; added: Release[] }> {
    const releases = (await this.q<ReleaseRow>(byPackageSql, [ecosystem, name])).rows.map(toRelease);
    return { releases, added: releases.filter((r) => addedIds.has(r.id)) };
  }

  async getRelease(ecosystem: Ecosystem, name: string, version: string): Promise<Release | null> {
    const { rows } = await this.q<ReleaseRow>(`SELECT ${releaseColumns} FROM releases WHERE ecosystem = $1 AND name = $2 AND version = $3`, [
      ecosystem,
      name,
      version,
    ]);
    return rows[0] ? toRelease(rows[0]) : null;
  }

  async getReleaseById(id: number): Promise<Release | null> {
    const { rows } = await this.q<ReleaseRow>(`SELECT ${releaseColumns} FROM releases WHERE id = $1`, [id]);
    return rows[0] ? toRelease(rows[0]) : null;
  }

  async listReleases(query: ReleaseQuery = {}): Promise<Release[]> {
    const params: unknown[] = [];
    const where = releaseFilter(query, params);
    params.push(query.limit ?? null, query.offset ?? 0);
    const sql = `SELECT ${releaseColumns} FROM releases ${where} ORDER BY ${releaseOrder[query.order ?? 'newest']} LIMIT $${params.length - 1} OFFSET $${params.length}`;
    return (await this.q<ReleaseRow>(sql, params)).rows.map(toRelease);
  }

  async listVersions(ecosystem: Ecosystem, name: string): Promise<ReleaseVersion[]> {
    const { rows } = await this.q<ReleaseVersion>('SELECT id, version FROM releases WHERE ecosystem = $1 AND name = $2', [ecosystem, name]);
    return rows;
  }

  async countReleases(query: ReleaseQuery = {}): Promise<number> {
    const byState = stateCountQuery(query);
    if (byState) return sumStateCounts(await this.countByState(), byState);
    const params: unknown[] = [];
    const where = releaseFilter(query, params);
    const { rows } = await this.q<{ n: string }>(`SELECT COUNT(*) AS n FROM releases ${where}`, params);
    return Number(rows[0]?.n ?? 0);
  }

  async listPackages(ecosystem: Ecosystem, page: { after?: string; limit?: number } = {}): Promise<string[]> {
    // COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
    const { rows } = await this.q<{ name: string }>(
      'SELECT DISTINCT name COLLATE "C" AS name FROM releases WHERE ecosystem = $1 AND name COLLATE "C" > $2 ORDER BY 1 LIMIT $3',
      [ecosystem, page.after ?? '', page.limit ?? null],
    );
    return rows.map((r) => r.name);
  }

  async dueAndNext(now: Date, limit: number): Promise<DuePage> {
    // One round trip: the due page and, after it, the first release due later (its time is the answer).
    const { rows } = await this.q<ReleaseRow>(
      `SELECT ${releaseColumns} FROM (
        (SELECT ${releaseColumns} FROM releases WHERE next_change_at <= $1 ORDER BY next_change_at LIMIT $2)
        UNION ALL (SELECT ${releaseColumns} FROM releases WHERE next_change_at > $1 ORDER BY next_change_at LIMIT 1)
      ) AS page`,
      [now, limit],
    );
    const due: TrackedRelease[] = [];
    let next: Date | null = null;
    for (const row of rows) {
      if (row.next_change_at !== null && row.next_change_at > now) next = row.next_change_at;
      else due.push(toTracked(row));
    }
    return { due, next };
  }

  async applyTransitions(transitions: StateTransition[]): Promise<number[]> {
    if (transitions.length === 0) return [];
    // One statement for the whole batch. Each row is conditional on the revision it was read at:
    // a second sweeper (another replica) finds the row changed and writes nothing, so each
    // transition and its audit entry happen once. A batch names each release once.
    const audited = transitions.flatMap((t, n) => (t.audit ? [{ n: n + 1, entry: t.audit }] : []));
    const { rows } = await this.q<{ id: number }>(
      applyTransitionsSql, [
        transitions.map((t) => t.releaseId),
        transitions.map((t) => t.revision),
        transitions.map((t) => t.state),
        transitions.map((t) => t.holdUntil),
        transitions.map((t) => t.nextChangeAt),
        audited.map((a) => a.n),
        ...auditArrays(audited.map((a) => a.entry)),
        auditOrderLockKey.toString(),
      ],
    );
    const applied = new Set(rows.map((r) => r.id));
    this.wrote(soonest(transitions.filter((t) => applied.has(t.releaseId)).map((t) => t.nextChangeAt)));
    return transitions.map((t) => t.releaseId).filter((id) => applied.has(id));
  }

  async markDue(ecosystem: Ecosystem, name: string): Promise<number> {
    const { rowCount } = await this.q(`UPDATE releases SET ${factChanged} WHERE ecosystem = $1 AND name = $2`, [ecosystem, name]);
    this.wrote(dueNow);
    return rowCount ?? 0;
  }

  async nextChangeAt(): Promise<Date | null> {
    const { rows } = await this.q<{ at: Date }>('SELECT next_change_at AS at FROM releases WHERE next_change_at IS NOT NULL ORDER BY next_change_at LIMIT 1');
    return rows[0]?.at ?? null;
  }

  watchNextChanges(listener: NextChangeListener): () => void {
    const stop = this.nextChanges.add(listener);
    this.stopFollowing ??=
      this.notifications?.subscribe(nextChangeChannel, {
        notify: (payload) => {
          const ms = Number(payload);
          // Not a time this schema writes: something is amiss, so the sweeper had better look.
          this.nextChanges.changed(Number.isFinite(ms) ? new Date(ms) : dueNow);
        },
        listening: (on) => this.nextChanges.listening(on),
      }) ?? null;
    return stop;
  }

  async countByState(): Promise<StateCount[]> {
    const { rows } = await this.q<{ ecosystem: Ecosystem; state: ReleaseState; count: string }>(
      'SELECT ecosystem, state, count FROM release_state_counts WHERE count > 0',
    );
    return rows.map((r) => ({ ecosystem: r.ecosystem, state: r.state, count: Number(r.count) }));
  }

  async saveAnalysis(
    releaseId: number,
    result: { findings: StoredFinding[]; baselineVersion: string | null; analyzedAt: Date },
  ): Promise<void> {
    await this.q(
      `UPDATE releases SET analysis = 'done', findings = $1, baseline_version = $2, analyzed_at = $3, risk_rank = $4, ${factChanged} WHERE id = $5`,
      [JSON.stringify(result.findings), result.baselineVersion, result.analyzedAt, riskRank(result.findings), releaseId],
    );
    this.wrote(dueNow);
  }

  async saveAnalysisIfPending(
    releaseId: number,
    result: { findings: StoredFinding[]; baselineVersion: string | null; analyzedAt: Date },
    audit: NewAuditEntry,
  ): Promise<boolean> {
    // One statement: a second replica's UPDATE waits for this one's commit, then finds the analysis done.
    const { rows } = await this.q<{ saved: number }>(
      saveAnalysisIfPendingSql, [
        JSON.stringify(result.findings),
        result.baselineVersion,
        result.analyzedAt,
        riskRank(result.findings),
        releaseId,
        ...auditArrays([audit]),
        auditOrderLockKey.toString(),
      ],
    );
    this.wrote(dueNow);
    return (rows[0]?.saved ?? 0) > 0;
  }

  async resetAnalysis(releaseId: number): Promise<void> {
    await this.q(
      `UPDATE releases SET analysis = 'pending', findings = '[]', analyzed_at = NULL, risk_rank = ${severities.length}, ${factChanged} WHERE id = $1`,
      [releaseId],
    );
    this.wrote(dueNow);
  }

  async recordDecision(releaseId: number, decision: Decision): Promise<void> {
    await this.q(recordDecisionSql, [JSON.stringify(decision), releaseId, ...decisionValues(decision)]);
    this.wrote(dueNow);
  }

  async decideIf(releaseId: number, previous: Decision | null, decision: Decision, audit: NewAuditEntry): Promise<boolean> {
    // Compare-and-set, the decision's history row and its audit entry in one statement: a
    // concurrent decider's UPDATE waits for this one's commit, then finds the decision changed and
    // writes nothing, neither history nor audit.
    const { rows } = await this.q<{ decided: number }>(
      decideIfSql, [
        JSON.stringify(decision),
        releaseId,
        previous?.action ?? null,
        previous?.actor ?? null,
        previous?.decidedAt.toISOString() ?? null,
        ...decisionValues(decision),
        ...auditArrays([audit]),
        auditOrderLockKey.toString(),
      ],
    );
    this.wrote(dueNow);
    return (rows[0]?.decided ?? 0) > 0;
  }

  async setWithdrawn(releaseId: number, at: Date | null): Promise<void> {
    await this.q(`UPDATE releases SET withdrawn_at = $1, ${factChanged} WHERE id = $2`, [at, releaseId]);
    this.wrote(dueNow);
  }

  async recordArtifacts(releaseId: number, artifacts: ObservedArtifact[], now: Date): Promise<Artifact[]> {
    await this.recordManyArtifacts([{ releaseId, artifacts }], now);
    return this.listArtifacts(releaseId);
  }

  async recordManyArtifacts(entries: { releaseId: number; artifacts: ObservedArtifact[] }[], now: Date, options: { onlyFirst?: boolean } = {}): Promise<void> {
    // One row per (release, file), the last description winning, as repeated upserts would leave it:
    // a single INSERT … ON CONFLICT may not touch the same row twice.
    const rows = new Map<string, { releaseId: number; a: ObservedArtifact }>();
    for (const { releaseId, artifacts } of entries) for (const a of artifacts) rows.set(`${releaseId}\0${a.filename}`, { releaseId, a });
    if (rows.size === 0) return;
    const list = [...rows.values()];
    // One statement, atomic on its own: no transaction around it.
    await this.q(
        // A file new to a release that already had files gets its own analysis ('pending'); files
        // recorded together with a release's first are its first (the subqueries see the table as
        // it was before this statement). The clock floor of a file new to a known release is the
        // latest first sight of its siblings; an upload time learned late floors at first sight.
        `INSERT INTO artifacts (release_id, filename, url, digests, size, published_at, first_seen_at, analysis, clock_floor_at)
         SELECT r, f, u, d, s, p, $1::timestamptz,
           CASE WHEN EXISTS (SELECT 1 FROM artifacts a WHERE a.release_id = o.r) THEN 'pending' END,
           (SELECT MAX(a.first_seen_at) FROM artifacts a WHERE a.release_id = o.r AND a.first_seen_at < $1::timestamptz)
         FROM unnest($2::int[], $3::text[], $4::text[], $5::jsonb[], $6::bigint[], $7::timestamptz[]) AS o(r, f, u, d, s, p)
         ${options.onlyFirst ? 'WHERE NOT EXISTS (SELECT 1 FROM artifacts a WHERE a.release_id = o.r)' : ''}
         ON CONFLICT (release_id, filename) DO UPDATE SET url = excluded.url,
           clock_floor_at = CASE WHEN artifacts.published_at IS NULL AND excluded.published_at IS NOT NULL
             THEN GREATEST(COALESCE(artifacts.clock_floor_at, artifacts.first_seen_at), artifacts.first_seen_at)
             ELSE artifacts.clock_floor_at END,
           published_at = COALESCE(artifacts.published_at, excluded.published_at)
         -- A file read again unchanged (every read of a known package) writes no new row version.
         WHERE artifacts.url IS DISTINCT FROM excluded.url OR (artifacts.published_at IS NULL AND excluded.published_at IS NOT NULL)`,
        [
          now,
          list.map((x) => x.releaseId),
          list.map((x) => x.a.filename),
          list.map((x) => x.a.url),
          list.map((x) => JSON.stringify(x.a.digests)),
          list.map((x) => x.a.size),
          list.map((x) => x.a.publishedAt),
        ],
    );
  }

  async listArtifacts(releaseId: number): Promise<Artifact[]> {
    const { rows } = await this.q<ArtifactRow>(`SELECT ${artifactColumns} FROM artifacts WHERE release_id = $1 ORDER BY filename COLLATE "C"`, [
      releaseId,
    ]);
    return rows.map(toArtifact);
  }

  async setArtifactBlob(artifactId: number, blobKey: string, size?: number): Promise<void> {
    await this.q('UPDATE artifacts SET blob_key = $1, stored_size = COALESCE($2, stored_size) WHERE id = $3', [blobKey, size ?? null, artifactId]);
  }

  async markArtifactsServed(artifactIds: number[], servedAt: Date): Promise<void> {
    if (artifactIds.length === 0) return;
    await this.q(
      'UPDATE artifacts SET last_served_at = GREATEST(COALESCE(last_served_at, $1), $1) WHERE id = ANY($2::int[])',
      [servedAt, artifactIds],
    );
  }

  async storedArtifactBytes(): Promise<number> {
    // Over the partial index on stored artifacts only; a blob several artifacts share counts once.
    const { rows } = await this.q<{ n: string | null }>(
      'SELECT SUM(n) AS n FROM (SELECT MAX(COALESCE(stored_size, size, 0)) AS n FROM artifacts WHERE blob_key IS NOT NULL GROUP BY blob_key) s',
    );
    return Number(rows[0]?.n ?? 0);
  }

  async listEvictableArtifacts(limit: number): Promise<{ artifactId: number; blobKey: string; size: number }[]> {
    // Least recently served first; kept artifacts (withdrawn upstream, approved) are skipped.
    const { rows } = await this.q<{ artifact_id: number; blob_key: string; size: string }>(
      `SELECT a.id AS artifact_id, a.blob_key, COALESCE(a.stored_size, a.size, 0) AS size
       FROM artifacts a JOIN releases r ON r.id = a.release_id
       WHERE a.blob_key IS NOT NULL AND r.withdrawn_at IS NULL
         AND (r.decision IS NULL OR r.decision->>'action' <> 'approve')
       ORDER BY COALESCE(a.last_served_at, a.first_seen_at), a.id LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ artifactId: r.artifact_id, blobKey: r.blob_key, size: Number(r.size) }));
  }

  async evictArtifact(artifactId: number, blobKey: string): Promise<{ evicted: boolean; blobStillReferenced: boolean }> {
    // One statement: its read of other references sees the table as it was before the clear,
    // so it leaves out the artifact being cleared.
    const { rows } = await this.q<{ evicted: boolean; referenced: boolean }>(
      `WITH cleared AS (UPDATE artifacts SET blob_key = NULL, stored_size = NULL WHERE id = $1 AND blob_key = $2 RETURNING id)
       SELECT EXISTS (SELECT 1 FROM cleared) AS evicted,
         EXISTS (SELECT 1 FROM artifacts WHERE blob_key = $2 AND id <> $1) AS referenced`,
      [artifactId, blobKey],
    );
    const row = mustExist(rows[0], 'the answer of an eviction');
    return { evicted: row.evicted, blobStillReferenced: row.referenced };
  }

  async listArtifactsPendingAnalysis(releaseIds?: number[]): Promise<Artifact[]> {
    const { rows } = releaseIds
      ? await this.q<ArtifactRow>(`SELECT ${artifactColumns} FROM artifacts WHERE analysis = 'pending' AND release_id = ANY($1::int[]) ORDER BY id`, [releaseIds])
      : await this.q<ArtifactRow>(`SELECT ${artifactColumns} FROM artifacts WHERE analysis = 'pending' ORDER BY id`);
    return rows.map(toArtifact);
  }

  async saveArtifactAnalysis(artifactId: number, result: { findings: StoredFinding[]; analyzedAt: Date }): Promise<void> {
    await pgTransaction(this.pool, async (client) => {
      const updated = await client.query<{ release_id: number }>(
        "UPDATE artifacts SET analysis = 'done', findings = $1, analyzed_at = $2 WHERE id = $3 RETURNING release_id",
        [JSON.stringify(result.findings), result.analyzedAt, artifactId],
      );
      const releaseId = updated.rows[0]?.release_id;
      if (releaseId !== undefined) await this.fileFindingsChanged(client, releaseId);
    });
    this.wrote(dueNow);
  }

  async saveArtifactAnalysisIfPending(artifactId: number, result: { findings: StoredFinding[]; analyzedAt: Date }, audit: NewAuditEntry): Promise<boolean> {
    const saved = await pgTransaction(this.pool, async (client) => {
      const updated = await client.query<{ release_id: number }>(
        "UPDATE artifacts SET analysis = 'done', findings = $1, analyzed_at = $2 WHERE id = $3 AND analysis = 'pending' RETURNING release_id",
        [JSON.stringify(result.findings), result.analyzedAt, artifactId],
      );
      const releaseId = updated.rows[0]?.release_id;
      if (releaseId === undefined) return false;
      await this.fileFindingsChanged(client, releaseId);
      await insertAudit(client, [audit]);
      return true;
    });
    if (saved) this.wrote(dueNow);
    return saved;
  }

  async mergeReleases(intoId: number, fromIds: number[]): Promise<void> {
    await pgTransaction(this.pool, async (client) => {
      for (const fromId of fromIds) {
        if (fromId === intoId) continue;
        await client.query(
          `UPDATE artifacts SET release_id = $1, analysis = 'pending', findings = '[]', analyzed_at = NULL
           WHERE release_id = $2 AND filename NOT IN (SELECT filename FROM artifacts WHERE release_id = $1)`,
          [intoId, fromId],
        );
        await client.query('DELETE FROM artifacts WHERE release_id = $1', [fromId]);
        await client.query('UPDATE decisions SET release_id = $1 WHERE release_id = $2', [intoId, fromId]);
        await client.query('DELETE FROM releases WHERE id = $1', [fromId]);
      }
      await this.fileFindingsChanged(client, intoId);
    });
    this.wrote(dueNow);
  }

  /**
   * Copies the done files' findings onto the release row (so every read of a release has them),
   * ranks it again and makes it due: a file's findings can change what the release may be.
   */
  private async fileFindingsChanged(client: pg.PoolClient, releaseId: number): Promise<void> {
    const { rows } = await client.query<ReleaseRow>(
      `UPDATE releases SET file_findings = COALESCE((
         SELECT jsonb_agg(f ORDER BY a.id, f.n)
         FROM artifacts a, jsonb_array_elements(a.findings) WITH ORDINALITY AS f(f, n)
         WHERE a.release_id = releases.id AND a.analysis = 'done'
       ), '[]'::jsonb)
       WHERE id = $1 RETURNING ${releaseColumns}`,
      [releaseId],
    );
    if (rows[0]) await client.query(`UPDATE releases SET risk_rank = $1, ${factChanged} WHERE id = $2`, [riskRank(toRelease(rows[0]).findings), releaseId]);
  }

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    const [id] = await this.appendAuditRows([entry]);
    return { ...entry, id: mustExist(id, 'the id of the audit entry just inserted') };
  }

  async appendAuditEntries(entries: NewAuditEntry[]): Promise<void> {
    if (entries.length > 0) await this.appendAuditRows(entries);
  }

  /** Appends entries in one statement (atomic on its own), under the audit-order lock, returning their ids in order. */
  private async appendAuditRows(entries: NewAuditEntry[]): Promise<number[]> {
    const { rows } = await this.q<{ id: string }>(appendAuditSql, [...auditArrays(entries), auditOrderLockKey.toString()]);
    return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  }

  async listAudit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (v: unknown) => (params.push(v), `$${params.length}`);
    if (query.subject) where.push(`subject LIKE ${param(`%${query.subject.replace(/[\\%_]/g, '\\$&')}%`)} ESCAPE '\\'`);
    if (query.actor) where.push(`actor = ${param(query.actor)}`);
    if (query.action) where.push(`action = ${param(query.action)}`);
    if (query.beforeId !== undefined) where.push(`id < ${param(query.beforeId)}`);
    if (query.afterId !== undefined) where.push(`id > ${param(query.afterId)}`);
    const order = query.order === 'oldest' ? 'ASC' : 'DESC';
    const sql = `SELECT ${auditColumns} FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${order} LIMIT ${param(query.limit ?? 100)}`;
    return (await this.q<AuditRow>(sql, params)).rows.map(toAudit);
  }

  async getDocument(key: string): Promise<CachedDocument | null> {
    // A document given and not yet written is the latest one.
    const pending = this.documentWrites.pending(key);
    if (pending) return pending.doc;
    // Reads asked for in one turn of the event loop go together, in one query, when it ends.
    let read = this.documentReads.get(key);
    if (!read) {
      this.documentReads.set(key, (read = new Promise((resolve, reject) => this.documentReaders.push({ key, resolve, reject }))));
      if (this.documentReaders.length === 1) setImmediate(() => this.readDocuments());
    }
    return read;
  }

  private readDocuments(): void {
    const readers = this.documentReaders;
    this.documentReaders = [];
    for (const r of readers) this.documentReads.delete(r.key);
    for (let from = 0; from < readers.length; from += documentBatch) {
      const batch = readers.slice(from, from + documentBatch);
      this.q<{ key: string; body: Buffer; etag: string | null; last_modified: string | null; fetched_at: Date }>(
        'SELECT key, body, etag, last_modified, fetched_at FROM documents WHERE key = ANY($1::text[])',
        [batch.map((r) => r.key)],
      ).then(
        ({ rows }) => {
          const byKey = new Map(rows.map((row) => [row.key, row]));
          for (const r of batch) {
            const row = byKey.get(r.key);
            r.resolve(row ? { body: row.body, etag: row.etag, lastModified: row.last_modified, fetchedAt: row.fetched_at } : null);
          }
        },
        (err: unknown) => {
          for (const r of batch) r.reject(err as Error);
        },
      );
    }
  }

  /**
   * Documents given in one turn of the event loop are written together when it ends, in one
   * statement (up to `documentBatch` at a time): at a first install's first sights each document
   * was a round trip of its own (see DocumentWrites). The promise settles once its document is
   * written (or is not).
   */
  putDocument(key: string, doc: CachedDocument): Promise<void> {
    return this.documentWrites.put(key, key, doc);
  }

  private async writeDocuments(batch: PendingDocument[]): Promise<void> {
    const rows = batch.map((_, i) => `($${i * 5 + 1}, $${i * 5 + 2}, $${i * 5 + 3}, $${i * 5 + 4}, $${i * 5 + 5})`).join(', ');
    await this.q(
      `INSERT INTO documents (key, body, etag, last_modified, fetched_at) VALUES ${rows}
       ON CONFLICT (key) DO UPDATE SET body = excluded.body, etag = excluded.etag,
         last_modified = excluded.last_modified, fetched_at = excluded.fetched_at`,
      batch.flatMap(({ key, doc }) => [key, doc.body, doc.etag, doc.lastModified, doc.fetchedAt]),
    );
  }

  async close(): Promise<void> {
    this.stopFollowing?.();
    this.stopFollowing = null;
    // Documents given before closing are written, not lost to the turn that would have written them.
    await this.documentWrites.idle();
    if (this.ownsPool && !this.pool.ended) await this.pool.end();
  }
}
