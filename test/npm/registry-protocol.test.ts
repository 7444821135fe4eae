import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- documents in assertions

const adminToken = 'npm-protocol-test-admin-token-0123';
const corgi = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

const policy = [
  'cooldown: 72h',
  'analysisHorizon: 0',
  'packages:',
  ...['demo-lib@1.0.0', '@acme/widget@1.0.0', 'lines-lib@4.0.0', 'lines-lib@5.0.0', 'lines-lib@4.1.0', 'lines-lib@6.0.0-beta.0'].map(
    (r) => `  "npm:${r}": { cooldown: 0 }`,
  ),
  '',
].join('\n');

let verdaccio: Verdaccio;
let airlock: StartedAirlock;
let registry: string;

interface RawResponse {
  status: number;
  statusText: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** An HTTP request with the path exactly as given (fetch would normalise `..` and encodings away). */
function raw(method: string, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const url = new URL(airlock.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, statusText: res.statusMessage!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function json(path: string, accept = 'application/json'): Promise<Json> {
  const res = await raw('GET', path, { accept });
  expect(res.status, res.body.toString()).toBe(200);
  return JSON.parse(res.body.toString()) as Json;
}

async function upstream(name: string): Promise<{ text: string; doc: Json }> {
  const text = await (await fetch(new URL(name.replace('/', '%2f'), verdaccio.url))).text();
  return { text, doc: JSON.parse(text) as Json };
}

describe('the npm registry protocol as clients see it through Airlock', () => {
  beforeAll(async () => {
    verdaccio = await startVerdaccio();
    await verdaccio.publish({
      name: 'demo-lib',
      version: '1.0.0',
      manifest: {
        description: 'a demo',
        scripts: { postinstall: 'node setup.js', test: 'true' },
        bin: { demo: 'index.js' },
        engines: { node: '>=18' },
        os: ['linux', 'darwin'],
        cpu: ['x64', 'arm64'],
        dependencies: {},
      },
      files: { 'index.js': 'module.exports = 1;\n', 'setup.js': '\n' },
    });
    await verdaccio.publish({ name: 'demo-lib', version: '2.0.0' });
    await verdaccio.publish({ name: '@acme/widget', version: '1.0.0' });
    for (const [version, tag] of [
      ['4.0.0', 'latest'],
      ['5.0.0', 'latest'],
      ['4.1.0', 'latest'],
      ['5.1.0', 'latest'],
      ['6.0.0-beta.0', 'next'],
      ['6.0.0-beta.1', 'next'],
      ['4.2.0', 'legacy-4'],
    ] as const)
      await verdaccio.publish({ name: 'lines-lib', version, tag });
    airlock = await startAirlock({
      clock: new ManualClock(),
      policy,
      env: { AIRLOCK_NPM_UPSTREAM: verdaccio.url, AIRLOCK_ADMIN_TOKEN: adminToken },
    });
    registry = new URL('npm/', airlock.url).href;
  }, 180_000);

  afterAll(async () => {
    await airlock?.close();
    await verdaccio?.stop();
  });

  it('serves the full document with visible versions only, version objects byte-for-byte except dist.tarball', async () => {
    const res = await raw('GET', '/npm/demo-lib', { accept: 'application/json' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    const doc = JSON.parse(res.body.toString()) as Json;
    const up = await upstream('demo-lib');

    expect(Object.keys(doc.versions)).toEqual(['1.0.0']);
    const expected = { ...up.doc.versions['1.0.0'], dist: { ...up.doc.versions['1.0.0'].dist, tarball: `${registry}demo-lib/-/demo-lib-1.0.0.tgz` } };
    expect(doc.versions['1.0.0']).toEqual(expected);
    // Upstream's own bytes, pretty-printing and all: integrity and everything else unchanged.
    const upstreamObject = up.text.slice(up.text.indexOf('"1.0.0": {'), up.text.indexOf('"tarball"', up.text.indexOf('"1.0.0": {')));
    expect(res.body.toString()).toContain(upstreamObject);

    expect(doc.time).toEqual({ created: up.doc.time.created, modified: up.doc.time.modified, '1.0.0': up.doc.time['1.0.0'] });
    expect(doc['dist-tags']).toEqual({ latest: '1.0.0' });
    expect(doc.readme).toBe(up.doc.readme);
  });

  it('serves the abbreviated document with its exact media type and the fields installers read', async () => {
    const res = await raw('GET', '/npm/demo-lib', { accept: corgi });
    expect(res.headers['content-type']).toBe('application/vnd.npm.install-v1+json');
    const doc = JSON.parse(res.body.toString()) as Json;
    expect(Object.keys(doc)).toEqual(['name', 'modified', 'dist-tags', 'versions', 'policyRestrictions']);
    expect(doc.time).toBeUndefined();
    const v = doc.versions['1.0.0'];
    expect(v).toMatchObject({
      name: 'demo-lib',
      version: '1.0.0',
      bin: { demo: 'index.js' },
      engines: { node: '>=18' },
      os: ['linux', 'darwin'],
      cpu: ['x64', 'arm64'],
      hasInstallScript: true,
    });
    expect(v.dist.tarball).toBe(`${registry}demo-lib/-/demo-lib-1.0.0.tgz`);
    expect(v.dist.integrity).toBe((await upstream('demo-lib')).doc.versions['1.0.0'].dist.integrity);
    expect(v.scripts).toBeUndefined();
    expect(v.description).toBeUndefined();
  });

  it('lists held releases in policyRestrictions with the reason npm prints', async () => {
    const doc = await json('/npm/demo-lib');
    expect(doc.policyRestrictions.versions).toEqual({ '2.0.0': { name: 'demo-lib', version: '2.0.0' } });
    expect(doc.policyRestrictions.message).toMatch(/npm:demo-lib@2\.0\.0 is quarantined until \d{4}-\d\d-\d\dT\d\d:\d\dZ: cooldown 72h from upstream publish time/);
  });

  it('accepts scoped names as @scope%2fname, @scope%2Fname and @scope/name, for documents and tarballs', async () => {
    const bodies = await Promise.all(['/npm/@acme%2fwidget', '/npm/@acme%2Fwidget', '/npm/@acme/widget'].map((p) => raw('GET', p)));
    for (const b of bodies) expect(b.status).toBe(200);
    expect(new Set(bodies.map((b) => b.body.toString())).size).toBe(1);
    expect(JSON.parse(bodies[0]!.body.toString()).versions['1.0.0'].dist.tarball).toBe(`${registry}@acme/widget/-/widget-1.0.0.tgz`);
    for (const p of ['/npm/@acme/widget/-/widget-1.0.0.tgz', '/npm/@acme%2fwidget/-/widget-1.0.0.tgz']) expect((await raw('GET', p)).status).toBe(200);
    expect((await json('/npm/@acme%2fwidget/1.0.0')).version).toBe('1.0.0');
  });

  it('recomputes dist-tags: latest by semver among visible releases, other tags within their line or dropped', async () => {
    const expected = { latest: '5.0.0', next: '6.0.0-beta.0', 'legacy-4': '4.1.0' };
    const up = await upstream('lines-lib');
    expect(up.doc['dist-tags']).toEqual({ latest: '5.1.0', next: '6.0.0-beta.1', 'legacy-4': '4.2.0' });
    expect((await json('/npm/lines-lib'))['dist-tags']).toEqual(expected);
    expect((await json('/npm/lines-lib', corgi))['dist-tags']).toEqual(expected);
    expect(await json('/npm/-/package/lines-lib/dist-tags')).toEqual(expected);
    expect((await json('/npm/lines-lib/latest')).version).toBe('5.0.0');
    expect((await json('/npm/lines-lib/next')).version).toBe('6.0.0-beta.0');
  });

  it('answers 404 for a held version or missing package, with the reason', async () => {
    const held = await raw('GET', '/npm/lines-lib/5.1.0');
    expect(held.status).toBe(404);
    expect(JSON.parse(held.body.toString()).error).toMatch(/npm:lines-lib@5\.1\.0 is quarantined until/);
    const missing = await raw('GET', '/npm/no-such-package');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body.toString()).error).toBe('npm:no-such-package does not exist upstream');
  });

  it('refuses a held tarball with 403, the hold in the reason phrase, the reason in the body, and no-store; HEAD too', async () => {
    const get = await raw('GET', '/npm/demo-lib/-/demo-lib-2.0.0.tgz');
    expect(get.status).toBe(403);
    expect(get.statusText).toMatch(/^Quarantined until \d{4}-\d\d-\d\dT\d\d:\d\dZ$/);
    expect(get.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(get.body.toString()).error).toMatch(/^npm:demo-lib@2\.0\.0 is quarantined until .*: cooldown 72h from upstream publish time$/);
    const head = await raw('HEAD', '/npm/demo-lib/-/demo-lib-2.0.0.tgz');
    expect(head.status).toBe(403);
    expect(head.statusText).toBe(get.statusText);
    expect(head.body.length).toBe(0);
  });

  it('serves a released tarball from disk with its length, verified digest and HEAD', async () => {
    const get = await raw('GET', '/npm/demo-lib/-/demo-lib-1.0.0.tgz');
    expect(get.status).toBe(200);
    expect(get.headers['content-type']).toBe('application/octet-stream');
    expect(Number(get.headers['content-length'])).toBe(get.body.length);
    const direct = Buffer.from(await (await fetch(new URL('demo-lib/-/demo-lib-1.0.0.tgz', verdaccio.url))).arrayBuffer());
    expect(get.body.equals(direct)).toBe(true);
    const head = await raw('HEAD', '/npm/demo-lib/-/demo-lib-1.0.0.tgz');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(get.body.length));
    expect(head.body.length).toBe(0);
    expect((await raw('GET', '/npm/demo-lib/-/demo-lib-9.9.9.tgz')).status).toBe(404);
  });

  it('answers 400 with a clear message for malformed names and path traversal', async () => {
    for (const path of [
      '/npm/..%2F..%2Fetc%2Fpasswd',
      '/npm/%2e%2e',
      '/npm/.hidden',
      '/npm/foo%00bar',
      '/npm/fo%zzo',
      '/npm/@scope',
      '/npm/has%20space',
      '/npm/demo-lib/..',
      '/npm/demo-lib/-/..%2F..%2Fsecret.tgz',
      `/npm/${'a'.repeat(215)}`,
    ]) {
      const res = await raw('GET', path);
      expect(res.status, path).toBe(400);
      expect(JSON.parse(res.body.toString()).error, path).toMatch(/not a valid|not an npm registry path|not a tarball file name/);
    }
  });

  it('refuses publishing and other writes with 405', async () => {
    for (const [method, path] of [
      ['PUT', '/npm/demo-lib'],
      ['DELETE', '/npm/demo-lib/-/demo-lib-1.0.0.tgz/-rev/1'],
      ['PUT', '/npm/-/package/demo-lib/dist-tags/beta'],
      ['PUT', '/npm/-/user/org.couchdb.user:alice'],
    ] as const) {
      const res = await raw(method, path);
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(JSON.parse(res.body.toString()).error).toContain('Airlock is a read-only mirror');
    }
  });

  it('caches: ETag and 304, Vary, a short max-age, gzip with its own ETag', async () => {
    const first = await raw('GET', '/npm/demo-lib');
    expect(first.headers.vary).toBe('Accept, Accept-Encoding');
    expect(first.headers['cache-control']).toMatch(/^max-age=\d+$/);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await raw('GET', '/npm/demo-lib', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);

    const zipped = await raw('GET', '/npm/demo-lib', { 'accept-encoding': 'gzip, deflate' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(zipped.body).equals(first.body)).toBe(true);
    expect(zipped.headers.etag).not.toBe(etag);
    expect((await raw('GET', '/npm/demo-lib', { 'accept-encoding': 'gzip', 'if-none-match': zipped.headers.etag as string })).status).toBe(304);
    // Once the gzip exists, a client that does not offer gzip still gets the plain bytes.
    const plain = await raw('GET', '/npm/demo-lib');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.equals(first.body)).toBe(true);
    expect(plain.headers.etag).toBe(etag);

    const corgiDoc = await raw('GET', '/npm/demo-lib', { accept: corgi });
    expect(corgiDoc.headers.etag).not.toBe(etag);
  });

  it('passes /-/ping through to upstream', async () => {
    const res = await raw('GET', '/npm/-/ping?write=true');
    expect(res.status).toBe(200);
  });

  it('changes the ETag when a review decision or the clock changes what is visible', async () => {
    const before = (await raw('GET', '/npm/lines-lib')).headers.etag as string;
    const reject = await fetch(new URL('api/v1/releases/npm:lines-lib@5.1.0/reject', airlock.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'maintainer account taken over' }),
    });
    expect(reject.status, await reject.text()).toBe(200);
    const rejected = await raw('GET', '/npm/lines-lib/-/lines-lib-5.1.0.tgz');
    expect(rejected.status).toBe(403);
    expect(rejected.statusText).toBe('Rejected');
    expect(JSON.parse(rejected.body.toString()).error).toBe('npm:lines-lib@5.1.0 was rejected by admin: maintainer account taken over');
    const afterReject = await raw('GET', '/npm/lines-lib', { 'if-none-match': before });
    expect(afterReject.status).toBe(200);
    expect(JSON.parse(afterReject.body.toString()).policyRestrictions.message).toContain('npm:lines-lib@5.1.0 was rejected by admin');

    airlock.clock.advance('73h');
    const doc = await json('/npm/lines-lib');
    expect(doc['dist-tags']).toEqual({ latest: '5.0.0', next: '6.0.0-beta.1', 'legacy-4': '4.2.0' });
    expect(Object.keys(doc.versions)).not.toContain('5.1.0');
    expect((await json('/npm/demo-lib'))['dist-tags'].latest).toBe('2.0.0');
    expect((await raw('GET', '/npm/demo-lib/-/demo-lib-2.0.0.tgz')).status).toBe(200);
  });
});
