import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredFinding } from '../../src/domain/finding.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { launchChromium } from './browser.js';
import { adminToken, api, createToken, reviewPolicy, seedRelease } from './review-fixtures.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies in assertions

let airlock: StartedAirlock;
let reviewer: string;
let reader: string;
let browser: Browser;
let page: Page;

const beacon = (line: number): StoredFinding => ({
  kind: 'network-endpoint-added',
  severity: 'high',
  path: 'dist/index.js',
  line,
  message: 'dist/index.js contains a new endpoint, collect.webhook.site (webhook collector).',
});
const spawn: StoredFinding = { kind: 'process-spawn-added', severity: 'high', path: 'lib/run.js', line: 3, message: 'lib/run.js starts to run processes (child_process)' };
const newDependency: StoredFinding = {
  kind: 'dependency-added',
  severity: 'low',
  path: 'package.json',
  line: 9,
  message: 'package.json adds the dependency brand-new (^1.0.0).',
  related: 'npm:brand-new@1.0.0',
};

beforeAll(async () => {
  await mkdir('test-output', { recursive: true });
  airlock = await startAirlock({ clock: new ManualClock(new Date()), policy: reviewPolicy, env: { AIRLOCK_ADMIN_TOKEN: adminToken } });
  reviewer = await createToken(airlock.url, 'alice', 'reviewer');
  reader = await createToken(airlock.url, 'rita', 'reader');
  // Seen in an order unlike the version order, as a registry listing would give them.
  for (const version of ['16.4.3', '9.3.7-canary.10', '16.4.10', '16.4.4-canary.1', '16.4.4', '10.0.0']) {
    await seedRelease(airlock, { name: 'next', version, publishedHoursAgo: 200, findings: [] });
  }
  for (const version of ['1.0', '1.0rc1', '1.0.post1', '0.9', '1.0.dev3', '2!0.1']) {
    await seedRelease(airlock, { ecosystem: 'pypi', name: 'demo-py', version, publishedHoursAgo: 200, findings: [] });
  }
  // Three releases waiting on the same finding against the same baseline (its line moved in a rebuild), one that differs.
  for (const [version, line] of [['2.0.1', 1], ['2.0.2', 4], ['2.0.3', 1]] as const) {
    await seedRelease(airlock, { name: 'bundle', version, publishedHoursAgo: 80, findings: [beacon(line), newDependency], baselineVersion: '2.0.0' });
  }
  await seedRelease(airlock, { name: 'bundle', version: '2.0.4', publishedHoursAgo: 80, findings: [beacon(1), spawn], baselineVersion: '2.0.0' });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
  await page.goto(airlock.url);
  await page.getByLabel('API token').fill(reviewer);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await airlock?.close();
});

describe('all releases in version order', () => {
  it('lists a package newest first by semver and by PEP 440 through the API', async () => {
    const npm = await api(airlock.url, 'api/v1/releases?order=version&q=npm:next@', { token: reader });
    expect((npm.body as Json).releases.map((r: Json) => r.version)).toEqual(['16.4.10', '16.4.4', '16.4.4-canary.1', '16.4.3', '10.0.0', '9.3.7-canary.10']);
    const pypi = await api(airlock.url, 'api/v1/releases?order=version&ecosystem=pypi', { token: reader });
    expect((pypi.body as Json).releases.map((r: Json) => r.version)).toEqual(['2!0.1', '1.0.post1', '1.0', '1.0rc1', '1.0.dev3', '0.9']);
  });

  it('refuses an unknown order with the known ones', async () => {
    const res = await api(airlock.url, 'api/v1/releases?order=random', { token: reader });
    expect(res.status).toBe(400);
    expect((res.body as Json).error).toBe('order must be risk, version or hold, got "random"');
  });

  it('shows the All releases page in that order', async () => {
    await page.goto(`${airlock.url}#/releases`);
    const table = page.getByRole('table', { name: 'All releases' });
    await table.waitFor();
    const ids = await table.locator('tbody tr td:first-child a').allTextContents();
    const next = ids.filter((id) => id.startsWith('npm:next@'));
    expect(next).toEqual(['16.4.10', '16.4.4', '16.4.4-canary.1', '16.4.3', '10.0.0', '9.3.7-canary.10'].map((v) => `npm:next@${v}`));
  });
});

describe('releases waiting on the same findings', () => {
  it('gives the queue rows their finding kinds and the same key to releases that share findings', async () => {
    const res = await api(airlock.url, 'api/v1/releases?state=awaiting-review', { token: reader });
    const rows = (res.body as Json).releases as Json[];
    const key = (v: string) => rows.find((r) => r.version === v)!.sameFindings as string;
    expect(rows.find((r) => r.version === '2.0.4')!.findingKinds).toEqual(['network-endpoint-added', 'process-spawn-added']);
    expect(rows.find((r) => r.version === '2.0.1')!.findingKinds).toEqual(['network-endpoint-added', 'dependency-added']);
    expect(key('2.0.1')).toBeTruthy();
    expect(key('2.0.2')).toBe(key('2.0.1'));
    expect(key('2.0.3')).toBe(key('2.0.1'));
    expect(key('2.0.4')).not.toBe(key('2.0.1'));
    const one = await api(airlock.url, 'api/v1/releases/npm:bundle@2.0.2', { token: reader });
    expect(((one.body as Json).sharesFindingsWith as string[]).sort()).toEqual(['npm:bundle@2.0.1', 'npm:bundle@2.0.3']);
  });

  it('decides several releases with one reason, each on its own, and reports the one it could not decide', async () => {
    const readerTry = await api(airlock.url, 'api/v1/decisions', { method: 'POST', token: reader, body: { action: 'approve', reason: 'x', releases: ['npm:bundle@2.0.4'] } });
    expect(readerTry.status).toBe(403);
    const noReason = await api(airlock.url, 'api/v1/decisions', { method: 'POST', token: reviewer, body: { action: 'approve', releases: ['npm:bundle@2.0.4'] } });
    expect(noReason.status).toBe(400);
    const bad = await api(airlock.url, 'api/v1/decisions', { method: 'POST', token: reviewer, body: { action: 'approve', reason: 'x', releases: ['npm:bundle@2.0.4', 'not an id'] } });
    expect(bad.status).toBe(400);
    // Nothing was decided by the refused request.
    expect(((await api(airlock.url, 'api/v1/releases/npm:bundle@2.0.4', { token: reader })).body as Json).state).toBe('awaiting-review');

    const res = await api(airlock.url, 'api/v1/decisions', {
      method: 'POST',
      token: reviewer,
      body: { action: 'reject', reason: 'spawns a shell in the bundle', releases: ['npm:bundle@2.0.4', 'npm:next@16.4.3', 'npm:nope@1.0.0'] },
    });
    expect(res.status).toBe(200);
    const body = res.body as Json;
    expect(body.decided).toBe(1);
    expect(body.results).toEqual([
      { release: 'npm:bundle@2.0.4', ok: true, previousState: 'awaiting-review', state: 'rejected', early: false },
      { release: 'npm:next@16.4.3', ok: false, code: 'ECONFLICT', error: 'cannot reject npm:next@16.4.3: it is released (use revoke for a release clients can already see)' },
      { release: 'npm:nope@1.0.0', ok: false, code: 'ENOTFOUND', error: 'npm:nope@1.0.0 is not known to Airlock' },
    ]);
    const audit = await api(airlock.url, 'api/v1/audit?subject=npm:bundle@2.0.4&action=reject', { token: reviewer });
    expect((audit.body as Json).entries).toMatchObject([{ actor: 'alice', reason: 'spawns a shell in the bundle', subject: 'npm:bundle@2.0.4' }]);
  });

  it('selects a group in the queue page and approves it with one reason; each approval is in the audit log', async () => {
    await page.goto(`${airlock.url}#/queue`);
    const table = page.getByRole('table', { name: 'Review queue' });
    await table.waitFor();
    const row = table.locator('tr', { hasText: 'npm:bundle@2.0.2' });
    expect(await row.textContent()).toMatch(/network-endpoint-added.*dependency-added.*same findings as 2 others/);
    await row.getByRole('button', { name: 'same findings as 2 others' }).click();
    await page.screenshot({ path: 'test-output/review-queue-same-findings.png', fullPage: true });
    const checked = await table.locator('input[type=checkbox]:checked').evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value).sort());
    expect(checked).toEqual(['npm:bundle@2.0.1', 'npm:bundle@2.0.2', 'npm:bundle@2.0.3']);
    const form = page.getByRole('form', { name: 'Decide the selected releases together' });
    await form.getByLabel('Reason (recorded for each release)').fill('webhook.site is our own status collector');
    await form.getByRole('button', { name: 'Decide 3 releases' }).click();
    await expect.poll(() => page.getByRole('table', { name: 'Review queue' }).locator('tbody tr').count().catch(() => 0)).toBe(0);
    for (const v of ['2.0.1', '2.0.2', '2.0.3']) {
      const audit = await api(airlock.url, `api/v1/audit?subject=npm:bundle@${v}&action=approve`, { token: reviewer });
      expect((audit.body as Json).entries).toMatchObject([{ actor: 'alice', reason: 'webhook.site is our own status collector', subject: `npm:bundle@${v}` }]);
    }
  });

  it('links a finding to the release it names', async () => {
    await page.goto(`${airlock.url}#/release/${encodeURIComponent('npm:bundle@2.0.1')}`);
    const link = page.getByRole('region', { name: 'low findings' }).getByRole('link', { name: 'npm:brand-new@1.0.0' });
    await link.waitFor();
    expect(await link.getAttribute('href')).toBe(`#/release/${encodeURIComponent('npm:brand-new@1.0.0')}`);
  });
});
