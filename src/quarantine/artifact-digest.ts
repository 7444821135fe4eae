/** Strongest first: the one digest that names an artifact's bytes in decisions and findings. */
const preferred = ['sha512', 'sha256', 'sha1'];

/**
 * `sha256:<hex>` (or `sha512:`/`sha1:`, strongest available): how decisions and findings name the
 * exact bytes of an artifact, so an approval covers those bytes and not a file that arrives later.
 * The SQLite migration that bound earlier approvals to their files uses the same order.
 */
export function artifactDigest(artifact: { filename: string; digests: Record<string, string> }): string {
  const algorithm = preferred.find((a) => artifact.digests[a]);
  // Upstreams always give one (files without are refused); the name keeps such files apart.
  return algorithm ? `${algorithm}:${artifact.digests[algorithm]}` : `none:${artifact.filename}`;
}
