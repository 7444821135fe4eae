/** What the review and token commands need to reach an Airlock's API. */
export interface ApiClient {
  request(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown; text: string }>;
  baseUrl: string;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** An API client from `AIRLOCK_URL` (default `http://127.0.0.1:8080/`) and `AIRLOCK_TOKEN`. */
export function apiClientFromEnv(env: NodeJS.ProcessEnv): ApiClient {
  const token = env.AIRLOCK_TOKEN;
  if (!token) throw new CliError('AIRLOCK_TOKEN is not set: create a token with `airlock token create` and export it', 2);
  let base: URL;
  try {
    base = new URL(env.AIRLOCK_URL || 'http://127.0.0.1:8080/');
    if (!base.pathname.endsWith('/')) base.pathname += '/';
  } catch {
    throw new CliError(`AIRLOCK_URL is not a URL: ${env.AIRLOCK_URL}`, 2);
  }
  return {
    baseUrl: base.href,
    async request(method, path, body) {
      const url = new URL(path.replace(/^\//, ''), base);
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(60_000),
        });
      } catch (err) {
        throw new CliError(`cannot reach Airlock at ${base.href}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`, 1);
      }
      const text = await res.text();
      let json: unknown = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        // not JSON (e.g. a proxy's error page): reported as text below
      }
      if (res.status >= 400) {
        const message = (json as { error?: string } | null)?.error ?? `${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`;
        throw new CliError(`${method} ${url.pathname}: ${message}`, 1);
      }
      return { status: res.status, json, text };
    },
  };
}

/** `npm:@acme/widget@1.0.1` as a path segment of `/api/v1/releases/`. */
export function releasePath(id: string): string {
  // `:` and `@` are fine in a path segment and read better in messages; `/` of a scope is not.
  return `api/v1/releases/${id.replace(/[%/?#]/g, (c) => encodeURIComponent(c))}`;
}
