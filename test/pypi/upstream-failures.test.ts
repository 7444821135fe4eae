import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { startPypiUpstream, type PypiUpstream } from '../helpers/pypi-upstream.js';
import { buildWheel } from '../helpers/python-artifacts.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { tempDir } from '../helpers/temp-dir.js';
import { pipClient } from './pip-client.js';

const hour = 3_600_000;
const policy = 'cooldown: 72h\nanalysisHorizon: 0\n';

describe('when upstream misbehaves', () => {
  const clock = new ManualClock('2026-03-24T12:00:00Z');
  const hoursAgo = (h: number) => new Date(clock.now().getTime() - h * hour);
  let upstream: PypiUpstream;
  let storage: { dir: string; remove: () => Promise<void> };
  let airlock: StartedAirlock;
  const start = () =>
    startAirlock({ policy, env: { AIRLOCK_PYPI_UPSTREAM: upstream.url, AIRLOCK_INDEX_TTL: '0' }, clock, storageDir: storage.dir });

  beforeAll(async () => {
    upstream = await startPypiUpstream();
    upstream.add('cached-py', buildWheel({ name: 'cached-py', version: '1.0.0' }), { uploadedAt: hoursAgo(200) });
    upstream.add('tampered-py', buildWheel({ name: 'tampered-py', version: '1.0.0' }), { uploadedAt: hoursAgo(200) });
    upstream.corrupt('tampered-py', 'tampered_py-1.0.0-py3-none-any.whl');
    storage = await tempDir('airlock-pypi-storage-');
    airlock = await start();
  });

  afterAll(async () => {
    await airlock?.close();
    await upstream?.close();
    await storage?.remove();
  });

  it('fails the install of a file whose bytes do not match the upstream sha256, and stores nothing', async () => {
    const pip = await pipClient(`${airlock.url}pypi/simple/`);
    try {
      const result = await pip.install(['tampered-py']);
      expect(result.code).not.toBe(0);
      expect(result.output).toContain('502');
    } finally {
      await pip.remove();
    }
    const res = await fetch(`${airlock.url}pypi/files/tampered-py/1.0.0/tampered_py-1.0.0-py3-none-any.whl`);
    expect(res.status).toBe(502);
    const problem = (await res.json()) as { detail: string };
    expect(problem.detail).toContain('does not match the sha256');
    const stored = await readdir(path.join(storage.dir, 'blobs'), { recursive: true }).catch(() => []);
    expect(stored.filter((f) => /[0-9a-f]{64}$/.test(f))).toEqual([]);
  });

  it('keeps installing a cached release while upstream is down, also after a restart', async () => {
    const first = await pipClient(`${airlock.url}pypi/simple/`);
    try {
      const result = await first.install(['cached-py']);
      expect(result.code, result.output).toBe(0);
    } finally {
      await first.remove();
    }

    await upstream.stop();
    clock.advance('1h');
    const second = await pipClient(`${airlock.url}pypi/simple/`);
    try {
      const result = await second.install(['cached-py']);
      expect(result.code, result.output).toBe(0);
      expect(result.output).toContain('Successfully installed cached-py-1.0.0');
    } finally {
      await second.remove();
    }

    await airlock.close();
    airlock = await start();
    const third = await pipClient(`${airlock.url}pypi/simple/`);
    try {
      const result = await third.install(['cached-py']);
      expect(result.code, result.output).toBe(0);
      expect(result.output).toContain('Successfully installed cached-py-1.0.0');
    } finally {
      await third.remove();
    }
    await upstream.start();
  });

  it('names the cause in pip\'s output and in the log when upstream is down and the project was never cached', async () => {
    await upstream.stop();
    try {
      const pip = await pipClient(`${airlock.url}pypi/simple/`);
      try {
        const result = await pip.install(['-vv', '--retries', '0', 'never-seen-py']);
        expect(result.code).not.toBe(0);
        expect(result.output).toMatch(/504 Server Error: pypi upstream unreachable \(http:\/\/127\.0\.0\.1:\d+\/simple\/never-seen-py\/\): ECONNREFUSED/);
      } finally {
        await pip.remove();
      }
      const logged = airlock.logs.find((e) => e.event === 'upstream-error' && String(e.msg).includes('never-seen-py'));
      expect(logged).toMatchObject({ level: 'warn', upstream: 'pypi', code: 'EUPSTREAMDOWN', cause: 'ECONNREFUSED' });
    } finally {
      await upstream.start();
    }
  });
});
