import { unscopedName } from './package-name.js';

/** `<unscoped>-<version>.tgz`: the file name the registry gives every tarball. */
export function tarballFilename(name: string, version: string): string {
  return `${unscopedName(name)}-${version}.tgz`;
}

/**
 * Where clients fetch a tarball from Airlock: `<publicUrl>npm/<name>/-/<unscoped>-<version>.tgz`,
 * the canonical registry shape (scoped names keep their `/`), so pnpm and yarn lockfiles that
 * record it stay portable between registries.
 */
export function publicTarballUrl(publicUrl: URL, name: string, version: string): string {
  return new PublicTarballUrls(publicUrl, name).url(version);
}

/**
 * The public tarball URLs of one package (see publicTarballUrl), with their common start spelled
 * once: a render writes one per version it shows, straight into the document as JSON.
 */
export class PublicTarballUrls {
  /** Everything before the version: `<publicUrl>npm/<name>/-/<unscoped>-`. */
  readonly prefix: string;
  /** `prefix` as the start of a JSON string (its opening quote, no closing one). */
  readonly jsonPrefix: string;

  constructor(publicUrl: URL, name: string) {
    this.prefix = `${publicUrl.href}npm/${name}/-/${encodeURIComponent(unscopedName(name))}-`;
    this.jsonPrefix = JSON.stringify(this.prefix).slice(0, -1);
  }

  url(version: string): string {
    return `${this.prefix}${encodedVersion(version)}.tgz`;
  }

  /** The rest of a URL's JSON string after `jsonPrefix`: no quote or backslash can be in it (it is URL-encoded). */
  jsonRest(version: string): string {
    return encodedVersion(version);
  }
}

/** The version as encodeURIComponent spells it, without a new string for the usual one that needs no escape. */
function encodedVersion(version: string): string {
  return /^[0-9A-Za-z._~-]*$/.test(version) ? version : encodeURIComponent(version);
}

/**
 * Where Airlock fetches a tarball: the packument's own `dist.tarball` when it is on the upstream's
 * host, else the canonical path on the upstream. A packument can therefore never point Airlock at
 * another host (the upstream client refuses any host but the upstream's, redirects included).
 */
export function upstreamTarballUrl(upstream: URL, name: string, version: string, listed: unknown): URL {
  if (typeof listed === 'string') {
    try {
      const url = new URL(listed);
      if (url.host.toLowerCase() === upstream.host.toLowerCase() && url.protocol === upstream.protocol && !url.username && !url.password) return url;
    } catch {
      // not a URL: use the canonical one
    }
  }
  return new URL(`${name}/-/${encodeURIComponent(tarballFilename(name, version))}`, upstream);
}
