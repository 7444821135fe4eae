import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp, type Airlock } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { parsePolicy } from '../../src/policy/load-policy.js';
import { FsBlobStore } from '../../src/store/fs-blob-store.js';
import { openDatabase, type OpenedDatabase } from '../../src/store/open-stores.js';
import type { ReleaseStore } from '../../src/store/release-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Store methods a sweep may ask; the test counts the calls. */
const sweepReads = ['dueAndNext', 'nextChangeAt'] as const;

function countingStore(store: ReleaseStore): { store: ReleaseStore; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (!(sweepReads as readonly (string | symbol)[]).includes(prop)) return (value as (...a: unknown[]) => unknown).bind(target);
      return (...args: unknown[]) => {
        calls[prop as string] = (calls[prop as string] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

interface Replica {
  airlock: Airlock;
  database: OpenedDatabase;
  calls: Record<string, number>;
}

const hour = 3_600_000;
let cluster: Postgres;
let temp: Awaited<ReturnType<typeof tempDir>>;
let clock: ManualClock;
let a: Replica;
let b: Replica;

/** One Airlock process's worth on the shared database: its own pool and listening connection, as a replica opens them. */
async function startReplica(url: string): Promise<Replica> {
  const database = await openDatabase({ kind: 'postgres', url }, () => {}, { serve: true });
  const counted = countingStore(database.store);
  const config = loadConfig({ AIRLOCK_STORAGE: temp.dir, AIRLOCK_NPM_UPSTREAM: 'http://127.0.0.1:9/', AIRLOCK_PYPI_UPSTREAM: 'http://127.0.0.1:9/' });
  const policy = parsePolicy('cooldown: 72h\nanalysisHorizon: 1h\n');
  const airlock = createApp({
    config,
    store: counted.store,
    tokens: database.tokens,
    jobs: database.jobs,
    blobs: new FsBlobStore(path.join(temp.dir, 'blobs')),
    clock,
    policy: () => policy,
    log: () => {},
  });
  return { airlock, database, calls: counted.calls };
}

const automaticEntries = async (store: ReleaseStore, subject: string) =>
  (await store.listAudit({ subject, actor: 'system', order: 'oldest' })).filter((e) => e.subject === subject).map((e) => e.action);

beforeAll(async () => {
  cluster = await startPostgres();
  temp = await tempDir('airlock-sweeper-pg-');
  clock = new ManualClock('2026-06-01T12:00:00Z');
  const url = await cluster.createDatabase();
  a = await startReplica(url);
  b = await startReplica(url);
  await Promise.all([a.airlock.review.sweep(), b.airlock.review.sweep()]);
}, 120_000);

afterAll(async () => {
  for (const r of [a, b]) {
    await r.airlock.close();
    await r.database.close();
  }
  await temp.remove();
  await cluster.stop();
});

describe('the sweeper on PostgreSQL with two replicas', () => {
  it('asks the database nothing when nothing is due', async () => {
    clock.advance('1m');
    for (const k of Object.keys(a.calls)) delete a.calls[k];
    await a.airlock.review.sweep();
    await a.airlock.review.sweep();
    expect(a.calls).toEqual({});
  });

  it('releases a release the other replica recorded when its cooldown ends, once, on the replica that sweeps', async () => {
    // Recorded through b only: published 71h ago, so its 72h cooldown ends in an hour.
    await b.airlock.context.quarantine.observe('npm', 'elsewhere', [{ version: '1.0.0', publishedAt: new Date(clock.now().getTime() - 71 * hour) }]);
    await b.airlock.review.sweep();
    expect(await automaticEntries(a.database.store, 'npm:elsewhere@1.0.0')).toEqual(['discovered']);
    // a heard of the release's next change from b's write (NOTIFY); until then it knew of nothing due at all.
    clock.advance('61m');
    await vi.waitFor(
      async () => {
        await a.airlock.review.sweep();
        expect(await automaticEntries(a.database.store, 'npm:elsewhere@1.0.0')).toEqual(['discovered', 'released']);
      },
      { timeout: 10_000, interval: 100 },
    );
    // b sweeping too changes nothing: the transition was conditional on the row as read.
    await b.airlock.review.sweep();
    expect(await automaticEntries(b.database.store, 'npm:elsewhere@1.0.0')).toEqual(['discovered', 'released']);
    expect(await a.database.store.countByState()).toEqual([{ ecosystem: 'npm', state: 'released', count: 1 }]);
  });
});
