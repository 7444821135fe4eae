import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TokenStore } from '../../src/store/token-store.js';
import { storeEngines, type EngineDatabase } from './store-engines.js';

const at = (iso: string) => new Date(iso);

describe.each(storeEngines)('token store on $name', (engine) => {
  let database: EngineDatabase;
  let tokens: TokenStore;

  beforeAll(() => engine.start());
  afterAll(() => engine.stop());
  beforeEach(async () => {
    database = await engine.database();
    tokens = (await database.connect()).tokens;
  });
  afterEach(() => database.drop());

  it('finds a live token by its hash only, lists every token, and refuses a revoked one', async () => {
    const created = await tokens.createToken({ hash: 'h1', name: 'alice', role: 'reviewer', createdBy: 'local', createdAt: at('2026-11-01T10:00:00Z') });
    expect(created).toMatchObject({ name: 'alice', role: 'reviewer', createdBy: 'local', createdAt: at('2026-11-01T10:00:00Z'), revokedAt: null, lastUsedAt: null });
    await tokens.createToken({ hash: 'h2', name: 'bob', role: 'admin', createdBy: 'alice', createdAt: at('2026-11-01T11:00:00Z') });
    expect((await tokens.findToken('h1'))?.id).toBe(created.id);
    expect(await tokens.findToken('nope')).toBeNull();

    await tokens.touchToken(created.id, at('2026-11-01T12:00:00Z'));
    expect((await tokens.findToken('h1'))?.lastUsedAt).toEqual(at('2026-11-01T12:00:00Z'));

    expect(await tokens.revokeToken(created.id, at('2026-11-02T00:00:00Z'))).toBe(true);
    expect(await tokens.revokeToken(created.id, at('2026-11-03T00:00:00Z'))).toBe(false);
    expect(await tokens.findToken('h1')).toBeNull();
    const listed = await tokens.listTokens();
    expect(listed.map((t) => [t.name, t.revokedAt])).toEqual([
      ['alice', at('2026-11-02T00:00:00Z')],
      ['bob', null],
    ]);
  });

  it('keeps a web session until it expires or its token is revoked, through any handle', async () => {
    const other = (await database.connect()).tokens;
    const token = await tokens.createToken({ hash: 'h1', name: 'alice', role: 'reviewer', createdBy: 'local', createdAt: at('2026-11-01T10:00:00Z') });
    const session = { tokenId: token.id, tokenHash: 'h1', name: 'alice', role: 'reviewer' as const, createdAt: at('2026-11-01T10:00:00Z'), expiresAt: at('2026-11-01T22:00:00Z') };
    await tokens.createSession('s1', session);
    await tokens.createSession('admin', { ...session, tokenId: null, tokenHash: 'admin-hash', name: 'admin', role: 'admin' });
    expect(await other.findSession('s1', at('2026-11-01T21:59:59Z'))).toEqual(session);
    expect(await other.findSession('s1', at('2026-11-01T22:00:00Z'))).toBeNull();

    await other.revokeToken(token.id, at('2026-11-01T11:00:00Z'));
    expect(await tokens.findSession('s1', at('2026-11-01T11:00:01Z'))).toBeNull();
    expect(await tokens.findSession('admin', at('2026-11-01T11:00:01Z'))).toMatchObject({ name: 'admin', tokenHash: 'admin-hash' });
    await tokens.deleteSession('admin');
    expect(await other.findSession('admin', at('2026-11-01T11:00:01Z'))).toBeNull();
  });
});
