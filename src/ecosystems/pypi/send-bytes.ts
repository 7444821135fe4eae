import { pipeline, Readable } from 'node:stream';
import type { Request, Response } from 'express';
import type { BlobStore } from '../../store/blob-store.js';
import { AirlockError } from '../../errors.js';

/** Bytes to send: their size and a way to open all or an inclusive range of them. */
export interface ByteSource {
  size: number;
  open(range?: { start: number; end: number }): Promise<Readable>;
}

/** A stored blob as a byte source. */
export async function blobSource(blobs: BlobStore, key: string): Promise<ByteSource> {
  const stat = await blobs.stat(key);
  if (!stat) throw new AirlockError('ENOTFOUND', `blob ${key} vanished from the store`);
  return { size: stat.size, open: (range) => blobs.open(key, range) };
}

/** Bytes in memory as a byte source. */
export function bufferSource(bytes: Buffer): ByteSource {
  return { size: bytes.length, open: async (range) => Readable.from([range ? bytes.subarray(range.start, range.end + 1) : bytes]) };
}

export interface SendOptions {
  contentType: string;
  /** Strong validator: the content's sha256. */
  sha256: string;
}

/**
 * Sends stored bytes with GET or HEAD, honouring `If-None-Match` and one `Range` (`bytes=a-b`,
 * `bytes=a-`, `bytes=-n`); several ranges are answered with the whole file, as RFC 9110 allows.
 */
export async function sendBytes(req: Request, res: Response, source: ByteSource, options: SendOptions): Promise<void> {
  const stat = source;
  const etag = `"${options.sha256}"`;
  res.setHeader('Content-Type', options.contentType);
  res.setHeader('ETag', etag);
  res.setHeader('Accept-Ranges', 'bytes');
  // Revalidate every time: a file that is served now may be revoked later.
  res.setHeader('Cache-Control', 'max-age=0, must-revalidate');
  if (req.headers['if-none-match']?.split(',').some((t) => t.trim() === etag)) {
    res.status(304).end();
    return;
  }
  const range = parseRange(req.headers.range, stat.size);
  if (range === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${stat.size}`);
    res.status(416).end();
    return;
  }
  if (range) {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${stat.size}`);
  }
  const length = range ? range.end - range.start + 1 : stat.size;
  res.setHeader('Content-Length', String(length));
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  const stream = await source.open(range ?? undefined);
  await new Promise<void>((resolve) => {
    pipeline(stream, res, (err) => {
      // Headers are sent: a broken stream can only be reported by cutting the connection.
      if (err) res.destroy();
      resolve();
    });
  });
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}
