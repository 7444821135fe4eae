import type { NextFunction, Request, RequestHandler, Response } from 'express';
import semver from 'semver';
import type { AppContext } from '../../../app-context.js';
import { AirlockError } from '../../../errors.js';
import { resolveUpstreamUrl, upstreamPathOf } from '../../../http/resolve-upstream-url.js';
import type { UpstreamClient } from '../../../upstream/upstream-client.js';
import { isValidPackageName, printable } from '../package-name.js';

/** Largest request body forwarded (audit reports of big lockfiles are a few MB, gzipped). */
const maxBodyBytes = 32 * 1024 * 1024;
/** Request headers upstream needs to understand the request; credentials are never forwarded. */
const forwardedRequestHeaders = ['accept', 'content-type', 'content-encoding', 'npm-command'];
/** Response headers relayed to the client (bodies arrive decoded, so no encoding or length). */
const relayedResponseHeaders = ['cache-control', 'etag', 'last-modified'];

interface PassThroughEndpoint {
  /** Matches the resolved upstream path (below the upstream's base path), nothing around it. */
  path: RegExp;
  methods: readonly string[];
  /** A further check of the matched path's parts. */
  accepts?: (match: RegExpExecArray) => boolean;
}

const read = ['GET', 'HEAD'] as const;

/**
 * The allow-list: every upstream path the pass-through may reach. `/-/npm/v1/keys` is relayed
 * verbatim so `npm audit signatures` can check the signatures Airlock passes on untouched;
 * attestations are asked for one release (`<name>@<version>`, scoped names as `@scope%2fname`,
 * the way npm sends them); `npm audit` POSTs gzip bodies to the bulk endpoint and falls back to
 * the quick audit.
 */
const endpoints: readonly PassThroughEndpoint[] = [
  { path: /^\/-\/ping$/, methods: read },
  { path: /^\/-\/npm\/v1\/keys$/, methods: read },
  { path: /^\/-\/npm\/v1\/attestations\/((?:@[^/%@]+%2[fF])?[^/%@]+)@([^/%@]+)$/, methods: read, accepts: isReleaseSpec },
  { path: /^\/-\/npm\/v1\/security\/advisories\/bulk$/, methods: ['POST'] },
  { path: /^\/-\/npm\/v1\/security\/audits\/quick$/, methods: ['POST'] },
  { path: /^\/-\/v1\/search$/, methods: read },
];

function isReleaseSpec(match: RegExpExecArray): boolean {
  return isValidPackageName((match[1] ?? '').replace(/%2f/i, '/')) && semver.valid(match[2]) !== null;
}

/**
 * `/npm/-/…` endpoints relayed to upstream unchanged. The upstream URL is built from the path
 * as sent, and relayed only when resolving it moved nothing and the resolved path is on the
 * allow-list: a path that would resolve anywhere else (a packument, a tarball, another endpoint)
 * is refused before upstream sees it. Paths no endpoint is for go to `next` (404 or 405 there).
 * Upstream's bytes are relayed, never its Content-Type: the response is always JSON.
 */
export function passThroughRoutes(ctx: AppContext, client: UpstreamClient): RequestHandler {
  const base = ctx.config.npmUpstream;
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const q = req.url.indexOf('?');
      const requestPath = q < 0 ? req.url : req.url.slice(0, q);
      const target = resolveUpstreamUrl(base, requestPath, q < 0 ? '' : req.url.slice(q + 1));
      if (!target) throw new AirlockError('EBADREQUEST', `/npm${printable(requestPath)} does not name an upstream endpoint Airlock relays`);
      const resolved = upstreamPathOf(base, target);
      const endpoint = endpoints.find((e) => {
        const m = e.path.exec(resolved);
        return m !== null && (!e.accepts || e.accepts(m));
      });
      if (!endpoint) return next();
      if (!endpoint.methods.includes(req.method))
        throw new AirlockError('EMETHOD', `${req.method} is not supported on /npm${printable(requestPath)} (${endpoint.methods.join(', ')} only)`);

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
      // Every endpoint on the list answers JSON; whatever upstream claims, the bytes are never
      // labelled as something a browser would render or run on Airlock's origin.
      res.setHeader('Content-Type', 'application/json');
      res.status(upstream.status);
      res.setHeader('Content-Length', String(bytes.length));
      res.end(req.method === 'HEAD' ? undefined : bytes);
    } catch (err) {
      next(err);
    }
  };
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
