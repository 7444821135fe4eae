import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { npmClient, type NpmClient } from '../helpers/npm-client.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';
import { startUpstreamProxy, type UpstreamProxy } from './upstream-proxy.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- documents in assertions

const day = 86_400_000;
const adminToken = 'index-memory-test-admin-token-0123';
// Every release is 10 days old (the clock runs ahead): past the cooldown, and trusted by age.
const policy = 'cooldown: 72h\nanalysisHorizon: 1d\n';
const names = ['mem-a', 'mem-b', 'mem-c'];

let verdaccio: Verdaccio;
let proxy: UpstreamProxy;
let airlock: StartedAirlock;
const clients: NpmClient[] = [];

async function client(): Promise<NpmClient> {
  const c = await npmClient(new URL('npm/', airlock.url).href);
  clients.push(c);
  return c;
}

async function project(c: NpmClient): Promise<NpmClient> {
  await c.setDependencies(Object.fromEntries(names.map((n) => [n, '^1.0.0'])));
  return c;
}

async function indexReads(source: 'upstream' | 'store'): Promise<number> {
  const text = await (await fetch(new URL('metrics', airlock.url))).text();
  const m = new RegExp(`^airlock_index_reads_total\\{ecosystem="npm",source="${source}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

async function installedVersion(c: NpmClient, name: string): Promise<string> {
  return (JSON.parse(await readFile(path.join(c.dir, 'node_modules', name, 'package.json'), 'utf8')) as Json).version as string;
}

// AIRLOCK_INDEX_MEMORY of one byte keeps a single parsed packument in memory: every other package
// is dropped as soon as the next one is read, as a large app drops packages from a small index.
describe('a package dropped from the npm index keeps being served from what was rendered and stored', () => {
  beforeAll(async () => {
    verdaccio = await startVerdaccio();
    for (const name of names) {
      await verdaccio.publish({ name, version: '1.0.0' });
      await verdaccio.publish({ name, version: '1.1.0', files: { 'index.js': `module.exports = '${name}';\n` } });
    }
    proxy = await startUpstreamProxy(verdaccio.url);
    airlock = await startAirlock({
      clock: new ManualClock(new Date(Date.now() + 10 * day)),
      policy,
      env: { AIRLOCK_NPM_UPSTREAM: proxy.url, AIRLOCK_INDEX_MEMORY: '1b', AIRLOCK_INDEX_TTL: '1h', AIRLOCK_ADMIN_TOKEN: adminToken },
    });
  }, 180_000);

  afterAll(async () => {
    for (const c of clients) await c.remove();
    await airlock?.close();
    await proxy?.close();
    await verdaccio?.stop();
  });

  it('a warm install reads no packument again, from upstream or from the store, and installs the same versions', async () => {
    const cold = await project(await client());
    const first = await cold.npm(['install']);
    expect(first.code, first.output).toBe(0);
    const fromUpstream = await indexReads('upstream');
    expect(fromUpstream).toBe(names.length);
    const storeReadsAfterCold = await indexReads('store');
    const upstreamHits = proxy.requests.length;

    // A new project resolving the same dependencies (npm cache empty): packuments and tarballs.
    const fresh = await project(await client());
    const resolved = await fresh.npm(['install']);
    expect(resolved.code, resolved.output).toBe(0);
    for (const name of names) expect(await installedVersion(fresh, name)).toBe('1.1.0');
    expect(await indexReads('upstream')).toBe(fromUpstream);
    expect(await indexReads('store')).toBe(storeReadsAfterCold);
    expect(proxy.requests.length).toBe(upstreamHits);

    // From the lockfile (npm ci also asks for full packuments, rendered once from the store).
    const locked = await project(await client());
    await writeFile(path.join(locked.dir, 'package-lock.json'), await readFile(path.join(cold.dir, 'package-lock.json'), 'utf8'));
    const ci = await locked.npm(['ci']);
    expect(ci.code, ci.output).toBe(0);
    for (const name of names) expect(await installedVersion(locked, name)).toBe('1.1.0');
    expect(proxy.requests.length).toBe(upstreamHits);
  });

  it('a reviewer revoking a release of a dropped package takes effect at once on its packument and its tarball', async () => {
    const reject = await fetch(new URL('api/v1/releases/npm:mem-a@1.1.0/revoke', airlock.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'bad release, reported by the vendor' }),
    });
    expect(reject.status, await reject.text()).toBe(200);

    const packument = (await (await fetch(new URL('npm/mem-a', airlock.url))).json()) as Json;
    expect(Object.keys(packument.versions as Json)).toEqual(['1.0.0']);
    const tarball = await fetch(new URL('npm/mem-a/-/mem-a-1.1.0.tgz', airlock.url));
    expect(tarball.status).toBe(403);
    expect(await tarball.text()).toContain('bad release, reported by the vendor');

    const c = await project(await client());
    const res = await c.npm(['install']);
    expect(res.code, res.output).toBe(0);
    expect(await installedVersion(c, 'mem-a')).toBe('1.0.0');
    expect(await installedVersion(c, 'mem-b')).toBe('1.1.0');
  });

  it('past the TTL, asks upstream whether each dropped packument changed (304) instead of reading it back, and still sees a new release', async () => {
    airlock.clock.advance('2h');
    const storeReads = await indexReads('store');
    const upstreamReads = await indexReads('upstream');
    const before = proxy.requests.length;

    const c = await project(await client());
    const res = await c.npm(['install']);
    expect(res.code, res.output).toBe(0);
    expect(await installedVersion(c, 'mem-b')).toBe('1.1.0');
    const asked = proxy.requests.slice(before).filter((r) => !r.url.includes('/-/'));
    expect(asked.map((r) => decodeURIComponent(r.url.slice(1))).sort()).toEqual([...names].sort());
    for (const r of asked) expect(r.headers['if-none-match'], r.url).toBeTruthy();
    // Not one packument was read back from the store or again from upstream.
    expect(await indexReads('store')).toBe(storeReads);
    expect(await indexReads('upstream')).toBe(upstreamReads);

    // A packument that did change upstream is read as usual: the new release is recorded (and held
    // by its cooldown, which starts no earlier than Airlock's last read of the package).
    await verdaccio.publish({ name: 'mem-c', version: '1.2.0', files: { 'index.js': "module.exports = 'mem-c 1.2.0';\n" } });
    airlock.clock.advance('2h');
    const beforeChanged = proxy.requests.length;
    const res2 = await fetch(new URL('npm/mem-c', airlock.url), { headers: { accept: 'application/vnd.npm.install-v1+json' } });
    expect(res2.status).toBe(200);
    expect(await airlock.store.getRelease('npm', 'mem-c', '1.2.0')).not.toBeNull();
    expect(await indexReads('upstream')).toBe(upstreamReads + 1);
    // Read from the answer to the conditional request: upstream was asked for it once, not again.
    expect(proxy.requests.slice(beforeChanged).map((r) => r.url)).toEqual(['/mem-c']);
  });
});
