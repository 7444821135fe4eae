import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../app-context.js';
import { AirlockError } from '../errors.js';
import type { TokenStore } from '../store/token-store.js';
import { requireRole } from './authenticate.js';
import { signedInCaller } from './caller.js';
import { createApiToken, tokenJson } from './create-api-token.js';

/** Token management for admins. Creating and revoking tokens is audited. */
export function tokenRoutes(ctx: AppContext, tokens: TokenStore): Router {
  const router = Router();

  router.get('/tokens', requireRole('admin'), async (_req: Request, res: Response) => {
    res.json({ tokens: (await tokens.listTokens()).map(tokenJson) });
  });

  router.post('/tokens', requireRole('admin'), async (req: Request, res: Response) => {
    const caller = signedInCaller(res);
    const body = (req.body ?? {}) as { name?: unknown; role?: unknown };
    const now = ctx.clock.now();
    const { token, info } = await createApiToken(tokens, { name: body.name, role: body.role, createdBy: caller.name, now });
    await ctx.store.appendAudit({
      at: now,
      actor: caller.name,
      role: caller.role,
      action: 'token-created',
      subject: `token:${info.name}`,
      reason: null,
      detail: { id: info.id, role: info.role },
    });
    res.status(201).json({ token, ...tokenJson(info) });
  });

  router.delete('/tokens/:id', requireRole('admin'), async (req: Request, res: Response) => {
    const caller = signedInCaller(res);
    const id = Number(req.params.id);
    const token = (await tokens.listTokens()).find((t) => t.id === id);
    if (!Number.isInteger(id) || !token || token.revokedAt) throw new AirlockError('ENOTFOUND', `no live token with id ${String(req.params.id)}`);
    const now = ctx.clock.now();
    await tokens.revokeToken(id, now);
    await ctx.store.appendAudit({
      at: now,
      actor: caller.name,
      role: caller.role,
      action: 'token-revoked',
      subject: `token:${token.name}`,
      reason: null,
      detail: { id },
    });
    res.status(204).end();
  });

  return router;
}
