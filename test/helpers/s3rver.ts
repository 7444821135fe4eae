import { createRequire } from 'node:module';
import { tempDir } from './temp-dir.js';

/** The npm package has no types; this is the part of its API the tests use. */
interface S3rverServer {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
const S3rver = createRequire(import.meta.url)('s3rver') as new (options: Record<string, unknown>) => S3rverServer;

export interface S3Server {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  bucket: string;
  /** s3rver's fixed credentials. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

/**
 * Starts s3rver, a small S3-compatible server, on a loopback port with one empty bucket and its
 * objects in a temp dir. A test stand-in only: users run MinIO, Ceph, R2 or AWS S3.
 */
export async function startS3rver(bucket = 'airlock'): Promise<S3Server> {
  const temp = await tempDir('airlock-s3rver-');
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: temp.dir,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    async stop() {
      await server.close();
      await temp.remove();
    },
  };
}
