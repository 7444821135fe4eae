import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/store/open-sqlite.js';
import { sqliteDocumentsDir } from '../../src/store/open-stores.js';
import { PgReleaseStore } from '../../src/store/pg-release-store.js';
import { PgTokenStore } from '../../src/store/pg-token-store.js';
import { SqliteReleaseStore } from '../../src/store/sqlite-release-store.js';
import { SqliteTokenStore } from '../../src/store/sqlite-token-store.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { run } from '../helpers/run.js';
import { tempDir } from '../helpers/temp-dir.js';

const cli = path.resolve('src/cli/main.ts');
const airlock = (...args: string[]) => run(process.execPath, ['--import', 'tsx', cli, ...args], { env: { AIRLOCK_TOKEN: undefined } });
const at = (iso: string) => new Date(iso);

describe('airlock store copy', () => {
  let cluster: Postgres;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(() => cluster.stop());

  it('moves an embedded SQLite store into PostgreSQL with every release, decision, artifact, audit entry and token, ids kept', async () => {
    const temp = await tempDir('airlock-copy-');
    const file = path.join(temp.dir, 'airlock.db');
    // Documents written before they went to files are still in the table: both kinds come along.
    const legacy = openSqlite(file);
    await new SqliteReleaseStore(legacy).putDocument('npm:legacy', { body: Buffer.from('{"old":true}'), etag: null, lastModified: 'Sun, 01 Nov 2026 09:00:00 GMT', fetchedAt: at('2026-11-01T09:00:00Z') });
    const db = openSqlite(file);
    // As openDatabase opens it: documents as files beside the database.
    const source = new SqliteReleaseStore(db, { documentsDir: sqliteDocumentsDir(file) });
    const sourceTokens = new SqliteTokenStore(db);
    const { added } = await source.recordSeen('npm', 'demo', [{ version: '1.0.0', publishedAt: at('2026-10-01T00:00:00Z'), meta: { publisher: 'alice' } }, { version: '2.0.0', publishedAt: null }], at('2026-11-01T10:00:00Z'), () => 'pending');
    await source.recordSeen('pypi', 'demo-py', [{ version: '1.2.0', publishedAt: null }], at('2026-11-02T10:00:00Z'), () => 'skipped');
    const [v1, v2] = added;
    await source.saveAnalysis(v2!.id, { findings: [{ kind: 'install-script-added', severity: 'critical', path: 'package.json', line: 4, message: 'adds postinstall' }], baselineVersion: '1.0.0', analyzedAt: at('2026-11-01T11:00:00Z') });
    await source.recordDecision(v2!.id, { action: 'approve', reason: 'fine', actor: 'alice', role: 'reviewer', decidedAt: at('2026-11-01T12:00:00Z') });
    await source.recordDecision(v2!.id, { action: 'revoke', reason: 'advisory', actor: 'bob', role: 'admin', decidedAt: at('2026-11-02T12:00:00Z') });
    await source.setWithdrawn(v1!.id, at('2026-11-03T00:00:00Z'));
    await source.recordArtifacts(v2!.id, [{ filename: 'demo-2.0.0.tgz', url: 'http://up.test/demo-2.0.0.tgz', digests: { sha512: 'f'.repeat(128) }, size: 99, publishedAt: null }], at('2026-11-01T10:00:00Z'));
    await source.setArtifactBlob((await source.listArtifacts(v2!.id))[0]!.id, 'c'.repeat(64));
    for (let i = 0; i < 30; i++) await source.appendAudit({ at: at('2026-11-01T10:00:00Z'), actor: 'system', role: 'system', action: 'noted', subject: `npm:demo@${i}`, reason: i % 2 ? null : 'why', detail: { i } });
    await source.putDocument('npm:demo', { body: Buffer.from([1, 2, 3]), etag: '"e"', lastModified: null, fetchedAt: at('2026-11-01T10:00:00Z') });
    const alice = await sourceTokens.createToken({ hash: 'hash-a', name: 'alice', role: 'reviewer', createdBy: 'local', createdAt: at('2026-11-01T09:00:00Z') });
    const bob = await sourceTokens.createToken({ hash: 'hash-b', name: 'bob', role: 'admin', createdBy: 'local', createdAt: at('2026-11-01T09:00:00Z') });
    await sourceTokens.revokeToken(bob.id, at('2026-11-01T09:30:00Z'));
    await sourceTokens.touchToken(alice.id, at('2026-11-01T09:45:00Z'));
    await source.close();
    legacy.close();

    const url = await cluster.createDatabase();
    const copied = await airlock('store', 'copy', '--from', file, '--to', url);
    expect(copied.stderr).toContain('copied');
    expect(copied.code).toBe(0);
    expect(copied.stdout).toMatch(/audit\s+30/);

    const again = openSqlite(file);
    const was = new SqliteReleaseStore(again, { documentsDir: sqliteDocumentsDir(file) });
    const wasTokens = new SqliteTokenStore(again);
    const pool = new pg.Pool({ connectionString: url });
    const store = await PgReleaseStore.open(pool);
    const tokens = await PgTokenStore.open(pool);

    expect(await store.listReleases()).toEqual(await was.listReleases());
    for (const r of await was.listReleases()) expect(await store.listArtifacts(r.id)).toEqual(await was.listArtifacts(r.id));
    expect(await store.listAudit({ limit: 1000 })).toEqual(await was.listAudit({ limit: 1000 }));
    expect(copied.stdout).toMatch(/documents\s+2/);
    expect(await store.getDocument('npm:demo')).toEqual(await was.getDocument('npm:demo'));
    expect((await store.getDocument('npm:demo'))?.body).toEqual(Buffer.from([1, 2, 3]));
    expect(await store.getDocument('npm:legacy')).toEqual(await was.getDocument('npm:legacy'));
    expect((await store.getDocument('npm:legacy'))?.lastModified).toBe('Sun, 01 Nov 2026 09:00:00 GMT');
    expect(await tokens.listTokens()).toEqual(await wasTokens.listTokens());
    expect((await tokens.findToken('hash-a'))?.name).toBe('alice');
    const decisions = await pool.query('SELECT action, actor FROM decisions ORDER BY id');
    expect(decisions.rows).toEqual([{ action: 'approve', actor: 'alice' }, { action: 'revoke', actor: 'bob' }]);

    // New rows continue after the copied ids.
    const next = await store.appendAudit({ at: at('2026-11-05T00:00:00Z'), actor: 'system', role: 'system', action: 'noted', subject: 'x', reason: null, detail: {} });
    expect(next.id).toBe(31);
    const fresh = await store.recordSeen('npm', 'new', [{ version: '1.0.0', publishedAt: null }], at('2026-11-05T00:00:00Z'), () => 'pending');
    expect(fresh.added[0]!.id).toBe(4);

    // Copying again would merge two histories: refused, and nothing is written.
    const twice = await airlock('store', 'copy', '--from', file, '--to', url);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/nothing copied: the target database already holds \d+ rows in releases/);
    expect((await store.listAudit({ limit: 1000 })).length).toBe(31);

    again.close();
    await pool.end();
    await temp.remove();
  });

  it('explains what it needs when the source or target is wrong', async () => {
    const missing = await airlock('store', 'copy', '--from', '/nonexistent/airlock.db', '--to', 'postgres://127.0.0.1:1/x');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no SQLite store at /nonexistent/airlock.db');
    const backwards = await airlock('store', 'copy', '--from', 'postgres://h/db', '--to', 'postgres://h/db2');
    expect(backwards.code).toBe(2);
    expect(backwards.stderr).toContain('--from must be a SQLite store');
    const notSqlite = await airlock('store', 'copy', '--from', path.resolve('package.json'), '--to', 'postgres://127.0.0.1:1/x');
    expect(notSqlite.code).toBe(1);
    expect(notSqlite.stderr).toContain('as an Airlock SQLite store');
    const temp = await tempDir('airlock-copy-');
    const file = path.join(temp.dir, 'airlock.db');
    openSqlite(file).close();
    const unreachable = await airlock('store', 'copy', '--from', file, '--to', 'postgres://nobody:secret@127.0.0.1:1/x');
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('cannot open postgres://nobody:***@127.0.0.1:1/x');
    expect(unreachable.stderr).not.toContain('secret');
    await temp.remove();
  });
});
