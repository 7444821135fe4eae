import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { startPypiUpstream, type PypiUpstream } from '../helpers/pypi-upstream.js';
import { buildSdist, buildWheel, sha256Hex } from '../helpers/python-artifacts.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { poetryClient, type PoetryClient } from './poetry-client.js';

const hour = 3_600_000;

describe('poetry through Airlock', () => {
  const clock = new ManualClock('2026-03-24T12:00:00Z');
  const hoursAgo = (h: number) => new Date(clock.now().getTime() - h * hour);
  let upstream: PypiUpstream;
  let airlock: StartedAirlock;
  let client: PoetryClient;
  const released = buildWheel({ name: 'Demo.Py', version: '1.0.0' });

  beforeAll(async () => {
    upstream = await startPypiUpstream();
    upstream.add('Demo.Py', released, { uploadedAt: hoursAgo(400) });
    upstream.add('Demo.Py', buildSdist({ name: 'Demo.Py', version: '1.0.0' }), { uploadedAt: hoursAgo(400) });
    upstream.add('Demo.Py', buildWheel({ name: 'Demo.Py', version: '1.1.0' }), { uploadedAt: hoursAgo(2) });
    airlock = await startAirlock({
      policy: 'cooldown: 72h\nanalysisHorizon: 0\n',
      env: { AIRLOCK_PYPI_UPSTREAM: upstream.url, AIRLOCK_INDEX_TTL: '0' },
      clock,
    });
    client = await poetryClient(`${airlock.url}pypi/simple/`);
  });

  afterAll(async () => {
    await client?.remove();
    await airlock?.close();
    await upstream?.close();
  });

  it('locks and installs the released demo-py 1.0.0, not the held 1.1.0', async () => {
    await client.setDependencies({ 'demo-py': '*' });
    const lock = await client.poetry(['lock']);
    expect(lock.code, lock.output).toBe(0);
    const lockfile = await readFile(path.join(client.dir, 'poetry.lock'), 'utf8');
    expect(lockfile).toMatch(/name = "demo-py"\nversion = "1\.0\.0"/);
    expect(lockfile).toContain(sha256Hex(released.bytes));
    expect(lockfile).not.toContain('1.1.0');

    const install = await client.poetry(['install', '--no-root']);
    expect(install.code, install.output).toBe(0);
    expect(install.output).toMatch(/Installing demo-py \(1\.0\.0\)/);
    const [python] = await readdir(path.join(client.dir, '.venv', 'lib'));
    const init = await readFile(path.join(client.dir, '.venv', 'lib', python!, 'site-packages', 'demo_py', '__init__.py'), 'utf8');
    expect(init).toContain('"1.0.0"');
  });

  it('fails to resolve a pin to the held 1.1.0', async () => {
    await client.setDependencies({ 'demo-py': '1.1.0' });
    const lock = await client.poetry(['lock']);
    expect(lock.code).not.toBe(0);
    expect(lock.output).toMatch(/demo-py \(1\.1\.0\)[\s\S]*doesn't match any versions/);
  });
});
