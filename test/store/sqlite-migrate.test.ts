import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Migration } from '../../src/store/migrations.js';
import { openSqlite } from '../../src/store/open-sqlite.js';
import { migrateSqlite } from '../../src/store/sqlite-migrate.js';
import { SqliteReleaseStore } from '../../src/store/sqlite-release-store.js';
import { tempDir } from '../helpers/temp-dir.js';

const track: Migration[] = [
  { version: 1, name: 'things', sql: 'CREATE TABLE things (id INTEGER PRIMARY KEY)' },
  { version: 2, name: 'things.label', sql: 'ALTER TABLE things ADD COLUMN label TEXT' },
];

describe('SQLite schema migrations', () => {
  it('applies each migration once, in order, however many processes open the file', async () => {
    const temp = await tempDir('airlock-migrate-');
    const file = path.join(temp.dir, 'a.db');
    const first = openSqlite(file);
    const second = openSqlite(file);
    expect(migrateSqlite(first, 'test', track.slice(0, 1))).toEqual([1]);
    expect(migrateSqlite(second, 'test', track)).toEqual([2]);
    expect(migrateSqlite(first, 'test', track)).toEqual([]);
    const columns = first.prepare('PRAGMA table_info(things)').all() as { name: string }[];
    expect(columns.map((c) => c.name)).toEqual(['id', 'label']);
    first.close();
    second.close();
    await temp.remove();
  });

  it('refuses a database newer than this Airlock, and a list with a gap', async () => {
    const db = openSqlite(':memory:');
    migrateSqlite(db, 'test', track);
    expect(() => migrateSqlite(db, 'test', track.slice(0, 1))).toThrow(/newer than this Airlock knows/);
    expect(() => migrateSqlite(db, 'other', [track[1]!])).toThrow(/must be 1, 2, 3/);
  });

  it('adopts a release store created before migrations existed without losing its rows', async () => {
    const db = openSqlite(':memory:');
    db.exec(
      "CREATE TABLE releases (id INTEGER PRIMARY KEY, ecosystem TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL, published_at INTEGER, first_seen_at INTEGER NOT NULL, analysis TEXT NOT NULL, findings TEXT NOT NULL DEFAULT '[]', analyzed_at INTEGER, baseline_version TEXT, decision TEXT, withdrawn_at INTEGER, meta TEXT NOT NULL DEFAULT '{}', UNIQUE (ecosystem, name, version))",
    );
    db.prepare("INSERT INTO releases (ecosystem, name, version, first_seen_at, analysis) VALUES ('npm', 'old', '1.0.0', 0, 'skipped')").run();
    const store = new SqliteReleaseStore(db);
    expect((await store.getRelease('npm', 'old', '1.0.0'))?.analysis).toBe('skipped');
  });
});
