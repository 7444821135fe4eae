import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { AirlockError } from '../errors.js';
import { BoundedCache } from '../bounded-cache.js';
import type { BlobBackend, BlobWriter } from './blob-store.js';
import { VerifiedBlobStore } from './verified-blob-store.js';
import { openTempFile } from './temp-file.js';

export interface S3BlobOptions {
  bucket: string;
  /** Key prefix inside the bucket, `''` or ending in `/` (`airlock/`). */
  prefix: string;
  /** An S3-compatible endpoint (MinIO, Ceph, R2); unset for AWS S3. */
  endpoint?: string;
  /** @default 'us-east-1' */
  region?: string;
  /** `http://endpoint/bucket/key` instead of `http://bucket.endpoint/key`; MinIO and most self-hosted stores need it. */
  forcePathStyle?: boolean;
  /** Explicit credentials; otherwise the AWS SDK's standard chain (AWS_ACCESS_KEY_ID, profiles, instance roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * Artifacts larger than this go up as a multipart upload in parts of this size (S3's minimum
   * part is 5 MiB). @default 16 MiB
   */
  partSizeBytes?: number;
  /** Local directory where bytes wait, being verified, before they go up. @default the OS temp dir */
  spoolDir?: string;
}

const minPartBytes = 5 * 1024 * 1024;
/** Blobs up to this size are put without asking first, and kept in memory a while (see `begin`). */
const recentBlobBytes = 1024 * 1024;
/** The memory those kept blobs may take in all, the least recently used going first. */
const recentTotalBytes = 32 * 1024 * 1024;

/**
 * Small blobs lately stored or read, by key, the least recently used going first: immutable
 * (content-addressed), so never stale; dropped with the object.
 */
class RecentBlobs {
  private readonly blobs = new BoundedCache<string, Buffer>({ maxBytes: recentTotalBytes });

  get(key: string): Buffer | undefined {
    const blob = this.blobs.get(key);
    // Read: the newest again.
    if (blob) this.blobs.set(key, blob, blob.byteLength);
    return blob;
  }

  add(key: string, blob: Buffer): void {
    this.blobs.set(key, blob, blob.byteLength);
  }

  delete(key: string): void {
    this.blobs.delete(key);
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

/**
 * Blobs as objects `<prefix>sha256/ab/<hex>` in an S3 bucket. Bytes are spooled to a local temp
 * file while `VerifiedBlobStore` checks them, and only verified bytes are uploaded, under their
 * final key: S3 has no rename, and a failed or tampered download must leave no object behind.
 * Large artifacts go up as a multipart upload (aborted on any failure, so no parts linger); a
 * PUT or a completed multipart upload is atomic, and two replicas uploading the same key write
 * the same bytes.
 */
export class S3BlobBackend implements BlobBackend {
  /** Made at the first request: building the SDK client takes several ms of the event loop, which a start need not wait for. */
  #client: S3Client | null = null;
  private readonly partSizeBytes: number;
  private readonly spoolDir: string;
  private readonly recent = new RecentBlobs();

  constructor(private readonly options: S3BlobOptions) {
    if (options.prefix !== '' && !options.prefix.endsWith('/')) throw new Error(`S3 key prefix "${options.prefix}" must end with "/"`);
    this.partSizeBytes = Math.max(options.partSizeBytes ?? 16 * 1024 * 1024, minPartBytes);
    this.spoolDir = options.spoolDir ?? path.join(tmpdir(), 'airlock-s3-spool');
  }

  private get client(): S3Client {
    const options = this.options;
    this.#client ??= new S3Client({
      endpoint: options.endpoint,
      region: options.region ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle ?? false,
      credentials: options.credentials,
      // Checksums only where S3 requires them: several S3-compatible stores reject the newer
      // default CRC trailers, and the bytes are already verified against upstream's digests.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return this.#client;
  }

  async begin(): Promise<BlobWriter> {
    const spool = await openTempFile(this.spoolDir);
    return {
      write: spool.write,
      commit: async (key, size) => {
        await spool.close();
        try {
          // Under its digest the object is the same bytes whoever wrote it: a small one is put
          // again rather than asked after first (a HEAD costs about what such a PUT does), and
          // kept in memory a while, as what was just stored is read at once (served, analyzed);
          // a large one another replica stored already is not sent again.
          if (size <= recentBlobBytes) {
            const bytes = await readFile(spool.path);
            await this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key), Body: bytes, ContentLength: size }));
            this.recent.add(key, bytes);
          } else if (!(await this.stat(key))) await this.upload(this.objectKey(key), spool.path, size);
        } finally {
          await rm(spool.path, { force: true });
        }
      },
      abort: spool.discard,
    };
  }

  async stat(key: string): Promise<{ size: number } | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }));
      return { size: head.ContentLength ?? 0 };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async open(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const kept = this.recent.get(key);
    if (kept) return Readable.from([range ? kept.subarray(range.start, range.end + 1) : kept]);
    try {
      const got = await this.client.send(
        new GetObjectCommand({
          Bucket: this.options.bucket,
          Key: this.objectKey(key),
          Range: range ? `bytes=${range.start}-${range.end}` : undefined,
        }),
      );
      return got.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) throw new AirlockError('ENOTFOUND', `blob ${key} is not stored`);
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    this.recent.delete(key);
    // S3 answers a delete of a missing key with success too.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }));
  }

  /**
   * Spool files of writes that never finished (a killed process), and multipart uploads under the
   * prefix started before `olderThan` and never completed (their parts are billed and invisible).
   * A bucket lifecycle rule (AbortIncompleteMultipartUpload) is the belt to these braces.
   */
  async removeOrphans(olderThan: Date): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.spoolDir).catch(() => [] as string[])) {
      const file = path.join(this.spoolDir, name);
      const s = await stat(file).catch(() => null);
      if (!s || s.mtime >= olderThan) continue;
      await rm(file, { force: true });
      removed++;
    }
    const Bucket = this.options.bucket;
    let listed;
    try {
      listed = await this.client.send(new ListMultipartUploadsCommand({ Bucket, Prefix: this.options.prefix || undefined }));
    } catch (err) {
      // Some S3-compatible stores (and test stand-ins) do not list uploads; the lifecycle rule covers them.
      if ((err as { name?: string }).name === 'NotImplemented') return removed;
      throw err;
    }
    for (const upload of listed.Uploads ?? []) {
      if (!upload.Initiated || upload.Initiated >= olderThan || !upload.Key || !upload.UploadId) continue;
      await this.client.send(new AbortMultipartUploadCommand({ Bucket, Key: upload.Key, UploadId: upload.UploadId }));
      removed++;
    }
    return removed;
  }

  /** Closes the client's sockets (if it was ever made). */
  close(): void {
    this.#client?.destroy();
  }

  private objectKey(key: string): string {
    return `${this.options.prefix}sha256/${key.slice(0, 2)}/${key}`;
  }

  private async upload(objectKey: string, file: string, size: number): Promise<void> {
    const Bucket = this.options.bucket;
    if (size <= this.partSizeBytes) {
      await this.client.send(new PutObjectCommand({ Bucket, Key: objectKey, Body: createReadStream(file), ContentLength: size }));
      return;
    }
    const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket, Key: objectKey }));
    const UploadId = created.UploadId;
    if (!UploadId) throw new AirlockError('EINTERNAL', `S3 answered CreateMultipartUpload for ${objectKey} without an UploadId`);
    try {
      const parts: CompletedPart[] = [];
      for (let start = 0, PartNumber = 1; start < size; start += this.partSizeBytes, PartNumber++) {
        const end = Math.min(start + this.partSizeBytes, size) - 1;
        const part = await this.client.send(
          new UploadPartCommand({
            Bucket,
            Key: objectKey,
            UploadId,
            PartNumber,
            Body: createReadStream(file, { start, end }),
            ContentLength: end - start + 1,
          }),
        );
        parts.push({ ETag: part.ETag, PartNumber });
      }
      await this.client.send(new CompleteMultipartUploadCommand({ Bucket, Key: objectKey, UploadId, MultipartUpload: { Parts: parts } }));
    } catch (err) {
      // Parts of an unfinished upload are billed and invisible; never leave them behind.
      await this.client.send(new AbortMultipartUploadCommand({ Bucket, Key: objectKey, UploadId })).catch(() => {});
      throw err;
    }
  }
}

/** Verified blobs in an S3-compatible bucket. */
export class S3BlobStore extends VerifiedBlobStore {
  private readonly s3: S3BlobBackend;

  constructor(options: S3BlobOptions) {
    const backend = new S3BlobBackend(options);
    super(backend);
    this.s3 = backend;
  }

  close(): void {
    this.s3.close();
  }
}
