import { describe, expect, it } from 'vitest';
import type { StoredFinding } from '../../src/domain/finding.js';
import { openSqlite } from '../../src/store/open-sqlite.js';
import { migrateSqlite } from '../../src/store/sqlite-migrate.js';
import { sqliteReleaseMigrations } from '../../src/store/sqlite-release-migrations.js';
import { SqliteReleaseStore } from '../../src/store/sqlite-release-store.js';

const t0 = new Date('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(t0.getTime() + s * 1000);
const file = (filename: string, sha256: string) => ({ filename, url: `https://files.example/${filename}`, digests: { sha256 }, size: 1, publishedAt: t0 });
const finding = (filename: string, digest: string): StoredFinding => ({
  kind: 'pth-exec-added',
  severity: 'critical',
  path: 'x.pth',
  line: 1,
  message: 'x.pth runs code at interpreter start',
  artifact: { filename, digest },
});

describe('the SQLite release store, per file', () => {
  it('gives a file recorded for a release that already had files its own pending analysis', async () => {
    const store = new SqliteReleaseStore(openSqlite(':memory:'));
    const { releases } = await store.recordSeen('pypi', 'demo', [{ version: '1.0', publishedAt: t0 }], t0, () => 'skipped');
    const id = releases[0]!.id;
    await store.recordManyArtifacts([{ releaseId: id, artifacts: [file('demo-1.0.tar.gz', 'aa'), file('demo-1.0-py3-none-any.whl', 'bb')] }], t0);
    await store.recordManyArtifacts([{ releaseId: id, artifacts: [file('demo-1.0.tar.gz', 'aa'), file('demo-1.0-1-py3-none-any.whl', 'cc')] }], at(60));
    const artifacts = await store.listArtifacts(id);
    expect(artifacts.map((a) => [a.filename, a.analysis])).toEqual([
      ['demo-1.0-1-py3-none-any.whl', 'pending'],
      ['demo-1.0-py3-none-any.whl', null],
      ['demo-1.0.tar.gz', null],
    ]);
    expect((await store.listArtifactsPendingAnalysis([id])).map((a) => a.filename)).toEqual(['demo-1.0-1-py3-none-any.whl']);
    expect(await store.listArtifactsPendingAnalysis([id + 1])).toEqual([]);

    const late = artifacts[0]!;
    await store.saveArtifactAnalysis(late.id, { findings: [finding(late.filename, 'sha256:cc')], analyzedAt: at(90) });
    expect(await store.listArtifactsPendingAnalysis()).toEqual([]);
    const release = (await store.getReleaseById(id))!;
    expect(release.findings).toEqual([finding(late.filename, 'sha256:cc')]);
    // A decided release with findings in a later file is one whose state can still change.
    await store.recordDecision(id, { action: 'approve', reason: 'ok', actor: 'alice', role: 'reviewer', decidedAt: at(30), digests: ['sha256:aa', 'sha256:bb'] });
    expect((await store.listReleases({ undecided: true })).map((r) => r.id)).toEqual([id]);
    expect((await store.getReleaseById(id))!.decision?.digests).toEqual(['sha256:aa', 'sha256:bb']);
  });

  it('merges releases: files move over to be analyzed again, decisions move along, the others are gone', async () => {
    const store = new SqliteReleaseStore(openSqlite(':memory:'));
    const { releases } = await store.recordSeen('pypi', 'demo', [{ version: '1.2', publishedAt: t0 }, { version: '1.2.0', publishedAt: t0 }], t0, () => 'skipped');
    const [into, from] = [releases.find((r) => r.version === '1.2')!, releases.find((r) => r.version === '1.2.0')!];
    await store.recordManyArtifacts(
      [
        { releaseId: into.id, artifacts: [file('demo-1.2.tar.gz', 'aa')] },
        { releaseId: from.id, artifacts: [file('demo-1.2.0-py3-none-any.whl', 'bb')] },
      ],
      t0,
    );
    await store.recordDecision(from.id, { action: 'approve', reason: 'ok', actor: 'alice', role: 'reviewer', decidedAt: at(1), digests: ['sha256:bb'] });
    await store.mergeReleases(into.id, [from.id]);
    expect((await store.listReleases({ ecosystem: 'pypi', name: 'demo' })).map((r) => r.version)).toEqual(['1.2']);
    expect((await store.listArtifacts(into.id)).map((a) => [a.filename, a.analysis])).toEqual([
      ['demo-1.2.0-py3-none-any.whl', 'pending'],
      ['demo-1.2.tar.gz', null],
    ]);
    expect((await store.getReleaseById(into.id))!.decision).toBeNull();
  });

  it('binds approvals made before digests existed to the files seen by then, and queues PyPI files that came later', async () => {
    const db = openSqlite(':memory:');
    migrateSqlite(db, 'releases', sqliteReleaseMigrations.slice(0, 1));
    const decision = { action: 'approve', reason: 'ok', actor: 'alice', role: 'reviewer', decidedAt: at(1) };
    db.prepare("INSERT INTO releases (id, ecosystem, name, version, first_seen_at, analysis, decision) VALUES (1, 'pypi', 'demo', '1.0', ?, 'skipped', ?)").run(t0.getTime(), JSON.stringify(decision));
    db.prepare("INSERT INTO releases (id, ecosystem, name, version, first_seen_at, analysis) VALUES (2, 'npm', 'left-pad', '1.0.0', ?, 'skipped')").run(t0.getTime());
    const insert = db.prepare('INSERT INTO artifacts (release_id, filename, url, digests, first_seen_at) VALUES (?, ?, ?, ?, ?)');
    insert.run(1, 'a.whl', 'u', JSON.stringify({ sha256: 'aa' }), t0.getTime());
    insert.run(1, 'b.whl', 'u', JSON.stringify({ sha256: 'bb' }), at(1).getTime());
    insert.run(1, 'c.whl', 'u', JSON.stringify({ sha256: 'cc' }), at(5).getTime());
    // npm tarballs are recorded on first download, after the release: not a file added later.
    insert.run(2, 'left-pad-1.0.0.tgz', 'u', JSON.stringify({ sha512: 'ff', sha1: 'ee' }), at(5).getTime());

    const store = new SqliteReleaseStore(db);
    expect((await store.getReleaseById(1))!.decision?.digests).toEqual(['sha256:aa', 'sha256:bb']);
    expect((await store.listArtifactsPendingAnalysis()).map((a) => a.filename)).toEqual(['b.whl', 'c.whl']);
    expect((await store.listArtifacts(2))[0]!.analysis).toBeNull();
  });
});
