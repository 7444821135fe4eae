/** Bits a generated token carries at the least (`openssl rand -hex 32` gives 256). */
const wantedBits = 128;
const wantedLength = 32;

/**
 * Why an `AIRLOCK_ADMIN_TOKEN` looks guessable, or null when it looks generated: shorter than 32
 * characters, or carrying less than 128 bits by the Shannon entropy of its own characters (what
 * repeats, few distinct characters and words score low on). A heuristic for a start-up warning,
 * not a guarantee: a long passphrase may pass and still be in a word list.
 *
 * @example adminTokenWeakness('change-me-change-me-change-me-00') // 'it has about 100 bits of entropy …'
 */
export function adminTokenWeakness(token: string): string | null {
  const chars = Array.from(token);
  if (chars.length < wantedLength) return `it is ${chars.length} characters long (a generated token has at least ${wantedLength})`;
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) perChar -= (n / chars.length) * Math.log2(n / chars.length);
  const bits = Math.floor(perChar * chars.length);
  if (bits < wantedBits) return `it has about ${bits} bits of entropy by its characters (a generated token has at least ${wantedBits})`;
  return null;
}

/** The start-up warning for a weak admin token, with how to make a good one. */
export function weakAdminTokenWarning(token: string | null): string | null {
  const why = token === null ? null : adminTokenWeakness(token);
  return why === null
    ? null
    : `warning: AIRLOCK_ADMIN_TOKEN looks guessable: ${why}. Generate one with \`openssl rand -hex 32\` and restart (sessions signed in with the old token end); see docs/SECURITY.md`;
}
