import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireReader } from '../../src/review/review-module.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { adminToken, api, createToken, postinstallFinding, reviewPolicy, seedRelease } from './review-fixtures.js';

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
  answeredWith: number;
}

/** A webhook receiver that fails the first `failFirst` deliveries of each event with 503. */
async function startReceiver(failFirst: number): Promise<{ url: string; deliveries: Delivery[]; server: Server; waitFor(n: number): Promise<void> }> {
  const deliveries: Delivery[] = [];
  const seen = new Map<string, number>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const delivery = String(req.headers['x-airlock-delivery']);
      const n = (seen.get(delivery) ?? 0) + 1;
      seen.set(delivery, n);
      const status = n <= failFirst ? 503 : 200;
      deliveries.push({ headers: req.headers, body, answeredWith: status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    deliveries,
    server,
    async waitFor(n) {
      const deadline = Date.now() + 20_000;
      while (deliveries.filter((d) => d.answeredWith === 200).length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} successful deliveries, got ${JSON.stringify(deliveries.map((d) => d.answeredWith))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

const secret = 'webhook-shared-secret';
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let airlock: StartedAirlock;

beforeAll(async () => {
  receiver = await startReceiver(2);
  airlock = await startAirlock({
    clock: new ManualClock('2026-03-24T12:00:00Z'),
    policy: `${reviewPolicy}webhooks:\n  - url: ${receiver.url}\n    secret: ${secret}\n`,
    env: { AIRLOCK_ADMIN_TOKEN: adminToken },
  });
});

afterAll(async () => {
  await airlock?.close();
  await new Promise((resolve) => receiver?.server.close(resolve));
});

describe('automatic audit entries and webhooks', () => {
  it('records the end of a cooldown and posts a signed awaiting-review webhook, retried until it is accepted', async () => {
    // Published 70h ago: 2h left of the 72h cooldown; the analysis found a postinstall script.
    await seedRelease(airlock, { name: 'demo-lib', version: '2.0.0', publishedHoursAgo: 70, findings: [postinstallFinding] });
    await seedRelease(airlock, { name: 'calm', version: '1.0.0', publishedHoursAgo: 70, findings: [] });
    const before = await api(airlock.url, 'api/v1/audit?subject=demo-lib', { token: adminToken });
    expect((before.body as { entries: { action: string }[] }).entries.map((e) => e.action)).toEqual(['discovered']);

    airlock.clock.advance('3h');
    const audit = await api(airlock.url, 'api/v1/audit', { token: adminToken });
    const entries = (audit.body as { entries: { action: string; subject: string; actor: string; reason: string }[] }).entries;
    expect(entries.filter((e) => e.actor === 'system').map((e) => `${e.action} ${e.subject}`).slice(0, 2).sort()).toEqual([
      'awaiting-review npm:demo-lib@2.0.0',
      'released npm:calm@1.0.0',
    ]);

    await receiver.waitFor(1);
    const attempts = receiver.deliveries.filter((d) => d.headers['x-airlock-event'] === 'awaiting-review');
    expect(attempts.map((d) => d.answeredWith)).toEqual([503, 503, 200]);
    expect(attempts.map((d) => d.headers['x-airlock-attempt'])).toEqual(['1', '2', '3']);
    const last = attempts[2]!;
    expect(last.headers['content-type']).toBe('application/json');
    const expected = `sha256=${createHmac('sha256', secret).update(last.body).digest('hex')}`;
    expect(last.headers['x-airlock-signature']).toBe(expected);
    const payload = JSON.parse(last.body) as Record<string, unknown>;
    expect(payload).toMatchObject({
      event: 'awaiting-review',
      release: 'npm:demo-lib@2.0.0',
      state: 'awaiting-review',
      findings: [{ kind: 'install-script-added', severity: 'critical', path: 'package.json', line: 6 }],
    });
    expect(payload.text).toBe(`npm:demo-lib@2.0.0 is awaiting review (install-script-added): ${airlock.url}#/release/npm%3Ademo-lib%402.0.0`);
  }, 30_000);

  it('posts a webhook when a reviewer decides', async () => {
    const reviewer = await createToken(airlock.url, 'alice', 'reviewer');
    const res = await api(airlock.url, 'api/v1/releases/npm:demo-lib@2.0.0/reject', { method: 'POST', token: reviewer, body: { reason: 'steals tokens' } });
    expect(res.status).toBe(200);
    await receiver.waitFor(2);
    const decision = receiver.deliveries.filter((d) => d.headers['x-airlock-event'] === 'reject' && d.answeredWith === 200)[0]!;
    expect(JSON.parse(decision.body)).toMatchObject({
      event: 'reject',
      text: 'npm:demo-lib@2.0.0 was rejected by alice: steals tokens',
      actor: 'alice',
      role: 'reviewer',
      reason: 'steals tokens',
      state: 'rejected',
    });
  }, 30_000);

  it('keeps the releases gauge in step with time', async () => {
    const text = await (await fetch(new URL('/metrics', airlock.url))).text();
    expect(text).toMatch(/airlock_releases\{ecosystem="npm",state="released"\} 1/);
    expect(text).toMatch(/airlock_releases\{ecosystem="npm",state="rejected"\} 1/);
    expect(text).toMatch(/airlock_releases\{ecosystem="npm",state="quarantined"\} 0/);
  });
});

describe('requireReader', () => {
  it('lets anyone install by default, and with AIRLOCK_REQUIRE_TOKEN only reader tokens (Bearer, or Basic password for pip)', async () => {
    const open = await startAirlock({ env: { AIRLOCK_ADMIN_TOKEN: adminToken } });
    const closed = await startAirlock({ env: { AIRLOCK_ADMIN_TOKEN: adminToken, AIRLOCK_REQUIRE_TOKEN: 'true' } });
    const guarded = async (target: StartedAirlock) => {
      const app = express();
      app.use(['/npm', '/pypi'], requireReader(target.airlock.context), (_req, res) => void res.send('package bytes'));
      app.use(errorHandler(() => {}));
      const server = app.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
    };
    const a = await guarded(open);
    const b = await guarded(closed);
    try {
      expect((await fetch(new URL('npm/left-pad', a.base))).status).toBe(200);

      const anonymous = await fetch(new URL('npm/left-pad', b.base));
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as { error: string }).error).toBe('this Airlock requires a reader token to install packages');
      const pipAnonymous = await fetch(new URL('pypi/simple/requests/', b.base));
      expect(pipAnonymous.headers.get('www-authenticate')).toBe('Basic realm="Airlock"');

      const reader = await createToken(closed.url, 'ci', 'reader');
      expect((await fetch(new URL('npm/left-pad', b.base), { headers: { authorization: `Bearer ${reader}` } })).status).toBe(200);
      const basic = Buffer.from(`__token__:${reader}`).toString('base64');
      expect((await fetch(new URL('pypi/simple/requests/', b.base), { headers: { authorization: `Basic ${basic}` } })).status).toBe(200);
      expect((await fetch(new URL('npm/left-pad', b.base), { headers: { authorization: 'Bearer airlock_wrong' } })).status).toBe(401);
    } finally {
      a.server.close();
      b.server.close();
      await open.close();
      await closed.close();
    }
  });
});
