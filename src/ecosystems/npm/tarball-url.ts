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
  return `${publicUrl.href}npm/${name}/-/${encodeURIComponent(tarballFilename(name, version))}`;
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
