import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { npmClient, type NpmClient } from '../helpers/npm-client.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';
import { startUpstreamProxy, type UpstreamProxy } from './upstream-proxy.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- documents in assertions

const policy = [
  'cooldown: 72h',
  'analysisHorizon: 0',
  'packages:',
  ...['demo-lib@1.0.0', 'corrupt-lib@1.0.0', 'burst-lib@1.0.0', 'hostile-lib@1.0.0', 'odd-lib@1.0.0', 'hiccup-lib@1.0.0'].map((r) => `  "npm:${r}": { cooldown: 0 }`),
  '',
].join('\n');
const keys = '{"keys":[{"expires":null,"keyid":"SHA256:test","keytype":"ecdsa-sha2-nistp256","scheme":"ecdsa-sha2-nistp256","key":"MFkw"}]}';

let verdaccio: Verdaccio;
let proxy: UpstreamProxy;
let canary: Server;
let canaryHits = 0;
const canaryUrlOf = () => `http://127.0.0.1:${(canary.address() as AddressInfo).port}/internal/secret.tgz`;
let storage: { dir: string; remove: () => Promise<void> };
let clock: ManualClock;
let airlock: StartedAirlock;
const clients: NpmClient[] = [];

function start(): Promise<StartedAirlock> {
  return startAirlock({ clock, policy, storageDir: storage.dir, env: { AIRLOCK_NPM_UPSTREAM: proxy.url } });
}

async function freshClient(): Promise<NpmClient> {
  const client = await npmClient(new URL('npm/', airlock.url).href);
  clients.push(client);
  return client;
}

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('Airlock when upstream misbehaves: corrupt bytes, bursts, hostile documents, outages', () => {
  beforeAll(async () => {
    verdaccio = await startVerdaccio();
    for (const name of ['demo-lib', 'corrupt-lib', 'burst-lib', 'hostile-lib', 'odd-lib', 'hiccup-lib']) await verdaccio.publish({ name, version: '1.0.0' });
    await verdaccio.publish({ name: 'demo-lib', version: '2.0.0' });
    proxy = await startUpstreamProxy(verdaccio.url);

    canary = createServer((_req, res) => {
      canaryHits++;
      res.end('not a tarball');
    });
    await new Promise<void>((resolve) => canary.listen(0, '127.0.0.1', resolve));
    const canaryUrl = `http://127.0.0.1:${(canary.address() as AddressInfo).port}/internal/secret.tgz`;

    // Upstream serves the right packument but wrong tarball bytes.
    proxy.rewrite('/corrupt-lib/-/corrupt-lib-1.0.0.tgz', (body) => Buffer.concat([body.subarray(0, body.length - 8), Buffer.alloc(8)]));
    // Upstream answers the tarball once with a 200 and an empty body (a CDN hiccup), then properly.
    let hiccups = 0;
    proxy.rewrite('/hiccup-lib/-/hiccup-lib-1.0.0.tgz', (body) => (hiccups++ === 0 ? Buffer.alloc(0) : body));
    // A hostile packument pointing the tarball at another host (think cloud metadata or an intranet service).
    proxy.rewrite('/hostile-lib', (body) => {
      const doc = JSON.parse(body.toString()) as Json;
      doc.versions['1.0.0'].dist.tarball = canaryUrl;
      return Buffer.from(JSON.stringify(doc));
    });
    // Valid JSON a naive scanner would trip over: escapes, look-alike keys in strings, a duplicate dist.tarball.
    proxy.rewrite('/odd-lib', (body) => {
      const text = body
        .toString()
        .replace('"readme": "', '"readme": "quote \\" and backslash \\\\ and \\"tarball\\": \\"http://evil/\\", \\u00e9 é ')
        .replace(/"tarball": "([^"]+)"/, `"tarball": "${canaryUrl}", "tarball": "$1"`);
      return Buffer.from(text);
    });
    proxy.answer('/-/npm/v1/keys', () => ({ status: 200, body: keys }));
    proxy.answer('/-/npm/v1/security/advisories/bulk', () => ({ status: 200, body: '{}' }));

    storage = await tempDir('airlock-npm-failures-');
    clock = new ManualClock();
    airlock = await start();
  }, 180_000);

  afterAll(async () => {
    for (const c of clients) await c.remove();
    await airlock?.close();
    await proxy?.close();
    await new Promise((resolve) => canary?.close(resolve));
    await verdaccio?.stop();
    await storage?.remove();
  });

  it('refuses a tarball whose bytes do not match upstream integrity: the install fails and nothing is stored', async () => {
    const client = await freshClient();
    const res = await client.npm(['install', 'corrupt-lib']);
    expect(res.code).not.toBe(0);
    expect(res.output).toContain('corrupt-lib-1.0.0.tgz from upstream does not match the integrity upstream lists for it; nothing was stored');

    const direct = await fetch(new URL('npm/corrupt-lib/-/corrupt-lib-1.0.0.tgz', airlock.url));
    expect(direct.status).toBe(502);
    expect(await files(path.join(storage.dir, 'blobs'))).toEqual([]);
    const release = (await airlock.store.getRelease('npm', 'corrupt-lib', '1.0.0'))!;
    expect((await airlock.store.listArtifacts(release.id)).map((a) => a.blobKey)).toEqual([null]);
  });

  it('makes one upstream fetch for 50 concurrent requests of an uncached tarball', async () => {
    const url = new URL('npm/burst-lib/-/burst-lib-1.0.0.tgz', airlock.url);
    const bodies = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const res = await fetch(url);
        expect(res.status).toBe(200);
        return Buffer.from(await res.arrayBuffer());
      }),
    );
    expect(new Set(bodies.map((b) => createHash('sha256').update(b).digest('hex'))).size).toBe(1);
    expect(proxy.hits('/burst-lib/-/burst-lib-1.0.0.tgz')).toBe(1);
    expect(proxy.hits('/burst-lib')).toBe(1);
    expect(await files(path.join(storage.dir, 'blobs', 'sha256'))).toHaveLength(1);
  });

  it('fetches a tarball once more when upstream answers it with an empty body, and the install succeeds', async () => {
    const client = await freshClient();
    const res = await client.npm(['install', 'hiccup-lib']);
    expect(res.code, res.output).toBe(0);
    expect(proxy.hits('/hiccup-lib/-/hiccup-lib-1.0.0.tgz')).toBe(2);
    const release = (await airlock.store.getRelease('npm', 'hiccup-lib', '1.0.0'))!;
    expect((await airlock.store.listArtifacts(release.id)).map((a) => a.blobKey)).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/)]);
  });

  it('fetches tarballs only from the upstream host, whatever dist.tarball says', async () => {
    const client = await freshClient();
    const res = await client.npm(['install', 'hostile-lib']);
    expect(res.code, res.output).toBe(0);
    expect(canaryHits).toBe(0);
    expect(proxy.hits('/hostile-lib/-/hostile-lib-1.0.0.tgz')).toBe(1);
    const doc = (await (await fetch(new URL('npm/hostile-lib', airlock.url))).json()) as Json;
    expect(doc.versions['1.0.0'].dist.tarball).toBe(new URL('npm/hostile-lib/-/hostile-lib-1.0.0.tgz', airlock.url).href);
  });

  it('keeps odd but valid upstream JSON intact and rewrites every dist.tarball in it', async () => {
    const res = await fetch(new URL('npm/odd-lib', airlock.url));
    const text = await res.text();
    const doc = JSON.parse(text) as Json;
    const upstream = JSON.parse((await (await fetch(new URL('odd-lib', proxy.url))).text())) as Json;
    expect(doc.readme).toBe(upstream.readme);
    expect(doc.readme).toContain('"tarball": "http://evil/"');
    expect(text).not.toContain(canaryUrlOf());
    expect(doc.versions['1.0.0'].dist.tarball).toBe(new URL('npm/odd-lib/-/odd-lib-1.0.0.tgz', airlock.url).href);
    const client = await freshClient();
    const install = await client.npm(['install', 'odd-lib']);
    expect(install.code, install.output).toBe(0);
    expect(canaryHits).toBe(0);
  });

  it('asks upstream again only after the index TTL, conditionally and without making the client wait', async () => {
    await fetch(new URL('npm/demo-lib', airlock.url));
    const before = proxy.hits('/demo-lib');
    await fetch(new URL('npm/demo-lib', airlock.url));
    expect(proxy.hits('/demo-lib')).toBe(before);
    clock.advance('61s');
    // Served at once from what Airlock has; the refresh runs in the background.
    expect((await fetch(new URL('npm/demo-lib', airlock.url))).status).toBe(200);
    await expect.poll(() => proxy.hits('/demo-lib')).toBe(before + 1);
    const last = proxy.requests.filter((r) => r.url === '/demo-lib').at(-1)!;
    expect(last.headers['if-none-match']).toMatch(/^"/);
    expect(last.headers.accept).toBe('application/json');
  });

  it('relays the signing keys verbatim and npm audit with its gzip body', async () => {
    const res = await fetch(new URL('npm/-/npm/v1/keys', airlock.url));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(keys);

    const client = await freshClient();
    expect((await client.npm(['install', 'demo-lib@1.0.0'])).code).toBe(0);
    const audit = await client.npm(['audit', '--audit=true']);
    expect(audit.code, audit.output).toBe(0);
    expect(audit.output).toContain('found 0 vulnerabilities');
    const posted = proxy.requests.filter((r) => r.url === '/-/npm/v1/security/advisories/bulk').at(-1)!;
    expect(posted.method).toBe('POST');
    expect(posted.headers['content-encoding']).toBe('gzip');
    expect(JSON.parse(gunzipSync(posted.body).toString())).toEqual({ 'demo-lib': ['1.0.0'] });
  });

  it('with upstream stopped, keeps serving cached packuments and tarballs, and releases still cross their cooldown on time', async () => {
    await proxy.stop();
    clock.advance('61s'); // the index TTL is over: Airlock asks upstream, fails, and serves what it has
    const client = await freshClient();
    const res = await client.npm(['install', 'demo-lib@1.0.0']);
    expect(res.code, res.output).toBe(0);
    expect(JSON.parse(await readFile(path.join(client.dir, 'node_modules/demo-lib/package.json'), 'utf8')).version).toBe('1.0.0');

    const unknown = await fetch(new URL('npm/never-seen', airlock.url));
    expect(unknown.status).toBe(503);

    expect(Object.keys(((await (await fetch(new URL('npm/demo-lib', airlock.url))).json()) as Json).versions)).toEqual(['1.0.0']);
    clock.advance('73h');
    const doc = (await (await fetch(new URL('npm/demo-lib', airlock.url))).json()) as Json;
    expect(Object.keys(doc.versions)).toEqual(['1.0.0', '2.0.0']);
    expect(doc['dist-tags'].latest).toBe('2.0.0');
    // Its tarball was never fetched, and upstream is down: a 503, not a 403 or a 404.
    expect((await fetch(new URL('npm/demo-lib/-/demo-lib-2.0.0.tgz', airlock.url))).status).toBe(503);
  });

  it('after a restart with upstream still down, serves from the store', async () => {
    await airlock.close();
    airlock = await start();
    const client = await freshClient();
    const res = await client.npm(['install', 'demo-lib@1.0.0', 'burst-lib']);
    expect(res.code, res.output).toBe(0);
    const lock = await readFile(path.join(client.dir, 'package-lock.json'), 'utf8');
    expect(lock).toContain('"version": "1.0.0"');
  });
});
