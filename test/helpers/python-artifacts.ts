import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { sha256Base64Url, tarBuffer, zipBuffer, type ArchiveEntry } from './build-archives.js';

/** A built distribution file and, for wheels, its `METADATA` (what PEP 658 serves as `.metadata`). */
export interface PythonArtifact {
  filename: string;
  bytes: Buffer;
  metadata: Buffer | null;
}

export interface DistributionSpec {
  /** Project name as its author spells it, e.g. `Demo.Py`. */
  name: string;
  version: string;
  /** Files besides the generated package module and metadata, by path inside the archive. */
  files?: Record<string, string>;
  requiresPython?: string;
  /** `Requires-Dist` lines, e.g. `['other-py>=1.0']`. */
  requires?: string[];
  /** Wheel tag. @default 'py3-none-any' */
  tag?: string;
  /** Wheel build number: pip prefers the higher one among wheels of the same version and tag. */
  build?: number;
}

/** `Demo.Py` → `demo_py`: the distribution name as wheel and sdist file names spell it. */
export function distributionName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '_');
}

/**
 * A real wheel: the package module, `.dist-info/METADATA`, `WHEEL` and a `RECORD` with the
 * urlsafe-base64 sha256 and size of every file, as pip expects.
 */
export function buildWheel(spec: DistributionSpec): PythonArtifact {
  const dist = distributionName(spec.name);
  const tag = spec.tag ?? 'py3-none-any';
  const info = `${dist}-${spec.version}.dist-info`;
  const metadata = metadataText(spec);
  const files: Record<string, string> = {
    [`${dist}/__init__.py`]: `__version__ = ${JSON.stringify(spec.version)}\n`,
    ...spec.files,
    [`${info}/METADATA`]: metadata,
    [`${info}/WHEEL`]: `Wheel-Version: 1.0\nGenerator: airlock-test\nRoot-Is-Purelib: true\nTag: ${tag}\n${spec.build ? `Build: ${spec.build}\n` : ''}`,
  };
  files[`${info}/RECORD`] =
    Object.entries(files)
      .map(([p, d]) => `${p},sha256=${sha256Base64Url(d)},${Buffer.byteLength(d)}`)
      .join('\n') + `\n${info}/RECORD,,\n`;
  const bytes = zipBuffer(entriesOf(files));
  const build = spec.build ? `-${spec.build}` : '';
  return { filename: `${dist}-${spec.version}${build}-${tag}.whl`, bytes, metadata: Buffer.from(metadata) };
}

/** A real sdist (`.tar.gz`) with `PKG-INFO`, a `pyproject.toml` and the package module. */
export function buildSdist(spec: DistributionSpec): PythonArtifact {
  const dist = distributionName(spec.name);
  const root = `${dist}-${spec.version}`;
  const files: Record<string, string> = {
    'PKG-INFO': metadataText(spec),
    'pyproject.toml': `[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = ${JSON.stringify(spec.name)}\nversion = ${JSON.stringify(spec.version)}\n`,
    [`${dist}/__init__.py`]: `__version__ = ${JSON.stringify(spec.version)}\n`,
    ...spec.files,
  };
  const bytes = gzipSync(tarBuffer(entriesOf(files, `${root}/`)));
  return { filename: `${root}.tar.gz`, bytes, metadata: null };
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function metadataText(spec: DistributionSpec): string {
  const lines = ['Metadata-Version: 2.1', `Name: ${spec.name}`, `Version: ${spec.version}`, 'Summary: An Airlock test package'];
  if (spec.requiresPython) lines.push(`Requires-Python: ${spec.requiresPython}`);
  for (const r of spec.requires ?? []) lines.push(`Requires-Dist: ${r}`);
  return `${lines.join('\n')}\n\n`;
}

function entriesOf(files: Record<string, string>, prefix = ''): ArchiveEntry[] {
  return Object.entries(files).map(([path, data]) => ({ path: `${prefix}${path}`, data }));
}
