import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { rawRequest } from './raw-request.js';

const adminToken = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822c';

describe('token names that read as admin or system', () => {
  let airlock: StartedAirlock;

  beforeAll(async () => {
    airlock = await startAirlock({ env: { AIRLOCK_ADMIN_TOKEN: adminToken } });
  });

  afterAll(async () => {
    await airlock?.close();
  });

  const create = (name: string) =>
    fetch(new URL('api/v1/tokens', airlock.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, role: 'admin' }),
    });

  it('are refused whatever their case, width or surrounding whitespace, and none is created', async () => {
    for (const name of ['Admin', 'ADMIN', 'aDmIn', 'System', 'SYSTEM', ' admin', 'admin\t', 'ａｄｍｉｎ', 'ＳＹＳＴＥＭ', 'аdmin' /* Cyrillic а */, 'admin\u200b']) {
      const res = await create(name);
      expect(res.status, JSON.stringify(name)).toBe(400);
      expect(((await res.json()) as { error: string }).error, JSON.stringify(name)).toMatch(/is reserved|a token name is/);
    }
    const list = (await (await fetch(new URL('api/v1/tokens', airlock.url), { headers: { authorization: `Bearer ${adminToken}` } })).json()) as { tokens: unknown[] };
    expect(list.tokens).toEqual([]);
  });

  it('count as one name with a live token that differs only by case or width', async () => {
    expect((await create('alice')).status).toBe(201);
    expect((await create('ALICE')).status).toBe(409);
    expect((await create('ａｌｉｃｅ')).status).toBe(409);
  });
});

describe('errors under /pypi/ in any case', () => {
  let airlock: StartedAirlock;

  beforeAll(async () => {
    airlock = await startAirlock();
  });

  afterAll(async () => {
    await airlock?.close();
  });

  it('come back in the shape pip and uv read (problem+json), not npm\'s', async () => {
    for (const path of ['/PYPI/simple/demo/', '/PyPi/files/demo/1.0/demo-1.0.tar.gz', '/pypi/simple/demo/', '/PYPI/simple/%2e%2e/', '/PYPI']) {
      const res = await rawRequest(airlock.url, 'GET', path);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.headers['content-type'], path).toMatch(/^application\/problem\+json/);
      expect(Object.keys(JSON.parse(res.body.toString()) as object).sort(), path).toEqual(['code', 'detail', 'status', 'title', 'type']);
    }
    const npm = await rawRequest(airlock.url, 'GET', '/NPM/demo-lib');
    expect(npm.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(JSON.parse(npm.body.toString()) as object).sort()).toEqual(['code', 'error']);
  });
});
