import type { Request } from 'express';

/** Whether the request offers gzip (or `*`) with a non-zero q in `Accept-Encoding`. */
export function acceptsGzip(req: Request): boolean {
  const header = req.headers['accept-encoding'];
  return typeof header === 'string' && /(^|,)\s*(gzip|\*)\s*(;\s*q=(0?\.\d*[1-9]|1(\.0*)?)\s*)?(,|$)/i.test(header);
}
