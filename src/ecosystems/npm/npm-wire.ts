/**
 * The npm registry protocol as it travels on the wire. Field names keep their wire spelling
 * (`dist-tags`, `_npmUser`); nothing outside `src/ecosystems/npm/` sees these types.
 *
 * - Package metadata (full and abbreviated): https://github.com/npm/registry/blob/main/docs/responses/package-metadata.md
 * - `policyRestrictions` is read by npm-pick-manifest (npm 7+): versions listed there are known but
 *   refused, and npm prints `Could not download <spec> due to policy violations:\n<message>`.
 */

/** The media type of abbreviated ("corgi") packuments; a response to such a request carries exactly this. */
export const corgiType = 'application/vnd.npm.install-v1+json';
export const fullType = 'application/json';

/**
 * What Airlock asks upstream for: always the full document, because only it carries `time`, the
 * upstream publish time the cooldown runs from (abbreviated documents have no `time`).
 */
export const upstreamAccept = 'application/json';

/**
 * Fields of a version object kept in abbreviated documents: what the registry itself keeps, plus
 * the fields npm, pnpm and yarn read while resolving (`os`, `cpu`, `libc`, `engines`, `bin`, …).
 */
export const corgiVersionFields: ReadonlySet<string> = new Set([
  'name',
  'version',
  'deprecated',
  'dependencies',
  'optionalDependencies',
  'devDependencies',
  'bundleDependencies',
  'bundledDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'acceptDependencies',
  'bin',
  'directories',
  'dist',
  'engines',
  'os',
  'cpu',
  'libc',
  'funding',
  'license',
  '_hasShrinkwrap',
  'hasInstallScript',
]);

/** Scripts npm runs at install time; a version with any of them has `hasInstallScript` in corgi documents. */
export const installScripts = ['preinstall', 'install', 'postinstall'] as const;

/** `dist` of a version object, as far as Airlock reads it. */
export interface NpmDist {
  tarball?: unknown;
  /** Subresource Integrity string, e.g. `sha512-<base64>` (several may be space-separated). */
  integrity?: unknown;
  /** Hex sha1 of the tarball (older packages have only this). */
  shasum?: unknown;
  signatures?: unknown;
  /** Provenance attestations (`{ url, provenance: { predicateType } }`). */
  attestations?: unknown;
}

/** A version object, as far as Airlock reads it; everything else is passed on untouched. */
export interface NpmVersionObject {
  name?: unknown;
  version?: unknown;
  dist?: NpmDist;
  scripts?: Record<string, unknown>;
  _npmUser?: { name?: unknown };
  hasInstallScript?: unknown;
}

/** A full packument, as far as Airlock reads it. */
export interface NpmPackument {
  name?: unknown;
  'dist-tags'?: Record<string, unknown>;
  versions?: Record<string, NpmVersionObject>;
  /** `created`, `modified` and one ISO timestamp per version (absent in some old packages). */
  time?: Record<string, unknown>;
}

/** npm's `policyRestrictions`: versions npm knows of but must refuse, and the message it prints. */
export interface NpmPolicyRestrictions {
  versions: Record<string, { name: string; version: string }>;
  message: string;
}
