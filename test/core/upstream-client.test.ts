import { createServer, type Server } from 'node:http';
import { brotliCompressSync, gzipSync } from 'node:zlib';
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
      } else if (req.url === '/gzip' || req.url === '/br') {
        const body = '{"packed":true}';
        res.writeHead(200, { 'content-encoding': req.url.slice(1) }).end(req.url === '/gzip' ? gzipSync(body) : brotliCompressSync(body));
      } else if (req.url === '/bomb') {
        res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(Buffer.alloc(4 * 1024 * 1024)));
      } else if (req.url === '/endless') {
        res.writeHead(200);
        const more = () => res.write(Buffer.alloc(64 * 1024), () => setImmediate(more));
        more();
        res.on('close', () => res.destroy());
      } else if (req.url === '/bad-gzip') {
        res.writeHead(200, { 'content-encoding': 'gzip' }).end('not gzip at all');
      } else if (req.url === '/odd-coding') {
        res.writeHead(200, { 'content-encoding': 'compress' }).end('x');
      } else if (req.url === '/moved') {
        res.writeHead(301, { location: '/doc' }).end();
      } else if (req.url === '/cut') {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('{"half":');
        setTimeout(() => res.socket?.destroy(), 20);
      } else if (req.url === '/slow') {
        setTimeout(() => res.writeHead(200).end('{}'), 3000);
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

  it('reads documents in the codings it asks for, follows redirects on its host, and fails clearly on broken bodies', async () => {
    for (const coding of ['gzip', 'br']) expect((await client().getDocument(new URL(`/${coding}`, base))).body.toString()).toBe('{"packed":true}');
    expect((await client().getDocument(new URL('/moved', base))).body.toString()).toBe('{"ok":true}');
    await expect(client().getDocument(new URL('/bad-gzip', base))).rejects.toMatchObject({ code: 'EUPSTREAM', message: expect.stringMatching(/broken gzip body/) });
    await expect(client().getDocument(new URL('/odd-coding', base))).rejects.toThrow(/content coding Airlock does not read \(compress\)/);
    await expect(client().getDocument(new URL('/cut', base))).rejects.toMatchObject({ code: 'EUPSTREAMDOWN', message: expect.stringMatching(/broke off the response/) });
    const small = new UpstreamClient({ label: 'npm', allowedHosts: [new URL(base).host], timeoutMs: 2000, maxDocumentBytes: 1024 * 1024 });
    await expect(small.getDocument(new URL('/bomb', base))).rejects.toMatchObject({ code: 'EUPSTREAM', message: expect.stringMatching(/decodes to more than 1048576 bytes/) });
    await expect(small.getDocument(new URL('/endless', base))).rejects.toThrow(/sent more than 1048576 bytes/);
    small.close();
    const quick = new UpstreamClient({ label: 'npm', allowedHosts: [new URL(base).host], timeoutMs: 300 });
    await expect(quick.getDocument(new URL('/slow', base))).rejects.toMatchObject({ code: 'EUPSTREAMDOWN', message: expect.stringMatching(/timed out after 300 ms/) });
    quick.close();
  });
});
