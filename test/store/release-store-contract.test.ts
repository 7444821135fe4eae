import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Decision } from '../../src/domain/decision.js';
import type { NewAuditEntry, ObservedArtifact, ObservedRelease, ReleaseStore } from '../../src/store/release-store.js';
import { storeEngines, type EngineDatabase } from './store-engines.js';

const at = (iso: string) => new Date(iso);
const seen = (version: string, publishedAt: string | null = null, meta: Record<string, unknown> = {}): ObservedRelease => ({
  version,
  publishedAt: publishedAt ? at(publishedAt) : null,
  meta,
});
const file = (filename: string, extra: Partial<ObservedArtifact> = {}): ObservedArtifact => ({
  filename,
  url: `http://upstream.test/${filename}`,
  digests: { sha256: 'a'.repeat(64) },
  size: 1234,
  publishedAt: null,
  ...extra,
});
const entry = (action: string, subject: string, extra: Partial<NewAuditEntry> = {}): NewAuditEntry => ({
  at: at('2026-11-01T10:00:00Z'),
  actor: 'system',
  role: 'system',
  action,
  subject,
  reason: null,
  detail: {},
  ...extra,
});
const pending = () => 'pending' as const;

describe.each(storeEngines)('release store on $name', (engine) => {
  let database: EngineDatabase;
  let store: ReleaseStore;

  beforeAll(() => engine.start());
  afterAll(() => engine.stop());
  beforeEach(async () => {
    database = await engine.database();
    store = (await database.connect()).releases;
  });
  afterEach(() => database.drop());

  it('records new releases with their first-seen time and initial analysis, and reports only those as added', async () => {
    const now = at('2026-11-01T10:00:00Z');
    const first = await store.recordSeen('npm', 'demo', [seen('1.0.0', '2025-01-01T00:00:00Z'), seen('2.0.0')], now, (o) =>
      o.publishedAt ? 'skipped' : 'pending',
    );
    expect(first.added.map((r) => r.version).sort()).toEqual(['1.0.0', '2.0.0']);
    const v1 = first.releases.find((r) => r.version === '1.0.0')!;
    expect(v1).toMatchObject({ ecosystem: 'npm', name: 'demo', analysis: 'skipped', decision: null, withdrawnAt: null, findings: [] });
    expect(v1.publishedAt).toEqual(at('2025-01-01T00:00:00Z'));
    expect(v1.firstSeenAt).toEqual(now);

    const later = at('2026-11-02T10:00:00Z');
    const second = await store.recordSeen('npm', 'demo', [seen('1.0.0'), seen('2.0.0'), seen('3.0.0')], later, pending);
    expect(second.added.map((r) => r.version)).toEqual(['3.0.0']);
    expect(second.releases).toHaveLength(3);
    expect(second.releases.find((r) => r.version === '2.0.0')!.firstSeenAt).toEqual(now);
  });

  it('returns every release of the package exactly as the store reads it back, new, known and refilled alike', async () => {
    const byId = (releases: { id: number }[]) => [...releases].sort((a, b) => a.id - b.id);
    const first = await store.recordSeen('npm', 'same', [seen('1.0.0', '2025-01-01T00:00:00Z', { publisher: 'alice', hasProvenance: true }), seen('2.0.0')], at('2026-11-01T10:00:00Z'), pending);
    expect(byId(first.releases)).toEqual(byId(await store.listReleases({ ecosystem: 'npm', name: 'same' })));
    expect(byId(first.added)).toEqual(byId(first.releases));
    // A later read: a new release with a clock floor, and a publish time learned for a known one.
    const second = await store.recordSeen(
      'npm',
      'same',
      [seen('1.0.0'), seen('2.0.0', '2025-02-01T00:00:00Z', { publisher: 'bob' }), seen('3.0.0', '2025-03-01T00:00:00Z', { nested: { list: [1, 'two'] } })],
      at('2026-11-02T10:00:00Z'),
      () => 'skipped',
    );
    const stored = await store.listReleases({ ecosystem: 'npm', name: 'same' });
    expect(byId(second.releases)).toEqual(byId(stored));
    expect(second.added).toEqual([stored.find((r) => r.version === '3.0.0')]);
    expect(second.releases.find((r) => r.version === '2.0.0')).toMatchObject({ publishedAt: at('2025-02-01T00:00:00Z'), meta: { publisher: 'bob' } });
    expect(second.added[0]).toMatchObject({ clockFloorAt: at('2026-11-01T10:00:00Z'), meta: { nested: { list: [1, 'two'] } } });
  });

  it('records a package of hundreds of releases at once, each with its own id, and a version listed twice once', async () => {
    const versions = Array.from({ length: 250 }, (_, i) => seen(`1.${i}.0`, '2025-01-01T00:00:00Z', { publisher: i % 2 ? 'alice' : 'bob' }));
    // Listed twice: the last listing counts, as a JSON object's last member does.
    versions.push(seen('1.7.0', '2025-02-02T00:00:00Z', { publisher: 'carol' }));
    const discovered = (version: string) => entry('discovered', `npm:many@${version}`);
    const { releases, added } = await store.recordSeen('npm', 'many', versions, at('2026-11-01T10:00:00Z'), pending, (r) => ({
      state: 'quarantined',
      holdUntil: at('2026-11-04T10:00:00Z'),
      nextChangeAt: at('2026-11-04T10:00:00Z'),
      audit: discovered(r.version),
    }));
    expect(added).toHaveLength(250);
    const stored = await store.listReleases({ ecosystem: 'npm', name: 'many' });
    const byId = (list: { id: number }[]) => [...list].sort((a, b) => a.id - b.id);
    expect(byId(releases)).toEqual(byId(stored));
    expect(byId(added)).toEqual(byId(stored));
    expect(new Set(stored.map((r) => r.id)).size).toBe(250);
    expect(stored.find((r) => r.version === '1.7.0')).toMatchObject({ publishedAt: at('2025-02-02T00:00:00Z'), meta: { publisher: 'carol' } });
    expect(stored.find((r) => r.version === '1.8.0')?.meta).toEqual({ publisher: 'bob' });
    const audit = await store.listAudit({ action: 'discovered', limit: 1000 });
    expect(audit.map((a) => a.subject).sort()).toEqual(stored.map((r) => `npm:many@${r.version}`).sort());
  });

  it('fills in a publish time learned later, and keeps the first one it learned', async () => {
    const now = at('2026-11-01T10:00:00Z');
    await store.recordSeen('npm', 'demo', [seen('1.0.0')], now, pending);
    await store.recordSeen('npm', 'demo', [seen('1.0.0', '2026-10-30T00:00:00Z', { publisher: 'alice' })], now, pending);
    await store.recordSeen('npm', 'demo', [seen('1.0.0', '2026-10-31T00:00:00Z', { publisher: 'mallory' })], now, pending);
    const release = await store.getRelease('npm', 'demo', '1.0.0');
    expect(release?.publishedAt).toEqual(at('2026-10-30T00:00:00Z'));
    expect(release?.meta).toEqual({ publisher: 'alice' });
  });

  it('floors the clock of a release new to a known package at the last read, and of a publish time learned late at first sight', async () => {
    const first = at('2026-11-01T10:00:00Z');
    const { added } = await store.recordSeen('npm', 'demo', [seen('1.0.0', '2026-01-01T00:00:00Z'), seen('1.1.0')], first, pending);
    expect(added.map((r) => r.clockFloorAt)).toEqual([null, null]);
    // Upstream now lists 2.0.0 with an old date: it was not there at our last read.
    const second = at('2026-11-02T10:00:00Z');
    const again = await store.recordSeen('npm', 'demo', [seen('1.0.0'), seen('1.1.0', '2025-06-01T00:00:00Z'), seen('2.0.0', '2025-01-01T00:00:00Z')], second, pending);
    expect(again.added.map((r) => [r.version, r.clockFloorAt])).toEqual([['2.0.0', first]]);
    expect((await store.getRelease('npm', 'demo', '1.1.0'))?.clockFloorAt).toEqual(first);
    expect((await store.getRelease('npm', 'demo', '1.0.0'))?.clockFloorAt).toBeNull();

    const release = again.added[0]!;
    await store.recordArtifacts(release.id, [file('a.whl')], second);
    const third = at('2026-11-03T10:00:00Z');
    await store.recordArtifacts(release.id, [file('a.whl', { publishedAt: at('2025-01-01T00:00:00Z') }), file('b.whl', { publishedAt: at('2025-01-01T00:00:00Z') })], third);
    const [a, b] = await store.listArtifacts(release.id);
    expect(a!.clockFloorAt).toEqual(second);
    expect(b!.clockFloorAt).toEqual(second);
  });

  it('records a package hinted new at once, and one wrongly hinted new as if unhinted: a backdated release still floors at the last read', async () => {
    const first = at('2026-11-01T10:00:00Z');
    const judged: string[][] = [];
    const trusted = (versions: ReadonlySet<string>) => (judged.push([...versions].sort()), [entry('trusted-by-age', 'npm:hinted', { detail: { n: versions.size } })]);
    const released = () => ({ state: 'released' as const, holdUntil: null, nextChangeAt: null, audit: null });
    const fresh = await store.recordSeen('npm', 'hinted', [seen('1.0.0', '2024-01-01T00:00:00Z'), seen('1.1.0', '2024-02-01T00:00:00Z')], first, pending, released, trusted, { likelyNew: true });
    expect(fresh.added.map((r) => [r.version, r.clockFloorAt])).toEqual([
      ['1.0.0', null],
      ['1.1.0', null],
    ]);
    expect(fresh.releases.map((r) => r.version)).toEqual(['1.0.0', '1.1.0']);
    // Upstream now lists 2.0.0 with an old date, and the hint is wrong (the package has rows).
    const second = at('2026-11-02T10:00:00Z');
    const again = await store.recordSeen('npm', 'hinted', [seen('1.0.0'), seen('1.1.0'), seen('2.0.0', '2024-03-01T00:00:00Z')], second, pending, released, trusted, { likelyNew: true });
    expect(again.added.map((r) => [r.version, r.clockFloorAt])).toEqual([['2.0.0', first]]);
    expect(again.releases.map((r) => r.version).sort()).toEqual(['1.0.0', '1.1.0', '2.0.0']);
    expect((await store.getRelease('npm', 'hinted', '2.0.0'))?.clockFloorAt).toEqual(first);
    // The entries about each read speak of what that read inserted, once.
    expect(judged.at(0)).toEqual(['1.0.0', '1.1.0']);
    expect(judged.at(-1)).toEqual(['2.0.0']);
    expect((await store.listAudit({ subject: 'npm:hinted', order: 'oldest' })).map((e) => e.detail.n)).toEqual([2, 1]);
    // Nothing new, hinted or not: nothing written.
    expect((await store.recordSeen('npm', 'hinted', [seen('2.0.0')], second, pending, released, trusted, { likelyNew: true })).added).toEqual([]);
    expect(await store.listAudit({ subject: 'npm:hinted' })).toHaveLength(2);
  });

  it('adds each release once when two handles record the same package at the same moment', async () => {
    const other = (await database.connect()).releases;
    const versions = Array.from({ length: 40 }, (_, i) => seen(`1.0.${i}`));
    const now = at('2026-11-01T10:00:00Z');
    const [a, b] = await Promise.all([
      store.recordSeen('pypi', 'raced', versions, now, pending),
      other.recordSeen('pypi', 'raced', versions, now, pending),
    ]);
    const added = [...a.added, ...b.added].map((r) => r.version).sort();
    expect(added).toEqual(versions.map((v) => v.version).sort());
    expect((await store.listReleases({ name: 'raced' })).length).toBe(40);
  });

  it('finds releases by name and id, lists them newest first with filters and paging, and lists package names sorted', async () => {
    const now = at('2026-11-01T10:00:00Z');
    await store.recordSeen('npm', 'zeta', [seen('1.0.0')], now, pending);
    await store.recordSeen('npm', '@acme/widget', [seen('1.0.0'), seen('1.1.0')], now, () => 'skipped');
    await store.recordSeen('pypi', 'alpha', [seen('0.1')], now, pending);
    await store.recordSeen('npm', 'Alpha', [seen('1.0.0')], now, pending);

    const widget = await store.getRelease('npm', '@acme/widget', '1.1.0');
    expect(widget?.version).toBe('1.1.0');
    expect(await store.getReleaseById(widget!.id)).toEqual(widget);
    expect(await store.getRelease('npm', '@acme/widget', '9.9.9')).toBeNull();
    expect(await store.getReleaseById(999_999)).toBeNull();

    const all = await store.listReleases();
    expect(all.map((r) => r.id)).toEqual([...all.map((r) => r.id)].sort((x, y) => y - x));
    expect(all).toHaveLength(5);
    expect((await store.listReleases({ ecosystem: 'pypi' })).map((r) => r.name)).toEqual(['alpha']);
    expect((await store.listReleases({ analysis: 'skipped' })).map((r) => r.version)).toEqual(['1.1.0', '1.0.0']);
    expect((await store.listReleases({ limit: 2, offset: 1 })).map((r) => r.id)).toEqual(all.slice(1, 3).map((r) => r.id));
    expect(await store.listPackages('npm')).toEqual(['@acme/widget', 'Alpha', 'zeta']);
  });

  it('lists the id and version of every release of one package, and of no other', async () => {
    const now = at('2026-11-01T10:00:00Z');
    const widget = await store.recordSeen('npm', 'widget', [seen('1.0.0'), seen('2.0.0-beta.1'), seen('1.10.0')], now, pending);
    await store.recordSeen('npm', 'widget-extra', [seen('1.0.0')], now, pending);
    await store.recordSeen('pypi', 'widget', [seen('3.0')], now, pending);
    const byVersion = (list: { id: number; version: string }[]) => [...list].sort((a, b) => a.version.localeCompare(b.version));
    expect(byVersion(await store.listVersions('npm', 'widget'))).toEqual(byVersion(widget.releases.map(({ id, version }) => ({ id, version }))));
    expect(await store.listVersions('npm', 'Widget')).toEqual([]);
    expect(await store.listVersions('npm', 'nothing')).toEqual([]);
  });

  it('saves an analysis, and resets it to pending for a re-analysis', async () => {
    const { added } = await store.recordSeen('npm', 'demo', [seen('2.0.0')], at('2026-11-01T10:00:00Z'), pending);
    const id = added[0]!.id;
    const findings = [{ kind: 'install-script-added', severity: 'critical' as const, path: 'package.json', line: 3, message: 'adds postinstall' }];
    await store.saveAnalysis(id, { findings, baselineVersion: '1.0.0', analyzedAt: at('2026-11-01T11:00:00Z') });
    expect(await store.getReleaseById(id)).toMatchObject({ analysis: 'done', findings, baselineVersion: '1.0.0', analyzedAt: at('2026-11-01T11:00:00Z') });
    await store.resetAnalysis(id);
    expect(await store.getReleaseById(id)).toMatchObject({ analysis: 'pending', analyzedAt: null, findings: [] });
  });

  it('saves an analysis finished by two replicas at once only once, with one audit entry; a file analysis likewise', async () => {
    const { added } = await store.recordSeen('pypi', 'demo', [seen('2.0.0')], at('2026-11-01T10:00:00Z'), pending);
    const id = added[0]!.id;
    const other = (await database.connect()).releases;
    const result = (baselineVersion: string) => ({ findings: [], baselineVersion, analyzedAt: at('2026-11-01T11:00:00Z') });
    const saved = await Promise.all([
      store.saveAnalysisIfPending(id, result('1.0.0'), entry('analyzed', 'pypi:demo@2.0.0', { reason: 'first' })),
      other.saveAnalysisIfPending(id, result('1.9.0'), entry('analyzed', 'pypi:demo@2.0.0', { reason: 'second' })),
    ]);
    expect(saved.sort()).toEqual([false, true]);
    const audit = await store.listAudit({ subject: 'pypi:demo@2.0.0', action: 'analyzed' });
    expect(audit).toHaveLength(1);
    expect((await store.getReleaseById(id))!.baselineVersion).toBe(audit[0]!.reason === 'first' ? '1.0.0' : '1.9.0');

    await store.recordArtifacts(id, [file('demo-2.0.0.tar.gz')], at('2026-11-01T10:00:00Z'));
    await store.recordArtifacts(id, [file('demo-2.0.0-py3-none-any.whl')], at('2026-11-02T10:00:00Z'));
    const [late] = await store.listArtifactsPendingAnalysis();
    const finding = { kind: 'pth-exec-added', severity: 'critical' as const, path: 'x.pth', line: 1, message: 'm', artifact: { filename: late!.filename, digest: 'sha256:aa' } };
    const savedFile = await Promise.all([
      store.saveArtifactAnalysisIfPending(late!.id, { findings: [finding], analyzedAt: at('2026-11-02T11:00:00Z') }, entry('analyzed', 'pypi:demo@2.0.0', { reason: 'file' })),
      other.saveArtifactAnalysisIfPending(late!.id, { findings: [finding], analyzedAt: at('2026-11-02T11:00:00Z') }, entry('analyzed', 'pypi:demo@2.0.0', { reason: 'file' })),
    ]);
    expect(savedFile.sort()).toEqual([false, true]);
    expect((await store.getReleaseById(id))!.findings).toEqual([finding]);
    expect(await store.listAudit({ subject: 'pypi:demo@2.0.0', action: 'analyzed' })).toHaveLength(2);
  });

  it('counts stored bytes once per blob, offers the least recently served for eviction but never approved or withdrawn releases, and evicts conditionally', async () => {
    const now = at('2026-11-01T10:00:00Z');
    const { added } = await store.recordSeen('npm', 'cache', [seen('1.0.0'), seen('2.0.0'), seen('3.0.0'), seen('4.0.0')], now, pending);
    const byVersion = new Map(added.map((r) => [r.version, r.id]));
    const ids: number[] = [];
    for (const version of ['1.0.0', '2.0.0', '3.0.0', '4.0.0']) {
      const [artifact] = await store.recordArtifacts(byVersion.get(version)!, [file(`cache-${version}.tgz`)], now);
      ids.push(artifact!.id);
    }
    const [a1, a2, a3, a4] = ids as [number, number, number, number];
    await store.setArtifactBlob(a1, 'b'.repeat(64), 100);
    await store.setArtifactBlob(a2, 'c'.repeat(64), 200);
    await store.setArtifactBlob(a3, 'c'.repeat(64), 200); // the same bytes as 2.0.0: one blob
    await store.setArtifactBlob(a4, 'd'.repeat(64), 400);
    expect(await store.storedArtifactBytes()).toBe(700);

    await store.markArtifactsServed([a2, a3, a4], at('2026-11-02T10:00:00Z'));
    await store.markArtifactsServed([a3], at('2026-11-03T10:00:00Z'));
    await store.recordDecision(byVersion.get('4.0.0')!, { action: 'approve', reason: 'kept', actor: 'alice', role: 'reviewer', decidedAt: now });
    await store.setWithdrawn(byVersion.get('1.0.0')!, at('2026-11-02T00:00:00Z'));
    const evictable = await store.listEvictableArtifacts(10);
    expect(evictable).toEqual([
      { artifactId: a2, blobKey: 'c'.repeat(64), size: 200 },
      { artifactId: a3, blobKey: 'c'.repeat(64), size: 200 },
    ]);

    expect(await store.evictArtifact(a2, 'c'.repeat(64))).toEqual({ evicted: true, blobStillReferenced: true });
    expect(await store.evictArtifact(a2, 'c'.repeat(64))).toEqual({ evicted: false, blobStillReferenced: true });
    expect(await store.evictArtifact(a3, 'c'.repeat(64))).toEqual({ evicted: true, blobStillReferenced: false });
    expect((await store.listArtifacts(byVersion.get('3.0.0')!))[0]?.blobKey).toBeNull();
    expect(await store.storedArtifactBytes()).toBe(500);
  });

  it('keeps the latest decision with its time, and marks and clears a withdrawal', async () => {
    const { added } = await store.recordSeen('npm', 'demo', [seen('2.0.0')], at('2026-11-01T10:00:00Z'), pending);
    const id = added[0]!.id;
    const approve: Decision = { action: 'approve', reason: 'diff reviewed', actor: 'alice', role: 'reviewer', decidedAt: at('2026-11-01T12:00:00Z') };
    const revoke: Decision = { action: 'revoke', reason: 'advisory', actor: 'bob', role: 'admin', decidedAt: at('2026-11-02T12:00:00Z') };
    await store.recordDecision(id, approve);
    expect((await store.getReleaseById(id))?.decision).toEqual(approve);
    await store.recordDecision(id, revoke);
    expect((await store.getReleaseById(id))?.decision).toEqual(revoke);
    expect(await store.listReleases({ undecided: true })).toEqual([]);

    const other = (await store.recordSeen('npm', 'demo', [seen('3.0.0')], at('2026-11-01T10:00:00Z'), pending)).added[0]!;
    await store.setWithdrawn(other.id, at('2026-11-03T00:00:00Z'));
    expect((await store.getReleaseById(other.id))?.withdrawnAt).toEqual(at('2026-11-03T00:00:00Z'));
    expect(await store.listReleases({ undecided: true })).toEqual([]);
    await store.setWithdrawn(other.id, null);
    expect((await store.listReleases({ undecided: true })).map((r) => r.version)).toEqual(['3.0.0']);
  });

  it('records a decision with its audit entry only if the release was not decided since it was read', async () => {
    const { added } = await store.recordSeen('npm', 'demo', [seen('2.0.0')], at('2026-11-01T10:00:00Z'), pending);
    const id = added[0]!.id;
    const approve: Decision = { action: 'approve', reason: 'ok', actor: 'alice', role: 'reviewer', decidedAt: at('2026-11-01T12:00:00Z') };
    const reject: Decision = { action: 'reject', reason: 'no', actor: 'bob', role: 'reviewer', decidedAt: at('2026-11-01T12:00:00Z') };
    const audit = (d: Decision) => entry(d.action, 'npm:demo@2.0.0', { actor: d.actor, role: d.role, reason: d.reason });

    // Two reviewers on two replicas saw it undecided and decide at the same moment: one wins.
    const other = (await database.connect()).releases;
    const results = await Promise.all([store.decideIf(id, null, approve, audit(approve)), other.decideIf(id, null, reject, audit(reject))]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results[0] ? approve : reject;
    const decided = await store.getReleaseById(id);
    expect(decided?.decision).toEqual(winner);
    const entries = await store.listAudit({ subject: 'npm:demo@2.0.0' });
    expect(entries.map((e) => [e.action, e.actor])).toEqual([[winner.action, winner.actor]]);

    // A revoke made against the decision as read applies; one made against an older view does not.
    const revoke: Decision = { action: 'revoke', reason: 'advisory', actor: 'carol', role: 'admin', decidedAt: at('2026-11-02T12:00:00Z') };
    expect(await store.decideIf(id, null, revoke, audit(revoke))).toBe(false);
    expect(await store.decideIf(id, decided!.decision, revoke, audit(revoke))).toBe(true);
    expect(await store.decideIf(id, decided!.decision, revoke, audit(revoke))).toBe(false);
    expect((await store.getReleaseById(id))?.decision).toEqual(revoke);
    expect((await store.listAudit({ subject: 'npm:demo@2.0.0' })).map((e) => e.action)).toEqual(['revoke', winner.action]);
    expect(await store.decideIf(999_999, null, approve, audit(approve))).toBe(false);
  });

  it('keeps each release due until a transition records its state, applying a transition only at the revision it was read at', async () => {
    const now = at('2026-11-01T10:00:00Z');
    await store.recordSeen('npm', 'demo', [seen('1.0.0'), seen('2.0.0')], now, pending);
    const due = (await store.dueAndNext(now, 10)).due;
    expect(due.map((t) => [t.release.version, t.state, t.revision])).toEqual([
      ['1.0.0', null, 0],
      ['2.0.0', null, 0],
    ]);
    const [one, two] = due;
    const hold = at('2026-11-04T10:00:00Z');
    const transition = (t: typeof one, state: 'quarantined' | 'released') => ({
      releaseId: t!.release.id,
      revision: t!.revision,
      state,
      holdUntil: hold,
      nextChangeAt: hold,
      audit: entry(state, `npm:demo@${t!.release.version}`, { detail: { state } }),
    });
    const other = (await database.connect()).releases;
    // Two sweepers (replicas) apply the same transitions: one writes them.
    const [first, second] = await Promise.all([store.applyTransitions([transition(one, 'quarantined')]), other.applyTransitions([transition(one, 'quarantined')])]);
    expect([...first, ...second]).toEqual([one!.release.id]);
    // A fact written after the read (a withdrawal) makes the stale transition a no-op.
    await store.setWithdrawn(two!.release.id, now);
    expect(await store.applyTransitions([transition(two, 'released')])).toEqual([]);
    expect((await store.listAudit()).map((e) => e.subject)).toEqual(['npm:demo@1.0.0']);
    expect((await store.dueAndNext(now, 10)).due.map((t) => t.release.version)).toEqual(['2.0.0']);
    expect((await store.dueAndNext(hold, 10)).due.map((t) => t.release.version).sort()).toEqual(['1.0.0', '2.0.0']);
    // With the first release due later: its time, not the release.
    const page = await store.dueAndNext(now, 10);
    expect(page.due.map((t) => t.release.version)).toEqual(['2.0.0']);
    expect(page.next).toEqual(hold);
    expect(await store.dueAndNext(hold, 10)).toMatchObject({ next: null });
    expect((await store.dueAndNext(hold, 1)).due).toHaveLength(1);
    expect(await store.countByState()).toEqual([{ ecosystem: 'npm', state: 'quarantined', count: 1 }]);
    expect(await store.markDue('npm', 'demo')).toBe(2);
    expect((await store.dueAndNext(now, 10)).due.map((t) => t.release.version).sort()).toEqual(['1.0.0', '2.0.0']);
  });

  it('writes a new release\'s first state and its discovered entry with the row when asked', async () => {
    const now = at('2026-11-01T10:00:00Z');
    const { added } = await store.recordSeen('npm', 'demo', [seen('1.0.0')], now, pending, (facts) => ({
      state: 'quarantined',
      holdUntil: at('2026-11-04T10:00:00Z'),
      nextChangeAt: at('2026-11-04T10:00:00Z'),
      audit: entry('discovered', `npm:demo@${facts.version}`, { detail: { state: 'quarantined' } }),
    }));
    expect(added).toHaveLength(1);
    expect((await store.dueAndNext(now, 10)).due).toEqual([]);
    expect(await store.dueAndNext(now, 10)).toEqual({ due: [], next: at('2026-11-04T10:00:00Z') });
    expect(await store.countReleases({ states: ['quarantined'] })).toBe(1);
    expect((await store.listAudit()).map((e) => [e.action, e.subject])).toEqual([['discovered', 'npm:demo@1.0.0']]);
  });

  it('keeps counts by state with every insert, transition and deletion, and answers state totals from them', async () => {
    const now = at('2026-11-01T10:00:00Z');
    const quarantined = (facts: { ecosystem: string; version: string }) => ({
      state: 'quarantined' as const,
      holdUntil: at('2026-11-04T10:00:00Z'),
      nextChangeAt: at('2026-11-04T10:00:00Z'),
      audit: entry('discovered', `${facts.ecosystem}:demo@${facts.version}`),
    });
    await store.recordSeen('npm', 'demo', [seen('1.0.0'), seen('2.0.0'), seen('3.0.0')], now, pending, quarantined);
    const [p1, p2] = (await store.recordSeen('pypi', 'demo', [seen('1.0'), seen('1.0.0')], now, pending, quarantined)).added;
    // No recorded state yet: not counted.
    await store.recordSeen('npm', 'unswept', [seen('1.0.0')], now, pending);
    const v1 = (await store.getRelease('npm', 'demo', '1.0.0'))!;
    const tracked = (await store.dueAndNext(at('2026-11-05T00:00:00Z'), 10)).due.find((t) => t.release.id === v1.id)!;
    const released = { releaseId: v1.id, revision: tracked.revision, state: 'released' as const, holdUntil: null, nextChangeAt: null, audit: null };
    expect(await store.applyTransitions([released])).toEqual([v1.id]);
    // Applied again at the old revision: nothing moves, the counts neither.
    expect(await store.applyTransitions([released])).toEqual([]);
    await store.mergeReleases(p1!.id, [p2!.id]);
    const byKey = (counts: { ecosystem: string; state: string; count: number }[]) => [...counts].sort((x, y) => `${x.ecosystem}${x.state}`.localeCompare(`${y.ecosystem}${y.state}`));
    expect(byKey(await store.countByState())).toEqual([
      { ecosystem: 'npm', state: 'quarantined', count: 2 },
      { ecosystem: 'npm', state: 'released', count: 1 },
      { ecosystem: 'pypi', state: 'quarantined', count: 1 },
    ]);
    expect(await store.countReleases({ states: ['quarantined'] })).toBe(3);
    expect(await store.countReleases({ states: ['quarantined', 'released'], ecosystem: 'npm' })).toBe(3);
    // The same totals counted over the rows (a search matching every release), so the kept counts cannot drift unseen.
    expect(await store.countReleases({ states: ['quarantined'], search: '@' })).toBe(3);
    expect(await store.countReleases({ states: ['quarantined', 'released'], ecosystem: 'npm', search: '@' })).toBe(3);
  });

  it('tells the soonest next change, and hears of next changes as they are written: its own at once, another handle\'s soon after', async () => {
    const now = at('2026-11-01T10:00:00Z');
    const heard: Date[] = [];
    let listening = false;
    const stop = store.watchNextChanges({ changed: (t) => heard.push(t), listening: (on) => (listening = on) });
    try {
      expect(await store.nextChangeAt()).toBeNull();
      const holdUntil = (hours: number) => ({ state: 'quarantined' as const, holdUntil: at(`2026-11-0${1 + hours / 24}T10:00:00Z`), nextChangeAt: at(`2026-11-0${1 + hours / 24}T10:00:00Z`), audit: null });
      await store.recordSeen('npm', 'later', [seen('1.0.0')], now, pending, () => holdUntil(72));
      expect(heard).toContainEqual(at('2026-11-04T10:00:00Z'));
      expect(await store.nextChangeAt()).toEqual(at('2026-11-04T10:00:00Z'));

      await vi.waitFor(() => expect(listening).toBe(true), { timeout: 10_000 });
      heard.length = 0;
      const other = (await database.connect()).releases;
      await other.recordSeen('npm', 'sooner', [seen('1.0.0')], now, pending, () => holdUntil(24));
      await vi.waitFor(() => expect(heard.some((t) => t <= at('2026-11-02T10:00:00Z'))).toBe(true), { timeout: 10_000 });
      expect(await store.nextChangeAt()).toEqual(at('2026-11-02T10:00:00Z'));
      // A fact written elsewhere makes its release due at once.
      heard.length = 0;
      await other.setWithdrawn((await other.getRelease('npm', 'later', '1.0.0'))!.id, now);
      await vi.waitFor(() => expect(heard).toContainEqual(new Date(0)), { timeout: 10_000 });
      expect(await store.nextChangeAt()).toEqual(new Date(0));
    } finally {
      stop();
    }
  });

  it('filters, counts, searches and orders releases for the review lists', async () => {
    const now = at('2026-11-01T10:00:00Z');
    await store.recordSeen('npm', 'Alpha', [seen('1.0.0'), seen('2.0.0')], now, pending);
    await store.recordSeen('npm', 'beta', [seen('1.0.0')], now, pending);
    const [a1, a2, b1] = [(await store.getRelease('npm', 'Alpha', '1.0.0'))!, (await store.getRelease('npm', 'Alpha', '2.0.0'))!, (await store.getRelease('npm', 'beta', '1.0.0'))!];
    await store.saveAnalysis(a2.id, { findings: [{ kind: 'x', severity: 'critical', path: null, line: null, message: 'm' }], baselineVersion: null, analyzedAt: now });
    await store.saveAnalysis(b1.id, { findings: [{ kind: 'x', severity: 'low', path: null, line: null, message: 'm' }], baselineVersion: null, analyzedAt: now });
    const tracked = (await store.dueAndNext(now, 10)).due;
    await store.applyTransitions(
      tracked.map((t, i) => ({ releaseId: t.release.id, revision: t.revision, state: 'awaiting-review' as const, holdUntil: i === 0 ? null : at(`2026-11-0${5 - i}T00:00:00Z`), nextChangeAt: null, audit: null })),
    );
    expect((await store.listReleases({ order: 'risk' })).map((r) => r.id)).toEqual([a2.id, b1.id, a1.id]);
    expect((await store.listReleases({ order: 'until' })).map((r) => r.id)).toEqual([tracked[0]!.release.id, tracked[2]!.release.id, tracked[1]!.release.id]);
    expect((await store.listReleases({ order: 'package' })).map((r) => `${r.name}@${r.version}`)).toEqual(['Alpha@2.0.0', 'Alpha@1.0.0', 'beta@1.0.0']);
    expect(await store.countReleases({ states: ['awaiting-review'], search: 'ALPHA@' })).toBe(2);
    expect((await store.listReleases({ search: 'alpha@1', limit: 5 })).map((r) => r.id)).toEqual([a1.id]);
    expect(await store.countReleases({ states: [] })).toBe(0);
    expect(await store.listPackages('npm', { after: 'Alpha', limit: 5 })).toEqual(['beta']);
  });

  it('analyzes a file added to a known release on its own, and merges two spellings of one release', async () => {
    const now = at('2026-11-01T10:00:00Z');
    const [r1, r2] = (await store.recordSeen('pypi', 'demo', [seen('1.0'), seen('1.0.0')], now, pending)).added;
    await store.recordArtifacts(r1!.id, [file('demo-1.0.tar.gz')], now);
    expect((await store.listArtifacts(r1!.id))[0]!.analysis).toBeNull();
    await store.recordArtifacts(r1!.id, [file('demo-1.0-py3-none-any.whl')], at('2026-11-02T10:00:00Z'));
    const [late] = await store.listArtifactsPendingAnalysis();
    expect(late).toMatchObject({ filename: 'demo-1.0-py3-none-any.whl', analysis: 'pending', findings: [] });
    expect(await store.listArtifactsPendingAnalysis([r2!.id])).toEqual([]);
    const finding = { kind: 'pth-exec-added', severity: 'critical' as const, path: 'x.pth', line: 1, message: 'm', artifact: { filename: late!.filename, digest: 'sha256:aa' } };
    await store.saveArtifactAnalysis(late!.id, { findings: [finding], analyzedAt: now });
    expect(await store.listArtifactsPendingAnalysis()).toEqual([]);
    expect((await store.getReleaseById(r1!.id))?.findings).toEqual([finding]);
    expect((await store.listReleases({ order: 'risk', limit: 1 }))[0]!.id).toBe(r1!.id);

    await store.recordArtifacts(r2!.id, [file('demo-1.0.0.zip'), file('demo-1.0.tar.gz')], now);
    await store.recordDecision(r2!.id, { action: 'reject', reason: 'no', actor: 'bob', role: 'reviewer', decidedAt: now, digests: ['sha256:aa'] });
    await store.mergeReleases(r1!.id, [r2!.id]);
    expect(await store.getReleaseById(r2!.id)).toBeNull();
    const merged = await store.listArtifacts(r1!.id);
    expect(merged.map((a) => [a.filename, a.analysis])).toEqual([
      ['demo-1.0-py3-none-any.whl', 'done'],
      ['demo-1.0.0.zip', 'pending'],
      ['demo-1.0.tar.gz', null],
    ]);
  });

  it('records artifacts once per file, keeping their first-seen and upload times, and their blob keys', async () => {
    const [a, b] = (await store.recordSeen('pypi', 'demo', [seen('1.0'), seen('2.0')], at('2026-11-01T10:00:00Z'), pending)).added;
    const first = at('2026-11-01T10:00:00Z');
    const listed = await store.recordArtifacts(a!.id, [file('demo-1.0.tar.gz'), file('demo-1.0-py3-none-any.whl', { publishedAt: at('2026-10-01T00:00:00Z') })], first);
    expect(listed.map((x) => x.filename)).toEqual(['demo-1.0-py3-none-any.whl', 'demo-1.0.tar.gz']);
    expect(listed[0]).toMatchObject({ releaseId: a!.id, digests: { sha256: 'a'.repeat(64) }, size: 1234, firstSeenAt: first, blobKey: null });

    const later = at('2026-11-05T10:00:00Z');
    await store.recordManyArtifacts(
      [
        { releaseId: a!.id, artifacts: [file('demo-1.0.tar.gz', { url: 'http://upstream.test/moved.tar.gz', publishedAt: at('2026-10-02T00:00:00Z') })] },
        { releaseId: a!.id, artifacts: [file('demo-1.0-py3-none-any.whl', { publishedAt: at('2026-10-09T00:00:00Z') })] },
        { releaseId: b!.id, artifacts: [file('demo-2.0.tar.gz', { size: null })] },
      ],
      later,
    );
    const [wheel, sdist] = await store.listArtifacts(a!.id);
    expect(sdist).toMatchObject({ url: 'http://upstream.test/moved.tar.gz', publishedAt: at('2026-10-02T00:00:00Z'), firstSeenAt: first });
    expect(wheel!.publishedAt).toEqual(at('2026-10-01T00:00:00Z'));
    const [other] = await store.listArtifacts(b!.id);
    expect(other).toMatchObject({ size: null, firstSeenAt: later });

    await store.setArtifactBlob(sdist!.id, 'b'.repeat(64));
    expect((await store.listArtifacts(a!.id)).find((x) => x.id === sdist!.id)?.blobKey).toBe('b'.repeat(64));
    await store.recordManyArtifacts([], later);
  });

  it('records only the first files of releases that have none, with onlyFirst, leaving the others as they are', async () => {
    const [a, b] = (await store.recordSeen('npm', 'first-files', [seen('1.0.0'), seen('2.0.0')], at('2026-11-01T10:00:00Z'), pending)).added;
    const first = at('2026-11-01T10:00:00Z');
    await store.recordArtifacts(a!.id, [file('first-files-1.0.0.tgz', { url: 'http://replica-a.test/1.0.0.tgz' })], first);
    const later = at('2026-11-02T10:00:00Z');
    await store.recordManyArtifacts(
      [
        { releaseId: a!.id, artifacts: [file('first-files-1.0.0.tgz', { url: 'http://replica-b.test/1.0.0.tgz' }), file('first-files-1.0.0-extra.tgz')] },
        { releaseId: b!.id, artifacts: [file('first-files-2.0.0.tgz')] },
      ],
      later,
      { onlyFirst: true },
    );
    const ofA = await store.listArtifacts(a!.id);
    expect(ofA.map((x) => [x.filename, x.url, x.firstSeenAt])).toEqual([['first-files-1.0.0.tgz', 'http://replica-a.test/1.0.0.tgz', first]]);
    const [ofB] = await store.listArtifacts(b!.id);
    expect(ofB).toMatchObject({ filename: 'first-files-2.0.0.tgz', firstSeenAt: later, analysis: null });
  });

  it('appends audit entries in order and lists them by subject, actor and action, newest or oldest first, paged by id', async () => {
    const one = await store.appendAudit(entry('discovered', 'npm:demo@1.0.0', { reason: 'cooldown 72h', detail: { state: 'quarantined', n: 1 } }));
    await store.appendAuditEntries([
      entry('approve', 'npm:demo@1.0.0', { actor: 'alice', role: 'reviewer', reason: 'ok' }),
      entry('discovered', 'npm:demo_x@1.0.0'),
      entry('reject', 'pypi:100%pure@1.0', { actor: 'bob', role: 'reviewer' }),
    ]);
    await store.appendAuditEntries([]);
    expect(one).toMatchObject({ action: 'discovered', detail: { state: 'quarantined', n: 1 } });

    const newest = await store.listAudit();
    expect(newest.map((e) => e.action)).toEqual(['reject', 'discovered', 'approve', 'discovered']);
    expect(newest[3]).toEqual(one);
    const oldest = await store.listAudit({ order: 'oldest' });
    expect(oldest.map((e) => e.id)).toEqual([...newest.map((e) => e.id)].reverse());

    expect((await store.listAudit({ subject: 'demo@' })).map((e) => e.subject)).toEqual(['npm:demo@1.0.0', 'npm:demo@1.0.0']);
    // LIKE's wildcards in a subject filter are plain characters.
    expect((await store.listAudit({ subject: 'demo_' })).map((e) => e.subject)).toEqual(['npm:demo_x@1.0.0']);
    expect((await store.listAudit({ subject: '100%' })).map((e) => e.action)).toEqual(['reject']);
    expect((await store.listAudit({ actor: 'alice' })).map((e) => e.action)).toEqual(['approve']);
    expect((await store.listAudit({ action: 'discovered', order: 'oldest' })).map((e) => e.subject)).toEqual(['npm:demo@1.0.0', 'npm:demo_x@1.0.0']);

    expect((await store.listAudit({ beforeId: newest[1]!.id, limit: 1 })).map((e) => e.id)).toEqual([newest[2]!.id]);
    expect((await store.listAudit({ afterId: one.id, order: 'oldest', limit: 2 })).map((e) => e.action)).toEqual(['approve', 'discovered']);
    expect(newest[0]).toMatchObject({ at: at('2026-11-01T10:00:00Z'), actor: 'bob', role: 'reviewer', reason: null, detail: {} });
  });

  it('never skips an audit entry for a reader paging forwards while many writers append', async () => {
    const writers = await Promise.all([database.connect(), database.connect(), database.connect()]);
    let writing = true;
    const read: number[] = [];
    const reader = (async () => {
      let cursor = 0;
      for (;;) {
        const done = !writing;
        const page = await store.listAudit({ afterId: cursor, order: 'oldest', limit: 7 });
        for (const e of page) read.push(e.id);
        if (page.length > 0) cursor = page[page.length - 1]!.id;
        else if (done) return;
      }
    })();
    await Promise.all(
      writers.map(async ({ releases }, w) => {
        for (let i = 0; i < 40; i++) {
          if (i % 2) await releases.appendAudit(entry('noted', `writer:${w}`, { detail: { i } }));
          else await releases.appendAuditEntries([entry('noted', `writer:${w}`, { detail: { i } }), entry('noted', `writer:${w}`)]);
        }
      }),
    );
    writing = false;
    await reader;
    const all = (await store.listAudit({ order: 'oldest', limit: 1000 })).map((e) => e.id);
    expect(all).toHaveLength(180);
    expect(read).toEqual(all);
  });

  it('keeps cached upstream documents, replacing them whole', async () => {
    expect(await store.getDocument('npm:demo')).toBeNull();
    const body = Buffer.from([0, 1, 2, 255, 0x7b]);
    await store.putDocument('npm:demo', { body, etag: '"v1"', lastModified: null, fetchedAt: at('2026-11-01T10:00:00Z') });
    expect(await store.getDocument('npm:demo')).toEqual({ body, etag: '"v1"', lastModified: null, fetchedAt: at('2026-11-01T10:00:00Z') });
    await store.putDocument('npm:demo', { body: Buffer.from('{}'), etag: null, lastModified: 'Tue, 01 Dec 2026 10:00:00 GMT', fetchedAt: at('2026-11-02T10:00:00Z') });
    expect(await store.getDocument('npm:demo')).toEqual({
      body: Buffer.from('{}'),
      etag: null,
      lastModified: 'Tue, 01 Dec 2026 10:00:00 GMT',
      fetchedAt: at('2026-11-02T10:00:00Z'),
    });
  });

  it('writes documents given together (more than one statement holds), the last given for a key winning, readable before and after', async () => {
    const doc = (text: string) => ({ body: Buffer.from(text), etag: null, lastModified: null, fetchedAt: at('2026-11-03T10:00:00Z') });
    const keys = Array.from({ length: 40 }, (_, i) => `npm:many-${i}`);
    const writes = keys.map((key) => store.putDocument(key, doc(`{"first":"${key}"}`)));
    writes.push(store.putDocument('npm:many-7', doc('{"second":true}')));
    // Given and not yet written: read as given.
    expect((await store.getDocument('npm:many-7'))?.body.toString()).toBe('{"second":true}');
    await Promise.all(writes);
    for (const key of keys) expect((await store.getDocument(key))?.body.toString()).toBe(key === 'npm:many-7' ? '{"second":true}' : `{"first":"${key}"}`);
  });
});
