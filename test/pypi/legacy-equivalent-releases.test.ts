import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/store/open-sqlite.js';
import { SqliteReleaseStore } from '../../src/store/sqlite-release-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { startPypiUpstream, type PypiUpstream } from '../helpers/pypi-upstream.js';
import { buildSdist, buildWheel, sha256Hex, type PythonArtifact } from '../helpers/python-artifacts.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { tempDir } from '../helpers/temp-dir.js';
import { pipClient } from './pip-client.js';

const hour = 3_600_000;
const adminToken = 'test-admin-token-0123456789';

/**
 * A store written by an Airlock that keyed PyPI releases by the spelling of their files' versions:
 * `1.2` (the sdist) and `1.2.0` (the wheel) were two releases, and a reviewer rejected only `1.2`.
 */
describe('a store that kept PEP 440 equivalent spellings apart', () => {
  const clock = new ManualClock('2026-03-24T12:00:00Z');
  const hoursAgo = (h: number) => new Date(clock.now().getTime() - h * hour);
  let storage: { dir: string; remove: () => Promise<void> };
  let upstream: PypiUpstream;
  let airlock: StartedAirlock;
  const old = buildWheel({ name: 'legacy-demo', version: '1.1' });
  const sdist = buildSdist({ name: 'legacy-demo', version: '1.2' });
  const wheel = buildWheel({ name: 'legacy-demo', version: '1.2.0' });

  beforeAll(async () => {
    storage = await tempDir('airlock-legacy-');
    upstream = await startPypiUpstream();
    for (const a of [old, sdist, wheel]) upstream.add('legacy-demo', a, { uploadedAt: a === old ? hoursAgo(2000) : hoursAgo(100) });

    const store = new SqliteReleaseStore(openSqlite(path.join(storage.dir, 'airlock.db')));
    const seenAt = hoursAgo(99);
    const observed = (version: string, artifact: PythonArtifact) => ({
      version,
      publishedAt: hoursAgo(version === '1.1' ? 2000 : 100),
      artifacts: [
        { filename: artifact.filename, url: `${upstream.url}files/legacy-demo/${artifact.filename}`, digests: { sha256: sha256Hex(artifact.bytes) }, size: artifact.bytes.length, publishedAt: hoursAgo(100) },
      ],
    });
    const entries = [observed('1.1', old), observed('1.2', sdist), observed('1.2.0', wheel)];
    const { releases } = await store.recordSeen('pypi', 'legacy-demo', entries, seenAt, () => 'skipped');
    const byVersion = new Map(releases.map((r) => [r.version, r]));
    await store.recordManyArtifacts(entries.map((e) => ({ releaseId: byVersion.get(e.version)!.id, artifacts: e.artifacts })), seenAt);
    await store.recordDecision(byVersion.get('1.2')!.id, { action: 'reject', reason: 'payload in setup.py', actor: 'alice', role: 'reviewer', decidedAt: hoursAgo(98) });
    await store.close();

    airlock = await startAirlock({
      env: { AIRLOCK_PYPI_UPSTREAM: upstream.url, AIRLOCK_INDEX_TTL: '0', AIRLOCK_ADMIN_TOKEN: adminToken },
      clock,
      storageDir: storage.dir,
    });
  });

  afterAll(async () => {
    await airlock?.close();
    await upstream?.close();
    await storage?.remove();
  });

  it('merges them into the rejected release on first read, so pip cannot install demo==1.2.0', async () => {
    const pip = await pipClient(`${airlock.url}pypi/simple/`);
    try {
      const pinned = await pip.install(['legacy-demo==1.2.0']);
      expect(pinned.code).not.toBe(0);
      expect(pinned.output).toContain('Could not find a version that satisfies the requirement legacy-demo==1.2.0 (from versions: 1.1)');
    } finally {
      await pip.remove();
    }
    const releases = await airlock.store.listReleases({ ecosystem: 'pypi', name: 'legacy-demo' });
    expect(releases.map((r) => r.version).sort()).toEqual(['1.1', '1.2']);
    const direct = await fetch(`${airlock.url}pypi/files/legacy-demo/1.2.0/${wheel.filename}`);
    expect(direct.status).toBe(403);
    expect(direct.statusText).toBe('Rejected by alice: payload in setup.py');
    const audit = await fetch(`${airlock.url}api/v1/audit?action=merged`, { headers: { authorization: `Bearer ${adminToken}` } });
    const entries = ((await audit.json()) as { entries: { subject: string; reason: string }[] }).entries;
    expect(entries).toEqual([expect.objectContaining({ subject: 'pypi:legacy-demo@1.2', reason: expect.stringContaining('pypi:legacy-demo@1.2.0 is the same version under PEP 440') })]);
  });
});
