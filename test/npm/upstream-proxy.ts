import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface UpstreamProxy {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  requests: ProxiedRequest[];
  /** How many requests reached the proxy for this exact path (without query). */
  hits(path: string): number;
  /** Replaces the response body for a path (e.g. corrupt tarball bytes, a hostile packument). */
  rewrite(path: string, edit: (body: Buffer) => Buffer): void;
  /** Answers a path itself, without asking the target. */
  answer(path: string, respond: (req: ProxiedRequest) => { status: number; headers?: Record<string, string>; body: Buffer | string }): void;
  /** Holds every answer for a path this long before sending it (a slow upstream artifact). */
  delay(path: string, ms: number): void;
  /** Stops listening (clients get connection refused) until `start()`. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A small HTTP proxy in front of a test upstream (Verdaccio) that counts what reaches it and can
 * tamper with answers: the upstream a test needs to see misbehave, without touching Airlock.
 */
export async function startUpstreamProxy(target: string): Promise<UpstreamProxy> {
  const requests: ProxiedRequest[] = [];
  const rewrites = new Map<string, (body: Buffer) => Buffer>();
  const answers = new Map<string, Parameters<UpstreamProxy['answer']>[1]>();
  const delays = new Map<string, number>();
  const targetUrl = new URL(target);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const entry: ProxiedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) };
    requests.push(entry);
    const path = entry.url.split('?')[0]!;
    const delayMs = delays.get(path);
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const answer = answers.get(path);
    if (answer) {
      const a = answer(entry);
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(a.body);
      return;
    }
    const headers = { ...req.headers, host: targetUrl.host };
    delete headers['accept-encoding']; // keep bodies plain so they can be rewritten
    const upstream = httpRequest(new URL(entry.url, targetUrl), { method: entry.method, headers }, (up) => {
      const edit = rewrites.get(path);
      if (!edit || up.statusCode !== 200) {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        return;
      }
      const parts: Buffer[] = [];
      up.on('data', (d: Buffer) => parts.push(d));
      up.on('end', () => {
        const body = edit(Buffer.concat(parts));
        const outHeaders = { ...up.headers, 'content-length': String(body.length) };
        delete outHeaders.etag;
        res.writeHead(200, outHeaders);
        res.end(body);
      });
    });
    upstream.on('error', () => res.destroy());
    upstream.end(entry.body);
  };

  let server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    hits: (path) => requests.filter((r) => r.url.split('?')[0] === path).length,
    rewrite: (path, edit) => void rewrites.set(path, edit),
    answer: (path, respond) => void answers.set(path, respond),
    delay: (path, ms) => void delays.set(path, ms),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async start() {
      server = createServer((req, res) => void handle(req, res));
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    async close() {
      if (!server.listening) return;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
