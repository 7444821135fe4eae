import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamClient } from '../../src/upstream/upstream-client.js';

describe('UpstreamClient', () => {
  let server: Server;
  let base: string;
  let hits = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      if (req.url === '/redirect-away') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      } else if (req.url === '/doc') {
        if (req.headers['if-none-match'] === '"v1"') res.writeHead(304).end();
        else res.writeHead(200, { etag: '"v1"', 'content-type': 'application/json' }).end('{"ok":true}');
      } else if (req.url === '/boom') {
        res.writeHead(503).end();
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const client = () => new UpstreamClient({ label: 'npm', allowedHosts: [new URL(base).host], timeoutMs: 2000 });

  it('asks conditionally and reports 304 and 404 as answers', async () => {
    const first = await client().getDocument(new URL('/doc', base));
    expect(first).toMatchObject({ status: 200, etag: '"v1"' });
    expect(first.body.toString()).toBe('{"ok":true}');
    expect((await client().getDocument(new URL('/doc', base), { etag: '"v1"' })).status).toBe(304);
    expect((await client().getDocument(new URL('/missing', base))).status).toBe(404);
  });

  it('never contacts a host that is not its upstream, directly or through a redirect', async () => {
    const before = hits;
    await expect(client().getDocument(new URL('http://10.0.0.1/secret'))).rejects.toThrow(/not an allowed npm upstream host/);
    expect(hits).toBe(before);
    await expect(client().getStream(new URL('/redirect-away', base))).rejects.toThrow(/refusing to fetch http:\/\/169\.254\.169\.254/);
  });

  it('turns upstream 5xx and unreachable hosts into upstream-down errors', async () => {
    await expect(client().getDocument(new URL('/boom', base))).rejects.toMatchObject({ code: 'EUPSTREAMDOWN', status: 503 });
    const dead = new UpstreamClient({ label: 'pypi', allowedHosts: ['127.0.0.1:1'], timeoutMs: 2000 });
    await expect(dead.getDocument(new URL('http://127.0.0.1:1/simple/x/'))).rejects.toMatchObject({ code: 'EUPSTREAMDOWN' });
  });
});
