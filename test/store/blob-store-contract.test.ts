import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../src/store/blob-store.js';
import { FsBlobStore } from '../../src/store/fs-blob-store.js';
import { S3BlobStore } from '../../src/store/s3-blob-store.js';
import { startS3rver, type S3Server } from '../helpers/s3rver.js';
import { tempDir } from '../helpers/temp-dir.js';

const hex = (algo: string, bytes: Buffer | string) => createHash(algo).update(bytes).digest('hex');
async function* chunksOf(bytes: Buffer, size = 64 * 1024) {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

async function orphanIn(dir: string, at: Date): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `orphan-${at.getTime()}`);
  await writeFile(file, 'half a download');
  await utimes(file, at, at);
}

interface OpenedBlobs {
  blobs: BlobStore;
  /** Another store on the same data, as another replica (or a restarted process) opens it. */
  another(): BlobStore;
  /** Every stored file or object (blobs and anything half-written). */
  everything(): Promise<string[]>;
  /** Leaves what a write killed half-way leaves, last touched at `at`. */
  leaveOrphan(at: Date): Promise<void>;
  close(): Promise<void>;
}

interface BlobEngine {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  open(): Promise<OpenedBlobs>;
}

const fsEngine: BlobEngine = {
  name: 'files',
  async start() {},
  async stop() {},
  async open() {
    const temp = await tempDir('airlock-blobs-');
    return {
      blobs: new FsBlobStore(temp.dir),
      another: () => new FsBlobStore(temp.dir),
      everything: () => filesUnder(temp.dir),
      leaveOrphan: (at) => orphanIn(path.join(temp.dir, 'tmp'), at),
      close: temp.remove,
    };
  },
};

function s3Engine(): BlobEngine {
  let server: S3Server;
  let n = 0;
  return {
    name: 'S3 (s3rver)',
    async start() {
      server = await startS3rver();
    },
    async stop() {
      await server.stop();
    },
    async open() {
      const spool = await tempDir('airlock-spool-');
      const prefix = `run-${++n}/`;
      const options = { bucket: server.bucket, prefix, endpoint: server.endpoint, forcePathStyle: true, credentials: server.credentials };
      const blobs = new S3BlobStore({ ...options, spoolDir: spool.dir, partSizeBytes: 5 * 1024 * 1024 });
      const client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: server.credentials });
      const others: S3BlobStore[] = [];
      return {
        blobs,
        another() {
          const other = new S3BlobStore({ ...options, spoolDir: spool.dir, partSizeBytes: 5 * 1024 * 1024 });
          others.push(other);
          return other;
        },
        async everything() {
          const listed = await client.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: prefix }));
          return [...(listed.Contents ?? []).map((o) => o.Key!), ...(await filesUnder(spool.dir))];
        },
        leaveOrphan: (at) => orphanIn(spool.dir, at),
        async close() {
          blobs.close();
          for (const o of others) o.close();
          client.destroy();
          await spool.remove();
        },
      };
    },
  };
}

describe.each([fsEngine, s3Engine()])('blob store on $name', (engine) => {
  let opened: OpenedBlobs;
  let blobs: BlobStore;
  beforeAll(() => engine.start());
  afterAll(() => engine.stop());
  beforeEach(async () => {
    opened = await engine.open();
    blobs = opened.blobs;
  });
  afterEach(() => opened.close());

  it('gives another store on the same data (another replica) what one stored, whole or by range, and nothing once deleted', async () => {
    const bytes = randomBytes(200_000);
    const info = await blobs.put(chunksOf(bytes), { sha256: hex('sha256', bytes) });
    const other = opened.another();
    expect(await other.stat(info.key)).toEqual({ size: bytes.length });
    expect((await readAll(await other.open(info.key))).equals(bytes)).toBe(true);
    expect((await readAll(await other.open(info.key, { start: 1000, end: 1999 }))).equals(bytes.subarray(1000, 2000))).toBe(true);
    await blobs.delete(info.key);
    expect(await other.stat(info.key)).toBeNull();
    await expect(blobs.open(info.key)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('stores verified bytes under their sha256 and reads them back, whole or by range', async () => {
    const bytes = Buffer.from('hello world');
    const info = await blobs.put(chunksOf(bytes, 4), { sha512: hex('sha512', bytes), sha1: hex('sha1', bytes) });
    expect(info).toEqual({ key: hex('sha256', bytes), size: 11, sha256: hex('sha256', bytes) });
    expect(await blobs.stat(info.key)).toEqual({ size: 11 });
    expect((await readAll(await blobs.open(info.key))).toString()).toBe('hello world');
    expect((await readAll(await blobs.open(info.key, { start: 6, end: 10 }))).toString()).toBe('world');
    expect(await opened.everything()).toHaveLength(1);
  });

  it('refuses bytes that do not match a digest, or come with none, and keeps nothing', async () => {
    const tampered = Buffer.from('tampered');
    await expect(blobs.put(chunksOf(tampered), { sha256: hex('sha256', 'original') })).rejects.toMatchObject({ code: 'EINTEGRITY' });
    // One matching digest does not excuse another that does not match.
    await expect(blobs.put(chunksOf(tampered), { sha256: hex('sha256', tampered), sha512: hex('sha512', 'original') })).rejects.toMatchObject({
      code: 'EINTEGRITY',
    });
    await expect(blobs.put(chunksOf(tampered), {})).rejects.toMatchObject({ code: 'EINTEGRITY' });
    await expect(blobs.put(chunksOf(tampered), { md5: 'x' })).rejects.toMatchObject({ code: 'EINTEGRITY' });
    expect(await blobs.stat(hex('sha256', tampered))).toBeNull();
    expect(await opened.everything()).toEqual([]);
  });

  it('keeps nothing when the source fails half-way', async () => {
    async function* broken() {
      yield Buffer.from('first half');
      throw new Error('upstream connection reset');
    }
    await expect(blobs.put(broken(), { sha256: hex('sha256', 'first half and the rest') })).rejects.toThrow(/connection reset/);
    expect(await opened.everything()).toEqual([]);
  });

  it('stores one blob when two writers put the same bytes at the same moment', async () => {
    const bytes = randomBytes(300_000);
    const [a, b] = await Promise.all([
      blobs.put(chunksOf(bytes), { sha512: hex('sha512', bytes) }),
      blobs.put(chunksOf(bytes), { sha512: hex('sha512', bytes) }),
    ]);
    expect(a).toEqual(b);
    expect(await opened.everything()).toHaveLength(1);
    expect((await readAll(await blobs.open(a.key))).equals(bytes)).toBe(true);
  });

  it('stores an artifact larger than an upload part (multipart on S3) byte for byte', async () => {
    const bytes = randomBytes(12 * 1024 * 1024 + 123);
    const info = await blobs.put(chunksOf(bytes, 1024 * 1024), { sha256: hex('sha256', bytes) });
    expect(await blobs.stat(info.key)).toEqual({ size: bytes.length });
    expect((await readAll(await blobs.open(info.key))).equals(bytes)).toBe(true);
    const tail = await readAll(await blobs.open(info.key, { start: bytes.length - 200, end: bytes.length - 1 }));
    expect(tail.equals(bytes.subarray(bytes.length - 200))).toBe(true);
    expect(await opened.everything()).toHaveLength(1);
  });

  it('answers "not stored" for an unknown key and refuses a key that is not sha256 hex', async () => {
    expect(await blobs.stat('0'.repeat(64))).toBeNull();
    await expect(blobs.open('0'.repeat(64))).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(blobs.open('../../etc/passwd')).rejects.toMatchObject({ code: 'EBADREQUEST' });
    await expect(blobs.stat('sha256/../x')).rejects.toMatchObject({ code: 'EBADREQUEST' });
  });

  it('deletes a blob (a missing one is no error) and removes only orphans older than asked', async () => {
    const bytes = Buffer.from('to be deleted');
    const info = await blobs.put(chunksOf(bytes), { sha256: hex('sha256', bytes) });
    await blobs.delete(info.key);
    expect(await blobs.stat(info.key)).toBeNull();
    await blobs.delete(info.key);
    await expect(blobs.delete('../x')).rejects.toMatchObject({ code: 'EBADREQUEST' });

    const now = Date.now();
    await opened.leaveOrphan(new Date(now - 2 * 3_600_000));
    await opened.leaveOrphan(new Date(now));
    expect(await blobs.removeOrphans!(new Date(now - 3_600_000))).toBe(1);
    expect(await opened.everything()).toHaveLength(1);
  });
});
