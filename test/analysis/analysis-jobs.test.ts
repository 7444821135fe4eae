import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisJobKey } from '../../src/quarantine/analysis-jobs.js';
import { openSqlite } from '../../src/store/open-sqlite.js';
import { SqliteJobQueue } from '../../src/store/sqlite-job-queue.js';
import { SqliteReleaseStore } from '../../src/store/sqlite-release-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { startAirlock } from '../helpers/start-airlock.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';
import { startUpstreamProxy, type UpstreamProxy } from '../npm/upstream-proxy.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- documents in assertions

const day = 86_400_000;
const names = ['burst-a', 'burst-b', 'burst-c', 'burst-d'];
// Verdaccio stamps releases with the real time; Airlock's clock runs 10 days ahead: past the
// cooldown, inside the analysis horizon. Each x.0.0 is trusted by age, the baseline of its x.1.0.
const policy = [
  'cooldown: 72h',
  'analysisHorizon: 30d',
  'packages:',
  ...[...names, 'held-lib', 'flaky-lib'].map((n) => `  "npm:${n}@1.0.0": { analysisHorizon: 0 }`),
  '',
].join('\n');
const tgz = (name: string, version: string) => `/${name}/-/${name}-${version}.tgz`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('analyses as jobs in the SQLite database, in one process', () => {
  let verdaccio: Verdaccio;
  let proxy: UpstreamProxy;

  beforeAll(async () => {
    verdaccio = await startVerdaccio();
    for (const name of [...names, 'held-lib', 'flaky-lib']) {
      await verdaccio.publish({ name, version: '1.0.0', files: { 'index.js': 'module.exports = 1;\n' } });
      await verdaccio.publish({ name, version: '1.1.0', files: { 'index.js': 'module.exports = 2;\n' } });
    }
    proxy = await startUpstreamProxy(verdaccio.url);
  }, 180_000);

  afterAll(async () => {
    await proxy?.close();
    await verdaccio?.stop();
  });

  it('runs each analysis once for 20 concurrent first-sight requests, fetching each tarball from upstream once, and finishes its job', async () => {
    const airlock = await startAirlock({ clock: new ManualClock(new Date(Date.now() + 10 * day)), policy, env: { AIRLOCK_NPM_UPSTREAM: proxy.url }, jobQueue: true });
    try {
      const answers = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const res = await fetch(new URL(`npm/${names[i % names.length]}`, airlock.url));
          return { status: res.status, latest: ((await res.json()) as Json)['dist-tags']?.latest as string };
        }),
      );
      expect(answers).toEqual(Array.from({ length: 20 }, () => ({ status: 200, latest: '1.1.0' })));
      for (const name of names) {
        const analyzed = await airlock.store.listAudit({ subject: `npm:${name}@1.1.0`, action: 'analyzed' });
        expect(analyzed, name).toHaveLength(1);
        expect(proxy.hits(tgz(name, '1.1.0')), name).toBe(1);
        expect(proxy.hits(tgz(name, '1.0.0')), name).toBe(1);
        const release = (await airlock.store.getRelease('npm', name, '1.1.0'))!;
        // Finished: no unfinished job is left under its key.
        expect(await airlock.airlock.context.jobs!.find(analysisJobKey({ releaseId: release.id }))).toBeNull();
      }
    } finally {
      await airlock.close();
    }
  });

  it('leaves an analysis job another process holds alone until its lease runs out, then runs it for the waiting client', async () => {
    const storage = await tempDir('airlock-jobs-');
    const clock = new ManualClock(new Date(Date.now() + 10 * day));
    // A process that claimed held-lib 1.1.0's analysis for 3 s and died: its rows are all that is left of it.
    const db = openSqlite(path.join(storage.dir, 'airlock.db'));
    const store = new SqliteReleaseStore(db);
    const jobs = new SqliteJobQueue(db);
    const { added } = await store.recordSeen('npm', 'held-lib', [{ version: '1.1.0', publishedAt: new Date(), meta: {} }], clock.now(), () => 'pending');
    const release = added[0]!;
    const key = analysisJobKey({ releaseId: release.id });
    await jobs.enqueue({ kind: 'analysis', key, payload: { releaseId: release.id } }, new Date());
    expect(await jobs.claim('analysis', 'dead-process', new Date(), 3_000, 10)).toHaveLength(1);
    const leaseEndsAt = Date.now() + 3_000;

    const airlock = await startAirlock({ storageDir: storage.dir, clock, policy, env: { AIRLOCK_NPM_UPSTREAM: proxy.url }, jobQueue: true });
    try {
      const waiting = fetch(new URL('npm/held-lib', airlock.url));
      await sleep(1_500);
      // Its holder might still be alive: nothing ran it yet.
      expect(proxy.hits(tgz('held-lib', '1.1.0'))).toBe(0);
      expect((await store.getReleaseById(release.id))!.analysis).toBe('pending');

      const res = await waiting;
      expect(Date.now()).toBeGreaterThanOrEqual(leaseEndsAt);
      expect(res.status).toBe(200);
      expect(((await res.json()) as Json)['dist-tags'].latest).toBe('1.1.0');
      expect(await store.listAudit({ subject: 'npm:held-lib@1.1.0', action: 'analyzed' })).toHaveLength(1);
      expect(await jobs.find(key)).toBeNull();
    } finally {
      await airlock.close();
      await store.close();
      await storage.remove();
    }
  });

  it('retries an analysis whose tarball upstream refuses with back-off, and after AIRLOCK_ANALYSIS_FETCH_ATTEMPTS it becomes an analysis-error finding', async () => {
    proxy.answer(tgz('flaky-lib', '1.1.0'), () => ({ status: 503, body: 'try later' }));
    const airlock = await startAirlock({
      clock: new ManualClock(new Date(Date.now() + 10 * day)),
      policy,
      // Back-offs of 400 ms and 800 ms: the job is retried when each ends, so the analysis outlasts the 1 s first-sight wait.
      env: { AIRLOCK_NPM_UPSTREAM: proxy.url, AIRLOCK_ANALYSIS_FETCH_ATTEMPTS: '3', AIRLOCK_ANALYSIS_RETRY_DELAY: '400ms', AIRLOCK_FIRST_SIGHT_WAIT: '1s' },
      jobQueue: true,
    });
    try {
      expect((await fetch(new URL('npm/flaky-lib', airlock.url))).status).toBe(503);
      let release = (await airlock.store.getRelease('npm', 'flaky-lib', '1.1.0'))!;
      for (let i = 0; i < 100 && release.analysis === 'pending'; i++) {
        await sleep(100);
        release = (await airlock.store.getRelease('npm', 'flaky-lib', '1.1.0'))!;
      }
      expect(release.analysis).toBe('done');
      expect(release.findings).toEqual([
        expect.objectContaining({ kind: 'analysis-error', message: expect.stringContaining('could not be fetched from upstream after 3 attempts') }),
      ]);
      expect(await airlock.store.listAudit({ subject: 'npm:flaky-lib@1.1.0', action: 'analyzed' })).toHaveLength(1);
    } finally {
      await airlock.close();
    }
  });
});
