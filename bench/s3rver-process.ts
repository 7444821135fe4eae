import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startS3rver, type S3Server } from '../test/helpers/s3rver.js';

export interface S3rverProcess extends S3Server {
  pid: number;
}

const self = fileURLToPath(import.meta.url);

/**
 * The tests' s3rver (test/helpers/s3rver.ts), run in a child process of its own: in the bench
 * process it would share one event loop with the load generator, and each would slow the other.
 */
export async function startS3rverProcess(): Promise<S3rverProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', self], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const first = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      lines.close();
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code} before it served`)));
  });
  const server = JSON.parse(first) as Omit<S3Server, 'stop'>;
  return {
    ...server,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

// Run as a script: start s3rver, print where it listens as one JSON line, stop (and remove its files) on SIGTERM.
if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const server = await startS3rver();
  const where: Omit<S3Server, 'stop'> = { endpoint: server.endpoint, bucket: server.bucket, credentials: server.credentials };
  process.stdout.write(`${JSON.stringify(where)}\n`);
  process.once('SIGTERM', () => void server.stop().finally(() => process.exit(0)));
}
