import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatInstant } from '../../src/quarantine/release-status.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { npmClient, type NpmClient } from '../helpers/npm-client.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- documents in assertions

const adminToken = 'npm-install-test-admin-token-0123';

// Verdaccio stamps releases with the real time, so "old" releases are old by policy: a per-release
// cooldown of 0. Everything else waits the 72h cooldown on the injected clock.
const policy = [
  'cooldown: 72h',
  'analysisHorizon: 0',
  'packages:',
  '  "npm:demo-lib@1.0.0": { cooldown: 0 }',
  '  "npm:demo-lib@1.1.0": { cooldown: 0 }',
  '  "npm:@acme/widget@1.0.0": { cooldown: 0 }',
  '',
].join('\n');

let verdaccio: Verdaccio;
let airlock: StartedAirlock;
let registry: string;
const clients: NpmClient[] = [];

async function freshClient(): Promise<NpmClient> {
  const client = await npmClient(registry);
  clients.push(client);
  return client;
}

async function installed(client: NpmClient, name: string): Promise<Json> {
  return JSON.parse(await readFile(path.join(client.dir, 'node_modules', name, 'package.json'), 'utf8')) as Json;
}

async function upstreamIntegrity(name: string, version: string): Promise<string> {
  const doc = (await (await fetch(new URL(name.replace('/', '%2f'), verdaccio.url))).json()) as Json;
  return doc.versions[version].dist.integrity as string;
}

describe('npm installs through Airlock: released versions install, new ones wait out the cooldown', () => {
  beforeAll(async () => {
    verdaccio = await startVerdaccio();
    await verdaccio.publish({ name: 'demo-lib', version: '1.0.0' });
    await verdaccio.publish({ name: 'demo-lib', version: '1.1.0' });
    await verdaccio.publish({ name: 'demo-lib', version: '2.0.0' });
    await verdaccio.publish({ name: '@acme/widget', version: '1.0.0', manifest: { bin: { widget: 'index.js' } } });
    await verdaccio.publish({ name: '@acme/widget', version: '1.1.0', manifest: { bin: { widget: 'index.js' } } });
    airlock = await startAirlock({
      clock: new ManualClock(),
      policy,
      env: { AIRLOCK_NPM_UPSTREAM: verdaccio.url, AIRLOCK_ADMIN_TOKEN: adminToken },
    });
    registry = new URL('npm/', airlock.url).href;
  }, 180_000);

  afterAll(async () => {
    for (const c of clients) await c.remove();
    await airlock?.close();
    await verdaccio?.stop();
  });

  it('installs released versions and records Airlock tarball URLs and upstream integrity in package-lock.json', async () => {
    const client = await freshClient();
    // This machine's own npmrc may tell npm to leave `resolved` out; a user's default records it.
    const res = await client.npm(['install', 'demo-lib', '@acme/widget', '--omit-lockfile-registry-resolved=false']);
    expect(res.code, res.output).toBe(0);
    expect((await installed(client, 'demo-lib')).version).toBe('1.1.0');
    expect((await installed(client, '@acme/widget')).version).toBe('1.0.0');

    const lock = JSON.parse(await readFile(path.join(client.dir, 'package-lock.json'), 'utf8')) as Json;
    expect(lock.packages['node_modules/demo-lib'].resolved).toBe(`${registry}demo-lib/-/demo-lib-1.1.0.tgz`);
    expect(lock.packages['node_modules/@acme/widget'].resolved).toBe(`${registry}@acme/widget/-/widget-1.0.0.tgz`);
    expect(lock.packages['node_modules/demo-lib'].integrity).toBe(await upstreamIntegrity('demo-lib', '1.1.0'));
    expect(lock.packages['node_modules/@acme/widget'].integrity).toBe(await upstreamIntegrity('@acme/widget', '1.0.0'));
  });

  it('hides a release inside its cooldown from npm view, and recomputes latest to the highest visible version', async () => {
    const client = await freshClient();
    const versions = await client.npm(['view', 'demo-lib', 'versions', '--json']);
    expect(versions.code, versions.output).toBe(0);
    expect(JSON.parse(versions.stdout)).toEqual(['1.0.0', '1.1.0']);
    const latest = await client.npm(['view', 'demo-lib', 'dist-tags.latest']);
    expect(latest.stdout.trim()).toBe('1.1.0');
    const scoped = await client.npm(['view', '@acme/widget', 'versions', '--json']);
    expect(JSON.parse(scoped.stdout)).toEqual(['1.0.0']);
  });

  it('fails npm install pkg@held with the policy message naming the release and when its hold ends', async () => {
    const client = await freshClient();
    const until = formatInstant(new Date((await airlock.store.getRelease('npm', 'demo-lib', '2.0.0'))!.publishedAt!.getTime() + 72 * 3_600_000));
    const res = await client.npm(['install', 'demo-lib@2.0.0']);
    expect(res.code).not.toBe(0);
    expect(res.output).toContain('Could not download demo-lib@2.0.0 due to policy violations');
    expect(res.output).toContain(`npm:demo-lib@2.0.0 is quarantined until ${until}: cooldown 72h from upstream publish time`);

    const scoped = await client.npm(['install', '@acme/widget@1.1.0']);
    expect(scoped.code).not.toBe(0);
    expect(scoped.output).toContain('npm:@acme/widget@1.1.0 is quarantined until');
  });

  it('fails npm ci with a lockfile pinned to the held release, printing the 403 reason', async () => {
    const client = await lockfileProject(await freshClient(), '2.0.0');
    const res = await client.npm(['ci']);
    expect(res.code).not.toBe(0);
    expect(res.output).toMatch(/403 Quarantined until \d{4}-\d\d-\d\dT\d\d:\d\dZ/);
    expect(res.output).toContain('npm:demo-lib@2.0.0 is quarantined until');
    expect(res.output).toContain(`${registry}demo-lib/-/demo-lib-2.0.0.tgz`);
  });

  it('installs a release approved early through the review API on the next request', async () => {
    const approve = await fetch(new URL('api/v1/releases/npm:@acme/widget@1.1.0/approve', airlock.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'vendor fix we need today' }),
    });
    expect(approve.status, await approve.text()).toBe(200);
    const client = await freshClient();
    const res = await client.npm(['install', '@acme/widget@1.1.0']);
    expect(res.code, res.output).toBe(0);
    expect((await installed(client, '@acme/widget')).version).toBe('1.1.0');
  });

  it('installs the held release once the clock passes its cooldown, also from the pinned lockfile', async () => {
    airlock.clock.advance('73h');
    const client = await freshClient();
    const res = await client.npm(['install', 'demo-lib']);
    expect(res.code, res.output).toBe(0);
    expect((await installed(client, 'demo-lib')).version).toBe('2.0.0');

    const pinned = await lockfileProject(await freshClient(), '2.0.0');
    const ci = await pinned.npm(['ci']);
    expect(ci.code, ci.output).toBe(0);
    expect((await installed(pinned, 'demo-lib')).version).toBe('2.0.0');
  });
});

/**
 * A project whose package-lock.json was written against the public registry: npm swaps the
 * registry.npmjs.org host for the configured registry, so `npm ci` fetches the tarball from Airlock.
 */
async function lockfileProject(client: NpmClient, version: string): Promise<NpmClient> {
  const integrity = await upstreamIntegrity('demo-lib', version);
  await client.setDependencies({ 'demo-lib': version });
  const lock = {
    name: 'client-project',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'client-project', version: '1.0.0', dependencies: { 'demo-lib': version } },
      'node_modules/demo-lib': {
        version,
        resolved: `https://registry.npmjs.org/demo-lib/-/demo-lib-${version}.tgz`,
        integrity,
        license: 'MIT',
      },
    },
  };
  await writeFile(path.join(client.dir, 'package-lock.json'), JSON.stringify(lock, null, 2));
  return client;
}
