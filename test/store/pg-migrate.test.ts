import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Migration } from '../../src/store/migrations.js';
import { appliedVersions, migratePostgres } from '../../src/store/pg-migrate.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';

const track: Migration[] = [
  { version: 1, name: 'things', sql: 'CREATE TABLE things (id SERIAL PRIMARY KEY)' },
  { version: 2, name: 'things.label', sql: 'ALTER TABLE things ADD COLUMN label TEXT' },
  { version: 3, name: 'things.size', sql: 'ALTER TABLE things ADD COLUMN size INTEGER' },
];

describe('PostgreSQL schema migrations', () => {
  let cluster: Postgres;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(() => cluster.stop());

  it('migrates once when several replicas start together, each migration in order', async () => {
    const url = await cluster.createDatabase();
    const pools = Array.from({ length: 4 }, () => new pg.Pool({ connectionString: url, max: 1 }));
    const applied = await Promise.all(pools.map((pool) => migratePostgres(pool, 'test', track)));
    expect(applied.flat().sort()).toEqual([1, 2, 3]);
    expect(applied.filter((a) => a.length > 0)).toHaveLength(1);
    const { rows } = await pools[0]!.query('SELECT version, name FROM schema_migrations WHERE track = $1 ORDER BY version', ['test']);
    expect(rows).toEqual(track.map(({ version, name }) => ({ version, name })));
    await Promise.all(pools.map((p) => p.end()));
  });

  it('leaves the schema as it was when a migration fails, and refuses a database newer than this Airlock', async () => {
    const pool = new pg.Pool({ connectionString: await cluster.createDatabase() });
    await migratePostgres(pool, 'test', track.slice(0, 1));
    const broken: Migration[] = [...track.slice(0, 2), { version: 3, name: 'broken', sql: 'ALTER TABLE nothing ADD COLUMN x INTEGER' }];
    await expect(migratePostgres(pool, 'test', broken)).rejects.toThrow(/nothing/);
    const columns = await pool.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'things' ORDER BY ordinal_position");
    expect(columns.rows.map((r: { column_name: string }) => r.column_name)).toEqual(['id']);
    await migratePostgres(pool, 'test', track);
    await expect(migratePostgres(pool, 'test', track.slice(0, 2))).rejects.toThrow(/newer than this Airlock knows/);
    await pool.end();
  });

  it('reads every track\'s version at once for stores opening together, and migrates what that read found behind', async () => {
    const pool = new pg.Pool({ connectionString: await cluster.createDatabase() });
    const other: Migration[] = [{ version: 1, name: 'others', sql: 'CREATE TABLE others (id SERIAL PRIMARY KEY)' }];
    expect(await appliedVersions(pool)).toBeNull();
    // Read before the table existed: both tracks migrate.
    expect(await migratePostgres(pool, 'test', track.slice(0, 2), { applied: null })).toEqual([1, 2]);
    expect(await migratePostgres(pool, 'other', other, { applied: null })).toEqual([1]);
    const read = await appliedVersions(pool);
    expect(read).toEqual(new Map([['test', 2], ['other', 1]]));
    // Up to date by the read: nothing to do. Behind by it (a newer Airlock's track): migrated under the lock.
    expect(await migratePostgres(pool, 'other', other, { applied: read })).toEqual([]);
    expect(await migratePostgres(pool, 'test', track, { applied: read })).toEqual([3]);
    // A read older than another replica's migration sends this one to the lock, which finds it done.
    expect(await migratePostgres(pool, 'test', track, { applied: read })).toEqual([]);
    await pool.end();
  });
});
