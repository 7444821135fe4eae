import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';
import { startUpstreamProxy, type UpstreamProxy } from '../npm/upstream-proxy.js';
import { rawRequest } from './raw-request.js';

// The pass-through endpoints (ping, keys, attestations, audit, search) relay to upstream. A path
// that resolves anywhere else upstream (a `\` URL resolution treats as `/`, `%2e` dot segments)
// would fetch held, blocked and internal packages around the quarantine: it must be refused
// before upstream ever sees it.
describe('the pass-through routes reach only the upstream endpoints they are for', () => {
  let verdaccio: Verdaccio;
  let proxy: UpstreamProxy;
  let airlock: StartedAirlock;
  let heldTarball: Buffer;

  beforeAll(async () => {
    verdaccio = await startVerdaccio();
    await verdaccio.publish({ name: 'demo-lib', version: '1.0.0' });
    await verdaccio.publish({ name: 'demo-lib', version: '2.0.0', files: { 'index.js': 'module.exports = "held 2.0.0 bytes";\n' } });
    await verdaccio.publish({ name: 'evil-lib', version: '1.0.0' });
    await verdaccio.publish({ name: '@acme/secrets', version: '9.9.9' });
    heldTarball = Buffer.from(await (await fetch(new URL('demo-lib/-/demo-lib-2.0.0.tgz', verdaccio.url))).arrayBuffer());
    proxy = await startUpstreamProxy(verdaccio.url);
    airlock = await startAirlock({
      policy: [
        'cooldown: 72h',
        'analysisHorizon: 0',
        'packages:',
        '  "npm:demo-lib@1.0.0": { cooldown: 0 }',
        'block: ["npm:evil-lib"]',
        'internal: ["npm:@acme/*"]',
        '',
      ].join('\n'),
      env: { AIRLOCK_NPM_UPSTREAM: proxy.url },
    });
  }, 180_000);

  afterAll(async () => {
    await airlock?.close();
    await proxy?.close();
    await verdaccio?.stop();
  });

  const attacks: [string, string][] = [
    ['the held tarball', '/npm/-/v1/search/\\..\\..\\..\\..\\demo-lib\\-\\demo-lib-2.0.0.tgz'],
    ['the unfiltered packument', '/npm/-/v1/search/\\..\\..\\..\\demo-lib'],
    ['a blocked package tarball', '/npm/-/v1/search/\\..\\..\\..\\evil-lib\\-\\evil-lib-1.0.0.tgz'],
    ['an internal name', '/npm/-/v1/search/\\..\\..\\..\\@acme%2fsecrets'],
    ['the held tarball by %2e dot segments', '/npm/-/ping/\\%2e%2e\\%2E%2e\\demo-lib\\-\\demo-lib-2.0.0.tgz'],
    ['the held tarball through the audit endpoint', '/npm/-/npm/v1/security/\\..\\..\\..\\..\\..\\demo-lib\\-\\demo-lib-2.0.0.tgz'],
    ['the held tarball through attestations', '/npm/-/npm/v1/attestations/..\\..\\..\\..\\..\\demo-lib\\-\\demo-lib-2.0.0.tgz'],
    ['the packument by %5c', '/npm/-/npm/v1/attestations/..%5c..%5c..%5c..%5cdemo-lib'],
    ['the packument by %2f', '/npm/-/npm/v1/keys/..%2f..%2f..%2f..%2fdemo-lib'],
    ['the packument by mixed case', '/npm/-/V1/Search/\\..\\..\\..\\demo-lib'],
  ];

  for (const [what, path] of attacks)
    it(`refuses ${what} asked for as ${path}, and upstream never sees the request`, async () => {
      const before = proxy.requests.length;
      const res = await rawRequest(airlock.url, 'GET', path);
      expect(res.status, res.body.toString()).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body.includes(heldTarball)).toBe(false);
      const doc = JSON.parse(res.body.toString()) as Record<string, unknown>;
      expect(Object.keys(doc).sort()).toEqual(['code', 'error']);
      expect(proxy.requests.slice(before).map((r) => r.url)).toEqual([]);
    });

  it('still relays the endpoints themselves: ping, search with its query, keys, attestations of one release', async () => {
    const before = proxy.requests.length;
    expect((await rawRequest(airlock.url, 'GET', '/npm/-/ping?write=true')).status).toBe(200);
    expect((await rawRequest(airlock.url, 'GET', '/npm/-/v1/search?text=demo&size=5')).status).toBe(200);
    await rawRequest(airlock.url, 'GET', '/npm/-/npm/v1/keys');
    await rawRequest(airlock.url, 'GET', '/npm/-/npm/v1/attestations/demo-lib@1.0.0');
    await rawRequest(airlock.url, 'GET', '/npm/-/npm/v1/attestations/@acme%2fwidget@1.0.0');
    await rawRequest(airlock.url, 'POST', '/npm/-/npm/v1/security/advisories/bulk', { 'content-type': 'application/json' }, '{}');
    expect(proxy.requests.slice(before).map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /-/ping?write=true',
      'GET /-/v1/search?text=demo&size=5',
      'GET /-/npm/v1/keys',
      'GET /-/npm/v1/attestations/demo-lib@1.0.0',
      'GET /-/npm/v1/attestations/@acme%2fwidget@1.0.0',
      'POST /-/npm/v1/security/advisories/bulk',
    ]);
  });

  it('refuses endpoints next to the allowed ones rather than relaying them', async () => {
    const before = proxy.requests.length;
    for (const path of [
      '/npm/-/npm/v1/security/anything-else',
      '/npm/-/npm/v1/attestations/demo-lib',
      '/npm/-/npm/v1/attestations/demo-lib@1.0.0/extra',
      '/npm/-/v1/search/more',
      '/npm/-/ping/extra',
    ])
      expect((await rawRequest(airlock.url, 'GET', path)).status, path).toBeGreaterThanOrEqual(400);
    expect(proxy.requests.slice(before).map((r) => r.url)).toEqual([]);
  });
});
