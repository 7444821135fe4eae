import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { startPypiUpstream, type PypiUpstream } from '../helpers/pypi-upstream.js';
import { buildWheel } from '../helpers/python-artifacts.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';

const hour = 3_600_000;
const json = 'application/vnd.pypi.simple.v1+json';

interface JsonPage {
  versions: string[];
  files: { filename: string; yanked: boolean | string }[];
}

describe('a PyPI project Airlock already has, once the index TTL has passed', () => {
  const clock = new ManualClock('2026-03-24T12:00:00Z');
  const hoursAgo = (h: number) => new Date(clock.now().getTime() - h * hour);
  const wheel = buildWheel({ name: 'slow-index', version: '1.0.0' });
  let upstream: PypiUpstream;
  let airlock: StartedAirlock;
  const page = async (name: string) => {
    const res = await fetch(`${airlock.url}pypi/simple/${name}/`, { headers: { accept: json } });
    expect(res.status).toBe(200);
    return (await res.json()) as JsonPage;
  };
  const pageRequests = (name: string) => upstream.requests.filter((p) => p === `/simple/${name}/`).length;

  beforeAll(async () => {
    upstream = await startPypiUpstream();
    upstream.add('slow-index', wheel, { uploadedAt: hoursAgo(2000) });
    upstream.add('big-index', buildWheel({ name: 'big-index', version: '1.0.0' }), { uploadedAt: hoursAgo(2000) });
    for (let i = 1; i <= 40; i++) upstream.add('big-index', buildWheel({ name: 'big-index', version: `1.0.${i}` }), { uploadedAt: hoursAgo(2000 - i) });
    // The default 60 s TTL: pages are trusted for a minute of the test clock.
    airlock = await startAirlock({ policy: 'cooldown: 72h\nanalysisHorizon: 0\n', env: { AIRLOCK_PYPI_UPSTREAM: upstream.url }, clock });
  });

  afterAll(async () => {
    upstream.delayPages(0);
    await airlock?.close();
    await upstream?.close();
  });

  it('is not asked for again upstream within the TTL', async () => {
    expect((await page('slow-index')).versions).toEqual(['1.0.0']);
    const asked = pageRequests('slow-index');
    clock.advance('59s');
    expect((await page('slow-index')).versions).toEqual(['1.0.0']);
    expect(pageRequests('slow-index')).toBe(asked);
  });

  it('is served at once from the last page while upstream, slow to answer, is asked again in the background', async () => {
    const asked = pageRequests('slow-index');
    upstream.yank('slow-index', wheel.filename, 'broken build');
    upstream.delayPages(4000);
    clock.advance('2s');
    const yanked = async () => (await page('slow-index')).files.map((f) => f.yanked);

    // Upstream already yanked the wheel but holds its answer for 4 s: the client gets the last page, not a wait.
    expect(await yanked()).toEqual([false]);
    await expect.poll(() => pageRequests('slow-index')).toBe(asked + 1);
    expect(await yanked()).toEqual([false]);

    // Once upstream has answered, the next request shows what it sent.
    await expect.poll(yanked, { timeout: 15_000, interval: 250 }).toEqual(['broken build']);
    // Requests during the revalidation shared that one upstream request.
    expect(pageRequests('slow-index')).toBe(asked + 1);
    upstream.delayPages(0);
  });

  it('keeps serving the last good page when upstream sends one it cannot read, and says so in the log', async () => {
    upstream.replacePage('slow-index', '{"meta": {"api-version": "1.1"}, "files": "not a list"');
    clock.advance('61s');
    const asked = pageRequests('slow-index');
    try {
      expect((await page('slow-index')).versions).toEqual(['1.0.0']);
      await expect.poll(() => airlock.logs.some((e) => String(e.msg).startsWith('pypi:slow-index: keeping the page checked at '))).toBe(true);
      expect(pageRequests('slow-index')).toBe(asked + 1);
      expect((await page('slow-index')).files.map((f) => f.yanked)).toEqual(['broken build']);
    } finally {
      upstream.replacePage('slow-index', null);
    }
  });

  it('keeps serving the last page while upstream is unreachable, and says so in the log', async () => {
    await upstream.stop();
    try {
      clock.advance('61s');
      expect((await page('slow-index')).versions).toEqual(['1.0.0']);
      await expect
        .poll(() => airlock.logs.some((e) => String(e.msg).startsWith('pypi:slow-index: upstream unreachable, serving the page checked at ')))
        .toBe(true);
      expect((await page('slow-index')).versions).toEqual(['1.0.0']);
    } finally {
      await upstream.start();
    }
  });

  it('counts what it keeps in memory in bytes: the index its raw page and every file, the rendered pages their bodies and gzip', async () => {
    const gauge = async (metric: string) => {
      const text = await (await fetch(new URL('metrics', airlock.url))).text();
      const line = text.split('\n').find((l) => l.startsWith(`${metric}{upstream="pypi"}`));
      return Number(line?.split(' ')[1] ?? Number.NaN);
    };
    const indexBefore = await gauge('airlock_index_memory_bytes');
    const renderBefore = await gauge('airlock_rendered_index_memory_bytes');
    const raw = await (await fetch(`${upstream.url}simple/big-index/`, { headers: { accept: json } })).arrayBuffer();

    const res = await fetch(`${airlock.url}pypi/simple/big-index/`, { headers: { accept: json, 'accept-encoding': 'identity' } });
    const body = await res.arrayBuffer();
    expect(((JSON.parse(Buffer.from(body).toString()) as JsonPage).files)).toHaveLength(41);

    // 41 files cost more than their bytes on the page: each is an upstream file and an artifact row.
    expect((await gauge('airlock_index_memory_bytes')) - indexBefore).toBeGreaterThan(raw.byteLength + 41 * 1000);
    expect((await gauge('airlock_rendered_index_memory_bytes')) - renderBefore).toBe(body.byteLength);

    const zipped = await fetch(`${airlock.url}pypi/simple/big-index/`, { headers: { accept: json, 'accept-encoding': 'gzip' } });
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    await zipped.arrayBuffer();
    const afterGzip = await gauge('airlock_rendered_index_memory_bytes');
    expect(afterGzip - renderBefore).toBeGreaterThan(body.byteLength);
    expect(afterGzip - renderBefore).toBeLessThan(body.byteLength * 2);
  });
});
