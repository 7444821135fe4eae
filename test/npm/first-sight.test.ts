import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { npmClient, type NpmClient } from '../helpers/npm-client.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';
import { startUpstreamProxy, type UpstreamProxy } from './upstream-proxy.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- documents in assertions

const day = 86_400_000;

// Verdaccio stamps releases with the real time; Airlock's clock runs 10 days ahead, so every
// release here is 10 days old: past the default 72h cooldown, inside the 30d analysis horizon.
// The x.0.0 releases are trusted by age (a per-release horizon of 0), as an old release would be.
const policy = [
  'cooldown: 72h',
  'analysisHorizon: 30d',
  'packages:',
  '  "npm:demo-lib@1.0.0": { analysisHorizon: 0 }',
  '  "npm:hooked-lib@1.0.0": { analysisHorizon: 0 }',
  '  "npm:slow-lib@1.0.0": { analysisHorizon: 0 }',
  '',
].join('\n');

let verdaccio: Verdaccio;
let proxy: UpstreamProxy;
let airlock: StartedAirlock;
const clients: NpmClient[] = [];

async function client(registry: string): Promise<NpmClient> {
  const c = await npmClient(registry);
  clients.push(c);
  return c;
}

async function installedVersion(c: NpmClient, name: string): Promise<string> {
  return (JSON.parse(await readFile(path.join(c.dir, 'node_modules', name, 'package.json'), 'utf8')) as Json).version as string;
}

describe('first sight: a fresh Airlock resolves what a direct install would', () => {
  beforeAll(async () => {
    verdaccio = await startVerdaccio();
    await verdaccio.publish({ name: 'demo-lib', version: '1.0.0' });
    await verdaccio.publish({ name: 'demo-lib', version: '1.1.0', files: { 'index.js': 'module.exports = (a, b) => a + b;\n' } });
    await verdaccio.publish({ name: 'hooked-lib', version: '1.0.0' });
    await verdaccio.publish({ name: 'hooked-lib', version: '1.1.0', manifest: { scripts: { postinstall: 'node collect.js' } }, files: { 'index.js': '1;\n', 'collect.js': '1;\n' } });
    await verdaccio.publish({ name: 'slow-lib', version: '1.0.0' });
    await verdaccio.publish({ name: 'slow-lib', version: '1.1.0', files: { 'index.js': 'module.exports = 2;\n' } });
    proxy = await startUpstreamProxy(verdaccio.url);
    airlock = await startAirlock({ clock: new ManualClock(new Date(Date.now() + 10 * day)), policy, env: { AIRLOCK_NPM_UPSTREAM: proxy.url } });
  }, 180_000);

  afterAll(async () => {
    for (const c of clients) await c.remove();
    await airlock?.close();
    await proxy?.close();
    await verdaccio?.stop();
  });

  it('npm install demo-lib installs 1.1.0 (10 days old, clean), not 1.0.0, and the lockfile names it', async () => {
    const c = await client(new URL('npm/', airlock.url).href);
    const res = await c.npm(['install', 'demo-lib']);
    expect(res.code, res.output).toBe(0);
    expect(await installedVersion(c, 'demo-lib')).toBe('1.1.0');
    const lock = JSON.parse(await readFile(path.join(c.dir, 'package-lock.json'), 'utf8')) as Json;
    expect(lock.packages['node_modules/demo-lib'].version).toBe('1.1.0');
    const release = await airlock.store.getRelease('npm', 'demo-lib', '1.1.0');
    expect(release?.analysis).toBe('done');
  });

  it('holds hooked-lib 1.1.0, whose analysis found a new postinstall, and npm prints why when asked for it', async () => {
    const c = await client(new URL('npm/', airlock.url).href);
    const res = await c.npm(['install', 'hooked-lib']);
    expect(res.code, res.output).toBe(0);
    expect(await installedVersion(c, 'hooked-lib')).toBe('1.0.0');

    const pinned = await c.npm(['install', 'hooked-lib@1.1.0']);
    expect(pinned.code).not.toBe(0);
    expect(pinned.output).toContain('npm:hooked-lib@1.1.0 is awaiting review: the analyzer reported');
    expect(pinned.output).toContain('install-script-added');
  });

  it('past AIRLOCK_FIRST_SIGHT_WAIT npm fails naming the release still being analyzed, and installs it once the analysis is done', async () => {
    // The candidate's tarball takes 15 s to arrive; this Airlock waits 1 s.
    proxy.delay('/slow-lib/-/slow-lib-1.1.0.tgz', 15_000);
    const impatient = await startAirlock({
      clock: new ManualClock(new Date(Date.now() + 10 * day)),
      policy,
      env: { AIRLOCK_NPM_UPSTREAM: proxy.url, AIRLOCK_FIRST_SIGHT_WAIT: '1s' },
    });
    try {
      const c = await client(new URL('npm/', impatient.url).href);
      const res = await c.npm(['install', 'slow-lib']);
      expect(res.code).not.toBe(0);
      expect(res.output).toContain('503 Analysis of npm:slow-lib@1.1.0 still running, retry in a few seconds');
      expect(res.output).toContain('the analysis of npm:slow-lib@1.1.0 is still running (Airlock waited 1s); retry in a few seconds');
      const direct = await fetch(new URL('npm/slow-lib', impatient.url));
      expect(direct.status).toBe(503);
      expect(direct.headers.get('retry-after')).toBe('5');

      await impatient.airlock.analysis.idle();
      const again = await c.npm(['install', 'slow-lib']);
      expect(again.code, again.output).toBe(0);
      expect(await installedVersion(c, 'slow-lib')).toBe('1.1.0');
    } finally {
      await impatient.close();
    }
  });
});
