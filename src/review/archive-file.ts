import { PassThrough } from 'node:stream';
import { readTar } from '../analyzer/archive/read-tar.js';
import { readZip } from '../analyzer/archive/read-zip.js';
import type { RawFile } from '../analyzer/archive/raw-file.js';
import { defaultLimits } from '../analyzer/index.js';
import { AirlockError } from '../errors.js';
import type { ReleaseArtifact } from '../quarantine/artifact-provider.js';

/** One file read out of an artifact for display. */
export interface ArchiveFile {
  /** The path inside the archive, as stored (e.g. `package/index.js`). */
  entry: string;
  size: number;
  /** Null for binary content, or a file too large to read for display. */
  text: string | null;
  binary: boolean;
  /** True when only the first `maxFileBytes` are shown (or nothing, for a file over `maxReadBytes`). */
  truncated: boolean;
}

export interface ArchiveLimits {
  /** Bytes of one file shown. @default 1 MiB */
  maxFileBytes?: number;
  /** Larger files are not read at all. @default 8 MiB */
  maxReadBytes?: number;
  /** Zip archives are read into memory (the format needs random access); larger ones are not shown. @default 128 MiB */
  maxZipBytes?: number;
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

/**
 * Whether an archive entry is the wanted file: exactly (wheels), or under the archive's top
 * folder (`package/` in npm tarballs, `name-1.0/` in sdists), the way the analyzer names paths.
 */
function matches(entry: string, wanted: string): boolean {
  if (entry === wanted) return true;
  const slash = entry.indexOf('/');
  return slash > 0 && entry.slice(slash + 1) === wanted;
}

export function archiveKind(filename: string): 'tar' | 'zip' | null {
  if (/\.(tgz|tar\.gz|tar)$/i.test(filename)) return 'tar';
  if (/\.(whl|zip|egg)$/i.test(filename)) return 'zip';
  return null;
}

/**
 * Reads one file out of an npm tarball, a PyPI sdist (tar.gz or zip) or a wheel with the
 * analyzer's bounded archive readers: streamed, in memory, never extracted to disk, with its caps on
 * entries, total size and compression ratio. Returns null when the archive has no such file.
 */
export async function readArchiveFile(artifact: ReleaseArtifact, path: string, options: ArchiveLimits = {}): Promise<ArchiveFile | null> {
  const wanted = checkArchivePath(path);
  const kind = archiveKind(artifact.filename);
  if (!kind) throw new AirlockError('EBADREQUEST', `${artifact.filename} is not an archive Airlock can read`);
  const maxFileBytes = options.maxFileBytes ?? 1 << 20;
  const maxZipBytes = options.maxZipBytes ?? 128 << 20;
  const limits = { ...defaultLimits, maxFileBytes: Math.max(maxFileBytes, options.maxReadBytes ?? 8 << 20), maxArchiveBytes: maxZipBytes };

  let found: RawFile | null = null;
  let stop = () => {};
  const want = (entry: string) => found === null && matches(entry, wanted);
  const onFile = (file: RawFile) => {
    if (found === null && matches(file.path, wanted)) {
      found = file;
      stop();
    }
  };
  let problems;
  if (kind === 'tar') {
    // Stop decompressing once the file is found: in a large tarball that saves reading the rest.
    const source = await artifact.open();
    const feed = new PassThrough();
    stop = () => {
      source.unpipe(feed);
      feed.end();
      (source as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    };
    source.on('error', (err: Error) => feed.destroy(err));
    source.pipe(feed);
    problems = await readTar(feed, limits, want, onFile);
  } else problems = await readZip(await readAll(artifact, maxZipBytes), limits, want, onFile);

  const file = found as RawFile | null;
  if (!file) {
    // A capped or broken archive may hide the file: say so rather than "not there".
    const fatal = problems.find((p) => p.path === null);
    if (fatal) throw new AirlockError('EBADREQUEST', `${artifact.filename}: ${fatal.message}`);
    const tooBig = problems.find((p) => p.path !== null && matches(p.path, wanted));
    if (tooBig?.path) return { entry: tooBig.path, size: limits.maxFileBytes + 1, text: null, binary: false, truncated: true };
    return null;
  }
  if (!file.data) return { entry: file.path, size: file.size, text: null, binary: false, truncated: true };
  const shown = file.data.subarray(0, maxFileBytes);
  const binary = shown.subarray(0, 8192).includes(0);
  return { entry: file.path, size: file.size, text: binary ? null : shown.toString('utf8'), binary, truncated: file.size > maxFileBytes };
}

export async function readAll(artifact: ReleaseArtifact, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  const stream = await artifact.open();
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += buf.length;
    if (total > max) {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      throw new AirlockError('EBADREQUEST', `${artifact.filename} is larger than ${max} bytes; not shown`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}
