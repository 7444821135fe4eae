import yauzl from 'yauzl';
import type { ArchiveLimits } from '../types.js';
import type { ArchiveProblem } from './archive-problem.js';
import { linkStaysInside, normalizeEntryPath } from './normalize-entry-path.js';
import type { RawFile, WantContent } from './raw-file.js';

const ratioFloorBytes = 1024 * 1024;

/** Reads a zip (wheel, zip sdist) from memory; caps and hostile names become problems. */
export async function readZip(
  buffer: Buffer,
  limits: ArchiveLimits,
  want: WantContent,
  onFile: (file: RawFile) => void,
  /** How entry paths appear in problems (the caller strips the `package/` root). */
  shown: (path: string) => string = (p) => p,
): Promise<ArchiveProblem[]> {
  const problems: ArchiveProblem[] = [];
  let zip: yauzl.ZipFile;
  try {
    zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.fromBuffer(buffer, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true, strictFileNames: false }, (err, z) =>
        err ? reject(err) : resolve(z!),
      ),
    );
  } catch (err) {
    return [{ path: null, message: `it is not a readable zip archive (${(err as Error).message})` }];
  }
  if (zip.entryCount > limits.maxEntries) {
    zip.close();
    return [{ path: null, message: `it has ${zip.entryCount} entries, above the limit of ${limits.maxEntries}` }];
  }

  let total = 0;
  return new Promise<ArchiveProblem[]>((resolve) => {
    let settled = false;
    const finish = (fatal?: string) => {
      if (settled) return;
      settled = true;
      if (fatal !== undefined) problems.push({ path: null, message: fatal });
      zip.close();
      resolve(problems);
    };
    zip.on('error', (err: Error) => finish(`it is not a readable zip archive (${err.message})`));
    zip.on('end', () => finish());
    zip.on('entry', (entry: yauzl.Entry) => {
      if (settled) return;
      const name = entry.fileName;
      if (name.endsWith('/')) return zip.readEntry();
      const path = normalizeEntryPath(name);
      if (path === null) {
        problems.push({ path: name, message: `entry \`${name}\` points outside the archive root` });
        return zip.readEntry();
      }
      // Unix mode in the high bits of the external attributes: 0o120000 is a symlink.
      const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
      const size = entry.uncompressedSize;
      total += size;
      if (total > limits.maxTotalBytes) return finish(`it unpacks to more than ${limits.maxTotalBytes} bytes`);
      if (size > ratioFloorBytes && size > Math.max(1, entry.compressedSize) * limits.maxCompressionRatio) {
        return finish(`entry \`${path}\` decompresses more than ${limits.maxCompressionRatio} times its compressed size (a decompression bomb)`);
      }
      const tooBig = size > limits.maxFileBytes;
      if (tooBig) problems.push({ path: shown(path), message: `file \`${shown(path)}\` is ${size} bytes, above the ${limits.maxFileBytes}-byte scan limit` });
      const isLink = mode === 0o120000;
      const keep = isLink || (!tooBig && want(path, size));
      const wantHead = !tooBig;
      if (!keep && !wantHead) return zip.readEntry();
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) return finish(`entry \`${path}\` could not be read (${err?.message ?? 'no stream'})`);
        const chunks: Buffer[] = [];
        let head: Buffer | null = null;
        let seen = 0;
        stream.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (head === null) head = chunk.subarray(0, 8);
          if (keep) chunks.push(chunk);
          else if (seen >= 8) stream.destroy();
        });
        let delivered = false;
        const done = () => {
          if (settled || delivered) return;
          delivered = true;
          const data = keep ? Buffer.concat(chunks) : null;
          if (isLink) {
            const target = data?.toString('utf8') ?? '';
            if (!linkStaysInside(path, target)) problems.push({ path: shown(path), message: `link \`${shown(path)}\` points outside the archive to \`${target}\`` });
          } else onFile({ path, size, data, head: head ?? Buffer.alloc(0) });
          zip.readEntry();
        };
        stream.on('end', done);
        // A stream destroyed after its first bytes closes without `end`.
        stream.on('close', done);
        stream.on('error', (e: Error) => finish(`entry \`${path}\` could not be read (${e.message})`));
      });
    });
    zip.readEntry();
  });
}
