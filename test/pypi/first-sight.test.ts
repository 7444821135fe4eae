import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { startPypiUpstream, type PypiUpstream } from '../helpers/pypi-upstream.js';
import { buildWheel } from '../helpers/python-artifacts.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { pipClient } from './pip-client.js';

const hour = 3_600_000;
// The default policy: 72h cooldown, 30d analysis horizon.
const policy = 'cooldown: 72h\nanalysisHorizon: 30d\n';

describe('first sight through pip: a fresh Airlock resolves what a direct install would', () => {
  const clock = new ManualClock('2026-03-24T12:00:00Z');
  const hoursAgo = (h: number) => new Date(clock.now().getTime() - h * hour);
  let upstream: PypiUpstream;
  let airlock: StartedAirlock;

  beforeAll(async () => {
    upstream = await startPypiUpstream();
    // x.0.0 releases are months old (trusted by age); the 1.1.0 releases are 10 days old.
    for (const name of ['demo-py', 'hooked-py', 'slow-py']) upstream.add(name, buildWheel({ name, version: '1.0.0' }), { uploadedAt: hoursAgo(2000) });
    upstream.add('demo-py', buildWheel({ name: 'demo-py', version: '1.1.0', files: { 'demo_py/add.py': 'def add(a, b):\n    return a + b\n' } }), { uploadedAt: hoursAgo(240) });
    upstream.add('hooked-py', buildWheel({ name: 'hooked-py', version: '1.1.0', files: { 'hooked_init.pth': 'import os; os.getcwd()\n' } }), { uploadedAt: hoursAgo(240) });
    upstream.add('slow-py', buildWheel({ name: 'slow-py', version: '1.1.0' }), { uploadedAt: hoursAgo(240), delayMs: 15_000 });
    airlock = await startAirlock({ policy, clock, env: { AIRLOCK_PYPI_UPSTREAM: upstream.url } });
  });

  afterAll(async () => {
    await airlock?.close();
    await upstream?.close();
  });

  it('pip download demo-py gets the 1.1.0 wheel (10 days old, clean), not 1.0.0', async () => {
    const pip = await pipClient(`${airlock.url}pypi/simple/`);
    try {
      const res = await pip.download(['demo-py']);
      expect(res.code, res.output).toBe(0);
      expect(await readdir(pip.downloads)).toEqual(['demo_py-1.1.0-py3-none-any.whl']);
    } finally {
      await pip.remove();
    }
  });

  it('holds hooked-py 1.1.0, whose analysis found a .pth that imports, and pip prints why when it asks for the file', async () => {
    const pip = await pipClient(`${airlock.url}pypi/simple/`);
    try {
      const res = await pip.download(['hooked-py']);
      expect(res.code, res.output).toBe(0);
      expect(await readdir(pip.downloads)).toEqual(['hooked_py-1.0.0-py3-none-any.whl']);
      const direct = await pip.download([`${airlock.url}pypi/files/hooked-py/1.1.0/hooked_py-1.1.0-py3-none-any.whl`]);
      expect(direct.code).not.toBe(0);
      expect(direct.output).toContain('403 Client Error: Awaiting review');
    } finally {
      await pip.remove();
    }
    const problem = (await (await fetch(`${airlock.url}pypi/files/hooked-py/1.1.0/hooked_py-1.1.0-py3-none-any.whl`)).json()) as { detail: string };
    expect(problem.detail).toContain('pypi:hooked-py@1.1.0 is awaiting review: the analyzer reported pth-exec-added');
  });

  it('past AIRLOCK_FIRST_SIGHT_WAIT pip never falls back to 1.0.0: the page is a 503 and the file a 504 naming the release', async () => {
    const impatient = await startAirlock({ policy, clock, env: { AIRLOCK_PYPI_UPSTREAM: upstream.url, AIRLOCK_FIRST_SIGHT_WAIT: '1s' } });
    const pip = await pipClient(`${impatient.url}pypi/simple/`);
    try {
      // The wheel takes 15 s to arrive from upstream; this Airlock waits 1 s.
      const res = await pip.download(['slow-py']);
      expect(res.code).not.toBe(0);
      expect(res.output).not.toContain('slow_py-1.0.0');

      const direct = await pip.download([`${impatient.url}pypi/files/slow-py/1.1.0/slow_py-1.1.0-py3-none-any.whl`]);
      expect(direct.code).not.toBe(0);
      expect(direct.output).toContain('504 Server Error: Analysis of pypi:slow-py@1.1.0 still running, retry in a few seconds');

      const page = await fetch(`${impatient.url}pypi/simple/slow-py/`);
      expect(page.status).toBe(503);
      expect(page.statusText).toBe('Analysis of pypi:slow-py@1.1.0 still running, retry in a few seconds');
      expect(page.headers.get('retry-after')).toBe('5');
      expect(((await page.json()) as { detail: string }).detail).toBe('the analysis of pypi:slow-py@1.1.0 is still running (Airlock waited 1s); retry in a few seconds');

      await impatient.airlock.analysis.idle();
      const again = await pip.download(['slow-py']);
      expect(again.code, again.output).toBe(0);
      expect(await readdir(pip.downloads)).toEqual(['slow_py-1.1.0-py3-none-any.whl']);
    } finally {
      await pip.remove();
      await impatient.close();
    }
  });
});
