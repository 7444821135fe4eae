import { Parser, type ReadEntry } from 'tar';
import yauzl from 'yauzl';
import { AirlockError } from '../errors.js';
import type { ReleaseArtifact } from '../quarantine/artifact-provider.js';

/** One file read out of an artifact for display. */
export interface ArchiveFile {
  /** The path inside the archive, as stored (e.g. `package/index.js`). */
  entry: string;
  size: number;
  /** Null for binary content. */
  text: string | null;
  binary: boolean;
  /** True when only the first `maxFileBytes` are shown. */
  truncated: boolean;
}

export interface ArchiveLimits {
  /** Bytes of one file kept for display. @default 1 MiB */
  maxFileBytes?: number;
  /** Zip archives are read into memory (the format needs random access); larger ones are not shown. @default 128 MiB */
  maxZipBytes?: number;
  /** Total uncompressed bytes a tar may declare before reading stops (decompression bombs). @default 2 GiB */
  maxTarBytes?: number;
}

/**
 * Refuses paths that could mean something other than a file inside the archive. Findings come
 * from our own analyzer, but the path arrives in a query string, so it is checked like input.
 */
export function checkArchivePath(path: string): string {
  const clean = path.replace(/^\.\//, '');
  if (!clean || clean.length > 1024 || clean.startsWith('/') || /[\0\\]/.test(clean) || clean.split('/').some((s) => s === '..' || s === ''))
    throw new AirlockError('EBADREQUEST', `"${path}" is not a file path inside an archive`);
  return clean;
}

/** Whether an archive entry is the wanted file: exactly, or under the archive's top folder (`package/`, `name-1.0/`). */
function matches(entry: string, wanted: string): boolean {
  const name = entry.replace(/^\.\//, '');
  if (name === wanted) return true;
  const slash = name.indexOf('/');
  return slash > 0 && name.slice(slash + 1) === wanted;
}

function toFile(entry: string, size: number, bytes: Buffer, maxFileBytes: number): ArchiveFile {
  const shown = bytes.subarray(0, maxFileBytes);
  const binary = shown.subarray(0, 8192).includes(0);
  return { entry, size, text: binary ? null : shown.toString('utf8'), binary, truncated: size > maxFileBytes };
}

export function archiveKind(filename: string): 'tar' | 'zip' | null {
  if (/\.(tgz|tar\.gz|tar)$/i.test(filename)) return 'tar';
  if (/\.(whl|zip|egg)$/i.test(filename)) return 'zip';
  return null;
}

/**
 * Reads one file out of an npm tarball, a PyPI sdist (tar.gz or zip) or a wheel, in memory and
 * bounded: nothing is extracted to disk, only the wanted file's bytes (up to a cap) are kept.
 * Returns null when the archive has no such file.
 */
export async function readArchiveFile(artifact: ReleaseArtifact, path: string, limits: ArchiveLimits = {}): Promise<ArchiveFile | null> {
  const wanted = checkArchivePath(path);
  const kind = archiveKind(artifact.filename);
  if (kind === 'tar') return readFromTar(artifact, wanted, limits);
  if (kind === 'zip') return readFromZip(artifact, wanted, limits);
  throw new AirlockError('EBADREQUEST', `${artifact.filename} is not an archive Airlock can read`);
}

async function readFromTar(artifact: ReleaseArtifact, wanted: string, limits: ArchiveLimits): Promise<ArchiveFile | null> {
  const maxFileBytes = limits.maxFileBytes ?? 1 << 20;
  const maxTarBytes = limits.maxTarBytes ?? 2 ** 31;
  const source = await artifact.open();
  return new Promise<ArchiveFile | null>((resolve, reject) => {
    let declared = 0;
    let settled = false;
    const finish = (err: Error | null, file: ArchiveFile | null) => {
      if (settled) return;
      settled = true;
      source.unpipe?.();
      (source as { destroy?: () => void }).destroy?.();
      if (err) reject(err);
      else resolve(file);
    };
    const parser = new Parser({
      onwarn: () => {},
      onReadEntry: (entry: ReadEntry) => {
        declared += entry.size ?? 0;
        if (declared > maxTarBytes) {
          finish(new AirlockError('EBADREQUEST', `${artifact.filename} unpacks to more than ${maxTarBytes} bytes; not shown`), null);
          entry.resume();
          return;
        }
        if (settled || (entry.type !== 'File' && entry.type !== 'OldFile') || !matches(entry.path, wanted)) {
          entry.resume();
          return;
        }
        const chunks: Buffer[] = [];
        let kept = 0;
        entry.on('data', (chunk: Buffer) => {
          if (kept <= maxFileBytes) {
            chunks.push(chunk);
            kept += chunk.length;
          }
        });
        entry.on('end', () => finish(null, toFile(entry.path, entry.size ?? kept, Buffer.concat(chunks), maxFileBytes)));
      },
    });
    parser.on('error', (err: Error) => finish(new AirlockError('EBADREQUEST', `${artifact.filename} is not a readable tar: ${err.message}`), null));
    parser.on('end', () => finish(null, null));
    parser.on('close', () => finish(null, null));
    source.on('error', (err: Error) => finish(err, null));
    source.pipe(parser as unknown as NodeJS.WritableStream);
  });
}

async function readFromZip(artifact: ReleaseArtifact, wanted: string, limits: ArchiveLimits): Promise<ArchiveFile | null> {
  const maxFileBytes = limits.maxFileBytes ?? 1 << 20;
  const maxZipBytes = limits.maxZipBytes ?? 128 << 20;
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of await artifact.open()) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    total += buf.length;
    if (total > maxZipBytes) throw new AirlockError('EBADREQUEST', `${artifact.filename} is larger than ${maxZipBytes} bytes; not shown`);
    chunks.push(buf);
  }
  const zip = await yauzl.fromBufferPromise(Buffer.concat(chunks), { lazyEntries: true });
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName.endsWith('/') || !matches(entry.fileName, wanted)) continue;
      const stream = await zip.openReadStreamPromise(entry);
      const kept: Buffer[] = [];
      let size = 0;
      for await (const chunk of stream) {
        if (size <= maxFileBytes) kept.push(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
      return toFile(entry.fileName, entry.uncompressedSize, Buffer.concat(kept), maxFileBytes);
    }
    return null;
  } finally {
    zip.close();
  }
}
