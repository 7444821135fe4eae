import { legacyHtmlType, simpleHtmlType, simpleJsonType } from './simple-wire.js';

/** The three media types a simple page can be served as; the response's Content-Type is exactly this. */
export type SimpleFormat = typeof simpleJsonType | typeof simpleHtmlType | typeof legacyHtmlType;

const offers: SimpleFormat[] = [legacyHtmlType, simpleHtmlType, simpleJsonType];
/** PEP 691 `latest` aliases name the newest version of each serialisation, which is v1 here. */
const aliases: Record<string, SimpleFormat> = {
  'application/vnd.pypi.simple.latest+json': simpleJsonType,
  'application/vnd.pypi.simple.latest+html': simpleHtmlType,
};

/**
 * PEP 691 content negotiation: the offer with the highest `q`, a more specific match winning over a
 * wildcard, then the order the client listed. With no Accept header, only wildcards, or nothing
 * acceptable, the answer is `text/html`: every client understands it (PEP 691 allows a default).
 * A `format` query parameter (PEP 691's optional URL override) wins when it names a known type.
 *
 * @example negotiateFormat('application/vnd.pypi.simple.v1+json, text/html;q=0.01') // 'application/vnd.pypi.simple.v1+json'
 */
export function negotiateFormat(accept: string | undefined, format?: unknown): SimpleFormat {
  if (typeof format === 'string') {
    const named = aliases[format] ?? offers.find((o) => o === format);
    if (named) return named;
  }
  if (!accept) return legacyHtmlType;
  let best: { offer: SimpleFormat; q: number; specific: number; position: number } | null = null;
  for (const [position, part] of accept.split(',').entries()) {
    const [rawType, ...params] = part.trim().split(';');
    const type = (rawType ?? '').trim().toLowerCase();
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split('=');
      if (k?.trim().toLowerCase() === 'q') q = Number(v);
    }
    if (!(q > 0)) continue;
    for (const offer of offers) {
      const specific = matches(type, offer);
      if (specific === 0) continue;
      const better =
        !best || q > best.q || (q === best.q && (specific > best.specific || (specific === best.specific && position < best.position)));
      if (better) best = { offer, q, specific, position };
    }
  }
  return best?.offer ?? legacyHtmlType;
}

/** 2 for an exact (or `latest`) match, 1 for a wildcard match, 0 for none. */
function matches(range: string, offer: SimpleFormat): number {
  if (range === offer || aliases[range] === offer) return 2;
  if (range === '*/*') return 1;
  if (range.endsWith('/*') && offer.startsWith(range.slice(0, -1))) return 1;
  return 0;
}
