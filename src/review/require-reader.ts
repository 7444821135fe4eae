import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AppContext } from '../app-context.js';
import { AirlockError } from '../errors.js';
import { isPypiRequest } from '../http/is-pypi-request.js';
import { hasRole } from '../store/token-store.js';
import { authenticateToken, tokenFromHeader, unauthorized } from './authenticate.js';
import { tokenStoreOf } from './token-store-of.js';

/**
 * Guards the package-serving endpoints (`/npm/`, `/pypi/`) when `AIRLOCK_REQUIRE_TOKEN` is on:
 * every request needs a token with at least the `reader` role, as `Authorization: Bearer` (npm's
 * `//host/npm/:_authToken=<token>`) or as the Basic password (pip: `https://token:<token>@host/pypi/simple/`).
 * When the setting is off it does nothing: those endpoints only ever serve approved bytes.
 *
 * @example app.use(['/npm', '/pypi'], requireReader(context));
 */
export function requireReader(ctx: AppContext): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    if (!ctx.config.requireReaderToken) return next();
    // pip only sends credentials after a Basic challenge; npm sends its token up front.
    const scheme = isPypiRequest(req) ? 'Basic' : 'Bearer';
    try {
      const token = tokenFromHeader(req.headers.authorization);
      if (!token) throw unauthorized('this Airlock requires a reader token to install packages', scheme);
      const caller = await authenticateToken(ctx, tokenStoreOf(ctx).tokens, token, req, 'package', () =>
        unauthorized('the token is not valid (unknown or revoked)', scheme),
      );
      if (!hasRole(caller.role, 'reader')) throw new AirlockError('EFORBIDDEN', `${caller.name} may not install packages`);
      next();
    } catch (err) {
      next(err);
    }
  };
}
