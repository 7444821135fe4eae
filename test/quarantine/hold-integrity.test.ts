import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { startPypiUpstream, type PypiUpstream } from '../helpers/pypi-upstream.js';
import { startScriptedNpmUpstream, type ScriptedNpmUpstream } from '../helpers/scripted-npm-upstream.js';
import { buildWheel } from '../helpers/python-artifacts.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { adminToken, api } from '../review/review-fixtures.js';
import { revalidated } from '../pypi/revalidated.js';

const day = 86_400_000;
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- documents in assertions

describe('a hold that upstream cannot shorten or keep alive', () => {
  const clock = new ManualClock('2026-06-01T12:00:00Z');
  const daysAgo = (d: number) => new Date(clock.now().getTime() - d * day);
  let npm: ScriptedNpmUpstream;
  let pypi: PypiUpstream;
  let airlock: StartedAirlock;
  /**
   * The packument once Airlock has read upstream's current revision: npm packuments are served
   * stale while revalidating, so the first read after a change may still show the last one.
   */
  const packument = async (name: string): Promise<Json> => {
    const want = `rev ${npm.revision(name)}`;
    for (let tries = 0; ; tries++) {
      const doc = (await (await fetch(`${airlock.url}npm/${name}`)).json()) as Json;
      if (doc.description === want || tries > 100) return doc;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const tarball = (name: string, version: string) => fetch(`${airlock.url}npm/${name}/-/${name}-${version}.tgz`);

  beforeAll(async () => {
    npm = await startScriptedNpmUpstream();
    pypi = await startPypiUpstream();
    airlock = await startAirlock({
      clock,
      policy: 'cooldown: 72h\nanalysisHorizon: 0\n',
      env: { AIRLOCK_NPM_UPSTREAM: npm.url, AIRLOCK_PYPI_UPSTREAM: pypi.url, AIRLOCK_INDEX_TTL: '0', AIRLOCK_ADMIN_TOKEN: adminToken },
    });
  });

  afterAll(async () => {
    await airlock?.close();
    await npm?.close();
    await pypi?.close();
  });

  afterEach(() => clock.advance('1h'));

  it('keeps holding an npm release first seen without a publish time when upstream later dates it 40 days back', async () => {
    npm.publish('late-time', { '1.0.0': daysAgo(100), '2.0.0': null });
    expect(Object.keys((await packument('late-time')).versions)).toEqual(['1.0.0']);
    clock.advance('1h');
    npm.publish('late-time', { '2.0.0': daysAgo(40) });
    const doc = await packument('late-time');
    expect(Object.keys(doc.versions)).toEqual(['1.0.0']);
    const res = await tarball('late-time', '2.0.0');
    expect(res.status).toBe(403);
    expect(((await res.json()) as Json).error).toMatch(/late-time@2\.0\.0 is quarantined until 2026-06-04T12:00Z: cooldown 72h from 2026-06-01T12:00Z, when Airlock could first have seen it/);
    clock.advance('72h');
    expect(Object.keys((await packument('late-time')).versions)).toEqual(['1.0.0', '2.0.0']);
  });

  it('holds an npm release that appears in a package Airlock already read, dated before that read, from the read', async () => {
    npm.publish('backdated', { '1.0.0': daysAgo(100) });
    expect(Object.keys((await packument('backdated')).versions)).toEqual(['1.0.0']);
    const firstRead = clock.now();
    clock.advance('2h');
    npm.publish('backdated', { '1.1.0': daysAgo(40) });
    expect(Object.keys((await packument('backdated')).versions)).toEqual(['1.0.0']);
    expect((await tarball('backdated', '1.1.0')).status).toBe(403);
    clock.set(new Date(firstRead.getTime() + 72 * 3_600_000 + 60_000));
    expect(Object.keys((await packument('backdated')).versions)).toEqual(['1.0.0', '1.1.0']);
  });

  it('still trusts publish times on a package it reads for the first time (old releases stay installable)', async () => {
    npm.publish('first-read', { '1.0.0': daysAgo(100), '1.1.0': daysAgo(10) });
    expect(Object.keys((await packument('first-read')).versions)).toEqual(['1.0.0', '1.1.0']);
    expect((await tarball('first-read', '1.1.0')).status).toBe(200);
  });

  it('keeps holding a PyPI file first listed without an upload time when upstream later dates it 40 days back', async () => {
    const wheel = buildWheel({ name: 'late-py', version: '1.0.0' });
    pypi.add('late-py', wheel, { uploadedAt: null });
    const page = async () =>
      (await (await fetch(`${airlock.url}pypi/simple/late-py/`, { headers: { accept: 'application/vnd.pypi.simple.v1+json' } })).json()) as Json;
    expect((await page()).files).toEqual([]);
    clock.advance('1h');
    pypi.remove('late-py', wheel.filename);
    pypi.add('late-py', wheel, { uploadedAt: daysAgo(40) });
    await revalidated(airlock, pypi, 'late-py');
    expect((await page()).files).toEqual([]);
    const res = await fetch(`${airlock.url}pypi/files/late-py/1.0.0/${wheel.filename}`);
    expect(res.status).toBe(403);
    clock.advance('72h');
    expect(((await page()).files as Json[]).map((f) => f.filename)).toEqual([wheel.filename]);
  });

  it('hides an early-approved npm release once upstream withdraws it, and serves it again only after a new approval', async () => {
    npm.publish('pulled', { '1.0.0': daysAgo(100), '2.0.0': daysAgo(0.1) });
    await packument('pulled');
    const approve = (reason: string) =>
      api(airlock.url, 'api/v1/releases/npm:pulled@2.0.0/approve', { method: 'POST', token: adminToken, body: { reason } });
    expect((await approve('hotfix we need today')).status).toBe(200);
    const served = await tarball('pulled', '2.0.0');
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(npm.tarball('pulled', '2.0.0'))).toBe(true);

    clock.advance('1h');
    npm.unpublish('pulled', '2.0.0');
    expect(Object.keys((await packument('pulled')).versions)).toEqual(['1.0.0']);
    const refused = await tarball('pulled', '2.0.0');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as Json).error).toContain('pulled@2.0.0 was withdrawn upstream after admin approved it early; a reviewer may approve it again');

    clock.advance('1h');
    expect((await approve('checked the takedown: it was a mistake upstream')).status).toBe(200);
    expect((await tarball('pulled', '2.0.0')).status).toBe(200);
  });
});
