import { createHash } from 'node:crypto';
import type { ArchiveProblem } from './archive/archive-problem.js';
import type { RawFile } from './archive/raw-file.js';
import { readTar } from './archive/read-tar.js';
import { readZip } from './archive/read-zip.js';
import { duplicateMessage } from './archive/name-collisions.js';
import type { ArtifactFile, ArtifactFormat, ArtifactView } from './artifact-view.js';
import { isMetadataFile, isNativeBinary, isTestPath, scanKindFromShebang, scanKindOf } from './classify-file.js';
import { maxMetadataTextBytes } from './defaults.js';
import { profileFile, type ScanKind } from './scan/profile-file.js';
import type { ArchiveLimits, ArtifactSource, ProfileCache } from './types.js';
import type { Ecosystem } from '../domain/ecosystem.js';

const sniffBytes = 1024 * 1024;

export function artifactFormat(ecosystem: Ecosystem, filename: string): ArtifactFormat {
  if (ecosystem === 'npm') return 'npm';
  return /\.whl$/i.test(filename) ? 'wheel' : 'sdist';
}

/**
 * Reads one artifact into an `ArtifactView`: streams the archive (never to disk), hashes and
 * profiles each code file (through the cache), keeps manifest text, and records every problem
 * instead of throwing.
 */
export async function readArtifact(
  source: ArtifactSource,
  ecosystem: Ecosystem,
  limits: ArchiveLimits,
  cache: ProfileCache,
): Promise<ArtifactView> {
  const format = artifactFormat(ecosystem, source.filename);
  const view: ArtifactView = { filename: source.filename, format, files: new Map(), problems: [] };
  const stripRoot = format !== 'wheel';
  const want = (path: string, size: number) => {
    const p = stripRoot ? stripFirst(path) : path;
    const kind = scanKindOf(p);
    if (kind === 'sniff') return size <= sniffBytes;
    return kind !== null || isMetadataFile(p);
  };
  const onFile = (raw: RawFile) => {
    const path = stripRoot ? stripFirst(raw.path) : raw.path;
    try {
      const file = describeFile(path, raw, cache);
      // A tar member written twice: harmless with the same bytes, otherwise installers may keep
      // either copy. (Zip duplicates are refused by the reader: pip reads the central directory.)
      const earlier = view.files.get(path);
      if (earlier && (earlier.size !== file.size || earlier.sha256 !== file.sha256)) view.problems.push({ path, message: duplicateMessage(path) });
      view.files.set(path, file);
    } catch (err) {
      view.problems.push({ path, message: `scanning \`${path}\` failed (${(err as Error).message})` });
    }
  };

  const shown = (path: string) => (stripRoot ? stripFirst(path) : path);
  const name = source.filename.toLowerCase();
  try {
    if (/\.(?:whl|zip|egg)$/.test(name)) {
      const buffer = await readAll(await source.open(), limits.maxArchiveBytes);
      if (typeof buffer === 'string') view.problems.push({ path: null, message: buffer });
      else view.problems.push(...(await readZip(buffer, limits, want, onFile, shown)));
    } else if (/\.(?:tgz|tar\.gz|tar)$/.test(name)) {
      view.problems.push(...(await readTar(await source.open(), limits, want, onFile, shown)));
    } else {
      view.problems.push({ path: null, message: 'it is not a tarball, wheel or zip sdist, so it could not be analyzed' });
    }
  } catch (err) {
    view.problems.push({ path: null, message: `it could not be read (${(err as Error).message})` });
  }
  return view;
}

function describeFile(path: string, raw: RawFile, cache: ProfileCache): ArtifactFile {
  const native = isNativeBinary(path, raw.head);
  const file: ArtifactFile = { path, size: raw.size, sha256: null, profile: null, text: null, native, test: isTestPath(path) };
  if (!raw.data || native) return file;
  const data = raw.data;
  if (data.subarray(0, 1024).includes(0)) return file; // binary data with a code-like name
  let kind = scanKindOf(path);
  // Only the first line decides a sniffed file's kind; decode just that much (a newline byte
  // never occurs inside a multi-byte UTF-8 sequence, so the line decodes the same).
  if (kind === 'sniff') {
    const nl = data.indexOf(10);
    kind = scanKindFromShebang(data.subarray(0, nl === -1 ? data.length : nl + 1).toString('utf8'));
  }
  const meta = isMetadataFile(path);
  if (kind === null && !meta) return file;
  file.sha256 = createHash('sha256').update(data).digest('hex');
  // Decode at most once, and not at all for a code file whose profile is cached.
  let text: string | null = null;
  const decoded = () => (text ??= data.toString('utf8'));
  if (meta && data.length <= maxMetadataTextBytes) file.text = decoded();
  if (kind !== null) file.profile = cachedProfile(kind, file.sha256, decoded, cache);
  return file;
}

function cachedProfile(kind: ScanKind, sha256: string, text: () => string, cache: ProfileCache) {
  const key = `${kind}:${sha256}`;
  let profile = cache.get(key);
  if (!profile) {
    profile = profileFile(kind, text());
    cache.set(key, profile);
  }
  return profile;
}

function stripFirst(path: string): string {
  const slash = path.indexOf('/');
  return slash === -1 ? path : path.slice(slash + 1);
}

/** Buffers a stream up to `max` bytes; returns the reason as a sentence when it cannot. */
async function readAll(stream: NodeJS.ReadableStream, max: number): Promise<Buffer | string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += b.length;
    if (total > max) {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      return `it is larger than the ${max}-byte limit for zip archives`;
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export type { ArchiveProblem };
