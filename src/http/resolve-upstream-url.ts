/**
 * Builds the upstream URL for a request path under `base` and returns it only when resolving it
 * left the path exactly as sent: a path URL resolution would move (dot segments in any spelling,
 * `\` read as `/`) is null. `requestPath` starts with `/`; `query` is without the `?`.
 *
 * @example resolveUpstreamUrl(new URL('https://registry.npmjs.org/'), '/-/v1/search', 'text=x') // https://registry.npmjs.org/-/v1/search?text=x
 */
export function resolveUpstreamUrl(base: URL, requestPath: string, query: string): URL | null {
  let url: URL;
  try {
    url = new URL(`${requestPath.slice(1)}${query ? `?${query}` : ''}`, base);
  } catch {
    return null;
  }
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) return null;
  return upstreamPathOf(base, url) === requestPath ? url : null;
}

/** The resolved path of `url` below `base` (starting with `/`), as the allow-lists compare it. */
export function upstreamPathOf(base: URL, url: URL): string {
  return `/${url.pathname.slice(base.pathname.length)}`;
}
