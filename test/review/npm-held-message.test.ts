import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { npmClient, type NpmClient } from '../helpers/npm-client.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';
import { adminToken, api } from './review-fixtures.js';

let verdaccio: Verdaccio;
let airlock: StartedAirlock;
let client: NpmClient;
const versions = ['2.0.0', '2.1.0', '2.2.0', '2.3.0', '2.4.0', '2.5.0', '2.6.0', '2.7.0', '2.8.0', '2.9.0', '3.0.0', '3.1.0'];
const longReason = `calls home on install; ${'see the incident notes for the details. '.repeat(20)}`;

beforeAll(async () => {
  verdaccio = await startVerdaccio();
  await verdaccio.publish({ name: 'many-held', version: '1.0.0' });
  for (const v of versions) await verdaccio.publish({ name: 'many-held', version: v });
  airlock = await startAirlock({
    clock: new ManualClock(),
    policy: 'cooldown: 72h\nanalysisHorizon: 0\npackages:\n  "npm:many-held@1.0.0": { cooldown: 0 }\n',
    env: { AIRLOCK_NPM_UPSTREAM: verdaccio.url, AIRLOCK_ADMIN_TOKEN: adminToken },
  });
  expect((await fetch(new URL('npm/many-held', airlock.url))).status).toBe(200);
  const reject = await api(airlock.url, 'api/v1/releases/npm:many-held@3.1.0/reject', { method: 'POST', token: adminToken, body: { reason: longReason } });
  expect(reject.status).toBe(200);
  client = await npmClient(new URL('npm/', airlock.url).href);
}, 240_000);

afterAll(async () => {
  await client?.remove();
  await airlock?.close();
  await verdaccio?.stop();
});

describe('npm install of one held version among many', () => {
  it('names the version asked for first and lists the other held releases in short lines', async () => {
    const res = await client.npm(['install', 'many-held@2.4.0']);
    expect(res.code).not.toBe(0);
    const output = res.output;
    const head = output.indexOf('Could not download many-held@2.4.0 due to policy violations');
    expect(head, output).toBeGreaterThanOrEqual(0);
    const message = output.slice(head);
    // npm's own first line names the release asked for; no other held version comes before it.
    expect(/\b(\d+\.\d+\.\d+)\b/.exec(output)?.[1]).toBe('2.4.0');
    expect(message).toContain('Airlock holds 12 releases of many-held; the one asked for is among them:');
    expect(message).toMatch(/ 2\.4\.0: quarantined until \d{4}-\d\d-\d\dT\d\d:\d\dZ: cooldown 72h from upstream publish time/);
    expect(message).toMatch(/ 3\.1\.0: rejected by admin: calls home on install; see the incident notes/);
    expect(message).toContain('… and 2 more: 2.1.0, 2.0.0');
    // Short: no line of the message runs on, and the long rejection reason is cut.
    const lines = message.split('\n').filter((l) => /\d+\.\d+\.\d+: /.test(l));
    expect(lines).toHaveLength(10);
    for (const line of lines) expect(line.length).toBeLessThan(170);
    expect(message).not.toContain(longReason.trim());
  });

  it('still names a held version that has no line of its own', async () => {
    const res = await client.npm(['install', 'many-held@2.0.0']);
    expect(res.code).not.toBe(0);
    expect(res.output).toContain('Could not download many-held@2.0.0 due to policy violations');
    expect(res.output).toMatch(/… and 2 more: 2\.1\.0, 2\.0\.0/);
  });
});
