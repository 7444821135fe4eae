import { Parser, type ReadEntry } from 'tar';
import type { ArchiveLimits } from '../types.js';
import { ArchiveAbort, type ArchiveProblem } from './archive-problem.js';
import { nameCollisions } from './name-collisions.js';
import { linkStaysInside, normalizeEntryPath } from './normalize-entry-path.js';
import type { RawFile, WantContent } from './raw-file.js';

/** Ratio checks start once this much was decompressed, so one small, very regular file is no bomb. */
const ratioFloorBytes = 16 * 1024 * 1024;

/**
 * Streams a (gzipped) tar archive entry by entry, never touching the disk. Content is kept only
 * for wanted files within the per-file cap. Cap violations and corrupt input stop the read and
 * come back as problems; files read before that are still delivered. Names that collide when
 * case-folded are a problem; a member written twice is delivered twice, and the caller compares
 * the two (packers sometimes write the same bytes twice, which is harmless).
 */
export async function readTar(
  stream: NodeJS.ReadableStream,
  limits: ArchiveLimits,
  want: WantContent,
  onFile: (file: RawFile) => void,
  /** How entry paths appear in problems (the caller strips the `package/` root). */
  shown: (path: string) => string = (p) => p,
): Promise<ArchiveProblem[]> {
  const problems: ArchiveProblem[] = [];
  let compressed = 0;
  let uncompressed = 0;
  let entries = 0;
  const names = nameCollisions();
  const parser = new Parser({ strict: false, maxDecompressionRatio: Number.MAX_SAFE_INTEGER });

  return new Promise<ArchiveProblem[]>((resolve) => {
    let settled = false;
    const finish = (fatal?: string) => {
      if (settled) return;
      settled = true;
      if (fatal !== undefined) problems.push({ path: null, message: fatal });
      stream.removeListener('data', onData);
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      resolve(problems);
    };
    const abort = (message: string) => {
      parser.abort(new ArchiveAbort(message));
      finish(message);
    };
    const onData = (chunk: Buffer) => {
      compressed += chunk.length;
    };

    parser.on('warn', (code: string, message: string | Error) => {
      const text = typeof message === 'string' ? message : message.message;
      if (message instanceof ArchiveAbort) return;
      if (code === 'TAR_ENTRY_INVALID' || code === 'TAR_BAD_ARCHIVE' || code === 'TAR_ABORT' || code === 'TAR_ENTRY_ERROR') {
        finish(`it is not a readable tar archive (${text})`);
      }
    });
    parser.on('error', (err: Error) => finish(`it is not a readable tar archive (${err.message})`));
    parser.on('end', () => finish());
    parser.on('close', () => finish());

    parser.on('entry', (entry: ReadEntry) => {
      if (settled) return entry.resume();
      entries++;
      if (entries > limits.maxEntries) return abort(`it has more than ${limits.maxEntries} entries`);
      const path = normalizeEntryPath(entry.path);
      if (path === null) {
        problems.push({ path: entry.path, message: `entry \`${entry.path}\` points outside the archive root` });
        return entry.resume();
      }
      if (entry.type !== 'Directory') {
        const collision = names.addFolded(shown(path));
        if (collision !== null) problems.push({ path: shown(path), message: collision });
      }
      if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
        const target = entry.linkpath ?? '';
        if (!linkStaysInside(path, target)) {
          problems.push({ path: shown(path), message: `link \`${shown(path)}\` points outside the archive to \`${target}\`` });
        }
        return entry.resume();
      }
      if (entry.type !== 'File' && entry.type !== 'OldFile' && entry.type !== 'ContiguousFile') return entry.resume();

      const size = entry.size;
      const tooBig = size > limits.maxFileBytes;
      if (tooBig) problems.push({ path: shown(path), message: `file \`${shown(path)}\` is ${size} bytes, above the ${limits.maxFileBytes}-byte scan limit` });
      const keep = !tooBig && want(path, size);
      const chunks: Buffer[] = [];
      let head: Buffer | null = null;
      entry.on('data', (chunk: Buffer) => {
        if (settled) return;
        uncompressed += chunk.length;
        if (uncompressed > limits.maxTotalBytes) return abort(`it unpacks to more than ${limits.maxTotalBytes} bytes`);
        if (uncompressed > ratioFloorBytes && uncompressed > compressed * limits.maxCompressionRatio) {
          return abort(`it decompresses more than ${limits.maxCompressionRatio} times its compressed size (a decompression bomb)`);
        }
        if (head === null) head = chunk.subarray(0, 8);
        if (keep) chunks.push(chunk);
      });
      entry.on('end', () => {
        if (settled) return;
        const data = keep ? (chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks)) : null;
        onFile({ path, size, data, head: head ?? Buffer.alloc(0) });
      });
    });

    stream.on('data', onData);
    stream.on('error', (err: Error) => finish(`it could not be read (${err.message})`));
    stream.pipe(parser);
  });
}
