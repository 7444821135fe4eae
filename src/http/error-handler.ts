import type { ErrorRequestHandler } from 'express';
import { AirlockError, errorStack, isAirlockError } from '../errors.js';
import { noteRefusal } from '../log/request-log.js';
import { isPypiRequest } from './is-pypi-request.js';

/**
 * The only place errors become responses. npm prints the `error` field of a JSON body; pip prints
 * the status line (so the reason phrase carries the why); uv prints `title` and `detail` of an
 * `application/problem+json` body, which PyPI routes get.
 */
export function errorHandler(log: (msg: string) => void = (m) => console.error(m)): ErrorRequestHandler {
  // Express knows an error handler by its four parameters, so `_next` stays though it is unused.
  return (err, req, res, _next) => {
    if (res.headersSent) {
      // Too late for a status: cut the connection so the client sees a broken download, never a short one.
      res.destroy(err instanceof Error ? err : undefined);
      return;
    }
    const error = toAirlockError(err);
    if (holdCodes.has(error.code)) noteRefusal(res, { event: 'refused', code: error.code, release: error.subject, reason: error.message });
    else if (error.status >= 500) noteRefusal(res, { event: 'failed', code: error.code, release: error.subject, reason: error.message });
    if (error.status >= 500 && error.code === 'EINTERNAL') log(`${req.method} ${req.originalUrl}: ${errorStack(err)}`);
    for (const [k, v] of Object.entries(error.headers ?? {})) res.setHeader(k, v);
    if (error.status === 403 || error.status >= 500) res.setHeader('Cache-Control', 'no-store');
    // pip retries a 503 five times in silence and then drops its reason; a 504 it reports at once
    // (`pip -vv` shows the status line), so an upstream outage on PyPI routes is a gateway timeout.
    const status = error.code === 'EUPSTREAMDOWN' && isPypiRequest(req) ? 504 : error.status;
    res.status(status);
    // pip shows nothing but the status line of a failed page (and only with -v), so PyPI answers
    // carry the reason itself there: "pypi upstream unreachable (…): ENOTFOUND" rather than "Service Unavailable".
    res.statusMessage = safeReasonPhrase(error.statusText ?? (isPypiRequest(req) && status !== 500 ? error.message : defaultReason(status)));
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    if (isPypiRequest(req)) {
      res.type('application/problem+json').send(
        JSON.stringify({ type: 'about:blank', title: res.statusMessage, status, detail: error.message, code: error.code }),
      );
      return;
    }
    res.type('application/json').send(JSON.stringify({ error: error.message, code: error.code }));
  };
}

/** Answers that mean "Airlock is holding this back", logged as `refused` with the release and reason. */
const holdCodes = new Set<string>(['EQUARANTINED', 'EREJECTED', 'EWITHDRAWN', 'EANALYSISPENDING']);

function toAirlockError(err: unknown): AirlockError {
  if (isAirlockError(err)) return err;
  const e = err as { status?: number; type?: string; message?: string } | null | undefined;
  // express's own body-parser errors carry a 4xx status; everything else is our fault.
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500)
    return new AirlockError('EBADREQUEST', `bad request: ${e.message ?? 'unreadable body'}`);
  return new AirlockError('EINTERNAL', 'internal error; the details are in the Airlock log', { cause: err });
}

/** A reason phrase must be one line of visible ASCII. */
function safeReasonPhrase(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
}

function defaultReason(status: number): string {
  const reasons: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    409: 'Conflict',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
  };
  return reasons[status] ?? 'Error';
}
