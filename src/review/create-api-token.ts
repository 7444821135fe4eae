import { AirlockError } from '../errors.js';
import { isRole, roles, type ApiToken, type TokenStore } from '../store/token-store.js';
import { hashSecret, newSecret } from './secret.js';

/** Names Airlock itself acts under in the audit log: the `AIRLOCK_ADMIN_TOKEN` admin and automatic changes. */
const reservedNames = ['admin', 'system'];

/**
 * The form two token names are compared in: NFKC (full-width and other compatibility forms fold
 * to ASCII, so `ａｄｍｉｎ` is `admin`), trimmed, lower-cased. Names that read the same to a
 * person reading the audit log are the same name.
 */
export function tokenNameKey(name: string): string {
  return name.normalize('NFKC').trim().toLowerCase();
}

/**
 * Creates an API token and returns it with the secret, which is shown once and never stored
 * (only its hash is). Names are unique among live tokens: they are what the audit log shows.
 */
export async function createApiToken(
  tokens: TokenStore,
  request: { name: unknown; role: unknown; createdBy: string; now: Date },
): Promise<{ token: string; info: ApiToken }> {
  const { role } = request;
  // Normalised once, here: the stored name is the one that was checked.
  const name = typeof request.name === 'string' ? request.name.normalize('NFKC').trim() : request.name;
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(name))
    throw new AirlockError('EBADREQUEST', `a token name is 1-64 letters, digits, ".", "_", "@" or "-", got ${JSON.stringify(request.name)}`);
  const key = tokenNameKey(name);
  if (reservedNames.includes(key)) throw new AirlockError('EBADREQUEST', `"${name}" is reserved (it reads as "${key}", which Airlock itself acts as)`);
  if (!isRole(role)) throw new AirlockError('EBADREQUEST', `role must be one of ${roles.join(', ')}, got ${JSON.stringify(role)}`);
  const live = await tokens.listTokens();
  if (live.some((t) => tokenNameKey(t.name) === key && !t.revokedAt))
    throw new AirlockError('ECONFLICT', `a live token named "${name}" exists; revoke it first or pick another name`);
  const token = newSecret('airlock_');
  const info = await tokens.createToken({ hash: hashSecret(token), name, role, createdBy: request.createdBy, createdAt: request.now });
  return { token, info };
}

export function tokenJson(t: ApiToken) {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    createdAt: t.createdAt.toISOString(),
    createdBy: t.createdBy,
    revokedAt: t.revokedAt?.toISOString() ?? null,
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
  };
}
