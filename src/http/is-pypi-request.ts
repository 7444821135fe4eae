import type { Request } from 'express';

/**
 * Whether the request is for the PyPI endpoints. Case-insensitive, as express's routing is: a
 * request for `/PYPI/simple/x/` reaches the PyPI routes, so its errors must come back in the
 * shape pip and uv read, and its challenge must be the Basic one pip answers.
 */
export function isPypiRequest(req: Request): boolean {
  return /^\/pypi(?:[/?]|$)/i.test(req.originalUrl);
}
