/** Shannon entropy in bits per character of (a sample of) a string. */
export function entropy(text: string): number {
  const sample = text.length > 8192 ? text.slice(0, 8192) : text;
  const counts = new Map<number, number>();
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / sample.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

const base64Like = /^[A-Za-z0-9+/=_\-\s\\n]+$/;
const hexLike = /^(?:[0-9a-fA-F]{2}|\\x[0-9a-fA-F]{2})+$/;

/**
 * Whether a string literal looks like an encoded payload: long, base64 or hex alphabet only,
 * and dense. Data URIs, which bundles legitimately inline, are not blobs.
 */
export function isEncodedBlob(value: string): boolean {
  if (value.length < 1024 || value.startsWith('data:')) return false;
  const sample = value.length > 8192 ? value.slice(0, 8192) : value;
  if (hexLike.test(sample)) return true;
  return base64Like.test(sample) && !/\s{2}/.test(sample) && entropy(sample) > 5.2;
}
