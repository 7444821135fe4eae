import { mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { startScriptedNpmUpstream, type ScriptedNpmUpstream } from '../helpers/scripted-npm-upstream.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { tempDir } from '../helpers/temp-dir.js';
import { adminToken, api } from '../review/review-fixtures.js';

const day = 86_400_000;

async function blobFiles(storageDir: string): Promise<string[]> {
  const root = path.join(storageDir, 'blobs', 'sha256');
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('stored artifacts that go bad, and downloads that never finish', () => {
  const clock = new ManualClock('2026-06-01T12:00:00Z');
  let npm: ScriptedNpmUpstream;
  let storage: { dir: string; remove: () => Promise<void> };
  let airlock: StartedAirlock | undefined;
  const start = (env: Record<string, string> = {}) =>
    startAirlock({
      clock,
      storageDir: storage.dir,
      policy: 'cooldown: 72h\nanalysisHorizon: 0\n',
      env: { AIRLOCK_NPM_UPSTREAM: npm.url, AIRLOCK_ADMIN_TOKEN: adminToken, ...env },
    });

  beforeAll(async () => {
    npm = await startScriptedNpmUpstream();
    storage = await tempDir('airlock-stored-bytes-');
  });

  afterAll(async () => {
    await airlock?.close();
    await npm?.close();
    await storage?.remove();
  });

  it('checks a stored tarball against its digest when first read after a restart, and fetches it again when it no longer matches', async () => {
    npm.publish('rot', { '1.0.0': new Date(clock.now().getTime() - 100 * day) });
    airlock = await start();
    const url = () => `${airlock!.url}npm/rot/-/rot-1.0.0.tgz`;
    expect((await fetch(url())).status).toBe(200);
    const [blob] = await blobFiles(storage.dir);
    expect(blob).toBeDefined();
    await airlock.close();

    // The disk changes under a stopped Airlock: same length, different bytes.
    const bytes = await readFile(blob!);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    await writeFile(blob!, bytes);
    const fetchesBefore = npm.requests.filter((p) => p.endsWith('.tgz')).length;

    airlock = await start();
    const res = await fetch(url());
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(npm.tarball('rot', '1.0.0'))).toBe(true);
    expect(npm.requests.filter((p) => p.endsWith('.tgz')).length).toBe(fetchesBefore + 1);
    expect((await readFile(blob!)).equals(npm.tarball('rot', '1.0.0'))).toBe(true);
    await airlock.close();
    airlock = undefined;
  });

  it('removes the temp files of downloads a killed process left behind, and only old ones', async () => {
    const tmp = path.join(storage.dir, 'blobs', 'tmp');
    await mkdir(tmp, { recursive: true });
    const orphan = path.join(tmp, 'killed-mid-download');
    const inFlight = path.join(tmp, 'another-replica-writing');
    await writeFile(orphan, 'half a tarball');
    await writeFile(inFlight, 'being written');
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    await utimes(orphan, twoHoursAgo, twoHoursAgo);
    airlock = await start();
    await until(async () => ((await stat(orphan).catch(() => null)) ? undefined : true), 'the orphan to be removed');
    expect(await stat(inFlight).catch(() => null)).not.toBeNull();
    await airlock.close();
    airlock = undefined;
  });

  it('turns an analysis whose artifacts upstream keeps refusing into an analysis-error a reviewer sees', async () => {
    npm.publish('refused', { '1.0.0': new Date(clock.now().getTime() - 100 * day), '1.1.0': new Date(clock.now().getTime() - 3_600_000) });
    npm.refuseTarballs('refused');
    airlock = await startAirlock({
      clock,
      policy: 'cooldown: 72h\nanalysisHorizon: 30d\n',
      env: {
        AIRLOCK_NPM_UPSTREAM: npm.url,
        AIRLOCK_ADMIN_TOKEN: adminToken,
        AIRLOCK_ANALYSIS_RETRY_DELAY: '20ms',
        AIRLOCK_ANALYSIS_FETCH_ATTEMPTS: '3',
      },
    });
    await fetch(`${airlock.url}npm/refused`);
    const release = await until(async () => {
      const r = await airlock!.store.getRelease('npm', 'refused', '1.1.0');
      return r?.analysis === 'done' ? r : undefined;
    }, 'the analysis to give up');
    expect(release.findings).toHaveLength(1);
    expect(release.findings[0]).toMatchObject({ kind: 'analysis-error', severity: 'high' });
    expect(release.findings[0]!.message).toMatch(/could not be fetched from upstream after 3 attempts/);
    const tarballFetches = npm.requests.filter((p) => p === '/refused/-/refused-1.1.0.tgz').length;
    expect(tarballFetches).toBeGreaterThanOrEqual(3);
    clock.advance('73h');
    const shown = await api(airlock.url, 'api/v1/releases/npm:refused@1.1.0', { token: adminToken });
    expect((shown.body as { state: string }).state).toBe('awaiting-review');
  });
});
