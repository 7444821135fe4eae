import type pg from 'pg';
import type { SqliteDatabase } from './open-sqlite.js';
import type { CachedDocument } from './release-store.js';
import { auditOrderLockKey } from './pg-release-store.js';

/**
 * Tables in the order their foreign keys need; tables both databases have that are not listed
 * (added by later migrations) are copied after these, by name.
 */
const tableOrder = ['releases', 'decisions', 'artifacts', 'audit', 'documents', 'api_tokens', 'web_sessions'];
/** Bookkeeping each engine keeps for itself. */
const notCopied = new Set(['schema_migrations', 'sqlite_sequence']);

export interface CopyReport {
  /** Rows copied, by table. */
  tables: { table: string; rows: number }[];
}

interface TargetColumn {
  name: string;
  dataType: string;
}

/** A SQLite value as the PostgreSQL column wants it: times are epoch milliseconds in SQLite. */
function convert(value: unknown, dataType: string): unknown {
  if (value === null || value === undefined) return null;
  if (dataType === 'timestamp with time zone' && typeof value === 'number') return new Date(value);
  if (dataType === 'boolean' && typeof value === 'number') return value !== 0;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/**
 * Copies every row of a SQLite Airlock database (already migrated to the current schema) into an
 * empty PostgreSQL one (likewise), keeping ids, so audit export cursors, token ids and links stay
 * valid. One transaction: a failure copies nothing. Columns are matched by name and converted by
 * the target's type, so tables and columns added by later migrations of both tracks come along.
 * Refuses a target that holds any release, audit entry or token: this is a move, never a merge.
 * `documents`: the cached upstream documents the store keeps as files (see FileDocumentStore),
 * copied into the documents table in the same transaction.
 */
export async function copySqliteToPostgres(
  source: SqliteDatabase,
  target: pg.Pool,
  options: { documents?: AsyncIterable<{ key: string; doc: CachedDocument }> } = {},
): Promise<CopyReport> {
  const sourceTables = new Set(
    source
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((r) => r.name),
  );
  const client = await target.connect();
  try {
    await client.query('BEGIN');
    const targetTables = (
      await client.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
      )
    ).rows.map((r) => r.table_name);
    const common = targetTables.filter((t) => sourceTables.has(t) && !notCopied.has(t));
    const ordered = [...tableOrder.filter((t) => common.includes(t)), ...common.filter((t) => !tableOrder.includes(t)).sort()];

    for (const table of ['releases', 'audit', 'api_tokens'].filter((t) => common.includes(t))) {
      const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
      const n = Number(rows[0]?.n ?? 0);
      if (n > 0) throw new Error(`the target database already holds ${n} rows in ${table}; copy only into an empty Airlock database`);
    }
    // Audit ids are drawn under this lock everywhere (see PgReleaseStore); hold it so no replica
    // appends in between.
    await client.query('SELECT pg_advisory_xact_lock($1)', [auditOrderLockKey.toString()]);

    const report: CopyReport = { tables: [] };
    for (const table of ordered) {
      const targetColumns = (
        await client.query<{ column_name: string; data_type: string }>(
          'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position',
          [table],
        )
      ).rows.map((r): TargetColumn => ({ name: r.column_name, dataType: r.data_type }));
      const sourceColumns = new Set(
        source
          .prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table.replace(/'/g, "''")}')`)
          .all()
          .map((r) => r.name),
      );
      const columns = targetColumns.filter((c) => sourceColumns.has(c.name));
      const batchRows = Math.max(1, Math.floor(30_000 / columns.length));
      const columnList = columns.map((c) => `"${c.name}"`).join(', ');
      const orderBy = sourceColumns.has('id') ? ' ORDER BY id' : '';
      let batch: unknown[][] = [];
      let copied = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        const values = batch.map((_, r) => `(${columns.map((__, c) => `$${r * columns.length + c + 1}`).join(', ')})`).join(', ');
        await client.query(`INSERT INTO ${table} (${columnList}) VALUES ${values}`, batch.flat());
        copied += batch.length;
        batch = [];
      };
      const rows = source.prepare(`SELECT ${columnList} FROM "${table}"${orderBy}`).iterate() as IterableIterator<Record<string, unknown>>;
      for (const row of rows) {
        batch.push(columns.map((c) => convert(row[c.name], c.dataType)));
        if (batch.length >= batchRows) await flush();
      }
      await flush();
      // New rows continue after the copied ids.
      if (columns.some((c) => c.name === 'id')) {
        await client.query(
          `SELECT setval(seq, GREATEST((SELECT COALESCE(MAX(id), 0) FROM ${table}), 1), (SELECT COUNT(*) > 0 FROM ${table}))
           FROM pg_get_serial_sequence($1, 'id') AS s(name), LATERAL (SELECT s.name::regclass AS seq) r WHERE s.name IS NOT NULL`,
          [table],
        );
      }
      report.tables.push({ table, rows: copied });
    }
    if (options.documents) {
      let copied = 0;
      for await (const { key, doc } of options.documents) {
        // A file is the newer copy of a key the table also had (written before documents went to files).
        await client.query(
          `INSERT INTO documents (key, body, etag, last_modified, fetched_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (key) DO UPDATE SET body = excluded.body, etag = excluded.etag, last_modified = excluded.last_modified, fetched_at = excluded.fetched_at`,
          [key, doc.body, doc.etag, doc.lastModified, doc.fetchedAt],
        );
        copied++;
      }
      const row = report.tables.find((t) => t.table === 'documents');
      if (row) row.rows += copied;
      else report.tables.push({ table: 'documents', rows: copied });
    }
    await client.query('COMMIT');
    return report;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
