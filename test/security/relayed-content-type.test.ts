import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxPolicy } from '../../src/http/security-headers.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';
import { startUpstreamProxy, type UpstreamProxy } from '../npm/upstream-proxy.js';
import { launchChromium } from '../review/browser.js';
import { rawRequest } from './raw-request.js';

const adminToken = '6a09e667f3bcc908b2fb1366ea957d3e3adec17512775099';

/** What a hostile upstream answers search with: a page whose script approves a held release as the signed-in reviewer. */
const hostilePage = `<!DOCTYPE html><html><head><title>results</title></head><body>
<script>
document.title = 'script ran';
(async () => {
  const session = await (await fetch('/api/v1/session')).json();
  await fetch('/api/v1/releases/npm:demo-lib@2.0.0/approve', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
    body: JSON.stringify({ reason: 'looks fine' }),
  });
  document.title = 'approved';
})();
</script></body></html>`;

// Upstream bytes relayed on Airlock's origin must never be a page that runs: a relayed answer is
// always JSON, every response says nosniff and carries a sandbox policy, and only the web page
// (with its own strict policy) may run script.
describe('responses carry a fixed type and a sandbox policy', () => {
  let verdaccio: Verdaccio;
  let proxy: UpstreamProxy;
  let airlock: StartedAirlock;
  let browser: Browser;

  beforeAll(async () => {
    verdaccio = await startVerdaccio();
    await verdaccio.publish({ name: 'demo-lib', version: '1.0.0' });
    await verdaccio.publish({ name: 'demo-lib', version: '2.0.0' });
    proxy = await startUpstreamProxy(verdaccio.url);
    proxy.answer('/-/v1/search', () => ({ status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: hostilePage }));
    airlock = await startAirlock({
      policy: 'cooldown: 72h\nanalysisHorizon: 0\npackages:\n  "npm:demo-lib@1.0.0": { cooldown: 0 }\n',
      env: { AIRLOCK_NPM_UPSTREAM: proxy.url, AIRLOCK_ADMIN_TOKEN: adminToken },
    });
    expect((await fetch(new URL('npm/demo-lib', airlock.url))).status).toBe(200);
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await airlock?.close();
    await proxy?.close();
    await verdaccio?.stop();
  });

  const stateOf = async (release: string) => {
    const res = await fetch(new URL(`api/v1/releases/${release}`, airlock.url), { headers: { authorization: `Bearer ${adminToken}` } });
    return ((await res.json()) as { state: string }).state;
  };

  it('relays a search answered with text/html as JSON, and a signed-in reviewer who opens it approves nothing', async () => {
    const created = await fetch(new URL('api/v1/tokens', airlock.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'rita', role: 'reviewer' }),
    });
    const reviewer = ((await created.json()) as { token: string }).token;
    expect(await stateOf('npm:demo-lib@2.0.0')).toBe('quarantined');

    const page = await browser.newPage();
    await page.goto(airlock.url);
    await page.getByLabel('API token').fill(reviewer);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Review queue' }).waitFor();

    const res = await page.goto(`${airlock.url}npm/-/v1/search?text=demo`);
    // Give a script that would run every chance to finish its two requests.
    await page.waitForTimeout(1500);
    expect(await stateOf('npm:demo-lib@2.0.0')).toBe('quarantined');
    expect(await page.title()).not.toMatch(/script ran|approved/);
    expect(res!.headers()['content-type']).toBe('application/json');
    expect(res!.headers()['x-content-type-options']).toBe('nosniff');
    expect(res!.headers()['content-security-policy']).toBe(sandboxPolicy);
    await page.close();
  });

  it('puts nosniff and the sandbox policy on relayed, package, API, error and operational responses', async () => {
    const bearer = { authorization: `Bearer ${adminToken}` };
    for (const [method, path, headers] of [
      ['GET', '/npm/-/v1/search?text=demo', {}],
      ['GET', '/npm/-/ping', {}],
      ['GET', '/npm/demo-lib', {}],
      ['GET', '/npm/demo-lib/-/demo-lib-1.0.0.tgz', {}],
      ['GET', '/npm/demo-lib/-/demo-lib-2.0.0.tgz', {}],
      ['GET', '/npm/no-such-lib-here', {}],
      ['GET', '/pypi/simple/', {}],
      ['GET', '/api/v1/releases', bearer],
      ['GET', '/api/v1/releases', {}],
      ['GET', '/api/v1/nothing', bearer],
      ['GET', '/healthz', {}],
      ['GET', '/metrics', {}],
      ['GET', '/npm/-/v1/search/\\..\\demo-lib', {}],
    ] as [string, string, Record<string, string>][]) {
      const res = await rawRequest(airlock.url, method, path, headers);
      expect(res.headers['x-content-type-options'], path).toBe('nosniff');
      expect(res.headers['content-security-policy'], path).toBe(sandboxPolicy);
      expect(res.headers['content-type'], path).toBeDefined();
    }
  });

  it('leaves the web page its own strict policy, which lets its own scripts run and nothing else', async () => {
    const res = await rawRequest(airlock.url, 'GET', '/');
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toMatch(/^default-src 'none'; script-src 'self';/);
    expect(res.headers['content-security-policy']).not.toMatch(/sandbox/);
  });
});
