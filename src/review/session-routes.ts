import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../app-context.js';
import { AirlockError } from '../errors.js';
import type { TokenStore } from '../store/token-store.js';
import { authenticateToken, sessionCookie, unauthorized } from './authenticate.js';
import { callerOf, signedInCaller } from './caller.js';
import { requireRole } from './authenticate.js';
import { csrfTokenFor, hashSecret, newSecret } from './secret.js';

const sessionMs = 12 * 3_600_000;

/** Sign-in for the web page: a token in, a session cookie out. */
export function sessionRoutes(ctx: AppContext, tokens: TokenStore): Router {
  const router = Router();
  const secure = (req: Request) => ctx.config.publicUrl.protocol === 'https:' || req.secure;
  const cookie = (req: Request, value: string, maxAgeS: number) =>
    `${sessionCookie}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure(req) ? '; Secure' : ''}`;

  router.get('/session', (_req: Request, res: Response) => {
    const caller = callerOf(res);
    if (!caller) throw unauthorized('not signed in');
    res.json({ name: caller.name, role: caller.role, via: caller.via, csrfToken: caller.csrfToken ?? null });
  });

  router.post('/session', async (req: Request, res: Response) => {
    const token = (req.body as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || token.length === 0) throw new AirlockError('EBADREQUEST', 'send {"token": "<your API token>"}');
    const caller = await authenticateToken(ctx, tokens, token, req, 'sign-in', () => unauthorized('that token is not valid (unknown or revoked)'));
    const secret = newSecret('');
    const now = ctx.clock.now();
    const expiresAt = new Date(now.getTime() + sessionMs);
    const stored = await tokens.findToken(hashSecret(token));
    await tokens.createSession(hashSecret(secret), {
      tokenId: stored?.id ?? null,
      tokenHash: hashSecret(token),
      name: caller.name,
      role: caller.role,
      createdAt: now,
      expiresAt,
    });
    res.setHeader('Set-Cookie', cookie(req, secret, sessionMs / 1000));
    res.status(201).json({ name: caller.name, role: caller.role, csrfToken: csrfTokenFor(secret), expiresAt: expiresAt.toISOString() });
  });

  router.delete('/session', requireRole('reader'), async (req: Request, res: Response) => {
    const caller = signedInCaller(res);
    if (caller.via !== 'session' || !caller.sessionHash) throw new AirlockError('EBADREQUEST', 'sign-out ends a web session; API tokens are revoked instead');
    await tokens.deleteSession(caller.sessionHash);
    res.setHeader('Set-Cookie', cookie(req, '', 0));
    res.status(204).end();
  });

  return router;
}
