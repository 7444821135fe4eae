import { createHash } from 'node:crypto';
import type { RawFile } from '../analyzer/archive/raw-file.js';
import { readTar } from '../analyzer/archive/read-tar.js';
import { readZip } from '../analyzer/archive/read-zip.js';
import type { ArtifactFile, ArtifactView } from '../analyzer/artifact-view.js';
import { isMetadataFile } from '../analyzer/classify-file.js';
import { defaultLimits } from '../analyzer/index.js';
import { artifactFormat } from '../analyzer/read-artifact.js';
import type { ReleaseArtifact } from '../quarantine/artifact-provider.js';
import type { Ecosystem } from '../domain/ecosystem.js';
import { archiveKind, readAll, type ArchiveFile } from './archive-file.js';

/** Files above this are listed with their size but not hashed or shown. */
const maxHashedBytes = 8 << 20;
/** Bytes of one file kept for display (as the file endpoint shows). */
const maxShownBytes = 1 << 20;

/** Every file of one artifact with its size and hash, plus the text of the files asked for. */
export interface ArtifactListing {
  /** In the analyzer's shape, so its manifest readers (package.json, METADATA, entry points) apply. */
  view: ArtifactView;
  /** Files asked for by `wantText`, by path without the archive root, read for display. */
  texts: Map<string, ArchiveFile & { full: string | null }>;
}

/**
 * Reads one artifact in a single streamed pass (never to disk, with the analyzer's caps on
 * entries, sizes and compression ratio): lists every file with its size and sha256, keeps the
 * text of manifests and of the files `wantText` names. One pass per artifact is what lets the
 * release page show every finding's evidence and the diff summary in one round trip.
 */
export async function readArtifactListing(artifact: ReleaseArtifact, ecosystem: Ecosystem, wantText: (path: string) => boolean): Promise<ArtifactListing> {
  const format = artifactFormat(ecosystem, artifact.filename);
  const view: ArtifactView = { filename: artifact.filename, format, files: new Map(), problems: [] };
  const texts: ArtifactListing['texts'] = new Map();
  const kind = archiveKind(artifact.filename);
  if (!kind) {
    view.problems.push({ path: null, message: `${artifact.filename} is not an archive Airlock can read` });
    return { view, texts };
  }
  // Wheels have no root folder; npm tarballs (`package/`) and sdists (`name-1.0/`) do.
  const strip = (p: string) => (format === 'wheel' ? p : p.slice(p.indexOf('/') + 1));
  const limits = { ...defaultLimits, maxFileBytes: maxHashedBytes };
  const onFile = (raw: RawFile) => {
    const path = strip(raw.path);
    if (!path) return;
    const data = raw.data;
    const file: ArtifactFile = { path, size: raw.size, sha256: null, profile: null, text: null, native: false, test: false };
    if (data) {
      file.sha256 = createHash('sha256').update(data).digest('hex');
      const binary = data.subarray(0, 8192).includes(0);
      if (!binary && isMetadataFile(path)) file.text = data.toString('utf8');
      if (wantText(path)) {
        const full = binary ? null : (file.text ?? data.toString('utf8'));
        const shown = full !== null && data.length > maxShownBytes ? data.subarray(0, maxShownBytes).toString('utf8') : full;
        texts.set(path, { entry: raw.path, size: raw.size, text: shown, binary, truncated: raw.size > maxShownBytes, full });
      }
    } else if (wantText(path)) {
      texts.set(path, { entry: raw.path, size: raw.size, text: null, binary: false, truncated: true, full: null });
    }
    view.files.set(path, file);
  };
  const want = () => true;
  try {
    const problems =
      kind === 'tar'
        ? await readTar(await artifact.open(), limits, want, onFile)
        : await readZip(await readAll(artifact, defaultLimits.maxArchiveBytes), limits, want, onFile);
    // A file above the hashing cap is listed by its size alone; it is not a problem for a listing.
    view.problems.push(...problems.filter((p) => p.path === null || !/scan limit/.test(p.message)));
  } catch (err) {
    view.problems.push({ path: null, message: `${artifact.filename} could not be read (${(err as Error).message})` });
  }
  return { view, texts };
}
