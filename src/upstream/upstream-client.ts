import PQueue from 'p-queue';
import { AirlockError, errorMessage } from '../errors.js';

export interface UpstreamClientOptions {
  /** `npm` or `pypi`: names the upstream in messages. */
  label: string;
  /** Hosts (`host` or `host:port`) this client may contact; anything else is refused before connecting. */
  allowedHosts: string[];
  /** @default 16 */
  concurrency?: number;
  /** @default 30000 */
  timeoutMs?: number;
  /** Told of every failed upstream request (unreachable, refused, broken off, bad status), with its cause, for the log. */
  onFailure?: (error: AirlockError) => void;
}

export interface DocumentResult {
  status: 200 | 304 | 404 | 410;
  body: Buffer;
  etag: string | null;
  lastModified: string | null;
}

export interface StreamResult {
  body: AsyncIterable<Uint8Array>;
  size: number | null;
}

const userAgent = 'airlock (+https://github.com/airlock-registry/airlock)';
const maxRedirects = 5;

/** Whether an upstream failure is worth serving stale data for (network down, 5xx, timeouts). */
export function isUpstreamUnavailable(err: unknown): boolean {
  return err instanceof AirlockError && (err.code === 'EUPSTREAMDOWN' || err.code === 'EUPSTREAM');
}

/**
 * HTTP to one upstream over Node's built-in fetch (undici: pooled keep-alive, streaming bodies),
 * with bounded concurrency, timeouts, and a host allow-list that also applies to redirects, so a
 * hostile document can never make Airlock fetch an internal address.
 */
export class UpstreamClient {
  private readonly queue: PQueue;
  private readonly allowed: Set<string>;
  private readonly timeoutMs: number;

  constructor(private readonly options: UpstreamClientOptions) {
    this.queue = new PQueue({ concurrency: options.concurrency ?? 16 });
    this.allowed = new Set(options.allowedHosts.map((h) => h.toLowerCase()));
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Whether `url` is on an allowed host (and http/https). */
  isAllowed(url: URL): boolean {
    return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password && this.allowed.has(url.host.toLowerCase());
  }

  /** GET a document, conditionally when `etag`/`lastModified` are given. 404/410 are answers, not errors. */
  async getDocument(
    url: URL,
    opts: { accept?: string; etag?: string | null; lastModified?: string | null; signal?: AbortSignal } = {},
  ): Promise<DocumentResult> {
    const headers: Record<string, string> = { 'user-agent': userAgent, 'accept-encoding': 'gzip, br' };
    if (opts.accept) headers.accept = opts.accept;
    if (opts.etag) headers['if-none-match'] = opts.etag;
    if (opts.lastModified) headers['if-modified-since'] = opts.lastModified;
    return this.queue.add(
      async () => {
        const res = await this.request(url, { headers }, opts.signal);
        if (res.status === 304 || res.status === 404 || res.status === 410) {
          await res.body?.cancel();
          return { status: res.status, body: Buffer.alloc(0), etag: opts.etag ?? null, lastModified: opts.lastModified ?? null };
        }
        if (res.status !== 200) throw await this.statusError(url, res);
        const body = Buffer.from(await this.readBody(url, res));
        return { status: 200, body, etag: res.headers.get('etag'), lastModified: res.headers.get('last-modified') };
      },
      { throwOnTimeout: true },
    ).catch((err: unknown) => this.failed(err)) as Promise<DocumentResult>;
  }

  /** GET an artifact as a stream. A 404 is `ENOTFOUND`; other failures are upstream errors. */
  async getStream(url: URL, signal?: AbortSignal): Promise<StreamResult> {
    return this.queue.add(
      async () => {
        const res = await this.request(url, { headers: { 'user-agent': userAgent } }, signal);
        if (res.status === 404 || res.status === 410) {
          await res.body?.cancel();
          throw new AirlockError('ENOTFOUND', `${this.options.label} upstream has no ${url.pathname}`);
        }
        if (res.status !== 200 || !res.body) throw await this.statusError(url, res);
        const length = res.headers.get('content-length');
        return { body: this.guard(url, res.body), size: length ? Number(length) : null };
      },
      { throwOnTimeout: true },
    ).catch((err: unknown) => this.failed(err));
  }

  /** Forwards a request verbatim (for pass-through endpoints); the caller relays status, headers and body. */
  async forward(url: URL, init: { method: string; headers: Record<string, string>; body?: Buffer }, signal?: AbortSignal): Promise<Response> {
    return this.queue.add(
      () => this.request(url, { method: init.method, headers: { ...init.headers, 'user-agent': userAgent }, body: init.body }, signal),
      { throwOnTimeout: true },
    ).catch((err: unknown) => this.failed(err));
  }

  /** Reports an upstream failure and passes it on. */
  private failed(err: unknown): never {
    if (err instanceof AirlockError && (err.code === 'EUPSTREAMDOWN' || err.code === 'EUPSTREAM')) this.options.onFailure?.(err);
    throw err;
  }

  private async request(url: URL, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    let current = url;
    for (let hop = 0; hop <= maxRedirects; hop++) {
      if (!this.isAllowed(current))
        throw new AirlockError('EUPSTREAM', `refusing to fetch ${redact(current)}: not an allowed ${this.options.label} upstream host`);
      const timeout = AbortSignal.timeout(this.timeoutMs);
      let res: Response;
      try {
        res = await fetch(current, {
          ...init,
          redirect: 'manual',
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (err) {
        const why = timeout.aborted ? `timed out after ${this.timeoutMs} ms` : describeCause(err);
        throw new AirlockError('EUPSTREAMDOWN', `${this.options.label} upstream unreachable (${redact(current)}): ${why}`, { cause: err });
      }
      if (res.status >= 300 && res.status < 400 && res.status !== 304) {
        const location = res.headers.get('location');
        await res.body?.cancel();
        if (!location) throw new AirlockError('EUPSTREAM', `${this.options.label} upstream redirected without a Location (${redact(current)})`);
        current = new URL(location, current);
        continue;
      }
      return res;
    }
    throw new AirlockError('EUPSTREAM', `${this.options.label} upstream redirected more than ${maxRedirects} times (${redact(url)})`);
  }

  private async readBody(url: URL, res: Response): Promise<ArrayBuffer> {
    try {
      return await res.arrayBuffer();
    } catch (err) {
      throw new AirlockError('EUPSTREAMDOWN', `${this.options.label} upstream broke off the response for ${redact(url)}: ${describeCause(err)}`, {
        cause: err,
      });
    }
  }

  private async *guard(url: URL, body: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
    try {
      for await (const chunk of body) yield chunk;
    } catch (err) {
      throw new AirlockError('EUPSTREAMDOWN', `${this.options.label} upstream broke off ${redact(url)}: ${describeCause(err)}`, { cause: err });
    }
  }

  private async statusError(url: URL, res: Response): Promise<AirlockError> {
    await res.body?.cancel();
    const code = res.status >= 500 || res.status === 429 ? 'EUPSTREAMDOWN' : 'EUPSTREAM';
    return new AirlockError(code, `${this.options.label} upstream answered ${res.status} for ${redact(url)}`);
  }
}

/** A URL for messages and logs: credentials and query strings removed. */
export function redact(url: URL): string {
  const copy = new URL(url);
  copy.username = '';
  copy.password = '';
  copy.search = '';
  return copy.toString();
}

function describeCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? errorMessage(err);
}
