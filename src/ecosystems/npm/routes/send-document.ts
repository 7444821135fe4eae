import type { Request, Response } from 'express';

/** How long clients may reuse a packument before asking again (a 304 is then cheap). */
export const documentMaxAgeSeconds = 30;

export interface DocumentBody {
  /** The identity bytes; null only when `gzipped` is given. */
  body: Buffer | null;
  /** Strong ETag of `body`; the gzip form gets its own. */
  etag: string;
  contentType: string;
  /** The gzip of `body`, when the client accepts it (already computed). */
  gzipped?: Buffer | null;
}

/**
 * Sends a document from memory with GET or HEAD: `ETag` and `304` on `If-None-Match`,
 * `Vary: Accept, Accept-Encoding`, a short `max-age`, gzip when offered. No JSON work, no copies.
 */
export function sendDocument(req: Request, res: Response, doc: DocumentBody): void {
  const gzipped = doc.gzipped ?? null;
  // Strong ETags differ per encoding, so a gzip body never answers a conditional identity request.
  const etag = gzipped ? `${doc.etag.slice(0, -1)}-gzip"` : doc.etag;
  const headers: Record<string, string> = {
    'Content-Type': doc.contentType,
    Vary: 'Accept, Accept-Encoding',
    'Cache-Control': cacheControl,
    ETag: etag,
  };
  if (matches(req.headers['if-none-match'], etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const body = gzipped ?? doc.body ?? Buffer.alloc(0);
  if (gzipped) headers['Content-Encoding'] = 'gzip';
  headers['Content-Length'] = String(body.length);
  // One writeHead with every header: the cheapest way through Node's HTTP layer on the hot path.
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

const cacheControl = `max-age=${documentMaxAgeSeconds}`;

function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  // A client may send the weak form of a tag it got from a proxy that compressed the body.
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === etag || tag === `W/${etag}`;
  });
}
