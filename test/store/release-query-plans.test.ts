import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ReleaseState } from '../../src/domain/release-state.js';
import type { ObservedRelease } from '../../src/store/release-store.js';
import { storeEngines, type EngineDatabase } from './store-engines.js';

const now = new Date('2026-11-01T10:00:00Z');
const versions = (n: number): ObservedRelease[] => Array.from({ length: n }, (_, i) => ({ version: `1.${i}.0`, publishedAt: new Date('2024-01-01T00:00:00Z') }));

/** A table scan of releases in a plan (SQLite: `SCAN releases` with no index; PostgreSQL: `Seq Scan on releases`). */
const fullScan = /^SCAN releases$|^SCAN releases (?!USING)|Seq Scan on releases/m;
const sorted = /USE TEMP B-TREE FOR ORDER BY|^\s*(->\s*)?(Incremental )?Sort\b/m;

describe.each(storeEngines)('release queries on $name', (engine) => {
  let database: EngineDatabase;

  beforeAll(() => engine.start(), 120_000);
  afterAll(() => engine.stop());
  beforeEach(async () => {
    database = await engine.database();
  });
  afterEach(() => database.drop());

  it('reads the latest audit entry of an action from an index, however long the log is before it', async () => {
    const store = (await database.connect()).releases;
    const entry = (action: string, subject: string) => ({ at: now, actor: 'system', role: 'system', action, subject, reason: null, detail: {} });
    // The entry a start looks for is among the first; thousands of others follow it.
    await store.appendAudit(entry('policy-applied', 'policy'));
    for (let i = 0; i < 20; i++) await store.appendAuditEntries(Array.from({ length: 200 }, (_, j) => entry('trusted-by-age', `npm:old-${i}-${j}`)));
    const traced = await database.traced();
    expect((await traced.releases.listAudit({ action: 'policy-applied', limit: 1 })).map((e) => e.action)).toEqual(['policy-applied']);
    const [select] = traced.statements.filter((s) => /\bFROM audit\b/.test(s.sql));
    const plan = await traced.plan(select!);
    // In the order asked, from the entries of that action: not the whole log read backwards along
    // its key and filtered (which PostgreSQL chose once its estimate of the action's entries was
    // off), nor a scan of it, nor the action's entries sorted.
    expect(plan).not.toMatch(/audit_pkey|Seq Scan on audit|^SCAN audit/m);
    expect(plan).not.toMatch(sorted);
    await store.close();
  });

  it('answers the queues, the sweeper and package reads from indexes, with a few thousand releases mostly released', async () => {
    const store = (await database.connect()).releases;
    // 3,000 releases trusted by age, as first sight records them, and a few in the queues.
    for (let p = 0; p < 15; p++)
      await store.recordSeen('npm', `old-${p}`, versions(200), now, () => 'skipped', () => ({ state: 'released', holdUntil: null, nextChangeAt: null, audit: null }));
    const queued: ReleaseState[] = ['quarantined', 'awaiting-review', 'rejected'];
    for (const [i, state] of queued.entries())
      await store.recordSeen('npm', `new-${i}`, versions(5), now, () => 'pending', () => ({ state, holdUntil: new Date('2026-11-05T00:00:00Z'), nextChangeAt: new Date('2026-11-05T00:00:00Z'), audit: null }));

    const traced = await database.traced();
    const reads: Record<string, () => Promise<unknown>> = {
      'awaiting-review queue by risk': () => traced.releases.listReleases({ states: ['awaiting-review'], order: 'risk', limit: 50 }),
      'queues by risk': () => traced.releases.listReleases({ states: ['quarantined', 'awaiting-review'], order: 'risk', limit: 50 }),
      'quarantined by hold end': () => traced.releases.listReleases({ ecosystem: 'npm', states: ['quarantined'], order: 'until', limit: 50 }),
      'all releases by risk': () => traced.releases.listReleases({ order: 'risk', limit: 50 }),
      'released by risk': () => traced.releases.listReleases({ states: ['released'], order: 'risk', limit: 50 }),
      'all releases by package': () => traced.releases.listReleases({ order: 'package', limit: 50, offset: 100 }),
      'one package': () => traced.releases.listReleases({ ecosystem: 'npm', name: 'old-3' }),
      'one release': () => traced.releases.getRelease('npm', 'old-3', '1.7.0'),
      'pending analyses': () => traced.releases.listReleases({ analysis: 'pending' }),
      'packages': () => traced.releases.listPackages('npm', { after: 'old-1', limit: 5 }),
      'due, and the next after': () => traced.releases.dueAndNext(now, 100),
      'next change': () => traced.releases.nextChangeAt(),
    };
    const scans: string[] = [];
    for (const [name, read] of Object.entries(reads)) {
      const from = traced.statements.length;
      await read();
      const selects = traced.statements.slice(from).filter((s) => /^\s*SELECT\b/i.test(s.sql) && /\bFROM releases\b/.test(s.sql));
      expect(selects.length, name).toBeGreaterThan(0);
      for (const s of selects) {
        const plan = await traced.plan(s);
        if (fullScan.test(plan)) scans.push(`${name}: ${s.sql}\n${plan}`);
        // Risk orders over most rows are read along the risk index (backwards), never sorted
        // (the queues are a few rows, sorted from their partial index).
        if (['all releases by risk', 'released by risk'].includes(name) && sorted.test(plan)) scans.push(`${name} sorts: ${s.sql}\n${plan}`);
      }
    }
    expect(scans).toEqual([]);
    // The queue reads see the queued releases (the partial indexes hold them).
    expect(await traced.releases.listReleases({ states: ['awaiting-review'], order: 'risk' })).toHaveLength(5);
    expect(await traced.releases.listReleases({ states: ['quarantined', 'rejected'], order: 'until' })).toHaveLength(10);
    await store.close();
  }, 120_000);
});
