import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { launchChromium } from './browser.js';
import { adminToken, api, createToken, postinstallFinding, reviewPolicy, seedRelease } from './review-fixtures.js';

let airlock: StartedAirlock;
let browser: Browser;
let page: Page;
let reviewer: string;

beforeAll(async () => {
  await mkdir('test-output', { recursive: true });
  airlock = await startAirlock({ clock: new ManualClock(new Date()), policy: reviewPolicy, env: { AIRLOCK_ADMIN_TOKEN: adminToken } });
  reviewer = await createToken(airlock.url, 'alice', 'reviewer');
  await seedRelease(airlock, { name: 'demo-lib', version: '2.0.0', publishedHoursAgo: 80, findings: [postinstallFinding], baselineVersion: '1.0.0' });
  await seedRelease(airlock, {
    name: 'chatty',
    version: '1.1.0',
    publishedHoursAgo: 75,
    findings: [{ kind: 'network-code-added', severity: 'high', path: 'lib/index.js', line: 12, message: 'new network code: https.request' }],
  });
  await seedRelease(airlock, { name: 'fresh', version: '0.1.0', publishedHoursAgo: 5, findings: [] });
  browser = await launchChromium();
  page = await browser.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await airlock?.close();
});

describe('the review page', () => {
  it('asks for a token, refuses a wrong one, and signs in with a right one', async () => {
    await page.goto(airlock.url);
    await page.getByLabel('API token').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/not valid/);
    await page.getByLabel('API token').fill(reviewer);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Review queue' }).waitFor();
    expect(await page.locator('#who').textContent()).toBe('alice (reviewer)');
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'airlock_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  });

  it('shows the queue most severe first and moves through it with j and k', async () => {
    const rows = page.getByRole('table', { name: 'Review queue' }).locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toMatch(/npm:demo-lib@2\.0\.0.*1 critical/);
    expect(await rows.nth(1).textContent()).toMatch(/npm:chatty@1\.1\.0.*1 high/);
    await page.screenshot({ path: 'test-output/review-queue.png', fullPage: true });
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    expect(await page.locator(':focus').textContent()).toBe('npm:chatty@1.1.0');
    await page.keyboard.press('k');
    expect(await page.locator(':focus').textContent()).toBe('npm:demo-lib@2.0.0');
  });

  it('opens a release with r from the queue, focused on the reason, and rejects it', async () => {
    await page.keyboard.press('j');
    await page.keyboard.press('r');
    await page.getByRole('heading', { name: /npm:chatty@1\.1\.0/ }).waitFor();
    expect(await page.locator(':focus').getAttribute('id')).toBe('reason');
    expect(await page.getByRole('radio', { name: 'reject' }).isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Record decision' }).click();
    expect(await page.getByRole('alert').first().textContent()).toBe('A reason is required.');
    await page.keyboard.type('phones home to a paste site');
    await page.getByRole('button', { name: 'Record decision' }).click();
    await expect.poll(() => page.locator('.reason').textContent()).toBe('npm:chatty@1.1.0 was rejected by alice: phones home to a paste site');
  });

  it('shows a release with its policy, findings with file and line, and history', async () => {
    await page.goto(`${airlock.url}#/release/${encodeURIComponent('npm:demo-lib@2.0.0')}`);
    await page.getByRole('heading', { name: /npm:demo-lib@2\.0\.0/ }).waitFor();
    expect(await page.getByRole('table', { name: 'Effective policy' }).textContent()).toMatch(/cooldown3ddefault/);
    const finding = page.getByRole('region', { name: 'critical findings' });
    expect(await finding.textContent()).toMatch(/install-script-added package\.json:6/);
    await page.screenshot({ path: 'test-output/review-release-seeded.png', fullPage: true });
  });

  it('approves early a quarantined release and lists quarantined releases with a countdown', async () => {
    await page.goto(`${airlock.url}#/quarantined`);
    const row = page.getByRole('table', { name: 'Quarantined' }).locator('tbody tr').first();
    await expect.poll(() => row.textContent()).toMatch(/npm:fresh@0\.1\.0.*2d 19h left/);
    await row.getByRole('link').click();
    await page.getByRole('radio', { name: 'approve early' }).check();
    await page.getByLabel('Reason').fill('security fix we need today');
    await page.getByRole('button', { name: 'Record decision' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('npm:fresh@0.1.0: quarantined → approved (early approval)');
  });

  it('searches the audit log by reviewer', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByLabel('Reviewer').fill('alice');
    await page.getByRole('button', { name: 'Search' }).click();
    const rows = page.getByRole('table', { name: 'Audit log' }).locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toMatch(/approve.*npm:fresh@0\.1\.0.*alice \(reviewer\).*security fix/);
  });

  it('signs out, and the cookie no longer works', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === 'airlock_session')).toBeUndefined();
    const res = await api(airlock.url, 'api/v1/session', {});
    expect(res.status).toBe(401);
  });
});
