import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAuditChangeFeed } from '../../src/store/audit-change-feed.js';
import { openDatabase, type OpenedDatabase } from '../../src/store/open-stores.js';
import { PgReleaseStore } from '../../src/store/pg-release-store.js';
import type { NewAuditEntry } from '../../src/store/release-store.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';

const entry = (subject: string): NewAuditEntry => ({
  at: new Date('2026-11-01T10:00:00Z'),
  actor: 'alice',
  role: 'admin',
  action: 'revoke',
  subject,
  reason: 'advisory',
  detail: {},
});

/** Resolves with the time `condition` first held, checking every 5 ms; rejects after `withinMs`. */
async function when(condition: () => boolean, withinMs: number): Promise<number> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > withinMs) throw new Error(`not within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return performance.now() - started;
}

describe('audit appends heard on a PostgreSQL process\'s listening connection', () => {
  let cluster: Postgres;
  let url: string;
  let pool: pg.Pool;
  let store: PgReleaseStore;
  const opened: OpenedDatabase[] = [];
  beforeAll(async () => {
    cluster = await startPostgres();
    url = await cluster.createDatabase();
    pool = new pg.Pool({ connectionString: url, max: 4 });
    store = await PgReleaseStore.open(pool);
  }, 120_000);
  afterAll(async () => {
    for (const o of opened) await o.close();
    await pool?.end();
    await cluster?.stop();
  });

  /** Another process's stores on the database (as a replica opens them), following audit appends and counting wake-ups; resolved once it listens. */
  async function listen() {
    const database = await openDatabase({ kind: 'postgres', url }, () => {});
    opened.push(database);
    const state = { wakes: 0, listening: false, changes: [] as boolean[] };
    let ready!: () => void;
    const listeningNow = new Promise<void>((resolve) => (ready = resolve));
    const listener = database.auditWakeups!({
      wake: () => state.wakes++,
      listening: (on) => {
        state.listening = on;
        state.changes.push(on);
        if (on) ready();
      },
    });
    await listeningNow;
    return { state, listener, database };
  }

  it('wakes a listener on another connection well within a second of an append through the store, once per statement', async () => {
    const { state } = await listen();
    const appended = performance.now();
    await store.appendAudit(entry('npm:left-pad@1.0.0'));
    await when(() => state.wakes === 1, 500);
    expect(performance.now() - appended).toBeLessThan(500);
    // Several entries in one statement are one notification.
    await store.appendAuditEntries([entry('npm:a@1.0.0'), entry('npm:b@1.0.0'), entry('npm:c@1.0.0')]);
    await when(() => state.wakes === 2, 500);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(state.wakes).toBe(2);
  });

  it('does not wake anyone for a statement that appends no entry', async () => {
    const { state } = await listen();
    await pool.query(`INSERT INTO audit (at, actor, role, action, subject, reason, detail) SELECT now(), 'x', 'x', 'x', 'x', NULL, '{}' WHERE false`);
    await store.appendAudit(entry('npm:after@1.0.0'));
    await when(() => state.wakes >= 1, 500);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(state.wakes).toBe(1);
  });

  it('does not wake anyone for a first sight (its releases\' first entries change no cache), and wakes for the change after it', async () => {
    const { state } = await listen();
    const now = new Date('2026-11-01T10:00:00Z');
    const longAgo = new Date('2025-01-01T00:00:00Z');
    const old = Array.from({ length: 3 }, (_, i) => ({ version: `1.0.${i}`, publishedAt: longAgo }));
    const fresh = { version: '2.0.0', publishedAt: new Date('2026-10-31T10:00:00Z') };
    const trustedByAge: NewAuditEntry = { ...entry('npm:first-sight'), actor: 'system', role: 'system', action: 'trusted-by-age' };
    const { added } = await store.recordSeen(
      'npm',
      'first-sight',
      [...old, fresh],
      now,
      () => 'skipped',
      (release) =>
        release.version === '2.0.0'
          ? { state: 'quarantined', holdUntil: null, nextChangeAt: new Date('2026-11-03T10:00:00Z'), audit: { ...entry('npm:first-sight@2.0.0'), action: 'discovered' } }
          : { state: 'released', holdUntil: null, nextChangeAt: null, audit: null },
      () => [trustedByAge],
    );
    expect(added).toHaveLength(4);
    expect((await store.listAudit({ subject: 'npm:first-sight@2.0.0' })).map((e) => e.action)).toEqual(['discovered']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(state.wakes).toBe(0);
    await store.appendAudit(entry('npm:first-sight@2.0.0'));
    await when(() => state.wakes === 1, 500);
  });

  it('listens again after its connection is killed, and wakes on the changes after that', async () => {
    const { state } = await listen();
    const { rows } = await pool.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = 'airlock-store-listener'`);
    expect(rows.length).toBeGreaterThan(0);
    const from = state.changes.length;
    // Every listening connection is killed from another session, as a server restart would.
    await pool.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', ['airlock-store-listener']);
    await when(() => state.changes.slice(from).includes(false), 2000);
    await when(() => state.listening, 5000);
    expect(state.changes.slice(from)).toEqual([false, true]);
    const before = state.wakes;
    await store.appendAudit(entry('npm:later@1.0.0'));
    await when(() => state.wakes > before, 500);
  });

  it('stops waking when closed, and the connection closes with the stores', async () => {
    const { state, listener, database } = await listen();
    await listener.close();
    await store.appendAudit(entry('npm:closed@1.0.0'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(state.wakes).toBe(0);
    const pids = async () => (await pool.query(`SELECT pid FROM pg_stat_activity WHERE application_name = 'airlock-store-listener'`)).rowCount;
    const before = (await pids()) ?? 0;
    await database.close();
    for (let i = 0; i < 100 && (await pids()) !== before - 1; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await pids()).toBe(before - 1);
  });

  it('gives a change feed the release an append named within well under a second, with its safety poll at a minute', async () => {
    const replica = await openDatabase({ kind: 'postgres', url }, () => {});
    opened.push(replica);
    const changed: string[] = [];
    let listening!: () => void;
    const listeningNow = new Promise<void>((resolve) => (listening = resolve));
    const feed = await startAuditChangeFeed(store, (ecosystem, name) => changed.push(`${ecosystem}:${name}`), {
      safetyIntervalMs: 60_000,
      log: () => {},
      wakeups: ({ wake, listening: on }) =>
        replica.auditWakeups!({
          wake,
          listening: (isOn) => {
            on(isOn);
            if (isOn) listening();
          },
        }),
    });
    try {
      await listeningNow;
      // The read the feed makes on listening is over before the append.
      await feed.poll();
      await store.appendAudit(entry('npm:revoked-lib@2.0.0'));
      const tookMs = await when(() => changed.includes('npm:revoked-lib'), 1000);
      expect(tookMs).toBeLessThan(500);
    } finally {
      await feed.stop();
    }
  });
});
