import { mustExist } from '../must-exist.js';
import type { SqliteDatabase } from './open-sqlite.js';
import type { ApiToken, Role, Session, TokenStore } from './token-store.js';

const schema = `
CREATE TABLE IF NOT EXISTS api_tokens (
  id INTEGER PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  revoked_at INTEGER,
  last_used_at INTEGER
);
CREATE TABLE IF NOT EXISTS web_sessions (
  hash TEXT PRIMARY KEY,
  token_id INTEGER REFERENCES api_tokens(id),
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
`;

interface TokenRow {
  id: number;
  hash: string;
  name: string;
  role: Role;
  created_at: number;
  created_by: string;
  revoked_at: number | null;
  last_used_at: number | null;
}

interface SessionRow {
  token_id: number | null;
  token_hash: string | null;
  name: string;
  role: Role;
  created_at: number;
  expires_at: number;
}

function toToken(row: TokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    createdAt: new Date(row.created_at),
    createdBy: row.created_by,
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
    lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at),
  };
}

/** Tokens and sessions in the same SQLite file as the release store. */
export class SqliteTokenStore implements TokenStore {
  private readonly stmts;
  private closed = false;

  constructor(private readonly db: SqliteDatabase) {
    db.exec(schema);
    // Added after the first release: older databases get the column (their sessions have none).
    const columns = db.prepare<[], { name: string }>('PRAGMA table_info(web_sessions)').all();
    if (!columns.some((c) => c.name === 'token_hash')) db.exec('ALTER TABLE web_sessions ADD COLUMN token_hash TEXT');
    this.stmts = {
      insertToken: db.prepare('INSERT INTO api_tokens (hash, name, role, created_at, created_by) VALUES (?, ?, ?, ?, ?)'),
      tokenByHash: db.prepare<[string], TokenRow>('SELECT * FROM api_tokens WHERE hash = ? AND revoked_at IS NULL'),
      tokenById: db.prepare<[number], TokenRow>('SELECT * FROM api_tokens WHERE id = ?'),
      tokens: db.prepare<[], TokenRow>('SELECT * FROM api_tokens ORDER BY id'),
      revoke: db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      endSessions: db.prepare('DELETE FROM web_sessions WHERE token_id = ?'),
      touch: db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?'),
      insertSession: db.prepare(
        'INSERT INTO web_sessions (hash, token_id, token_hash, name, role, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      session: db.prepare<[string, number], SessionRow>(
        `SELECT s.token_id, s.token_hash, s.name, s.role, s.created_at, s.expires_at FROM web_sessions s
         LEFT JOIN api_tokens t ON t.id = s.token_id
         WHERE s.hash = ? AND s.expires_at > ? AND (s.token_id IS NULL OR t.revoked_at IS NULL)`,
      ),
      deleteSession: db.prepare('DELETE FROM web_sessions WHERE hash = ?'),
      expireSessions: db.prepare('DELETE FROM web_sessions WHERE expires_at <= ?'),
    };
  }

  async createToken(token: { hash: string; name: string; role: Role; createdBy: string; createdAt: Date }): Promise<ApiToken> {
    const info = this.stmts.insertToken.run(token.hash, token.name, token.role, token.createdAt.getTime(), token.createdBy);
    return toToken(mustExist(this.stmts.tokenById.get(Number(info.lastInsertRowid)), 'the token row just inserted'));
  }

  async findToken(hash: string): Promise<ApiToken | null> {
    const row = this.stmts.tokenByHash.get(hash);
    return row ? toToken(row) : null;
  }

  async listTokens(): Promise<ApiToken[]> {
    return this.stmts.tokens.all().map(toToken);
  }

  async revokeToken(id: number, at: Date): Promise<boolean> {
    return this.db.transaction(() => {
      const changed = this.stmts.revoke.run(at.getTime(), id).changes > 0;
      this.stmts.endSessions.run(id);
      return changed;
    }).immediate();
  }

  async touchToken(id: number, at: Date): Promise<void> {
    this.stmts.touch.run(at.getTime(), id);
  }

  async createSession(hash: string, session: Session): Promise<void> {
    this.stmts.expireSessions.run(session.createdAt.getTime());
    this.stmts.insertSession.run(
      hash,
      session.tokenId,
      session.tokenHash,
      session.name,
      session.role,
      session.createdAt.getTime(),
      session.expiresAt.getTime(),
    );
  }

  async findSession(hash: string, now: Date): Promise<Session | null> {
    const row = this.stmts.session.get(hash, now.getTime());
    if (!row) return null;
    return {
      tokenId: row.token_id,
      tokenHash: row.token_hash,
      name: row.name,
      role: row.role,
      createdAt: new Date(row.created_at),
      expiresAt: new Date(row.expires_at),
    };
  }

  async deleteSession(hash: string): Promise<void> {
    this.stmts.deleteSession.run(hash);
  }

  async close(): Promise<void> {
    // The app and its owner may both close it; closing twice is harmless.
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
