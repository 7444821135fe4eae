import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from './create-logger.js';

/** Why a request was refused, set by the error handler for the request's log line. */
export interface Refusal {
  /** `refused` for a held release (quarantined, rejected, withdrawn, analysis pending), `failed` for Airlock's or upstream's failure. */
  event: 'refused' | 'failed';
  code: string;
  release?: string;
  reason: string;
}

/** Paths polled by health checks and scrapers: their lines would drown everything else. */
const quiet = new Set(['/healthz', '/metrics']);

/**
 * One line per request (pino-http): method, path, status, time, client address; never headers,
 * so tokens and cookies cannot leak. A refused download (quarantined, rejected, withdrawn) says
 * which release and why; 4xx lines are `warn`, 5xx `error`.
 */
export function requestLog(logger: Logger): RequestHandler {
  const middleware = pinoHttp({
    logger,
    autoLogging: { ignore: (req) => quiet.has((req.url ?? '').split('?')[0] ?? '') },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    customProps: (_req, res) => {
      const refusal = refusalOf(res);
      return refusal ? { event: refusal.event, release: refusal.release, code: refusal.code, reason: refusal.reason } : { event: 'request' };
    },
    customSuccessMessage: (req, res) => {
      const refusal = refusalOf(res);
      const line = `${req.method} ${pathOf(req)} ${res.statusCode}`;
      return refusal ? `${line}: ${refusal.reason}` : line;
    },
    customErrorMessage: (req, res, err) => `${req.method} ${pathOf(req)} ${res.statusCode}: ${err.message}`,
    serializers: {
      req: (req: { method?: string; url?: string; remoteAddress?: string; headers?: Record<string, string> }) => ({
        method: req.method,
        url: req.url?.split('?')[0],
        remoteAddress: req.remoteAddress,
        userAgent: req.headers?.['user-agent'],
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
    quietReqLogger: true,
  });
  return middleware;
}

/** Records why a request was refused, for its log line. */
export function noteRefusal(res: ServerResponse, refusal: Refusal): void {
  (res as ServerResponse & { airlockRefusal?: Refusal }).airlockRefusal = refusal;
}

function refusalOf(res: ServerResponse): Refusal | undefined {
  return (res as ServerResponse & { airlockRefusal?: Refusal }).airlockRefusal;
}

function pathOf(req: IncomingMessage): string {
  return ((req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '').split('?')[0] ?? '';
}
