import { randomBytes } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { npmClient, type NpmClient } from '../helpers/npm-client.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';
import { adminToken, api } from '../review/review-fixtures.js';

let verdaccio: Verdaccio;
let airlock: StartedAirlock;
const clients: NpmClient[] = [];
const clock = new ManualClock();

/** A fresh project with its own npm cache, so every install asks Airlock for the tarball. */
async function install(spec: string): Promise<NpmClient> {
  const client = await npmClient(new URL('npm/', airlock.url).href);
  clients.push(client);
  const res = await client.npm(['install', spec]);
  expect(res.code, res.output).toBe(0);
  return client;
}

async function blobOf(name: string): Promise<{ key: string | null; file: string | null }> {
  const release = await airlock.store.getRelease('npm', name, '1.0.0');
  const [artifact] = await airlock.store.listArtifacts(release!.id);
  const key = artifact?.blobKey ?? null;
  return { key, file: key ? path.join(airlock.storageDir, 'blobs', 'sha256', key.slice(0, 2), key) : null };
}

const exists = (file: string) => access(file).then(() => true, () => false);
const metric = async (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(new URL('metrics', airlock.url))).text())?.[1]);

beforeAll(async () => {
  verdaccio = await startVerdaccio();
  // About 20 KB each (random bytes do not compress), so three pass a 45 KB bound and two do not.
  for (const name of ['kept-approved', 'served-first', 'served-last'])
    await verdaccio.publish({ name, version: '1.0.0', files: { 'index.js': `module.exports = ${JSON.stringify(randomBytes(20_000).toString('base64'))};\n` } });
  airlock = await startAirlock({
    clock,
    // No analysis (horizon 0); one package under a 72h cooldown, which a reviewer approves early.
    policy: 'cooldown: 0\nanalysisHorizon: 0\npackages:\n  "npm:kept-approved": { cooldown: 72h }\n',
    env: { AIRLOCK_NPM_UPSTREAM: verdaccio.url, AIRLOCK_ADMIN_TOKEN: adminToken, AIRLOCK_CACHE_MAX: '45KB' },
  });
}, 240_000);

afterAll(async () => {
  for (const c of clients) await c.remove();
  await airlock?.close();
  await verdaccio?.stop();
});

describe('a bounded artifact cache (AIRLOCK_CACHE_MAX) with the real npm client', () => {
  it('evicts the least recently served tarball when the stored bytes pass the bound, keeping an approved one served before it', async () => {
    expect((await fetch(new URL('npm/kept-approved', airlock.url))).status).toBe(200);
    const approve = await api(airlock.url, 'api/v1/releases/npm:kept-approved@1.0.0/approve', { method: 'POST', token: adminToken, body: { reason: 'vendor build' } });
    expect(approve.status).toBe(200);
    await install('kept-approved@1.0.0');
    clock.advance('1m');
    await install('served-first@1.0.0');
    clock.advance('1m');
    await install('served-last@1.0.0');
    const before = await Promise.all(['kept-approved', 'served-first', 'served-last'].map(blobOf));
    for (const b of before) expect(await exists(b.file!)).toBe(true);
    const stored = await airlock.store.storedArtifactBytes();
    expect(stored).toBeGreaterThan(45_000);
    expect(stored).toBeLessThan(45_000 * 1.5);

    await airlock.airlock.context.artifactCache!.flush();

    const [approved, first, last] = await Promise.all(['kept-approved', 'served-first', 'served-last'].map(blobOf));
    expect(first!.key).toBeNull();
    expect(await exists(before[1]!.file!)).toBe(false);
    expect(approved!.key).toBe(before[0]!.key);
    expect(await exists(approved!.file!)).toBe(true);
    expect(last!.key).toBe(before[2]!.key);
    expect(await exists(last!.file!)).toBe(true);
    expect(await metric('airlock_artifact_cache_evictions_total')).toBe(1);
    expect(await metric('airlock_artifact_cache_bytes')).toBeLessThanOrEqual(45_000);
  }, 240_000);

  it('installs the evicted package again, fetched from upstream and verified, and stores it again', async () => {
    clock.advance('1m');
    const client = await install('served-first@1.0.0');
    const installed = JSON.parse(await readFile(path.join(client.dir, 'node_modules', 'served-first', 'package.json'), 'utf8')) as { version: string };
    expect(installed.version).toBe('1.0.0');
    const again = await blobOf('served-first');
    expect(again.key).not.toBeNull();
    expect(await exists(again.file!)).toBe(true);
    // Now the most recently served: the next eviction takes the one served longest ago that may go.
    await airlock.airlock.context.artifactCache!.flush();
    expect((await blobOf('served-first')).key).not.toBeNull();
    expect((await blobOf('kept-approved')).key).not.toBeNull();
    expect((await blobOf('served-last')).key).toBeNull();
    expect(await metric('airlock_artifact_cache_evictions_total')).toBe(2);
  }, 240_000);
});
