import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ArtifactSource, ReleaseMeta } from '../../src/analyzer/index.js';
import type { Ecosystem } from '../../src/domain/ecosystem.js';
import { sha256Base64Url, tgzBuffer, zipBuffer, type ArchiveEntry } from '../helpers/build-archives.js';

export type Files = Record<string, string | Buffer>;

/** A description of one artifact; built into a real archive by `buildArtifact`. */
export type ArtifactSpec =
  | { format: 'npm'; name: string; version: string; files: Files }
  | { format: 'wheel'; name: string; version: string; files: Files; tag?: string }
  | { format: 'sdist'; name: string; version: string; files: Files; container?: 'tar.gz' | 'zip' };

/** One rule fixture: a release (and its baseline) the rule must flag, or must pass quietly. */
export interface RuleCase {
  name: string;
  ecosystem: Ecosystem;
  previous?: ArtifactSpec[];
  candidate: ArtifactSpec[];
  previousMeta?: ReleaseMeta;
  candidateMeta?: ReleaseMeta;
}

/** package.json text for `demo` at `version` with extra fields. */
export function packageJson(version: string, extra: Record<string, unknown> = {}, name = 'demo'): string {
  return JSON.stringify({ name, version, main: 'index.js', ...extra }, null, 2) + '\n';
}

export function npm(version: string, files: Files, manifest: Record<string, unknown> = {}, name = 'demo'): ArtifactSpec {
  return { format: 'npm', name, version, files: { 'package.json': packageJson(version, manifest, name), ...files } };
}

export function wheel(version: string, files: Files, opts: { name?: string; tag?: string; metadata?: string; entryPoints?: string } = {}): ArtifactSpec {
  const name = opts.name ?? 'demo_py';
  const all: Files = { ...files };
  const info = `${name}-${version}.dist-info`;
  all[`${info}/METADATA`] = `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n${opts.metadata ?? ''}`;
  all[`${info}/WHEEL`] = `Wheel-Version: 1.0\nGenerator: airlock-test\nRoot-Is-Purelib: true\nTag: ${opts.tag ?? 'py3-none-any'}\n`;
  if (opts.entryPoints) all[`${info}/entry_points.txt`] = opts.entryPoints;
  all[`${info}/RECORD`] =
    Object.entries(all)
      .map(([p, d]) => `${p},sha256=${sha256Base64Url(d)},${Buffer.byteLength(d)}`)
      .join('\n') + `\n${info}/RECORD,,\n`;
  return { format: 'wheel', name, version, files: all, tag: opts.tag ?? 'py3-none-any' };
}

export function sdist(version: string, files: Files, opts: { name?: string; container?: 'tar.gz' | 'zip'; metadata?: string } = {}): ArtifactSpec {
  const name = opts.name ?? 'demo_py';
  return {
    format: 'sdist',
    name,
    version,
    container: opts.container ?? 'tar.gz',
    files: { 'PKG-INFO': `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n${opts.metadata ?? ''}`, ...files },
  };
}

/** The artifact's file name as the registry would serve it. */
export function artifactFilename(spec: ArtifactSpec): string {
  switch (spec.format) {
    case 'npm':
      return `${spec.name.replace(/^@[^/]+\//, '')}-${spec.version}.tgz`;
    case 'wheel':
      return `${spec.name}-${spec.version}-${spec.tag ?? 'py3-none-any'}.whl`;
    case 'sdist':
      return `${spec.name}-${spec.version}.${spec.container ?? 'tar.gz'}`;
  }
}

/** Writes a real .tgz / .whl / .tar.gz / .zip into `dir` and returns its path. */
export async function buildArtifact(dir: string, spec: ArtifactSpec): Promise<string> {
  const filename = artifactFilename(spec);
  const root = spec.format === 'npm' ? 'package/' : spec.format === 'sdist' ? `${spec.name}-${spec.version}/` : '';
  const entries: ArchiveEntry[] = Object.entries(spec.files).map(([p, data]) => ({ path: root + p, data }));
  const zip = spec.format === 'wheel' || (spec.format === 'sdist' && spec.container === 'zip');
  const file = path.join(dir, filename);
  await writeFile(file, zip ? zipBuffer(entries) : tgzBuffer(entries));
  return file;
}

export function fileSource(file: string): ArtifactSource {
  return { filename: path.basename(file), open: async () => createReadStream(file) };
}

/** Builds a case's artifacts in `dir` (in per-release subfolders) and returns analyzer sources. */
export async function buildCase(dir: string, c: RuleCase): Promise<{ previous?: ArtifactSource[]; candidate: ArtifactSource[] }> {
  const { mkdir } = await import('node:fs/promises');
  const build = async (specs: ArtifactSpec[], sub: string) => {
    const d = path.join(dir, sub);
    await mkdir(d, { recursive: true });
    return Promise.all(specs.map(async (s) => fileSource(await buildArtifact(d, s))));
  };
  const candidate = await build(c.candidate, 'candidate');
  if (!c.previous) return { candidate };
  return { previous: await build(c.previous, 'previous'), candidate };
}
