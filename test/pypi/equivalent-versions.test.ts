import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { startPypiUpstream, type PypiUpstream } from '../helpers/pypi-upstream.js';
import { buildSdist, buildWheel } from '../helpers/python-artifacts.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { pipClient } from './pip-client.js';

const hour = 3_600_000;
const adminToken = 'test-admin-token-0123456789';

/** `1.2` and `1.2.0` are one version to pip (PEP 440 compares release segments padded with zeros). */
describe('PEP 440 equivalent spellings of one version', () => {
  const clock = new ManualClock('2026-03-24T12:00:00Z');
  const hoursAgo = (h: number) => new Date(clock.now().getTime() - h * hour);
  let upstream: PypiUpstream;
  let airlock: StartedAirlock;
  let index: string;
  const wheel = buildWheel({ name: 'demo', version: '1.2.0' });

  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(new URL(`api/v1/${path}`, airlock.url), {
      ...init,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', ...init.headers },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    upstream = await startPypiUpstream();
    upstream.add('demo', buildWheel({ name: 'demo', version: '1.1' }), { uploadedAt: hoursAgo(2000) });
    // One release, two spellings: the sdist says 1.2, the wheel 1.2.0.
    upstream.add('demo', buildSdist({ name: 'demo', version: '1.2' }), { uploadedAt: hoursAgo(1) });
    upstream.add('demo', wheel, { uploadedAt: hoursAgo(1) });
    airlock = await startAirlock({
      env: { AIRLOCK_PYPI_UPSTREAM: upstream.url, AIRLOCK_INDEX_TTL: '0', AIRLOCK_ADMIN_TOKEN: adminToken },
      clock,
    });
    index = `${airlock.url}pypi/simple/`;
  });

  afterAll(async () => {
    await airlock?.close();
    await upstream?.close();
  });

  it('records the files of 1.2 and 1.2.0 as one release', async () => {
    await fetch(`${index}demo/`);
    await airlock.airlock.analysis.idle();
    const releases = await airlock.store.listReleases({ ecosystem: 'pypi', name: 'demo' });
    expect(releases.map((r) => r.version).sort()).toEqual(['1.1', '1.2']);
    const release = await api('releases/pypi:demo@1.2');
    expect((release.body.artifacts as { filename: string }[]).map((a) => a.filename).sort()).toEqual([wheel.filename, 'demo-1.2.tar.gz']);
  });

  it('a rejection of pypi:demo@1.2 keeps pip from installing demo==1.2.0, and a direct URL says why', async () => {
    const rejected = await api('releases/pypi:demo@1.2/reject', { method: 'POST', body: JSON.stringify({ reason: 'typosquat payload' }) });
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(200);
    // Past the cooldown, nothing but the rejection holds either file.
    clock.advance('73h');
    const pip = await pipClient(index);
    try {
      const pinned = await pip.install(['demo==1.2.0']);
      expect(pinned.code).not.toBe(0);
      expect(pinned.output).toContain('Could not find a version that satisfies the requirement demo==1.2.0 (from versions: 1.1)');
      const direct = await pip.download([`${airlock.url}pypi/files/demo/1.2.0/${wheel.filename}`]);
      expect(direct.code).not.toBe(0);
      expect(direct.output).toContain('403 Client Error: Rejected by admin: typosquat payload for url');
    } finally {
      await pip.remove();
    }
    const sdist = await fetch(`${airlock.url}pypi/files/demo/1.2/demo-1.2.tar.gz`);
    expect(sdist.status).toBe(403);
    expect(((await sdist.json()) as { detail: string }).detail).toContain('pypi:demo@1.2 was rejected by admin: typosquat payload');
  });
});
