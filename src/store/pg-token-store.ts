import { mustExist } from '../must-exist.js';
import type pg from 'pg';
import type { Migration } from './migrations.js';
import { migratePostgres, type MigrateOptions } from './pg-migrate.js';
import { pgTransaction } from './pg-transaction.js';
import type { ApiToken, Role, Session, TokenStore } from './token-store.js';

/** The token store's PostgreSQL schema (track `tokens`); append, never edit a shipped entry. */
export const pgTokenMigrations: Migration[] = [
  {
    version: 1,
    name: 'api tokens, web sessions',
    sql: `
CREATE TABLE api_tokens (
  id SERIAL PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  created_by TEXT NOT NULL,
  revoked_at TIMESTAMPTZ,
  last_used_at TIMESTAMPTZ
);
CREATE TABLE web_sessions (
  hash TEXT PRIMARY KEY,
  token_id INTEGER REFERENCES api_tokens(id) ON DELETE CASCADE,
  -- SHA-256 of the token signed in with (see Session.tokenHash).
  token_hash TEXT,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX web_sessions_token ON web_sessions (token_id);
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);
`,
  },
];

interface TokenRow {
  id: number;
  hash: string;
  name: string;
  role: Role;
  created_at: Date;
  created_by: string;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

function toToken(row: TokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    createdAt: row.created_at,
    createdBy: row.created_by,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

/**
 * API tokens and web sessions in PostgreSQL, so every replica knows every token and session:
 * a token revoked through one replica, and the sessions it opened, are refused by all of them.
 */
export class PgTokenStore implements TokenStore {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly ownsPool: boolean,
  ) {}

  static async open(pool: pg.Pool, options: { applied?: MigrateOptions['applied']; ownsPool?: boolean } = {}): Promise<PgTokenStore> {
    await migratePostgres(pool, 'tokens', pgTokenMigrations, { applied: options.applied });
    return new PgTokenStore(pool, options.ownsPool ?? false);
  }

  async createToken(token: { hash: string; name: string; role: Role; createdBy: string; createdAt: Date }): Promise<ApiToken> {
    const { rows } = await this.pool.query<TokenRow>(
      'INSERT INTO api_tokens (hash, name, role, created_at, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING *',
      [token.hash, token.name, token.role, token.createdAt, token.createdBy],
    );
    return toToken(mustExist(rows[0], 'the token row just inserted'));
  }

  async findToken(hash: string): Promise<ApiToken | null> {
    const { rows } = await this.pool.query<TokenRow>('SELECT * FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL', [hash]);
    return rows[0] ? toToken(rows[0]) : null;
  }

  async listTokens(): Promise<ApiToken[]> {
    return (await this.pool.query<TokenRow>('SELECT * FROM api_tokens ORDER BY id')).rows.map(toToken);
  }

  async revokeToken(id: number, at: Date): Promise<boolean> {
    return pgTransaction(this.pool, async (client) => {
      const revoked = await client.query('UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [at, id]);
      await client.query('DELETE FROM web_sessions WHERE token_id = $1', [id]);
      return (revoked.rowCount ?? 0) > 0;
    });
  }

  async touchToken(id: number, at: Date): Promise<void> {
    await this.pool.query('UPDATE api_tokens SET last_used_at = $1 WHERE id = $2', [at, id]);
  }

  async createSession(hash: string, session: Session): Promise<void> {
    await pgTransaction(this.pool, async (client) => {
      await client.query('DELETE FROM web_sessions WHERE expires_at <= $1', [session.createdAt]);
      // A session is only ever opened with a live token: the insert finds nothing to copy when the
      // token was revoked meanwhile (on any replica), so no session outlives its token.
      await client.query(
        `INSERT INTO web_sessions (hash, token_id, token_hash, name, role, created_at, expires_at)
         SELECT $1, $2::int, $3, $4, $5, $6, $7
         WHERE $2::int IS NULL OR EXISTS (SELECT 1 FROM api_tokens WHERE id = $2::int AND revoked_at IS NULL)`,
        [hash, session.tokenId, session.tokenHash, session.name, session.role, session.createdAt, session.expiresAt],
      );
    });
  }

  async findSession(hash: string, now: Date): Promise<Session | null> {
    const { rows } = await this.pool.query<{ token_id: number | null; token_hash: string | null; name: string; role: Role; created_at: Date; expires_at: Date }>(
      `SELECT s.token_id, s.token_hash, s.name, s.role, s.created_at, s.expires_at FROM web_sessions s
       LEFT JOIN api_tokens t ON t.id = s.token_id
       WHERE s.hash = $1 AND s.expires_at > $2 AND (s.token_id IS NULL OR t.revoked_at IS NULL)`,
      [hash, now],
    );
    const row = rows[0];
    return row
      ? { tokenId: row.token_id, tokenHash: row.token_hash, name: row.name, role: row.role, createdAt: row.created_at, expiresAt: row.expires_at }
      : null;
  }

  async deleteSession(hash: string): Promise<void> {
    await this.pool.query('DELETE FROM web_sessions WHERE hash = $1', [hash]);
  }

  async close(): Promise<void> {
    // The app and its owner may both close it; closing twice is harmless.
    if (this.ownsPool && !this.pool.ended) await this.pool.end();
  }
}
