import { Router, type NextFunction, type Request, type Response } from 'express';
import type { AppContext } from '../../app-context.js';
import { acceptsGzip } from '../../http/accepts-gzip.js';
import { AirlockError } from '../../errors.js';
import { negotiateFormat, type SimpleFormat } from './negotiate-format.js';
import type { PageCache } from './page-cache.js';
import { isValidProjectName, normalizeProjectName } from './project-name.js';
import type { PypiIndex } from './pypi-index.js';
import { renderProjectListHtml } from './render-simple-html.js';
import { renderProjectListJson } from './render-simple-json.js';
import { simpleJsonType } from './simple-wire.js';

/**
 * `/simple/` (the projects Airlock knows) and `/simple/<project>/` (PEP 503 / PEP 691 pages with
 * only visible files). Non-normalised names and missing trailing slashes get a 301 to the
 * normalised URL, as PyPI does.
 */
export function simpleRoutes(ctx: AppContext, index: PypiIndex, pages: PageCache): Router {
  const router = Router();
  router.use('/simple', async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new AirlockError('EMETHOD', `${req.method} is not supported on the simple index`);
      const rest = (req.originalUrl.split('?', 1)[0] ?? '').slice(req.baseUrl.length);
      if (rest === '') return redirect(res, ctx, '');
      const format = negotiateFormat(req.headers.accept, req.query.format);
      if (rest === '/') {
        const names = await ctx.store.listPackages('pypi');
        const body = format === simpleJsonType ? renderProjectListJson(names) : renderProjectListHtml(names);
        return sendPage(req, res, format, body, null);
      }

      const trailing = rest.endsWith('/');
      const segment = rest.slice(1, trailing ? -1 : undefined);
      let requested: string;
      try {
        requested = decodeURIComponent(segment);
      } catch {
        throw new AirlockError('ENOTFOUND', `"${segment}" is not a project name`);
      }
      if (requested.includes('/') || !isValidProjectName(requested)) throw new AirlockError('ENOTFOUND', `"${requested}" is not a project name`);
      const name = normalizeProjectName(requested);
      if (!trailing || segment !== name) return redirect(res, ctx, `${name}/`);

      const found = await index.project(name);
      if (!found) throw new AirlockError('ENOTFOUND', `pypi:${name} does not exist upstream`, { subject: `pypi:${name}` });
      const snapshot = await index.settle(found);
      const page = pages.page(snapshot, format);
      if (acceptsGzip(req)) sendPage(req, res, format, await pages.gzipped(page), `${page.etag.slice(0, -1)}-gzip"`, true);
      else sendPage(req, res, format, page.body, page.etag);
    } catch (err) {
      next(err);
    }
  });
  return router;
}

function redirect(res: Response, ctx: AppContext, path: string): void {
  res.setHeader('Location', new URL(`pypi/simple/${path}`, ctx.config.publicUrl).href);
  res.setHeader('Cache-Control', 'max-age=86400');
  res.status(301).end();
}

function sendPage(req: Request, res: Response, format: SimpleFormat, body: Buffer, etag: string | null, gzipped = false): void {
  res.setHeader('Content-Type', format);
  res.setHeader('Vary', 'Accept, Accept-Encoding');
  // Clients revalidate each time (a 304 is cheap): what is visible changes with the clock.
  res.setHeader('Cache-Control', 'max-age=0, must-revalidate');
  if (etag) {
    res.setHeader('ETag', etag);
    if (req.headers['if-none-match']?.split(',').some((t) => t.trim() === etag)) {
      res.status(304).end();
      return;
    }
  }
  // Strong ETags differ per encoding, so a gzip body never answers a conditional identity request.
  if (gzipped) res.setHeader('Content-Encoding', 'gzip');
  res.setHeader('Content-Length', String(body.length));
  res.end(req.method === 'HEAD' ? undefined : body);
}

