import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type Airlock } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { parsePolicy } from '../../src/policy/load-policy.js';
import type { Policy } from '../../src/policy/policy.js';
import type { ObservedRelease, ReleaseStore } from '../../src/store/release-store.js';
import { FsBlobStore } from '../../src/store/fs-blob-store.js';
import { openSqlite } from '../../src/store/open-sqlite.js';
import { SqliteReleaseStore } from '../../src/store/sqlite-release-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { tempDir } from '../helpers/temp-dir.js';
import { adminToken, api } from './review-fixtures.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies in assertions

/** Store methods that answer with release rows; the test counts the rows each returns. */
const releaseReads = ['listReleases', 'dueAndNext', 'getRelease', 'getReleaseById', 'recordSeen'] as const;

/**
 * A real SQLite release store behind a proxy that counts the release rows each read returns, so a
 * test can tell how much of the store a sweep looked at.
 */
function countingStore(store: ReleaseStore): { store: ReleaseStore; rows: Record<string, number>; reset(): void } {
  const rows: Record<string, number> = {};
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || !(releaseReads as readonly (string | symbol)[]).includes(prop)) return value;
      return async (...args: unknown[]) => {
        const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        const n = Array.isArray(result)
          ? result.length
          : result && typeof result === 'object' && 'releases' in result
            ? (result as { releases: unknown[] }).releases.length
            : result && typeof result === 'object' && 'due' in result
              ? (result as { due: unknown[] }).due.length // the release due later is one time, not a release read
              : result
                ? 1
                : 0;
        rows[prop as string] = (rows[prop as string] ?? 0) + n;
        return result;
      };
    },
  });
  return { store: proxy, rows, reset: () => Object.keys(rows).forEach((k) => delete rows[k]) };
}

interface Replica {
  airlock: Airlock;
  counted: ReturnType<typeof countingStore>;
  url: string;
  server: Server;
  setPolicy(yaml: string): void;
}

/** One Airlock process's worth: its own connection to the shared database file, its own HTTP server. */
async function startReplica(storageDir: string, clock: ManualClock, policyYaml: string): Promise<Replica> {
  let policy: Policy = parsePolicy(policyYaml);
  const counted = countingStore(new SqliteReleaseStore(openSqlite(path.join(storageDir, 'airlock.db'))));
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const config = loadConfig({
    AIRLOCK_STORAGE: storageDir,
    AIRLOCK_PUBLIC_URL: url,
    AIRLOCK_NPM_UPSTREAM: 'http://127.0.0.1:9/',
    AIRLOCK_PYPI_UPSTREAM: 'http://127.0.0.1:9/',
    AIRLOCK_ADMIN_TOKEN: adminToken,
  });
  const airlock = createApp({ config, store: counted.store, blobs: new FsBlobStore(path.join(storageDir, 'blobs')), clock, policy: () => policy, log: () => {} });
  server.on('request', airlock.app);
  return { airlock, counted, url, server, setPolicy: (yaml) => (policy = parsePolicy(yaml)) };
}

async function stopReplica(r: Replica): Promise<void> {
  r.server.closeAllConnections();
  await new Promise<void>((resolve) => r.server.close(() => resolve()));
  await r.airlock.close();
  await r.counted.store.close();
}

const policy = 'cooldown: 72h\nanalysisHorizon: 1h\n';
const hour = 3_600_000;
const packages = 40;
const versionsEach = 100;

let temp: Awaited<ReturnType<typeof tempDir>>;
let clock: ManualClock;
let a: Replica;
let b: Replica;

/** Automatic audit entries about one release, oldest first, as the API lists them. */
async function automaticEntries(replica: Replica, subject: string): Promise<string[]> {
  const res = await api(replica.url, `api/v1/audit?subject=${encodeURIComponent(subject)}&actor=system&limit=1000`, { token: adminToken });
  return ((res.body as Json).entries as Json[]).filter((e) => e.subject === subject).map((e) => e.action as string).reverse();
}

beforeAll(async () => {
  temp = await tempDir('airlock-sweeper-');
  clock = new ManualClock('2026-06-01T12:00:00Z');
  a = await startReplica(temp.dir, clock, policy);
  b = await startReplica(temp.dir, clock, policy);
  // 4,000 old releases (trusted by age, released), recorded as an ecosystem records them.
  const longAgo = clock.now().getTime() - 400 * 86_400_000;
  for (let p = 0; p < packages; p++) {
    const observed: ObservedRelease[] = Array.from({ length: versionsEach }, (_, v) => ({ version: `1.0.${v}`, publishedAt: new Date(longAgo + v * hour) }));
    await a.airlock.context.quarantine.observe('npm', `old-${p}`, observed);
  }
  // Three fresh ones whose cooldown ends in 1h, 2h and 3h (published before the analysis horizon, so no analysis).
  for (const [name, hoursLeft] of [['soon', 1], ['later', 2], ['latest', 3]] as const)
    await a.airlock.context.quarantine.observe('npm', name, [{ version: '1.0.0', publishedAt: new Date(clock.now().getTime() - (72 - hoursLeft) * hour) }]);
  await Promise.all([a.airlock.review.sweep(), b.airlock.review.sweep()]);
}, 60_000);

afterAll(async () => {
  await stopReplica(a);
  await stopReplica(b);
  await temp.remove();
});

describe('the sweeper, with thousands of stored releases', () => {
  it('reads no release at all when nothing is due', async () => {
    clock.advance('30m');
    a.counted.reset();
    await a.airlock.review.sweep();
    expect(a.counted.rows).toEqual({});
  });

  it('releases a quarantined release when its cooldown ends, reading only that release, and writes its audit entry once', async () => {
    clock.advance('31m'); // 1h01m after the start: only `soon` is due
    a.counted.reset();
    b.counted.reset();
    await Promise.all([a.airlock.review.sweep(), b.airlock.review.sweep()]);
    expect(a.counted.rows).toEqual({ dueAndNext: 1 });
    expect(b.counted.rows.dueAndNext ?? 0).toBeLessThanOrEqual(1);
    expect(await automaticEntries(a, 'npm:soon@1.0.0')).toEqual(['discovered', 'released']);
    expect(await automaticEntries(a, 'npm:later@1.0.0')).toEqual(['discovered']);

    const listed = await api(a.url, 'api/v1/releases?state=released&q=soon', { token: adminToken });
    expect((listed.body as Json).releases.map((r: Json) => r.id)).toEqual(['npm:soon@1.0.0']);
    const quarantined = await api(b.url, 'api/v1/releases?state=quarantined', { token: adminToken });
    expect((quarantined.body as Json).releases.map((r: Json) => r.id)).toEqual(['npm:later@1.0.0', 'npm:latest@1.0.0']);
    expect((quarantined.body as Json).total).toBe(2);

    // Sweeping again, on either replica, adds nothing.
    clock.advance('1m');
    await Promise.all([a.airlock.review.sweep(), b.airlock.review.sweep(), a.airlock.review.sweep()]);
    expect(await automaticEntries(b, 'npm:soon@1.0.0')).toEqual(['discovered', 'released']);
  });

  it('writes each audit entry once when two replicas read the same due releases before either writes', async () => {
    clock.advance('2h'); // `later` and `latest` are due
    const [{ due: seenByA }, { due: seenByB }] = await Promise.all([a.counted.store.dueAndNext(clock.now(), 100), b.counted.store.dueAndNext(clock.now(), 100)]);
    expect(seenByA.map((t) => t.release.name).sort()).toEqual(['later', 'latest']);
    const transitions = (seen: typeof seenByA) =>
      seen.map((t) => {
        const { status, transition } = a.airlock.context.quarantine.transition(t.release, t.revision, clock.now());
        return { ...transition, audit: { at: clock.now(), actor: 'system', role: 'system', action: 'released', subject: `npm:${t.release.name}@1.0.0`, reason: status.reason, detail: { state: status.state } } };
      });
    const appliedByA = await a.counted.store.applyTransitions(transitions(seenByA));
    const appliedByB = await b.counted.store.applyTransitions(transitions(seenByB));
    expect(appliedByA).toHaveLength(2);
    expect(appliedByB).toEqual([]);
    expect(await automaticEntries(a, 'npm:later@1.0.0')).toEqual(['discovered', 'released']);
    expect(await automaticEntries(a, 'npm:latest@1.0.0')).toEqual(['discovered', 'released']);
  });

  it('counts releases by state for /metrics from the stored states', async () => {
    const text = await (await fetch(new URL('metrics', a.url))).text();
    expect(text).toMatch(new RegExp(`airlock_releases\\{ecosystem="npm",state="released"\\} ${packages * versionsEach + 3}`));
    expect(text).toMatch(/airlock_releases\{ecosystem="npm",state="quarantined"\} 0/);
  });

  it('on a policy reload, reads only the releases of packages whose policy changed', async () => {
    await a.airlock.context.quarantine.observe('npm', 'held', [{ version: '2.0.0', publishedAt: new Date(clock.now().getTime() - 30 * hour) }]);
    await Promise.all([a.airlock.review.sweep(), b.airlock.review.sweep()]);
    expect(await automaticEntries(a, 'npm:held@2.0.0')).toEqual(['discovered']);

    const shorter = `${policy}packages:\n  "npm:held": { cooldown: 24h }\n  "npm:old-7": { cooldown: 48h }\n`;
    a.setPolicy(shorter);
    b.setPolicy(shorter);
    a.counted.reset();
    b.counted.reset();
    await Promise.all([a.airlock.review.sweep(), b.airlock.review.sweep()]);
    // `held` (1 release) and `old-7` (100, still released) were made due; nothing else was read.
    expect((a.counted.rows.dueAndNext ?? 0) + (b.counted.rows.dueAndNext ?? 0)).toBeLessThanOrEqual(2 * (1 + versionsEach));
    expect(a.counted.rows.listReleases ?? 0).toBe(0);
    expect(await automaticEntries(a, 'npm:held@2.0.0')).toEqual(['discovered', 'released']);
    // Still released by age: nothing said of it beyond its package's trusted-by-age entry.
    expect(await automaticEntries(a, 'npm:old-7@1.0.5')).toEqual([]);
    expect(await automaticEntries(a, 'npm:old-7')).toEqual(['trusted-by-age']);
  });

  it('records a block from a policy reload once', async () => {
    const blocking = `${policy}block: ["npm:old-3"]\n`;
    a.setPolicy(blocking);
    b.setPolicy(blocking);
    await Promise.all([a.airlock.review.sweep(), b.airlock.review.sweep()]);
    expect(await automaticEntries(a, 'npm:old-3@1.0.0')).toEqual(['blocked']);
    const blocked = await api(a.url, 'api/v1/releases?state=rejected', { token: adminToken });
    expect((blocked.body as Json).total).toBe(versionsEach);
  });

  it('records the state a decision gives without an automatic entry, and its hold ending later changes nothing', async () => {
    await a.airlock.context.quarantine.observe('npm', 'decided', [{ version: '1.0.0', publishedAt: new Date(clock.now().getTime() - 2 * hour) }]);
    const approve = await api(b.url, 'api/v1/releases/npm:decided@1.0.0/approve', { method: 'POST', token: adminToken, body: { reason: 'vendor build' } });
    expect(approve.status).toBe(200);
    await Promise.all([a.airlock.review.sweep(), b.airlock.review.sweep()]);
    const approved = await api(a.url, 'api/v1/releases?state=approved', { token: adminToken });
    expect((approved.body as Json).releases.map((r: Json) => r.id)).toEqual(['npm:decided@1.0.0']);
    clock.advance('71h');
    a.counted.reset();
    await a.airlock.review.sweep();
    // The only release due is `held`, back under the 72h default since the last reload.
    expect(a.counted.rows).toEqual({ dueAndNext: 1 });
    expect(await automaticEntries(a, 'npm:held@2.0.0')).toEqual(['discovered', 'released', 'quarantined', 'released']);
    expect(await automaticEntries(a, 'npm:decided@1.0.0')).toEqual(['discovered']);
  });

  it('applies a policy edited while no process ran on the first sweep of the next one, reading only the packages it changed', async () => {
    await a.airlock.context.quarantine.observe('npm', 'edited', [{ version: '1.0.0', publishedAt: new Date(clock.now().getTime() - 30 * hour) }]);
    await Promise.all([a.airlock.review.sweep(), b.airlock.review.sweep()]);
    expect(await automaticEntries(a, 'npm:edited@1.0.0')).toEqual(['discovered']);
    // A new process on the same store, started with a shorter cooldown for `edited`: its first
    // sweep reads the releases due beside the recorded policy, then again after the edit made `edited` due.
    const c = await startReplica(temp.dir, clock, `${policy}block: ["npm:old-3"]\npackages:\n  "npm:edited": { cooldown: 24h }\n`);
    try {
      await c.airlock.review.sweep();
      expect(await automaticEntries(c, 'npm:edited@1.0.0')).toEqual(['discovered', 'released']);
      expect(c.counted.rows.dueAndNext).toBe(1);
      expect(c.counted.rows.listReleases ?? 0).toBe(0);
      const applied = await api(c.url, 'api/v1/audit?action=policy-applied&limit=1', { token: adminToken });
      expect((applied.body as Json).entries[0].reason).toBe('the policy changed');
    } finally {
      await stopReplica(c);
    }
  });
});
