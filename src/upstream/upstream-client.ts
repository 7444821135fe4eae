import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
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
  /** The most bytes of an index document, as sent and decoded. @default 256 MiB */
  maxDocumentBytes?: number;
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
 * The most bytes an index document may have by default, as sent and once decoded: far above the
 * largest real packument (tens of MB), low enough that a hostile upstream's endless body or
 * compression bomb ends in an error rather than in the process running out of memory.
 */
const defaultMaxDocumentBytes = 256 * 1024 * 1024;

const gunzipAsync = promisify(gunzip);
const brotliAsync = promisify(brotliDecompress);
const inflateAsync = promisify(inflate);
/** How each content coding an upstream may answer a document in is undone (one call, off the event loop), up to `max` bytes. */
const decoders: Record<string, (body: Buffer, max: number) => Promise<Buffer>> = {
  gzip: (body, max) => gunzipAsync(body, { maxOutputLength: max }),
  'x-gzip': (body, max) => gunzipAsync(body, { maxOutputLength: max }),
  br: (body, max) => brotliAsync(body, { maxOutputLength: max }),
  deflate: (body, max) => inflateAsync(body, { maxOutputLength: max }),
};

/**
 * HTTP to one upstream, with bounded concurrency, timeouts, and a host allow-list that also
 * applies to redirects, so a hostile document can never make Airlock fetch an internal address.
 * Documents (packuments, project pages: the many small requests of a first install) go over
 * node:http's keep-alive agents, which cost a third of the CPU of fetch per request; artifacts and
 * pass-through requests over Node's built-in fetch (undici: streaming bodies as web streams).
 */
export class UpstreamClient {
  private readonly queue: PQueue;
  private readonly allowed: Set<string>;
  private readonly timeoutMs: number;
  private readonly agents: { 'http:': http.Agent; 'https:': https.Agent };
  private readonly maxDocumentBytes: number;

  constructor(private readonly options: UpstreamClientOptions) {
    const concurrency = options.concurrency ?? 16;
    this.queue = new PQueue({ concurrency });
    this.allowed = new Set(options.allowedHosts.map((h) => h.toLowerCase()));
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxDocumentBytes = options.maxDocumentBytes ?? defaultMaxDocumentBytes;
    this.agents = { 'http:': new http.Agent({ keepAlive: true, maxSockets: concurrency }), 'https:': new https.Agent({ keepAlive: true, maxSockets: concurrency }) };
  }

  /** Closes the idle keep-alive connections of document requests. */
  close(): void {
    this.agents['http:'].destroy();
    this.agents['https:'].destroy();
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
    return this.queue.add<DocumentResult>(() => this.document(url, headers, opts), { throwOnTimeout: true }).catch((err: unknown) => this.failed(err));
  }

  /** One document request, its redirects followed (each hop checked against the allow-list), its body read and decoded. */
  private async document(url: URL, headers: Record<string, string>, opts: { etag?: string | null; lastModified?: string | null; signal?: AbortSignal }): Promise<DocumentResult> {
    let current = url;
    for (let hop = 0; hop <= maxRedirects; hop++) {
      if (!this.isAllowed(current))
        throw new AirlockError('EUPSTREAM', `refusing to fetch ${redact(current)}: not an allowed ${this.options.label} upstream host`);
      const { status, headers: answered, body } = await this.get(current, headers, opts.signal);
      if (status >= 300 && status < 400 && status !== 304) {
        const location = answered.location;
        if (!location) throw new AirlockError('EUPSTREAM', `${this.options.label} upstream redirected without a Location (${redact(current)})`);
        current = new URL(location, current);
        continue;
      }
      if (status === 304 || status === 404 || status === 410) return { status, body: Buffer.alloc(0), etag: opts.etag ?? null, lastModified: opts.lastModified ?? null };
      if (status !== 200) throw statusError(this.options.label, current, status);
      const coding = (answered['content-encoding'] ?? 'identity').trim().toLowerCase();
      let decoded: Buffer;
      if (coding === 'identity' || coding === '') decoded = body;
      else {
        const decode = decoders[coding];
        if (!decode) throw new AirlockError('EUPSTREAM', `${this.options.label} upstream answered ${redact(current)} in a content coding Airlock does not read (${coding.slice(0, 40)})`);
        try {
          decoded = await decode(body, this.maxDocumentBytes);
        } catch (err) {
          if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
            throw new AirlockError('EUPSTREAM', `${this.options.label} upstream sent a ${coding} body for ${redact(current)} that decodes to more than ${this.maxDocumentBytes} bytes; Airlock reads documents up to that size`, { cause: err });
          throw new AirlockError('EUPSTREAM', `${this.options.label} upstream sent a broken ${coding} body for ${redact(current)}: ${describeCause(err)}`, { cause: err });
        }
      }
      return { status: 200, body: decoded, etag: oneHeader(answered.etag), lastModified: oneHeader(answered['last-modified']) };
    }
    throw new AirlockError('EUPSTREAM', `${this.options.label} upstream redirected more than ${maxRedirects} times (${redact(url)})`);
  }

  /**
   * One GET over the keep-alive agent: status, headers and the whole body, within the timeout
   * (connecting, waiting and reading together). A body is only read for a 200; any other answer's
   * is drained and dropped.
   */
  private get(url: URL, headers: Record<string, string>, signal?: AbortSignal): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
    const label = this.options.label;
    const maxDocumentBytes = this.maxDocumentBytes;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err: AirlockError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', aborted);
        req.destroy();
        reject(err);
      };
      const done = (value: { status: number; headers: IncomingMessage['headers']; body: Buffer }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', aborted);
        resolve(value);
      };
      const unreachable = (why: string, cause?: unknown) =>
        new AirlockError('EUPSTREAMDOWN', `${label} upstream unreachable (${redact(url)}): ${why}`, cause === undefined ? undefined : { cause });
      const aborted = () => fail(unreachable('the request was given up', signal?.reason));
      const transport = url.protocol === 'https:' ? https : http;
      const req = transport.request(url, { method: 'GET', headers, agent: this.agents[url.protocol === 'https:' ? 'https:' : 'http:'] }, (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          res.resume();
          res.on('end', () => done({ status, headers: res.headers, body: Buffer.alloc(0) }));
          res.on('error', (err) => fail(unreachable(describeCause(err), err)));
          return;
        }
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > maxDocumentBytes) fail(new AirlockError('EUPSTREAM', `${label} upstream sent more than ${maxDocumentBytes} bytes for ${redact(url)}; Airlock reads documents up to that size`));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          if (!res.complete) fail(new AirlockError('EUPSTREAMDOWN', `${label} upstream broke off the response for ${redact(url)}: the connection closed early`));
          else done({ status, headers: res.headers, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks) });
        });
        res.on('error', (err) => fail(new AirlockError('EUPSTREAMDOWN', `${label} upstream broke off the response for ${redact(url)}: ${describeCause(err)}`, { cause: err })));
        res.on('close', () => {
          if (!res.complete) fail(new AirlockError('EUPSTREAMDOWN', `${label} upstream broke off the response for ${redact(url)}: the connection closed early`));
        });
      });
      req.on('error', (err) => fail(unreachable(describeCause(err), err)));
      const timer = setTimeout(() => fail(unreachable(`timed out after ${this.timeoutMs} ms`)), this.timeoutMs);
      if (signal?.aborted) return aborted();
      signal?.addEventListener('abort', aborted, { once: true });
      req.end();
    });
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

  private async *guard(url: URL, body: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
    try {
      for await (const chunk of body) yield chunk;
    } catch (err) {
      throw new AirlockError('EUPSTREAMDOWN', `${this.options.label} upstream broke off ${redact(url)}: ${describeCause(err)}`, { cause: err });
    }
  }

  private async statusError(url: URL, res: Response): Promise<AirlockError> {
    await res.body?.cancel();
    return statusError(this.options.label, url, res.status);
  }
}

/** An upstream's answer that is neither a document nor a known absence: 5xx and 429 mean it is down. */
function statusError(label: string, url: URL, status: number): AirlockError {
  const code = status >= 500 || status === 429 ? 'EUPSTREAMDOWN' : 'EUPSTREAM';
  return new AirlockError(code, `${label} upstream answered ${status} for ${redact(url)}`);
}

/** A header's value, the first when repeated; null when absent. */
function oneHeader(value: string | string[] | undefined): string | null {
  return (Array.isArray(value) ? value[0] : value) ?? null;
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
  return cause?.code ?? cause?.message ?? (err as { code?: string }).code ?? errorMessage(err);
}
