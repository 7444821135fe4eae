import { corgiType } from './npm-wire.js';

/**
 * Whether a request asks for the abbreviated document: its Accept lists the corgi media type with
 * a non-zero q (npm sends `application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, *\/*`).
 */
export function wantsCorgi(accept: string | undefined): boolean {
  if (!accept || !accept.includes(corgiType)) return false;
  return accept.split(',').some((part) => {
    const [type, ...params] = part.split(';');
    if ((type ?? '').trim().toLowerCase() !== corgiType) return false;
    const q = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}
