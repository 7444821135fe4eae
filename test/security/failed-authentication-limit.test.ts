import { request } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { parsePolicy } from '../../src/policy/load-policy.js';
import { FsBlobStore } from '../../src/store/fs-blob-store.js';
import { openSqlite } from '../../src/store/open-sqlite.js';
import { SqliteReleaseStore } from '../../src/store/sqlite-release-store.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { tempDir } from '../helpers/temp-dir.js';

const adminToken = 'b6f3c0d2e81a4f57a9c4e2d71f08b3a5c6d9e0f1a2b3c4d5';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request from a chosen loopback address (Linux routes all of 127.0.0.0/8 to lo). */
function from(address: string, base: string, method: string, urlPath: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, localAddress: address, method, path: urlPath, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const signIn = (address: string, base: string, token: string) =>
  from(address, base, 'POST', '/api/v1/session', { 'content-type': 'application/json' }, JSON.stringify({ token }));

async function failuresCounted(base: string): Promise<string[]> {
  const text = await (await fetch(new URL('metrics', base))).text();
  return text.split('\n').filter((l) => l.startsWith('airlock_auth_failures_total{'));
}

// Guessing tokens must be slow and visible: failed sign-ins and bearer tokens are limited per
// client address and in total, answered 429 with Retry-After, logged and counted.
describe('failed authentication is rate-limited', () => {
  let airlock: StartedAirlock;
  const clock = new ManualClock('2026-06-01T10:00:00Z');

  beforeAll(async () => {
    airlock = await startAirlock({
      clock,
      env: {
        AIRLOCK_ADMIN_TOKEN: adminToken,
        AIRLOCK_REQUIRE_TOKEN: 'true',
        AIRLOCK_AUTH_FAILURE_LIMIT: '5',
        AIRLOCK_AUTH_FAILURE_GLOBAL_LIMIT: '12',
        AIRLOCK_AUTH_FAILURE_WINDOW: '1m',
      },
    });
  });

  afterAll(async () => {
    await airlock?.close();
  });

  it('answers 429 with Retry-After after five wrong sign-ins from one address, even to the right token, until the window ends', async () => {
    for (let i = 0; i < 5; i++) expect((await signIn('127.0.0.2', airlock.url, `wrong-${i}`)).status).toBe(401);
    const limited = await signIn('127.0.0.2', airlock.url, 'wrong-again');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBe('60');
    expect(JSON.parse(limited.body)).toMatchObject({ code: 'ERATELIMITED' });
    expect((await signIn('127.0.0.2', airlock.url, adminToken)).status).toBe(429);
    // Another address is not held back by this one.
    expect((await signIn('127.0.0.3', airlock.url, adminToken)).status).toBe(201);

    clock.advance('45s');
    expect((await signIn('127.0.0.2', airlock.url, adminToken)).headers['retry-after']).toBe('15');
    clock.advance('16s');
    expect((await signIn('127.0.0.2', airlock.url, adminToken)).status).toBe(201);
  });

  it('limits wrong bearer tokens on the API and on the package endpoints the same way', async () => {
    clock.advance('2m');
    for (let i = 0; i < 3; i++) expect((await from('127.0.0.4', airlock.url, 'GET', '/api/v1/releases', { authorization: `Bearer nope-${i}` })).status).toBe(401);
    const pip = `Basic ${Buffer.from('token:guess').toString('base64')}`;
    expect((await from('127.0.0.4', airlock.url, 'GET', '/pypi/simple/', { authorization: pip })).status).toBe(401);
    expect((await from('127.0.0.4', airlock.url, 'GET', '/npm/demo-lib', { authorization: 'Bearer nope-npm' })).status).toBe(401);
    const api = await from('127.0.0.4', airlock.url, 'GET', '/api/v1/releases', { authorization: `Bearer ${adminToken}` });
    expect(api.status).toBe(429);
    const pypi = await from('127.0.0.4', airlock.url, 'GET', '/PYPI/simple/', { authorization: pip });
    expect(pypi.status).toBe(429);
    expect(pypi.headers['retry-after']).toBeDefined();
    expect(pypi.headers['content-type']).toMatch(/^application\/problem\+json/);
    // A client that sends no token is asked for one, not counted: pip's first request has none.
    for (let i = 0; i < 8; i++) expect((await from('127.0.0.5', airlock.url, 'GET', '/pypi/simple/')).status).toBe(401);
    expect((await from('127.0.0.5', airlock.url, 'GET', '/api/v1/releases', { authorization: `Bearer ${adminToken}` })).status).toBe(200);
  });

  it('refuses every failing address once all addresses together pass the global limit, but not clients with right tokens', async () => {
    clock.advance('2m');
    // 12 failures in all, two from each of six addresses: none reaches its own limit of five.
    for (let a = 10; a < 16; a++) for (let i = 0; i < 2; i++) expect((await signIn(`127.0.0.${a}`, airlock.url, 'guess')).status).toBe(401);
    expect((await signIn('127.0.0.10', airlock.url, 'guess')).status).toBe(429);
    expect((await signIn('127.0.0.15', airlock.url, adminToken)).status).toBe(429);
    expect((await signIn('127.0.0.20', airlock.url, adminToken)).status).toBe(201);
    // One more try for a fresh address, then it is refused too.
    expect((await signIn('127.0.0.21', airlock.url, 'guess')).status).toBe(401);
    expect((await signIn('127.0.0.21', airlock.url, 'guess')).status).toBe(429);
  });

  it('ignores X-Forwarded-For unless a proxy is trusted, so a guesser cannot pose as many clients', async () => {
    clock.advance('2m');
    for (let i = 0; i < 5; i++)
      expect((await from('127.0.0.30', airlock.url, 'GET', '/api/v1/releases', { authorization: 'Bearer x', 'x-forwarded-for': `203.0.113.${i}` })).status).toBe(401);
    expect((await from('127.0.0.30', airlock.url, 'GET', '/api/v1/releases', { authorization: 'Bearer x', 'x-forwarded-for': '203.0.113.99' })).status).toBe(429);
  });

  it('counts failures in /metrics by surface and outcome', async () => {
    const lines = await failuresCounted(airlock.url);
    expect(lines).toContain('airlock_auth_failures_total{surface="sign-in",outcome="rejected"} 18');
    expect(lines).toContain('airlock_auth_failures_total{surface="api",outcome="rejected"} 8');
    expect(lines).toContain('airlock_auth_failures_total{surface="package",outcome="rejected"} 2');
    expect(lines.some((l) => /surface="sign-in",outcome="rate-limited"} [1-9]/.test(l))).toBe(true);
  });
});

describe('failed authentication behind a trusted reverse proxy', () => {
  let airlock: StartedAirlock;

  beforeAll(async () => {
    airlock = await startAirlock({ env: { AIRLOCK_TRUST_PROXY: 'loopback', AIRLOCK_AUTH_FAILURE_LIMIT: '2', AIRLOCK_ADMIN_TOKEN: adminToken } });
  });

  afterAll(async () => {
    await airlock?.close();
  });

  it('is counted per forwarded client, so one guesser does not lock out the others behind the same proxy', async () => {
    const asClient = (client: string, token: string) =>
      from('127.0.0.1', airlock.url, 'POST', '/api/v1/session', { 'content-type': 'application/json', 'x-forwarded-for': client }, JSON.stringify({ token }));
    expect((await asClient('198.51.100.7', 'guess')).status).toBe(401);
    expect((await asClient('198.51.100.7', 'guess')).status).toBe(401);
    expect((await asClient('198.51.100.7', adminToken)).status).toBe(429);
    expect((await asClient('198.51.100.8', adminToken)).status).toBe(201);
  });
});

describe('the admin token at start', () => {
  it('logs a warning naming a generated token when AIRLOCK_ADMIN_TOKEN is weak, and none when it is strong', async () => {
    const temp = await tempDir('airlock-weak-token-');
    const store = new SqliteReleaseStore(openSqlite(path.join(temp.dir, 'airlock.db')));
    const logsFor = async (token: string) => {
      const lines: string[] = [];
      const config = loadConfig({ AIRLOCK_STORAGE: temp.dir, AIRLOCK_ADMIN_TOKEN: token });
      const airlock = createApp({ config, store, blobs: new FsBlobStore(path.join(temp.dir, 'blobs')), clock: new ManualClock(), policy: parsePolicy('cooldown: 0\n'), log: (m) => lines.push(m) });
      await airlock.close();
      return lines.filter((l) => l.includes('AIRLOCK_ADMIN_TOKEN'));
    };
    try {
      const [short] = await logsFor('admin-password-1');
      expect(short).toMatch(/AIRLOCK_ADMIN_TOKEN looks guessable: it is 16 characters long.*openssl rand -hex 32/);
      const [repetitive] = await logsFor('changeme'.repeat(5));
      expect(repetitive).toMatch(/looks guessable: it has about \d+ bits of entropy/);
      expect(await logsFor(adminToken)).toEqual([]);
    } finally {
      await store.close();
      await temp.remove();
    }
  });
});
