import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AirlockError } from '../errors.js';

/**
 * Refuses, before any route sees it, a request path that different parsers could read as
 * different paths: a `\` (WHATWG URL resolution, and so Node's `fetch`, treats it as `/` in
 * http(s) URLs), a control character, or a segment that is — once percent-decoded, with `/` and
 * `\` as separators — `.` or `..`. No Airlock URL or client ever sends one, so refusing them
 * costs nothing and means the path a route parses is the path any upstream URL built from it
 * resolves to. The query string is left to the routes.
 */
export function requestPathGuard(): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const problem = pathProblem(req.url.split('?', 1)[0] ?? '');
    if (problem) return next(new AirlockError('EBADREQUEST', `"${shown(req.url)}" is not a valid request path: ${problem}`));
    next();
  };
}

/** Why a raw request path is ambiguous, or null when it is not. */
export function pathProblem(rawPath: string): string | null {
  // The common case, on the hot path: nothing encoded and no dot segment, so nothing to look into.
  if (!/[%\\\x00-\x1f\x7f]|\/\.\.?(?:\/|$)/.test(rawPath)) return null;
  if (/[\\\x00-\x1f\x7f]/.test(rawPath)) return 'it contains "\\" or a control character';
  for (const segment of rawPath.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      // Malformed escapes are the routes' business (each says what it expected); nothing decodes them.
      continue;
    }
    if (/[\\\x00-\x1f\x7f]/.test(decoded)) return 'it encodes "\\" or a control character';
    if (decoded.split('/').some((part) => part === '.' || part === '..')) return 'it contains a "." or ".." segment';
  }
  return null;
}

/** A path as it may be quoted in a message: one line of visible ASCII, cut when long. */
function shown(path: string): string {
  const cleaned = (path.split('?', 1)[0] ?? '').replace(/[^\x20-\x7e]/g, '?');
  return cleaned.length > 100 ? `${cleaned.slice(0, 100)}…` : cleaned;
}
