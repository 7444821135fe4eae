import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { npmClient, type NpmClient } from '../helpers/npm-client.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';
import { launchChromium } from './browser.js';
import { adminToken, api, createToken } from './review-fixtures.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies in assertions

let verdaccio: Verdaccio;
let airlock: StartedAirlock;
let client: NpmClient;
let browser: Browser;
let page: Page;
let reviewer: string;

/** Waits until Airlock has analyzed a release (the analysis runs in the background). */
async function analyzed(id: string): Promise<Json> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await api(airlock.url, `api/v1/releases/${id}`, { token: reviewer });
    if (res.status === 200 && (res.body as Json).analysis === 'done') return res.body as Json;
    if (Date.now() > deadline) throw new Error(`${id} was not analyzed in time: ${res.text}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a reviewer approves and rejects flagged npm releases in the browser; npm obeys', () => {
  beforeAll(async () => {
    await mkdir('test-output', { recursive: true });
    verdaccio = await startVerdaccio();
    await verdaccio.publish({ name: 'demo-lib', version: '1.0.0', files: { 'index.js': "module.exports = 'one';\n" } });
    await verdaccio.publish({
      name: 'demo-lib',
      version: '2.0.0',
      manifest: { scripts: { postinstall: 'node setup.js' } },
      files: { 'index.js': "module.exports = 'two';\n", 'setup.js': "require('fs').writeFileSync('setup-ran', 'yes');\n" },
    });
    await verdaccio.publish({ name: 'evil-lib', version: '1.0.0', files: { 'index.js': "module.exports = 1;\n" } });
    await verdaccio.publish({
      name: 'evil-lib',
      version: '1.1.0',
      manifest: { scripts: { postinstall: 'node collect.js' } },
      files: { 'index.js': "module.exports = 2;\n", 'collect.js': "console.log('collecting');\n" },
    });
    airlock = await startAirlock({
      clock: new ManualClock(new Date()),
      // The baselines are old news: no cooldown for them, so they are visible and diffed against.
      policy: 'cooldown: 72h\npackages:\n  "npm:demo-lib@1.0.0": { cooldown: 0 }\n  "npm:evil-lib@1.0.0": { cooldown: 0 }\n',
      env: { AIRLOCK_ADMIN_TOKEN: adminToken, AIRLOCK_NPM_UPSTREAM: verdaccio.url },
    });
    reviewer = await createToken(airlock.url, 'alice', 'reviewer');
    client = await npmClient(new URL('npm/', airlock.url).href);

    // A client asking for the packages is how Airlock first sees them.
    for (const name of ['demo-lib', 'evil-lib']) expect((await fetch(new URL(`npm/${name}`, airlock.url))).status).toBe(200);
    await analyzed('npm:demo-lib@2.0.0');
    await analyzed('npm:evil-lib@1.1.0');
    airlock.clock.advance('73h');

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(airlock.url);
    await page.getByLabel('API token').fill(reviewer);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await client?.remove();
    await airlock?.close();
    await verdaccio?.stop();
  });

  it('shows the flagged release with the finding file and line and the side-by-side diff, and approves it', async () => {
    const queue = page.getByRole('table', { name: 'Review queue' });
    await expect.poll(() => queue.locator('tbody tr').count()).toBe(2);
    await page.screenshot({ path: 'test-output/review-queue-npm.png', fullPage: true });

    await queue.getByRole('link', { name: 'npm:demo-lib@2.0.0' }).click();
    const critical = page.getByRole('region', { name: 'critical findings' });
    await critical.waitFor();
    expect(await critical.textContent()).toMatch(/install-script-added package\.json:\d+/);
    // The window around the finding comes with the page; the diff against the baseline is one click away.
    await critical.getByRole('button', { name: 'Changes against the baseline' }).first().click();
    const diff = critical.getByRole('table', { name: /Side-by-side diff of package\.json: 1\.0\.0 against 2\.0\.0/ });
    await diff.waitFor();
    expect(await diff.locator('td.add').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('"postinstall": "node setup.js"')]));
    expect(await critical.locator('tr.hit').first().textContent()).toMatch(/postinstall/);
    await page.screenshot({ path: 'test-output/review-release-npm.png', fullPage: true });

    await page.keyboard.press('a');
    await page.keyboard.type('setup.js only writes a marker file');
    await page.getByRole('button', { name: 'Record decision' }).click();
    await expect.poll(() => page.locator('.reason').textContent()).toBe('npm:demo-lib@2.0.0 was approved by alice: setup.js only writes a marker file');
  });

  it('then the real npm client installs the approved release through Airlock', async () => {
    const res = await client.npm(['install', 'demo-lib@2.0.0']);
    expect(res.code, res.output).toBe(0);
    const installed = JSON.parse(await readFile(path.join(client.dir, 'node_modules/demo-lib/package.json'), 'utf8')) as Json;
    expect(installed.version).toBe('2.0.0');
  });

  it('rejects another release in the browser, and npm is refused with the reviewer\'s reason', async () => {
    await page.goto(`${airlock.url}#/release/${encodeURIComponent('npm:evil-lib@1.1.0')}`);
    await page.getByRole('heading', { name: /npm:evil-lib@1\.1\.0/ }).waitFor();
    await page.keyboard.press('r');
    await page.keyboard.type('collect.js gathers credentials');
    await page.getByRole('button', { name: 'Record decision' }).click();
    await expect.poll(() => page.locator('.reason').textContent()).toBe('npm:evil-lib@1.1.0 was rejected by alice: collect.js gathers credentials');

    const byVersion = await client.npm(['install', 'evil-lib@1.1.0']);
    expect(byVersion.code).not.toBe(0);
    const byTarball = await client.npm(['install', new URL('npm/evil-lib/-/evil-lib-1.1.0.tgz', airlock.url).href]);
    expect(byTarball.code).not.toBe(0);
    expect(byTarball.output).toContain('npm:evil-lib@1.1.0 was rejected by alice: collect.js gathers credentials');
  });
});
