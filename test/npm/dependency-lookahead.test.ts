import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';
import { startUpstreamProxy, type UpstreamProxy } from './upstream-proxy.js';

const day = 86_400_000;

// Airlock's clock runs 10 days ahead of Verdaccio's stamps: every release here is past the 72h
// cooldown and inside the 30d analysis horizon, so each one read is analyzed on first sight. top-lib,
// whose odd dependencies an analysis would hold for review, is trusted by age, as an old release is.
const policy = ['cooldown: 72h', 'analysisHorizon: 30d', 'internal: ["npm:@acme/*"]', 'packages:', '  "npm:top-lib@1.0.0": { analysisHorizon: 0 }', ''].join('\n');

let verdaccio: Verdaccio;
const started: { airlock: StartedAirlock; proxy: UpstreamProxy }[] = [];

/** A fresh Airlock (its own upstream proxy, to count what it asks upstream) with this lookahead depth. */
async function airlockWithDepth(depth: number | null): Promise<{ airlock: StartedAirlock; proxy: UpstreamProxy }> {
  const proxy = await startUpstreamProxy(verdaccio.url);
  const env: Record<string, string> = { AIRLOCK_NPM_UPSTREAM: proxy.url };
  if (depth !== null) env.AIRLOCK_LOOKAHEAD_DEPTH = String(depth);
  const airlock = await startAirlock({ clock: new ManualClock(new Date(Date.now() + 10 * day)), policy, env });
  const one = { airlock, proxy };
  started.push(one);
  return one;
}

/** Reads the packument as npm does, then waits for what that started (reads ahead and their analyses). */
async function readAsNpm(airlock: StartedAirlock, name: string): Promise<void> {
  const res = await fetch(new URL(`npm/${name}`, airlock.url), { headers: { accept: 'application/vnd.npm.install-v1+json' } });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
  await airlock.airlock.backgroundIdle();
  await airlock.airlock.analysis.idle();
}

/** The packuments this Airlock asked upstream for, by package name. */
function packumentsAsked(proxy: UpstreamProxy): Set<string> {
  return new Set(
    proxy.requests
      .map((r) => decodeURIComponent(r.url.split('?')[0]!.slice(1)))
      .filter((p) => !p.includes('/-/')),
  );
}

describe('npm dependency lookahead: the packuments npm will ask for next are read (and analyzed) before it asks', () => {
  beforeAll(async () => {
    verdaccio = await startVerdaccio();
    await verdaccio.publish({
      name: 'top-lib',
      version: '1.0.0',
      manifest: {
        dependencies: {
          'mid-lib': '^1.0.0',
          '@acme/secret': '^1.0.0',
          'from-git': 'github:someone/from-git',
          'from-file': 'file:../from-file',
          aliased: 'npm:alias-target@^1.0.0',
          '../escape': '^1.0.0',
          'with space': '^1.0.0',
        },
        peerDependencies: { 'peer-lib': '^1.0.0', 'optional-peer': '^1.0.0' },
        peerDependenciesMeta: { 'optional-peer': { optional: true } },
        optionalDependencies: { 'platform-build': '^1.0.0' },
      },
    });
    await verdaccio.publish({ name: 'mid-lib', version: '1.0.0', manifest: { dependencies: { 'leaf-lib': '^2.0.0' } } });
    await verdaccio.publish({ name: 'leaf-lib', version: '2.0.0', manifest: { dependencies: { 'two-dep': '^1.0.0' } } });
    await verdaccio.publish({ name: 'leaf-lib', version: '3.0.0', manifest: { dependencies: { 'three-dep': '^1.0.0' } } });
  }, 180_000);

  afterAll(async () => {
    for (const { airlock, proxy } of started) {
      await airlock.close();
      await proxy.close();
    }
    await verdaccio?.stop();
  });

  it('reads two levels ahead by default, records their releases and runs their analyses without a client asking', async () => {
    const { airlock, proxy } = await airlockWithDepth(null);
    await readAsNpm(airlock, 'top-lib');
    const asked = packumentsAsked(proxy);
    expect(asked).toContain('mid-lib');
    expect(asked).toContain('leaf-lib');
    // The third level is the client's to ask for.
    expect(asked).not.toContain('two-dep');
    const mid = await airlock.store.getRelease('npm', 'mid-lib', '1.0.0');
    expect(mid?.analysis).toBe('done');
    const leaf = await airlock.store.getRelease('npm', 'leaf-lib', '2.0.0');
    expect(leaf?.analysis).toBe('done');
    // top-lib 1.0.0, trusted by age, has its tarball recorded for the download that will follow.
    const top = await airlock.store.getRelease('npm', 'top-lib', '1.0.0');
    expect((await airlock.store.listArtifacts(top!.id)).map((a) => a.filename)).toEqual(['top-lib-1.0.0.tgz']);
  });

  it('follows the range a dependent asks for, not the latest release', async () => {
    const { airlock, proxy } = await airlockWithDepth(3);
    await readAsNpm(airlock, 'top-lib');
    const asked = packumentsAsked(proxy);
    // mid-lib asks for leaf-lib ^2.0.0: 2.0.0's dependency is read, 3.0.0's (latest) is not.
    expect(asked).toContain('two-dep');
    expect(asked).not.toContain('three-dep');
  });

  it('reads registry dependencies and non-optional peers only, and never asks upstream for an internal name', async () => {
    const { airlock, proxy } = await airlockWithDepth(2);
    await readAsNpm(airlock, 'top-lib');
    const asked = packumentsAsked(proxy);
    expect(asked).toContain('alias-target');
    expect(asked).toContain('peer-lib');
    for (const never of ['@acme/secret', 'from-git', 'from-file', 'aliased', '../escape', 'with space', 'optional-peer', 'platform-build']) expect(asked).not.toContain(never);
    expect(proxy.requests.filter((r) => r.url.includes('acme'))).toEqual([]);
  });

  it('does nothing at depth 0, and nothing again for a package it has read', async () => {
    const off = await airlockWithDepth(0);
    await readAsNpm(off.airlock, 'top-lib');
    expect([...packumentsAsked(off.proxy)]).toEqual(['top-lib']);

    const on = await airlockWithDepth(2);
    await readAsNpm(on.airlock, 'top-lib');
    const before = on.proxy.requests.length;
    await readAsNpm(on.airlock, 'mid-lib');
    // mid-lib and leaf-lib were read ahead already: asking for mid-lib reads nothing more upstream.
    expect(on.proxy.requests.slice(before).filter((r) => !r.url.includes('/-/'))).toEqual([]);
  });
});
