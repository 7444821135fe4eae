import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { startPypiUpstream, type PypiUpstream } from '../helpers/pypi-upstream.js';
import { buildSdist, buildWheel } from '../helpers/python-artifacts.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { pipClient } from './pip-client.js';
import { revalidated } from './revalidated.js';

const hour = 3_600_000;

describe('pip through Airlock', () => {
  const clock = new ManualClock('2026-03-24T12:00:00Z');
  const hoursAgo = (h: number) => new Date(clock.now().getTime() - h * hour);
  let upstream: PypiUpstream;
  let airlock: StartedAirlock;
  let index: string;
  // pip prefers the higher build number among wheels of one version and tag.
  const lateWheel = buildWheel({ name: 'Demo.Py', version: '1.0.0', build: 1 });

  beforeAll(async () => {
    upstream = await startPypiUpstream();
    upstream.add('Demo.Py', buildWheel({ name: 'Demo.Py', version: '1.0.0', requiresPython: '>=3.8' }), { uploadedAt: hoursAgo(400), requiresPython: '>=3.8' });
    upstream.add('Demo.Py', buildSdist({ name: 'Demo.Py', version: '1.0.0' }), { uploadedAt: hoursAgo(400) });
    upstream.add('Demo.Py', buildWheel({ name: 'Demo.Py', version: '1.1.0' }), { uploadedAt: hoursAgo(2) });
    airlock = await startAirlock({
      policy: 'cooldown: 72h\nanalysisHorizon: 0\n',
      env: { AIRLOCK_PYPI_UPSTREAM: upstream.url, AIRLOCK_INDEX_TTL: '0' },
      clock,
    });
    index = `${airlock.url}pypi/simple/`;
  });

  afterAll(async () => {
    await airlock?.close();
    await upstream?.close();
  });

  it('installs demo-py 1.0.0, uploaded 400h ago, and reads its dependencies from the .metadata file', async () => {
    const pip = await pipClient(index);
    try {
      const result = await pip.install(['demo-py']);
      expect(result.code, result.output).toBe(0);
      expect(result.output).toContain(`Obtaining dependency information for demo-py from ${airlock.url}pypi/files/demo-py/1.0.0/demo_py-1.0.0-py3-none-any.whl.metadata`);
      expect(result.output).toContain('Successfully installed demo-py-1.0.0');
      const init = await readFile(path.join(pip.target, 'demo_py', '__init__.py'), 'utf8');
      expect(init).toContain('"1.0.0"');
    } finally {
      await pip.remove();
    }
  });

  it('does not choose demo-py 1.1.0, uploaded 2h ago, and a pin to it fails with pip\'s message', async () => {
    const pip = await pipClient(index);
    try {
      const result = await pip.install(['demo-py==1.1.0']);
      expect(result.code).not.toBe(0);
      expect(result.output).toContain('Could not find a version that satisfies the requirement demo-py==1.1.0 (from versions: 1.0.0)');
    } finally {
      await pip.remove();
    }
  });

  it('refuses a direct URL to the held wheel with 403 and the reason', async () => {
    const url = `${airlock.url}pypi/files/demo-py/1.1.0/demo_py-1.1.0-py3-none-any.whl`;
    const pip = await pipClient(index);
    try {
      const result = await pip.download([url]);
      expect(result.code).not.toBe(0);
      expect(result.output).toContain('403 Client Error: Quarantined until 2026-03-27T10:00Z');
    } finally {
      await pip.remove();
    }
    const res = await fetch(url);
    expect(res.status).toBe(403);
    expect(res.statusText).toBe('Quarantined until 2026-03-27T10:00Z');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem = (await res.json()) as { title: string; detail: string };
    expect(problem.title).toBe('Quarantined until 2026-03-27T10:00Z');
    expect(problem.detail).toContain('pypi:demo-py@1.1.0 is quarantined until 2026-03-27T10:00Z');
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(403);
    const metadata = await fetch(`${url}.metadata`);
    expect(metadata.status).toBe(403);
  });

  it('holds a wheel added late to the old 1.0.0 release on its own clock', async () => {
    upstream.add('Demo.Py', lateWheel, { uploadedAt: clock.now() });
    await revalidated(airlock, upstream, 'demo-py');
    const pip = await pipClient(index);
    try {
      const result = await pip.download(['demo-py==1.0.0']);
      expect(result.code, result.output).toBe(0);
      expect(await readdir(pip.downloads)).toEqual(['demo_py-1.0.0-py3-none-any.whl']);
    } finally {
      await pip.remove();
    }
    const res = await fetch(`${airlock.url}pypi/files/demo-py/1.0.0/${lateWheel.filename}`);
    expect(res.status).toBe(403);
    expect(res.statusText).toBe('Quarantined until 2026-03-27T12:00Z');
  });

  it('follows the redirect from a non-normalised project URL and installs', async () => {
    const pip = await pipClient(index);
    try {
      // pip normalises requirement names itself; a find-links URL is fetched as written.
      const result = await pip.install(['--no-index', '--find-links', `${airlock.url}pypi/simple/Demo_PY`, 'demo-py']);
      expect(result.code, result.output).toBe(0);
      expect(result.output).toContain('Successfully installed demo-py-1.0.0');
    } finally {
      await pip.remove();
    }
  });

  it('installs demo-py 1.1.0 once the clock passes its 72h cooldown', async () => {
    clock.advance('71h');
    const pip = await pipClient(index);
    try {
      const result = await pip.install(['demo-py==1.1.0']);
      expect(result.code, result.output).toBe(0);
      expect(result.output).toContain('Successfully installed demo-py-1.1.0');
      const download = await pip.download(['demo-py==1.1.0']);
      expect(download.code, download.output).toBe(0);
      expect(await readdir(pip.downloads)).toEqual(['demo_py-1.1.0-py3-none-any.whl']);
      // The late wheel of 1.0.0 is still 1h short of its own cooldown.
      const old = await pip.download(['demo-py==1.0.0']);
      expect(old.code, old.output).toBe(0);
      expect(await readdir(pip.downloads)).toContain('demo_py-1.0.0-py3-none-any.whl');
    } finally {
      await pip.remove();
    }
  });

  it('chooses the late wheel of 1.0.0 once its own cooldown is over', async () => {
    clock.advance('1h');
    const pip = await pipClient(index);
    try {
      const result = await pip.download(['demo-py==1.0.0']);
      expect(result.code, result.output).toBe(0);
      expect(await readdir(pip.downloads)).toEqual([lateWheel.filename]);
    } finally {
      await pip.remove();
    }
  });
});
