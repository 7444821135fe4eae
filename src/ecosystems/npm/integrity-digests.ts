import type { NpmDist } from './npm-wire.js';

const algorithms = new Set(['sha1', 'sha256', 'sha384', 'sha512']);

/**
 * The digests a tarball must match, lowercase hex by algorithm, from `dist.integrity` (Subresource
 * Integrity, base64) and `dist.shasum` (hex sha1). Empty when upstream gave neither: such a
 * tarball is never stored or served.
 *
 * @example digestsOf({ integrity: 'sha512-7cMc…VQ==', shasum: '02af…4a84' }) // { sha512: 'edc31c…', sha1: '02af…4a84' }
 */
export function digestsOf(dist: NpmDist | undefined): Record<string, string> {
  const digests: Record<string, string> = {};
  forEachIntegrity(dist, (algorithm, base64) => {
    digests[algorithm] = Buffer.from(base64, 'base64').toString('hex');
  });
  if (validShasum(dist) && !digests.sha1) digests.sha1 = dist.shasum.toLowerCase();
  return digests;
}

/**
 * Whether `digestsOf(dist)` would give any digest, without decoding one: every listed version
 * asks on every render, and decoding them all kept a few hundred bytes of hex per version in memory.
 */
export function hasDigests(dist: NpmDist | undefined): boolean {
  if (validShasum(dist)) return true;
  let found = false;
  forEachIntegrity(dist, () => {
    found = true;
  });
  return found;
}

function validShasum(dist: NpmDist | undefined): dist is NpmDist & { shasum: string } {
  return typeof dist?.shasum === 'string' && /^[0-9a-f]{40}$/i.test(dist.shasum);
}

/** Calls `each` with every well-formed `algorithm-base64` entry of `dist.integrity`, in order. */
function forEachIntegrity(dist: NpmDist | undefined, each: (algorithm: string, base64: string) => void): void {
  if (typeof dist?.integrity !== 'string') return;
  for (const entry of dist.integrity.trim().split(/\s+/)) {
    const dash = entry.indexOf('-');
    const algorithm = entry.slice(0, dash).toLowerCase();
    const value = entry.slice(dash + 1).split('?', 1)[0] ?? '';
    if (dash <= 0 || !algorithms.has(algorithm) || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) continue;
    each(algorithm, value);
  }
}
