import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../helpers/run.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { startScriptedNpmUpstream, type ScriptedNpmUpstream } from '../helpers/scripted-npm-upstream.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { adminToken, api } from '../review/review-fixtures.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies in assertions

const day = 86_400_000;
const oldCount = 400;

describe('the audit log after a package with hundreds of old releases is read once', () => {
  const clock = new ManualClock('2026-06-01T12:00:00Z');
  let npm: ScriptedNpmUpstream;
  let airlock: StartedAirlock;
  let entries: Json[];

  beforeAll(async () => {
    npm = await startScriptedNpmUpstream();
    const versions: Record<string, Date> = {};
    // 400 releases from 400 to 1 days before the 30d horizon, then two recent ones.
    for (let i = 0; i < oldCount; i++) versions[`1.${Math.floor(i / 100)}.${i % 100}`] = new Date(clock.now().getTime() - (430 - i) * day);
    versions['2.0.0'] = new Date(clock.now().getTime() - 5 * day); // inside the horizon, past the cooldown: analyzed
    versions['2.1.0'] = new Date(clock.now().getTime() - 3_600_000); // an hour old: quarantined
    npm.publish('many-old', versions);
    airlock = await startAirlock({
      clock,
      policy: 'cooldown: 72h\nanalysisHorizon: 30d\n',
      env: { AIRLOCK_NPM_UPSTREAM: npm.url, AIRLOCK_ADMIN_TOKEN: adminToken },
    });
    expect((await fetch(`${airlock.url}npm/many-old`)).status).toBe(200);
    const res = await api(airlock.url, 'api/v1/audit?subject=many-old&limit=1000', { token: adminToken });
    entries = (res.body as Json).entries as Json[];
  }, 60_000);

  afterAll(async () => {
    await airlock?.close();
    await npm?.close();
  });

  it('holds one trusted-by-age entry for the package, naming how many releases, the horizon and the version range', () => {
    const byAge = entries.filter((e) => e.action === 'trusted-by-age');
    expect(byAge).toHaveLength(1);
    expect(byAge[0]).toMatchObject({
      subject: 'npm:many-old',
      actor: 'system',
      reason: `${oldCount} releases older than the 30d analysis horizon at first sight were trusted by age without analysis (1.0.0 … 1.3.99)`,
      detail: { count: oldCount, analysisHorizonMs: 30 * day },
    });
    expect(byAge[0]?.detail.versions).toHaveLength(oldCount);
    expect(byAge[0]?.detail.versions).toContain('1.2.50');
  });

  it('holds individual entries only for the releases that enter analysis or quarantine', () => {
    const discovered = entries.filter((e) => e.action === 'discovered');
    expect(discovered.map((e) => e.subject).sort()).toEqual(['npm:many-old@2.0.0', 'npm:many-old@2.1.0']);
    expect(discovered.find((e) => e.subject === 'npm:many-old@2.1.0')).toMatchObject({ detail: { state: 'quarantined', analysis: 'pending' } });
    expect(entries.filter((e) => /1\.\d+\.\d+$/.test(e.subject))).toEqual([]);
  });

  it('explains a release trusted by age on its own page with the package entry that covers it', async () => {
    const res = await api(airlock.url, 'api/v1/releases/npm:many-old@1.2.50', { token: adminToken });
    expect(res.status).toBe(200);
    const body = res.body as Json;
    expect(body.state).toBe('released');
    expect(body.history).toHaveLength(1);
    expect(body.history[0]).toMatchObject({ action: 'trusted-by-age', actor: 'system' });
    expect(body.history[0].reason).toMatch(/^400 releases older than the 30d analysis horizon at first sight were trusted by age/);
    // A recent release's page shows its own entries, not the package's.
    const recent = (await api(airlock.url, 'api/v1/releases/npm:many-old@2.1.0', { token: adminToken })).body as Json;
    expect(recent.history[0]).toMatchObject({ action: 'discovered' });
    expect(recent.history.map((h: Json) => h.action)).not.toContain('trusted-by-age');
  });

  it('explains it in `airlock review show` too', async () => {
    const res = await run(process.execPath, ['--import', 'tsx', path.resolve('src/cli/main.ts'), 'review', 'show', 'npm:many-old@1.0.7'], {
      env: { AIRLOCK_URL: airlock.url, AIRLOCK_TOKEN: adminToken },
      timeoutMs: 60_000,
    });
    expect(res.code, res.output).toBe(0);
    expect(res.stdout).toMatch(/history:\n.*trusted-by-age\s+system: 400 releases older than the 30d analysis horizon at first sight were trusted by age without analysis \(1\.0\.0 … 1\.3\.99\)/);
  }, 90_000);

  it('adds no package entry when the package is read again, and gives an old-dated release upstream adds later its own entry, held', async () => {
    clock.advance('10m');
    const quarantine = airlock.airlock.context.quarantine;
    await quarantine.observe('npm', 'many-old', [
      { version: '1.3.99', publishedAt: new Date(clock.now().getTime() - 100 * day) },
      { version: '0.9.0', publishedAt: new Date(clock.now().getTime() - 500 * day) },
    ]);
    const res = await api(airlock.url, 'api/v1/audit?subject=many-old&limit=1000', { token: adminToken });
    const now = (res.body as Json).entries as Json[];
    expect(now.filter((e) => e.action === 'trusted-by-age')).toHaveLength(1);
    // Its clock starts at the last read, not at the date upstream gives: it is quarantined, and said so.
    expect(now.filter((e) => e.subject === 'npm:many-old@0.9.0')).toMatchObject([{ action: 'discovered', detail: { state: 'quarantined' } }]);
  });
});
