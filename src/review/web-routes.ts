import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';

const webDir = new URL('./web/', import.meta.url);

const assets: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/assets/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/assets/highlight.js': { file: 'highlight.js', type: 'text/javascript; charset=utf-8' },
  '/assets/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/**
 * The reviewer page and its assets, all served by Airlock itself (no CDN), read once at start.
 * The content security policy only allows our own scripts and styles.
 */
export function webRoutes(): Router {
  const router = Router();
  for (const [route, { file, type }] of Object.entries(assets)) {
    const body = readFileSync(new URL(file, webDir));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 20)}"`;
    router.get(route, (req: Request, res: Response) => {
      res.setHeader('Content-Type', type);
      res.setHeader('ETag', etag);
      res.setHeader('Cache-Control', 'no-cache');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Referrer-Policy', 'no-referrer');
      res.setHeader(
        'Content-Security-Policy',
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      );
      if (req.headers['if-none-match'] === etag) return void res.status(304).end();
      res.send(body);
    });
  }
  return router;
}
