import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { run, type RunResult } from '../helpers/run.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { adminToken, api, createToken, reviewPolicy, seedRelease } from './review-fixtures.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies in assertions

const entry = path.resolve('src/cli/main.ts');
let airlock: StartedAirlock;
let reviewer: string;

function airlockCli(args: string[]): Promise<RunResult> {
  return run(process.execPath, ['--import', 'tsx', entry, ...args], { env: { AIRLOCK_URL: airlock.url, AIRLOCK_TOKEN: reviewer }, timeoutMs: 60_000 });
}

const beacon = { kind: 'network-endpoint-added', severity: 'high' as const, path: 'dist/index.js', line: 1, message: 'dist/index.js contains a new endpoint, collect.webhook.site.' };

beforeAll(async () => {
  airlock = await startAirlock({ clock: new ManualClock('2026-03-24T12:00:00Z'), policy: reviewPolicy, env: { AIRLOCK_ADMIN_TOKEN: adminToken } });
  reviewer = await createToken(airlock.url, 'alice', 'reviewer');
  await seedRelease(airlock, { name: 'next', version: '16.4.3', publishedHoursAgo: 24 * 30, findings: [] });
  for (const v of ['16.4.4', '16.4.5', '16.4.6']) await seedRelease(airlock, { name: 'next', version: v, publishedHoursAgo: 80, findings: [beacon], baselineVersion: '16.4.3' });
}, 60_000);

afterAll(async () => {
  await airlock?.close();
});

describe('airlock review with several releases', () => {
  it('lists the finding kinds and, in show, the releases waiting on the same findings', async () => {
    const list = await airlockCli(['review', 'list']);
    expect(list.stdout).toMatch(/npm:next@16\.4\.6\s+1 high: network-endpoint-added/);
    const show = await airlockCli(['review', 'show', 'npm:next@16.4.5']);
    expect(show.stdout).toMatch(/same findings as: npm:next@16\.4\.(4|6) npm:next@16\.4\.(4|6)/);
  });

  it('approves several releases with one reason, each audited on its own, and exits 1 when one is refused', async () => {
    const res = await airlockCli(['review', 'approve', 'npm:next@16.4.4', 'npm:next@16.4.5', 'npm:next@16.4.3', '--reason', 'the endpoint is our status page']);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('npm:next@16.4.4: awaiting-review → approved\nnpm:next@16.4.5: awaiting-review → approved\n2 of 3 releases: approve\n');
    expect(res.stderr).toBe('airlock review: npm:next@16.4.3: cannot approve npm:next@16.4.3: it is released\n');
    for (const v of ['16.4.4', '16.4.5']) {
      const audit = await api(airlock.url, `api/v1/audit?subject=npm:next@${v}&action=approve`, { token: reviewer });
      expect((audit.body as Json).entries).toMatchObject([{ actor: 'alice', reason: 'the endpoint is our status page' }]);
    }
    const again = await airlockCli(['review', 'reject', 'npm:next@16.4.6', 'npm:next@16.4.6']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/reject needs --reason/);
  });
});
