import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * What every response carries unless its route says otherwise (only the web page and its assets
 * do, with their own strict policy): `nosniff`, so a browser never guesses a type from the bytes,
 * and a sandbox policy, so a document that does render on Airlock's origin (a relayed upstream
 * answer, a simple page, an artifact opened in a tab) runs no script, loads nothing and gets an
 * opaque origin: it can read neither the session nor the CSRF token.
 */
export const sandboxPolicy = "sandbox; default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function securityHeaders(): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', sandboxPolicy);
    next();
  };
}
