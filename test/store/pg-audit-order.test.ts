import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertAudit, PgReleaseStore } from '../../src/store/pg-release-store.js';
import type { NewAuditEntry } from '../../src/store/release-store.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';

const entry = (subject: string): NewAuditEntry => ({
  at: new Date('2026-11-01T10:00:00Z'),
  actor: 'system',
  role: 'system',
  action: 'noted',
  subject,
  reason: null,
  detail: {},
});

describe('the PostgreSQL audit log under concurrent transactions', () => {
  let cluster: Postgres;
  beforeAll(async () => {
    cluster = await startPostgres();
  });
  afterAll(() => cluster.stop());

  it('commits audit ids in id order, so a reader paging by id never passes over an entry still being written', async () => {
    const pool = new pg.Pool({ connectionString: await cluster.createDatabase(), max: 4 });
    const store = await PgReleaseStore.open(pool);
    // A slow state change: its transaction draws the first audit id and has not committed yet.
    const slow = await pool.connect();
    await slow.query('BEGIN');
    await insertAudit(slow, [entry('slow')]);
    // Meanwhile another replica appends an entry (it must not become visible ahead of the slow one).
    const fast = store.appendAudit(entry('fast'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const seenEarly = await store.listAudit({ afterId: 0, order: 'oldest' });
    const cursor = seenEarly.at(-1)?.id ?? 0;
    await slow.query('COMMIT');
    slow.release();
    await fast;
    const seenLater = await store.listAudit({ afterId: cursor, order: 'oldest' });
    expect([...seenEarly, ...seenLater].map((e) => e.subject)).toEqual(['slow', 'fast']);
    await pool.end();
  });
});
