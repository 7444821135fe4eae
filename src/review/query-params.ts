import type { Request } from 'express';

/**
 * The query string as single strings: a repeated parameter (`?state=a&state=b`) arrives as an
 * array, and its last value counts, so handlers never meet a type they did not expect.
 */
export function queryParams(req: Request): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(req.query as Record<string, unknown>)) {
    const last: unknown = Array.isArray(value) ? value[value.length - 1] : value;
    if (typeof last === 'string') out[key] = last;
  }
  return out;
}
