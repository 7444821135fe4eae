import { errorMessage } from '../errors.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { redactUrl } from '../config.js';
import { copySqliteToPostgres } from '../store/copy-sqlite-to-postgres.js';
import { FileDocumentStore } from '../store/file-document-store.js';
import { openDatabase, sqliteDocumentsDir } from '../store/open-stores.js';
import { openSqlite } from '../store/open-sqlite.js';
import { CliError } from './api-client.js';
import type { CommandIo } from './command-io.js';

const usage = `usage: airlock store <command> [options]

  copy --from <sqlite file | sqlite:///path/airlock.db> --to <postgres://user:password@host/db>
      copies releases, decisions, artifacts' records, the audit log (same ids), tokens and web
      sessions from an embedded SQLite store into an empty PostgreSQL database, in one
      transaction. Stop Airlock first. Artifact bytes are not in the database: copy the blob
      directory to the new blob store (its layout is the same in a bucket), e.g.
      aws s3 sync storage/blobs/sha256 s3://bucket/prefix/sha256
`;

/** A SQLite location: a file path, or a `sqlite:` / `file:` URL. */
function sqliteFile(text: string): string {
  if (/^(sqlite|file):/.test(text)) {
    const u = new URL(text);
    return decodeURIComponent(u.pathname);
  }
  return path.resolve(text);
}

/** `airlock store …`: moves an Airlock database between engines. Returns the exit status. */
export async function runStoreCommand(argv: string[], io: CommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { from: { type: 'string' }, to: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
    });
  } catch (err) {
    io.stderr(`${(err as Error).message}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...extra] = positionals;
  if (values.help || !command) {
    (values.help ? io.stdout : io.stderr)(usage);
    return values.help ? 0 : 2;
  }
  try {
    if (command !== 'copy') throw new CliError(`unknown command "${command}"\n\n${usage}`, 2);
    if (extra.length > 0) throw new CliError(`unexpected arguments: ${extra.join(' ')}`, 2);
    if (!values.from || !values.to) throw new CliError('copy needs --from and --to', 2);
    if (/^postgres(ql)?:/.test(values.from)) throw new CliError('--from must be a SQLite store (a file or sqlite:// URL); the copy goes from SQLite to PostgreSQL', 2);
    if (!/^postgres(ql)?:\/\//.test(values.to)) throw new CliError('--to must be a postgres:// URL', 2);
    const from = sqliteFile(values.from);
    if (!existsSync(from)) throw new CliError(`no SQLite store at ${from}`, 1);

    // Opening each side through its store brings its schema to the current version first, so
    // both have the same tables and columns.
    const source = await openDatabase({ kind: 'sqlite', file: from }, () => {}).catch((err: unknown) => {
      throw new CliError(`cannot open ${from} as an Airlock SQLite store: ${errorMessage(err)}`, 1);
    });
    await source.close();
    const to = values.to;
    const target = await openDatabase({ kind: 'postgres', url: to }, () => {}).catch((err: unknown) => {
      throw new CliError(`cannot open ${redactUrl(to)}: ${errorMessage(err)}`, 1);
    });
    await target.close();

    const db = openSqlite(from);
    const pool = new pg.Pool({ connectionString: values.to, max: 1, application_name: 'airlock store copy' });
    try {
      const documents = new FileDocumentStore(sqliteDocumentsDir(from)).entries();
      const report = await copySqliteToPostgres(db, pool, { documents }).catch((err: unknown) => {
        throw new CliError(`nothing copied: ${errorMessage(err)}`, 1);
      });
      for (const { table, rows } of report.tables) io.stdout(`${table.padEnd(16)} ${rows}\n`);
      io.stderr(`copied ${from} into ${redactUrl(values.to)}; point AIRLOCK_DATABASE_URL at it and start Airlock\n`);
    } finally {
      db.close();
      await pool.end();
    }
    return 0;
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr(`airlock store: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
