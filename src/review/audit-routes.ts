import { Router, type Request, type Response } from 'express';
import type { AppContext } from '../app-context.js';
import { AirlockError } from '../errors.js';
import type { AuditEntry, AuditQuery } from '../store/release-store.js';
import { requireRole } from './authenticate.js';
import { queryParams } from './query-params.js';
import type { Sweeper } from './sweeper.js';

function entryJson(e: AuditEntry) {
  return { id: e.id, at: e.at.toISOString(), actor: e.actor, role: e.role, action: e.action, subject: e.subject, reason: e.reason, detail: e.detail };
}

function intParam(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new AirlockError('EBADREQUEST', `${name} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

/** The audit log, read-only: newest-first pages, and a JSON-lines export for SIEM ingestion. */
export function auditRoutes(ctx: AppContext, sweeper: Sweeper): Router {
  const router = Router();
  const filters = (q: Record<string, string | undefined>): AuditQuery => ({
    subject: q.subject || q.package || undefined,
    actor: q.actor || undefined,
    action: q.action || undefined,
  });

  router.get('/audit', requireRole('reviewer'), async (req: Request, res: Response) => {
    await sweeper.sweepIfStale();
    const q = queryParams(req);
    const limit = intParam(q.limit, 'limit', 1, 1000) ?? 100;
    const entries = await ctx.store.listAudit({ ...filters(q), beforeId: intParam(q.before, 'before', 1, Number.MAX_SAFE_INTEGER), limit, order: 'newest' });
    const next = entries.length === limit ? (entries.at(-1)?.id ?? null) : null;
    res.json({ entries: entries.map(entryJson), next });
  });

  router.get('/audit/export', requireRole('reviewer'), async (req: Request, res: Response) => {
    await sweeper.sweepIfStale();
    const q = queryParams(req);
    let after = intParam(q.after, 'after', 0, Number.MAX_SAFE_INTEGER) ?? 0;
    res.type('application/x-ndjson');
    res.setHeader('Content-Disposition', 'attachment; filename="airlock-audit.jsonl"');
    // Paged oldest-first, so a collector can resume with ?after=<last id it stored>.
    for (;;) {
      const page = await ctx.store.listAudit({ ...filters(q), afterId: after, order: 'oldest', limit: 1000 });
      if (page.length === 0) break;
      const ok = res.write(page.map((e) => `${JSON.stringify(entryJson(e))}\n`).join(''));
      after = page.at(-1)?.id ?? after;
      if (!ok) await new Promise((resolve) => res.once('drain', resolve));
      if (page.length < 1000) break;
    }
    res.end();
  });

  return router;
}
