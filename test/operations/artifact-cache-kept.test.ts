import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { startScriptedNpmUpstream, type ScriptedNpmUpstream } from '../helpers/scripted-npm-upstream.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';

const day = 86_400_000;
const clock = new ManualClock('2026-06-01T12:00:00Z');
let npm: ScriptedNpmUpstream;
let airlock: StartedAirlock;

async function blobKeyOf(name: string, version: string): Promise<string | null> {
  const release = await airlock.store.getRelease('npm', name, version);
  return (await airlock.store.listArtifacts(release!.id))[0]?.blobKey ?? null;
}

beforeAll(async () => {
  npm = await startScriptedNpmUpstream();
  const old = new Date(clock.now().getTime() - 100 * day);
  npm.publish('gone', { '1.0.0': old, '1.1.0': old });
  npm.publish('plain', { '1.0.0': old });
  // A bound of one byte: everything that may be evicted is.
  airlock = await startAirlock({ clock, policy: 'cooldown: 72h\nanalysisHorizon: 0\n', env: { AIRLOCK_NPM_UPSTREAM: npm.url, AIRLOCK_CACHE_MAX: '1' } });
});

afterAll(async () => {
  await airlock?.close();
  await npm?.close();
});

describe('the artifact cache under AIRLOCK_CACHE_MAX', () => {
  it('keeps the tarball of a release upstream withdrew (it cannot be fetched again), and evicts the rest', async () => {
    for (const [name, version] of [['gone', '1.0.0'], ['gone', '1.1.0'], ['plain', '1.0.0']] as const)
      expect((await fetch(`${airlock.url}npm/${name}/-/${name}-${version}.tgz`)).status).toBe(200);
    npm.unpublish('gone', '1.0.0');
    clock.advance('2m'); // past the index TTL: the next read asks upstream again
    expect((await fetch(`${airlock.url}npm/gone`)).status).toBe(200);
    expect((await airlock.store.getRelease('npm', 'gone', '1.0.0'))!.withdrawnAt).not.toBeNull();

    await airlock.airlock.context.artifactCache!.flush();
    expect(await blobKeyOf('gone', '1.0.0')).not.toBeNull();
    expect(await blobKeyOf('gone', '1.1.0')).toBeNull();
    expect(await blobKeyOf('plain', '1.0.0')).toBeNull();
    // Withdrawn releases are refused to clients, but their bytes stay for a reviewer to read or approve again.
    const pinned = await fetch(`${airlock.url}npm/gone/-/gone-1.0.0.tgz`);
    expect(pinned.status).toBe(403);
    // Evicted ones are fetched again from upstream on request.
    const before = npm.requests.filter((p) => p === '/plain/-/plain-1.0.0.tgz').length;
    const again = await fetch(`${airlock.url}npm/plain/-/plain-1.0.0.tgz`);
    expect(again.status).toBe(200);
    expect(Buffer.from(await again.arrayBuffer()).equals(npm.tarball('plain', '1.0.0'))).toBe(true);
    expect(npm.requests.filter((p) => p === '/plain/-/plain-1.0.0.tgz').length).toBe(before + 1);
  });
});
