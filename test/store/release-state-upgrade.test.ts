import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { parsePolicy } from '../../src/policy/load-policy.js';
import { FsBlobStore } from '../../src/store/fs-blob-store.js';
import { openSqlite } from '../../src/store/open-sqlite.js';
import { migrateSqlite } from '../../src/store/sqlite-migrate.js';
import { sqliteReleaseMigrations } from '../../src/store/sqlite-release-migrations.js';
import { SqliteReleaseStore } from '../../src/store/sqlite-release-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

const hour = 3_600_000;

describe('upgrading a release store from before states were stored', () => {
  it('takes each release state from its last automatic audit entry, and announces only changes made after the upgrade', async () => {
    const temp = await tempDir('airlock-upgrade-');
    const file = path.join(temp.dir, 'airlock.db');
    const clock = new ManualClock('2026-06-01T12:00:00Z');
    const now = clock.now().getTime();

    // A store as the previous Airlock left it: schema version 1, states only in the audit log.
    const old = openSqlite(file);
    migrateSqlite(old, 'releases', sqliteReleaseMigrations.slice(0, 1));
    const insert = old.prepare("INSERT INTO releases (ecosystem, name, version, published_at, first_seen_at, analysis) VALUES ('npm', ?, '1.0.0', ?, ?, 'skipped')");
    const audit = old.prepare("INSERT INTO audit (at, actor, role, action, subject, reason, detail) VALUES (?, 'system', 'system', ?, ?, NULL, ?)");
    insert.run('done', now - 100 * hour, now - 100 * hour);
    audit.run(now - 100 * hour, 'discovered', 'npm:done@1.0.0', '{"state":"quarantined"}');
    audit.run(now - 28 * hour, 'released', 'npm:done@1.0.0', '{"state":"released"}');
    insert.run('waiting', now - 70 * hour, now - 70 * hour);
    audit.run(now - 70 * hour, 'discovered', 'npm:waiting@1.0.0', '{"state":"quarantined"}');
    // Its cooldown ended while Airlock was being upgraded: nobody recorded it yet.
    insert.run('ended', now - 73 * hour, now - 73 * hour);
    audit.run(now - 73 * hour, 'discovered', 'npm:ended@1.0.0', '{"state":"quarantined"}');
    old.close();

    const store = new SqliteReleaseStore(openSqlite(file));
    const due = (await store.dueAndNext(clock.now(), 10)).due;
    expect(due.map((t) => [t.release.name, t.state])).toEqual([
      ['done', 'released'],
      ['waiting', 'quarantined'],
      ['ended', 'quarantined'],
    ]);
    // The counts behind the gauges start from the states the upgrade recorded (backfilled by migration 8).
    const counts = async () => (await store.countByState()).map((c) => `${c.state} ${c.count}`).sort();
    expect(await counts()).toEqual(['quarantined 2', 'released 1']);
    // Lists by state read the partial indexes, no full state index (migration 9): the queue in risk order holds the held ones.
    expect((await store.listReleases({ states: ['quarantined'], order: 'risk' })).map((r) => r.name).sort()).toEqual(['ended', 'waiting']);
    const inspect = openSqlite(file);
    const indexes = inspect.prepare<[], { name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'releases' AND sql IS NOT NULL").all();
    inspect.close();
    expect(indexes.map((i) => i.name).sort()).toEqual(['releases_analysis_pending', 'releases_held_until', 'releases_next_change', 'releases_queue_risk', 'releases_risk_ascending']);
    expect(indexes.find((i) => i.name === 'releases_queue_risk')?.sql).toContain("WHERE state <> 'released'");

    const config = loadConfig({ AIRLOCK_STORAGE: temp.dir, AIRLOCK_NPM_UPSTREAM: 'http://127.0.0.1:9/', AIRLOCK_PYPI_UPSTREAM: 'http://127.0.0.1:9/' });
    const policy = parsePolicy('cooldown: 72h\n');
    const airlock = createApp({ config, store, blobs: new FsBlobStore(path.join(temp.dir, 'blobs')), clock, policy, log: () => {} });
    const automatic = async (subject: string) =>
      (await store.listAudit({ subject, order: 'oldest' })).filter((e) => e.subject === subject).map((e) => e.action);
    try {
      await airlock.review.sweep();
      expect(await automatic('npm:done@1.0.0')).toEqual(['discovered', 'released']);
      expect(await automatic('npm:waiting@1.0.0')).toEqual(['discovered']);
      expect(await automatic('npm:ended@1.0.0')).toEqual(['discovered', 'released']);
      expect((await store.dueAndNext(clock.now(), 10)).due).toEqual([]);

      clock.advance('2h');
      await airlock.review.sweep();
      await airlock.review.sweep();
      expect(await automatic('npm:waiting@1.0.0')).toEqual(['discovered', 'released']);
      expect(await counts()).toEqual(['released 3']);
    } finally {
      await airlock.close();
      await store.close();
      await temp.remove();
    }
  });
});
