import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Decision } from '../../src/domain/decision.js';
import { openSqlite } from '../../src/store/open-sqlite.js';
import type { NewAuditEntry, ObservedRelease } from '../../src/store/release-store.js';
import { SqliteReleaseStore } from '../../src/store/sqlite-release-store.js';
import { tempDir } from '../helpers/temp-dir.js';

const at = (iso: string) => new Date(iso);
const offThreadRows = 50;
const offThreadBytes = 64 * 1024;
const now = at('2026-11-01T10:00:00Z');
const holdUntil = at('2026-11-04T10:00:00Z');
const versions = (n: number): ObservedRelease[] => Array.from({ length: n }, (_, i) => ({ version: `1.${i}.0`, publishedAt: at('2025-01-01T00:00:00Z'), meta: { publisher: 'alice' } }));
const audit = (action: string, subject: string): NewAuditEntry => ({ at: now, actor: 'system', role: 'system', action, subject, reason: null, detail: { n: 1 } });
const quarantined = () => ({ state: 'quarantined' as const, holdUntil, nextChangeAt: holdUntil, audit: null });

describe('SQLite store writer thread', () => {
  let temp: Awaited<ReturnType<typeof tempDir>>;
  let file: string;
  let store: SqliteReleaseStore;

  beforeEach(async () => {
    temp = await tempDir('airlock-writer-');
    file = path.join(temp.dir, 'airlock.db');
    store = new SqliteReleaseStore(openSqlite(file));
  });
  afterEach(async () => {
    await store.close();
    await temp.remove();
  });

  it('writes a package first seen with hundreds of releases and a large document on its thread; both read back at once, and the next change is heard', async () => {
    expect(await store.writer.ready).toBe(true);
    const heard: Date[] = [];
    const stop = store.watchNextChanges({ changed: (when) => heard.push(when), listening: () => {} });
    const { added } = await store.recordSeen('npm', 'many', versions(offThreadRows * 4), now, () => 'skipped', quarantined);
    expect(store.writer.stats.offThread).toBe(1);
    expect(added).toHaveLength(offThreadRows * 4);
    expect(heard).toContainEqual(holdUntil);
    stop();
    // Committed, and seen by another connection to the file.
    const other = new SqliteReleaseStore(openSqlite(file));
    try {
      expect((await other.listReleases({ ecosystem: 'npm', name: 'many' })).map((r) => r.id).sort()).toEqual(added.map((r) => r.id).sort());
    } finally {
      await other.close();
    }
    const body = Buffer.alloc(offThreadBytes * 3, 'x');
    await store.putDocument('npm:packument:many', { body, etag: '"v1"', lastModified: null, fetchedAt: now });
    expect(store.writer.stats.offThread).toBe(2);
    expect(await store.getDocument('npm:packument:many')).toEqual({ body, etag: '"v1"', lastModified: null, fetchedAt: now });
    // Small ones go there too (one on the store's connection would wait for the thread's lock),
    // and so do a release's files.
    await store.recordSeen('npm', 'few', versions(3), now, () => 'skipped', quarantined);
    await store.putDocument('npm:packument:few', { body: Buffer.from('{}'), etag: null, lastModified: null, fetchedAt: now });
    const [release] = added;
    await store.recordArtifacts(release!.id, [{ filename: 'many-1.0.0.tgz', url: 'http://upstream.test/many-1.0.0.tgz', digests: { sha512: 'x' }, size: null, publishedAt: null }], now);
    expect(await store.listArtifacts(release!.id)).toMatchObject([{ filename: 'many-1.0.0.tgz', analysis: null }]);
    expect(store.writer.stats).toEqual({ offThread: 5, inThread: 0 });
  });

  it('writes in the order given: a later small document never lands before an earlier large one', async () => {
    await store.writer.ready;
    const large = { body: Buffer.alloc(offThreadBytes * 8, 'a'), etag: '"large"', lastModified: null, fetchedAt: now };
    const small = { body: Buffer.from('{"small":true}'), etag: '"small"', lastModified: null, fetchedAt: at('2026-11-01T10:05:00Z') };
    await Promise.all([store.putDocument('npm:packument:k', large), store.putDocument('npm:packument:k', small)]);
    expect((await store.getDocument('npm:packument:k'))?.etag).toBe('"small"');
  });

  it('writes on the main connection meanwhile without a busy error, each release recorded once and each audit entry kept', async () => {
    await store.writer.ready;
    const { added: [first] } = await store.recordSeen('npm', 'decided', versions(1), now, () => 'done');
    const decision = (i: number): Decision => ({ action: 'approve', reason: `round ${i}`, actor: 'alice', role: 'reviewer', decidedAt: new Date(now.getTime() + i) });
    let previous: Decision | null = null;
    const main: Promise<unknown>[] = [];
    const packages = Array.from({ length: 12 }, (_, i) => `pkg-${i}`);
    const thread = packages.map((name) => store.recordSeen('npm', name, versions(offThreadRows * 3), now, () => 'skipped', quarantined));
    for (let i = 0; i < 200; i++) {
      // Reads then writes, in one transaction each, while the thread commits packages.
      const next = decision(i);
      main.push(store.decideIf(first!.id, previous, next, audit('approve', `npm:decided@1.0.0#${i}`)));
      previous = next;
      main.push(store.recordArtifacts(first!.id, [{ filename: `f${i}.tgz`, url: `http://upstream.test/f${i}.tgz`, digests: { sha512: 'x' }, size: 1, publishedAt: null }], now));
      main.push(store.appendAudit(audit('note', `npm:decided@1.0.0#${i}`)));
      if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const [threaded, inThread] = await Promise.all([Promise.all(thread), Promise.all(main)]);
    expect(inThread).toHaveLength(600);
    expect(threaded.every((r) => r.added.length === offThreadRows * 3)).toBe(true);
    expect(await store.countReleases({ ecosystem: 'npm' })).toBe(1 + packages.length * offThreadRows * 3);
    expect((await store.listAudit({ action: 'approve', limit: 1000 })).length).toBe(200);
    expect((await store.listAudit({ action: 'note', limit: 1000 })).length).toBe(200);
    expect(await store.listArtifacts(first!.id)).toHaveLength(200);
    expect(store.writer.stats.offThread).toBeGreaterThanOrEqual(packages.length);
  });

  it('records on the store\'s own connection where no thread can share the database (in memory)', async () => {
    const memory = new SqliteReleaseStore(openSqlite(':memory:'));
    try {
      expect(await memory.writer.ready).toBe(false);
      const { added } = await memory.recordSeen('npm', 'many', versions(offThreadRows * 2), now, () => 'skipped', quarantined);
      expect(added).toHaveLength(offThreadRows * 2);
      expect(memory.writer.stats).toEqual({ offThread: 0, inThread: 1 });
    } finally {
      await memory.close();
    }
  });
});
