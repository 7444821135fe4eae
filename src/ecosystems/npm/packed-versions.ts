/**
 * A list of version strings kept as one string, for views that stay in memory long after they were
 * rendered: a cached view of a package with hundreds of versions is then one heap object rather
 * than hundreds, which is what the garbage collector walks on every full collection while
 * Airlock idles. A version holding the separator (upstream names versions, and need not name them
 * well) keeps the list as an array, so a lookup never matches across two versions.
 */
export type PackedVersions = string | readonly string[];

const separator = '\n';

export function packVersions(versions: readonly string[]): PackedVersions {
  for (const v of versions) if (v.includes(separator)) return versions;
  return versions.length === 0 ? '' : `${separator}${versions.join(separator)}${separator}`;
}

export function packedIncludes(packed: PackedVersions, version: string): boolean {
  if (typeof packed !== 'string') return packed.includes(version);
  return !version.includes(separator) && packed.includes(`${separator}${version}${separator}`);
}

export function unpackVersions(packed: PackedVersions): string[] {
  if (typeof packed !== 'string') return [...packed];
  return packed === '' ? [] : packed.slice(1, -1).split(separator);
}
