/** Roles in increasing power: a reader installs packages, a reviewer decides, an admin manages tokens. */
export type Role = 'reader' | 'reviewer' | 'admin';
export const roles: readonly Role[] = ['reader', 'reviewer', 'admin'];

/** Whether `role` carries at least the rights of `needed`. */
export function hasRole(role: Role, needed: Role): boolean {
  return roles.indexOf(role) >= roles.indexOf(needed);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}

/** An API token as stored: never the token itself, only its hash. */
export interface ApiToken {
  id: number;
  /** Who holds it; the name decisions and audit entries carry. */
  name: string;
  role: Role;
  createdAt: Date;
  /** Name of the admin who created it, or `local` for the CLI on the server's storage. */
  createdBy: string;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

/** A web session, found by the hash of its cookie value. */
export interface Session {
  /** Token the session signed in with; null for the `AIRLOCK_ADMIN_TOKEN` admin. */
  tokenId: number | null;
  /**
   * SHA-256 of the token the session signed in with, so a session of the `AIRLOCK_ADMIN_TOKEN`
   * admin dies when that setting changes. Null only for sessions stored before it was recorded.
   */
  tokenHash: string | null;
  name: string;
  role: Role;
  createdAt: Date;
  expiresAt: Date;
}

/**
 * API tokens and web sessions. Secrets are stored only as SHA-256 hashes (they are 256-bit random
 * values, so a plain hash is enough: nothing to brute-force). Async and engine-neutral like the
 * release store.
 */
export interface TokenStore {
  createToken(token: { hash: string; name: string; role: Role; createdBy: string; createdAt: Date }): Promise<ApiToken>;
  /** The live (not revoked) token with this hash. */
  findToken(hash: string): Promise<ApiToken | null>;
  listTokens(): Promise<ApiToken[]>;
  /** Revokes a token and ends its sessions; false when there was no live token with that id. */
  revokeToken(id: number, at: Date): Promise<boolean>;
  touchToken(id: number, at: Date): Promise<void>;

  createSession(hash: string, session: Session): Promise<void>;
  /** The unexpired session with this hash whose token is still live. */
  findSession(hash: string, now: Date): Promise<Session | null>;
  deleteSession(hash: string): Promise<void>;

  close(): Promise<void>;
}
