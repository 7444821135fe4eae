import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobQueue } from '../../src/store/job-queue.js';
import { JobQueueWaker } from '../../src/store/job-queue-waker.js';
import { storeEngines, type EngineDatabase } from './store-engines.js';

const t0 = new Date('2026-11-01T10:00:00Z');
const later = (ms: number) => new Date(t0.getTime() + ms);

describe.each(storeEngines)('job queue on $name', (engine) => {
  let database: EngineDatabase;
  let jobs: JobQueue;

  beforeAll(() => engine.start());
  afterAll(() => engine.stop());
  beforeEach(async () => {
    database = await engine.database();
    jobs = (await database.connect()).jobs;
  });
  afterEach(() => database.drop());

  it('has a waker look at the queue only once what it waits for (a new process\'s first sweep) has settled', async () => {
    let settle!: () => void;
    const after = new Promise<void>((resolve) => (settle = resolve));
    let looks = 0;
    const waker = new JobQueueWaker({ jobs, kind: 'analysis', owner: 'replica-a', look: () => looks++, unheardMs: 20, safetyMs: 20, after });
    try {
      await jobs.enqueue({ kind: 'analysis', key: 'analysis:9', payload: { releaseId: 9 } }, t0);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(looks).toBe(0);
      settle();
      await vi.waitFor(() => expect(looks).toBeGreaterThan(0), { timeout: 2000, interval: 10 });
    } finally {
      waker.close();
    }
  });

  it('queues a key once while it is unfinished, and again once it has finished', async () => {
    expect(await jobs.enqueue({ kind: 'analysis', key: 'analysis:1', payload: { releaseId: 1 } }, t0)).toBe(true);
    expect(await jobs.enqueue({ kind: 'analysis', key: 'analysis:1', payload: { releaseId: 1 } }, t0)).toBe(false);
    expect(await jobs.find('analysis:1')).toMatchObject({ kind: 'analysis', payload: { releaseId: 1 }, attempts: 0, owner: null, queuedAt: t0, doneAt: null });
    const [job] = await jobs.claim('analysis', 'replica-a', t0, 30_000, 10);
    expect(await jobs.enqueue({ kind: 'analysis', key: 'analysis:1' }, t0)).toBe(false);
    expect(await jobs.complete(job!.id, 'replica-a', later(1000))).toBe(true);
    expect(await jobs.find('analysis:1')).toBeNull();
    expect(await jobs.enqueue({ kind: 'analysis', key: 'analysis:1' }, later(2000))).toBe(true);
    expect(await jobs.prune(later(1500))).toBe(1);
  });

  it('hands out the highest priority first, then the oldest, only of the kind asked for and only once runnable', async () => {
    await jobs.enqueue({ kind: 'analysis', key: 'a1' }, t0);
    await jobs.enqueue({ kind: 'analysis', key: 'a2' }, t0);
    await jobs.enqueue({ kind: 'analysis', key: 'a3', runAfter: later(60_000) }, t0);
    await jobs.enqueue({ kind: 'webhook', key: 'w1' }, t0);
    // A client is waiting on a2.
    expect(await jobs.prioritize('a2', 10)).toBe(true);
    expect(await jobs.prioritize('nothing', 10)).toBe(false);
    const claimed = await jobs.claim('analysis', 'replica-a', t0, 120_000, 10);
    expect(claimed.map((j) => j.key)).toEqual(['a2', 'a1']);
    expect(claimed[0]).toMatchObject({ owner: 'replica-a', leaseUntil: later(120_000), attempts: 1, priority: 10 });
    expect((await jobs.claim('analysis', 'replica-a', later(60_000), 30_000, 10)).map((j) => j.key)).toEqual(['a3']);
    expect((await jobs.claim('webhook', 'replica-a', t0, 30_000, 10)).map((j) => j.key)).toEqual(['w1']);
  });

  it('gives each job to one replica when several claim at the same moment', async () => {
    for (let i = 0; i < 30; i++) await jobs.enqueue({ kind: 'analysis', key: `k${i}` }, t0);
    const replicas = await Promise.all([database.connect(), database.connect(), database.connect()]);
    const claimedBy = await Promise.all(
      replicas.map(async ({ jobs: queue }, r) => {
        const mine: string[] = [];
        for (;;) {
          const got = await queue.claim('analysis', `replica-${r}`, t0, 30_000, 4);
          if (got.length === 0) return mine;
          mine.push(...got.map((j) => j.key));
        }
      }),
    );
    const all = claimedBy.flat();
    expect(all).toHaveLength(30);
    expect(new Set(all).size).toBe(30);
  });

  it('lets another replica take a job whose lease ran out, and the first one can no longer finish it', async () => {
    await jobs.enqueue({ kind: 'analysis', key: 'slow' }, t0);
    const [mine] = await jobs.claim('analysis', 'replica-a', t0, 30_000, 1);
    expect(await jobs.claim('analysis', 'replica-b', later(29_000), 30_000, 1)).toEqual([]);
    expect(await jobs.renew(mine!.id, 'replica-a', later(40_000))).toBe(true);
    expect(await jobs.claim('analysis', 'replica-b', later(39_000), 30_000, 1)).toEqual([]);
    // replica-a was killed: its lease runs out and replica-b takes the job over.
    const [taken] = await jobs.claim('analysis', 'replica-b', later(40_000), 30_000, 1);
    expect(taken).toMatchObject({ id: mine!.id, owner: 'replica-b', attempts: 2 });
    expect(await jobs.complete(mine!.id, 'replica-a', later(41_000))).toBe(false);
    expect(await jobs.renew(mine!.id, 'replica-a', later(90_000))).toBe(false);
    expect(await jobs.complete(taken!.id, 'replica-b', later(42_000))).toBe(true);
    expect(await jobs.find('slow')).toBeNull();
  });

  it('puts a failed job back with its error, to run again after its back-off', async () => {
    await jobs.enqueue({ kind: 'webhook', key: 'event-7:https://hooks.test/a', payload: { eventId: 'event-7' } }, t0);
    const [job] = await jobs.claim('webhook', 'replica-a', t0, 30_000, 1);
    expect(await jobs.retry(job!.id, 'replica-b', later(5000), 'not mine')).toBe(false);
    expect(await jobs.retry(job!.id, 'replica-a', later(60_000), 'HTTP 503 from https://hooks.test/a')).toBe(true);
    expect(await jobs.claim('webhook', 'replica-b', later(59_000), 30_000, 1)).toEqual([]);
    const [again] = await jobs.claim('webhook', 'replica-b', later(60_000), 30_000, 1);
    expect(again).toMatchObject({ attempts: 2, lastError: 'HTTP 503 from https://hooks.test/a', payload: { eventId: 'event-7' } });
  });

  it('tells when a job may next be claimed, leaving out the leases the asking replica holds', async () => {
    expect(await jobs.nextClaimAt('analysis', 'replica-a')).toBeNull();
    await jobs.enqueue({ kind: 'analysis', key: 'a1' }, t0);
    await jobs.enqueue({ kind: 'analysis', key: 'a2', runAfter: later(60_000) }, t0);
    await jobs.enqueue({ kind: 'webhook', key: 'w1', runAfter: later(1000) }, t0);
    expect(await jobs.nextClaimAt('analysis', 'replica-a')).toEqual(t0);
    const [held] = await jobs.claim('analysis', 'replica-a', t0, 30_000, 1);
    expect(held!.key).toBe('a1');
    // Its own lease is renewed by the holder; another replica may take it once it runs out.
    expect(await jobs.nextClaimAt('analysis', 'replica-a')).toEqual(later(60_000));
    expect(await jobs.nextClaimAt('analysis', 'replica-b')).toEqual(later(30_000));
    expect(await jobs.retry(held!.id, 'replica-a', later(5000), 'upstream down')).toBe(true);
    expect(await jobs.nextClaimAt('analysis', 'replica-a')).toEqual(later(5000));
    expect(await jobs.nextClaimAt('webhook', 'replica-a')).toEqual(later(1000));
  });

  it('tells a follower of a kind of each job queued or handed back: by its own handle at once, by another soon after', async () => {
    const heard: string[] = [];
    let listening = false;
    const stop = jobs.watch('webhook', { claimableAt: (at) => heard.push(at.toISOString()), listening: (on) => (listening = on) });
    try {
      await jobs.enqueue({ kind: 'webhook', key: 'w1', runAfter: later(1000) }, t0);
      await jobs.enqueue({ kind: 'analysis', key: 'a1' }, t0);
      expect(heard).toContain(later(1000).toISOString());
      await vi.waitFor(() => expect(listening).toBe(true), { timeout: 10_000 });
      heard.length = 0;
      const other = (await database.connect()).jobs;
      await other.enqueue({ kind: 'webhook', key: 'w2', runAfter: later(500) }, t0);
      await vi.waitFor(() => expect(heard).toContain(later(500).toISOString()), { timeout: 10_000 });
      // Claimed, then handed back with a back-off: heard by its end at the latest (SQLite tells
      // the soonest unclaimed job after another process's commit; w2 may be that one).
      const [job] = await other.claim('webhook', 'replica-b', later(2000), 30_000, 1);
      heard.length = 0;
      await other.retry(job!.id, 'replica-b', later(9000), 'HTTP 503');
      await vi.waitFor(() => expect(heard.some((at) => at <= later(9000).toISOString())).toBe(true), { timeout: 10_000 });
      // Never of another kind.
      expect(heard.every((at) => at !== t0.toISOString())).toBe(true);
    } finally {
      stop();
    }
  });
});
