import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { tempDir } from '../helpers/temp-dir.js';

const oldAdminToken = '2b7e151628aed2a6abf7158809cf4f3c-old';
const newAdminToken = '3243f6a8885a308d313198a2e0370734-new';

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(base: string, path: string, init: { method?: string; token?: string; cookie?: string; csrf?: string; body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.cookie) headers.cookie = init.cookie;
  if (init.csrf) headers['x-csrf-token'] = init.csrf;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(new URL(path, base), { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

async function signIn(base: string, token: string): Promise<{ cookie: string; csrf: string }> {
  const res = await call(base, 'api/v1/session', { method: 'POST', body: { token } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { cookie: res.headers.get('set-cookie')!.split(';')[0]!, csrf: res.body.csrfToken as string };
}

// A web session is only as good as the token it signed in with: when the admin token is rotated
// (Airlock restarted with a new AIRLOCK_ADMIN_TOKEN) or an API token is revoked, its sessions end.
describe('sessions die with their token', () => {
  let storage: { dir: string; remove: () => Promise<void> };
  let airlock: StartedAirlock | undefined;
  const clock = new ManualClock('2026-06-01T10:00:00Z');
  const start = async (adminToken: string) => {
    await airlock?.close();
    airlock = await startAirlock({ storageDir: storage.dir, clock, env: { AIRLOCK_ADMIN_TOKEN: adminToken } });
    return airlock.url;
  };

  beforeAll(async () => {
    storage = await tempDir('airlock-sessions-');
  });

  afterAll(async () => {
    await airlock?.close();
    await storage?.remove();
  });

  it('keeps an admin session across a restart with the same admin token', async () => {
    const session = await signIn(await start(oldAdminToken), oldAdminToken);
    const url = await start(oldAdminToken);
    expect((await call(url, 'api/v1/session', { cookie: session.cookie })).body).toMatchObject({ name: 'admin', role: 'admin', via: 'session' });
  });

  it('refuses a session signed in with the old admin token once the token is rotated', async () => {
    const session = await signIn(await start(oldAdminToken), oldAdminToken);
    const url = await start(newAdminToken);
    expect((await call(url, 'api/v1/session', { cookie: session.cookie })).status).toBe(401);
    const created = await call(url, 'api/v1/tokens', { method: 'POST', cookie: session.cookie, csrf: session.csrf, body: { name: 'mallory', role: 'admin' } });
    expect(created.status).toBe(401);
    expect((await call(url, 'api/v1/tokens', { token: newAdminToken })).body.tokens).toEqual([]);
    // The new token signs in as usual.
    const fresh = await signIn(url, newAdminToken);
    expect((await call(url, 'api/v1/session', { cookie: fresh.cookie })).body).toMatchObject({ role: 'admin' });
  });

  it('refuses an admin session once AIRLOCK_ADMIN_TOKEN is unset', async () => {
    const session = await signIn(await start(newAdminToken), newAdminToken);
    await airlock?.close();
    airlock = await startAirlock({ storageDir: storage.dir, clock });
    expect((await call(airlock.url, 'api/v1/session', { cookie: session.cookie })).status).toBe(401);
  });

  it('refuses the session of a revoked API token, at once and after a restart', async () => {
    const url = await start(newAdminToken);
    const created = await call(url, 'api/v1/tokens', { method: 'POST', token: newAdminToken, body: { name: 'carol', role: 'reviewer' } });
    expect(created.status).toBe(201);
    const session = await signIn(url, created.body.token as string);
    expect((await call(url, 'api/v1/session', { cookie: session.cookie })).body).toMatchObject({ name: 'carol', role: 'reviewer' });
    expect((await call(url, `api/v1/tokens/${String(created.body.id)}`, { method: 'DELETE', token: newAdminToken })).status).toBe(204);
    expect((await call(url, 'api/v1/session', { cookie: session.cookie })).status).toBe(401);
    const again = await start(newAdminToken);
    expect((await call(again, 'api/v1/session', { cookie: session.cookie })).status).toBe(401);
  });
});
