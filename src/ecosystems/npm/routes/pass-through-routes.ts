import { Router, type NextFunction, type Request, type Response } from 'express';
import type { AppContext } from '../../../app-context.js';
import { AirlockError } from '../../../errors.js';
import type { UpstreamClient } from '../../../upstream/upstream-client.js';

/** Largest request body forwarded (audit reports of big lockfiles are a few MB, gzipped). */
const maxBodyBytes = 32 * 1024 * 1024;
/** Request headers upstream needs to understand the request; credentials are never forwarded. */
const forwardedRequestHeaders = ['accept', 'content-type', 'content-encoding', 'npm-command'];
/** Response headers relayed to the client (bodies arrive decoded, so no encoding or length). */
const relayedResponseHeaders = ['content-type', 'cache-control', 'etag', 'last-modified'];

/**
 * Endpoints relayed to upstream unchanged: `/-/ping`, `/-/npm/v1/keys` (verbatim, so
 * `npm audit signatures` can check the signatures Airlock passes on untouched),
 * `/-/npm/v1/attestations/*`, `/-/npm/v1/security/*` (`npm audit` POSTs gzip bodies, forwarded as
 * sent) and `/-/v1/search`.
 */
export function passThroughRoutes(ctx: AppContext, client: UpstreamClient): Router {
  const router = Router();
  const relay = (prefix: string, methods: string[]) => async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (!methods.includes(req.method)) throw new AirlockError('EMETHOD', `${req.method} is not supported on /npm${prefix}`);
      // req.url is what follows the prefix: '/', '/?q=…' or '/more/path?q=…'.
      const suffix = req.url === '/' ? '' : req.url.startsWith('/?') ? req.url.slice(1) : req.url;
      if (/(^|\/)(\.|%2e){1,2}(\/|\?|$)/i.test(suffix.split('?')[0]!)) throw new AirlockError('EBADREQUEST', 'path traversal is not allowed');
      const target = new URL(`${prefix.slice(1)}${suffix}`, ctx.config.npmUpstream);
      const headers: Record<string, string> = {};
      for (const h of forwardedRequestHeaders) {
        const value = req.headers[h];
        if (typeof value === 'string') headers[h] = value;
      }
      const body = req.method === 'POST' ? await readBody(req) : undefined;
      const upstream = await client.forward(target, { method: req.method === 'HEAD' ? 'GET' : req.method, headers, body });
      const bytes = Buffer.from(await upstream.arrayBuffer());
      for (const h of relayedResponseHeaders) {
        const value = upstream.headers.get(h);
        if (value) res.setHeader(h, value);
      }
      res.status(upstream.status);
      res.setHeader('Content-Length', String(bytes.length));
      res.end(req.method === 'HEAD' ? undefined : bytes);
    } catch (err) {
      next(err);
    }
  };
  router.use('/-/ping', relay('/-/ping', ['GET', 'HEAD']));
  router.use('/-/npm/v1/keys', relay('/-/npm/v1/keys', ['GET', 'HEAD']));
  router.use('/-/npm/v1/attestations', relay('/-/npm/v1/attestations', ['GET', 'HEAD']));
  router.use('/-/npm/v1/security', relay('/-/npm/v1/security', ['GET', 'HEAD', 'POST']));
  router.use('/-/v1/search', relay('/-/v1/search', ['GET', 'HEAD']));
  return router;
}

async function readBody(req: Request): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new AirlockError('EBADREQUEST', `request body larger than ${maxBodyBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
