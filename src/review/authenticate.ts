import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AppContext } from '../app-context.js';
import { AirlockError } from '../errors.js';
import { AuthFailureLimiter } from '../http/auth-failure-limiter.js';
import { hasRole, type Role, type Session, type TokenStore } from '../store/token-store.js';
import type { Caller } from './caller.js';
import { callerOf } from './caller.js';
import { csrfTokenFor, hashSecret, sameSecret } from './secret.js';

export const sessionCookie = 'airlock_session';
/** `last_used_at` is written at most this often per token, so installs do not turn into writes. */
const touchEveryMs = 60_000;

/** Finds the caller for an API token: the first admin's `AIRLOCK_ADMIN_TOKEN`, or a stored token. */
export async function callerForToken(ctx: AppContext, tokens: TokenStore, token: string): Promise<Caller | null> {
  if (ctx.config.adminToken && sameSecret(token, ctx.config.adminToken)) return { name: 'admin', role: 'admin', via: 'token' };
  const stored = await tokens.findToken(hashSecret(token));
  if (!stored) return null;
  const now = ctx.clock.now();
  if (!stored.lastUsedAt || now.getTime() - stored.lastUsedAt.getTime() > touchEveryMs) await tokens.touchToken(stored.id, now);
  return { name: stored.name, role: stored.role, via: 'token' };
}

/** Where a token was presented: the web sign-in, the API, or the package endpoints. */
export type AuthSurface = 'sign-in' | 'api' | 'package';

/**
 * `callerForToken` behind the failed-authentication limit: a client address that has failed too
 * often (or any failing address while all together have) gets a 429 with `Retry-After` before its
 * token is even looked at; every failure is counted, logged and shown in `/metrics`.
 */
export async function authenticateToken(
  ctx: AppContext,
  tokens: TokenStore,
  token: string,
  req: Request,
  surface: AuthSurface,
  challenge?: () => AirlockError,
): Promise<Caller> {
  const limiter = authFailuresOf(ctx);
  const address = clientAddress(req);
  const waitMs = limiter.retryAfterMs(address);
  if (waitMs > 0) {
    ctx.metrics.authFailures.inc({ surface, outcome: 'rate-limited' });
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    throw new AirlockError('ERATELIMITED', `too many failed authentications from ${address}; try again in ${seconds} s`, {
      headers: { 'Retry-After': String(seconds) },
    });
  }
  const caller = token ? await callerForToken(ctx, tokens, token) : null;
  if (caller) return caller;
  const { failures, total } = limiter.recordFailure(address);
  ctx.metrics.authFailures.inc({ surface, outcome: 'rejected' });
  const { perAddress, global } = limiter.limits;
  const blocked = failures >= perAddress ? '; refusing it until the window ends' : total >= global ? '; all addresses together are over the global limit' : '';
  ctx.logger.warn(
    { event: 'auth-failure', surface, address, failures, total },
    `authentication failed (${surface}) from ${address}: ${failures} of ${perAddress} failures in the window, ${total} of ${global} in all${blocked}`,
  );
  throw challenge ? challenge() : unauthorized('the API token is not valid (unknown or revoked)');
}

/** The app's limiter (created with the app; made here from the settings when a context has none). */
function authFailuresOf(ctx: AppContext): AuthFailureLimiter {
  ctx.authFailures ??= new AuthFailureLimiter(ctx.clock, {
    perAddress: ctx.config.authFailureLimit,
    global: ctx.config.authFailureGlobalLimit,
    windowMs: ctx.config.authFailureWindowMs,
  });
  return ctx.authFailures;
}

/** The client's address as the socket sees it (express's `req.ip`, so `trust proxy` applies when set). */
function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

/**
 * The token in an `Authorization` header: `Bearer <token>` (npm's `_authToken`, the CLI, curl), or
 * `Basic` with the token as password (pip with `https://user:<token>@host/pypi/simple/`), or as
 * the user name when the password is empty. Undefined when there is no header.
 */
export function tokenFromHeader(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer?.[1]) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1] ?? '', 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = colon < 0 ? decoded : decoded.slice(0, colon);
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    return password || user || '';
  }
  return '';
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    try {
      out[key] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // a cookie we did not write; ignore it
    }
  }
  return out;
}

export function unauthorized(message: string, scheme = 'Bearer'): AirlockError {
  return new AirlockError('EUNAUTHORIZED', message, { headers: { 'WWW-Authenticate': `${scheme} realm="Airlock"` } });
}

/**
 * Attaches the caller (or nothing) to `res.locals.caller`. A header that carries a bad token is a
 * 401 right away, rather than quietly treating the request as anonymous.
 */
export function authenticate(ctx: AppContext, tokens: TokenStore): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const token = tokenFromHeader(req.headers.authorization);
      if (token !== undefined) {
        res.locals.caller = await authenticateToken(ctx, tokens, token, req, 'api');
        return next();
      }
      const secret = parseCookies(req.headers.cookie)[sessionCookie];
      if (secret) {
        const sessionHash = hashSecret(secret);
        const session = await tokens.findSession(sessionHash, ctx.clock.now());
        if (session && !adminSessionOutlived(ctx, session)) {
          const caller: Caller = { name: session.name, role: session.role, via: 'session', sessionHash, csrfToken: csrfTokenFor(secret) };
          res.locals.caller = caller;
        }
      }
      next();
    } catch (err) {
      next(err);
    }
  };
}

/**
 * Whether this is a session of the `AIRLOCK_ADMIN_TOKEN` admin signed in with a token that is no
 * longer the configured one (rotated, or unset): it dies with its token. Sessions of stored
 * tokens die in the store when their token is revoked.
 */
function adminSessionOutlived(ctx: AppContext, session: Session): boolean {
  if (session.tokenId !== null) return false;
  return !ctx.config.adminToken || !session.tokenHash || !sameSecret(session.tokenHash, hashSecret(ctx.config.adminToken));
}

/**
 * Requires a caller with at least `role`; 401 without one, 403 with a weaker role. Requests made
 * with the session cookie must also carry the session's CSRF token in `X-CSRF-Token` when they
 * change something (the browser sends cookies on its own; an attacker's page cannot read the token).
 */
export function requireRole(role: Role): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const caller = callerOf(res);
    if (!caller) return next(unauthorized(`sign in or send an API token (Authorization: Bearer <token>); this needs the ${role} role`));
    if (!hasRole(caller.role, role))
      return next(new AirlockError('EFORBIDDEN', `${caller.name} has the ${caller.role} role; this needs ${role}`));
    if (caller.via === 'session' && !['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
      const sent = req.get('x-csrf-token');
      if (!sent || !caller.csrfToken || !sameSecret(sent, caller.csrfToken))
        return next(new AirlockError('EFORBIDDEN', 'missing or wrong CSRF token (X-CSRF-Token); reload the page'));
    }
    next();
  };
}
