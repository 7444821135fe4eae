import { AirlockError } from '../../errors.js';
import { redact } from '../../upstream/upstream-client.js';
import { versionOfFile } from './file-version.js';
import { canonicalVersion } from './pep440-version.js';
import { normalizeProjectName } from './project-name.js';

/** One upstream file, validated, with its URL resolved and its version read from its name. */
export interface UpstreamFile {
  filename: string;
  /** Normalised PEP 440 version as the file's name spells it (`1.2.0`), used in Airlock's file URL. */
  version: string;
  /**
   * The release it belongs to (`canonicalVersion`, `1.2`): files whose versions pip treats as
   * equal (`demo-1.2.tar.gz`, `demo-1.2.0-py3-none-any.whl`) are files of one release.
   */
  releaseKey: string;
  /** Absolute upstream URL without fragment, on an allowed host. */
  url: URL;
  sha256: string;
  requiresPython: string | null;
  /** sha256 of the PEP 658 `.metadata` file; null when upstream offers none or gives no hash to check it by. */
  metadataSha256: string | null;
  /** PEP 592: false, true, or the reason. */
  yanked: boolean | string;
  size: number | null;
  /** The `upload-time` string as upstream wrote it (passed through to clients). */
  uploadTime: string | null;
  uploadedAt: Date | null;
  /** PEP 740 provenance URL; undefined when upstream did not say. */
  provenance: string | null | undefined;
}

export interface UpstreamProject {
  /** The project name as upstream spells it (for page titles). */
  name: string;
  files: UpstreamFile[];
}

export interface ParseOptions {
  /** The canonical project name the page was fetched for. */
  project: string;
  /** The page URL relative file URLs resolve against (PEP 503). */
  pageUrl: URL;
  /** Whether a file URL is on an allowed host; files elsewhere are left out. */
  isAllowed: (url: URL) => boolean;
  /** Told about each file left out, and why. */
  skipped: (message: string) => void;
}

const sha256Hex = /^[0-9a-f]{64}$/i;

/**
 * Reads a PEP 691 JSON project page (with PEP 700 fields) and keeps only files Airlock can serve
 * safely: a sha256 to verify the bytes by, a URL on an allowed host, a name that belongs to the
 * project with a PEP 440 version. Anything else is left out and reported (fail closed). A page
 * that is not a v1 JSON page for this project is an `EUPSTREAM` error.
 */
export function parseSimpleDetail(body: Buffer, options: ParseOptions): UpstreamProject {
  const { project, pageUrl } = options;
  const where = redact(pageUrl);
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AirlockError('EUPSTREAM', `pypi upstream page ${where} is not JSON (does the index speak PEP 691?)`, { subject: `pypi:${project}` });
  }
  if (!isObject(doc)) throw new AirlockError('EUPSTREAM', `pypi upstream page ${where} is not a JSON object`);
  const meta = doc.meta;
  const apiVersion = isObject(meta) && typeof meta['api-version'] === 'string' ? meta['api-version'] : null;
  // PEP 629: a client must refuse a major version it does not know.
  if (!apiVersion || !/^1\.\d+$/.test(apiVersion))
    throw new AirlockError('EUPSTREAM', `pypi upstream page ${where} has api-version ${JSON.stringify(apiVersion)}; Airlock reads 1.x`);
  if (typeof doc.name !== 'string' || normalizeProjectName(doc.name) !== project)
    throw new AirlockError('EUPSTREAM', `pypi upstream page ${where} is for ${JSON.stringify(doc.name)}, not ${project}`);
  if (!Array.isArray(doc.files)) throw new AirlockError('EUPSTREAM', `pypi upstream page ${where} has no files list`);

  const files: UpstreamFile[] = [];
  const seen = new Set<string>();
  for (const raw of doc.files) {
    const file = parseFile(raw, options);
    if (typeof file === 'string') {
      options.skipped(`pypi:${project}: left out ${file}`);
      continue;
    }
    if (seen.has(file.filename)) continue;
    seen.add(file.filename);
    files.push(file);
  }
  return { name: doc.name, files };
}

/** The file, or why it is left out. */
function parseFile(raw: unknown, { project, pageUrl, isAllowed }: ParseOptions): UpstreamFile | string {
  if (!isObject(raw) || typeof raw.filename !== 'string') return 'a file entry without a filename';
  const filename = raw.filename;
  if (!/^[^/\\\x00-\x1f]+$/.test(filename) || filename.startsWith('.')) return `${JSON.stringify(filename)}: not a plain file name`;
  const version = versionOfFile(filename, project);
  const releaseKey = version ? canonicalVersion(version) : null;
  if (!version || !releaseKey) return `${filename}: the name does not carry a PEP 440 version of ${project}`;
  if (typeof raw.url !== 'string') return `${filename}: no url`;
  let url: URL;
  try {
    url = new URL(raw.url, pageUrl);
  } catch {
    return `${filename}: unreadable url ${JSON.stringify(raw.url)}`;
  }
  url.hash = '';
  if (!isAllowed(url)) return `${filename}: ${redact(url)} is not on an allowed file host (AIRLOCK_PYPI_FILE_HOSTS)`;
  const hashes = isObject(raw.hashes) ? raw.hashes : {};
  const sha256 = typeof hashes.sha256 === 'string' && sha256Hex.test(hashes.sha256) ? hashes.sha256.toLowerCase() : null;
  if (!sha256) return `${filename}: no sha256 to verify it by`;

  const size = typeof raw.size === 'number' && Number.isSafeInteger(raw.size) && raw.size >= 0 ? raw.size : null;
  const uploadTime = typeof raw['upload-time'] === 'string' ? raw['upload-time'] : null;
  const uploaded = uploadTime ? new Date(uploadTime) : null;
  // PEP 714: `core-metadata`, with `dist-info-metadata` as the older name.
  const metadata = raw['core-metadata'] ?? raw['dist-info-metadata'];
  const metadataSha256 =
    isObject(metadata) && typeof metadata.sha256 === 'string' && sha256Hex.test(metadata.sha256) ? metadata.sha256.toLowerCase() : null;
  const yanked = typeof raw.yanked === 'string' ? raw.yanked : raw.yanked === true;
  const provenance = raw.provenance === undefined ? undefined : typeof raw.provenance === 'string' ? raw.provenance : null;

  return {
    filename,
    version,
    releaseKey,
    url,
    sha256,
    requiresPython: typeof raw['requires-python'] === 'string' && raw['requires-python'] !== '' ? raw['requires-python'] : null,
    metadataSha256,
    yanked,
    size,
    uploadTime: uploaded && !Number.isNaN(uploaded.getTime()) ? uploadTime : null,
    // An unreadable upload time counts as none: the cooldown then runs from first sight.
    uploadedAt: uploaded && !Number.isNaN(uploaded.getTime()) ? uploaded : null,
    provenance,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
