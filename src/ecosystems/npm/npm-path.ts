import semver from 'semver';
import { AirlockError } from '../../errors.js';
import { assertPackageName, printable } from './package-name.js';

/** What a request path under `/npm` asks for (special `/-/…` endpoints are routed before this). */
export type NpmPath =
  | { kind: 'packument'; name: string }
  | { kind: 'version'; name: string; spec: string }
  | { kind: 'tarball'; name: string; filename: string };

/**
 * Parses `/<name>`, `/<name>/<version-or-tag>` and `/<name>/-/<file>.tgz`, where a scoped name
 * may come as `@scope%2fname`, `@scope%2Fname` or `@scope/name` (clients differ). `raw` is the
 * path as sent, still percent-encoded. Malformed names and traversal attempts are a 400.
 *
 * @example parseNpmPath('/@acme%2fwidget/-/widget-1.0.0.tgz') // { kind: 'tarball', name: '@acme/widget', filename: 'widget-1.0.0.tgz' }
 */
export function parseNpmPath(raw: string): NpmPath {
  const segments = raw.replace(/^\//, '').split('/').map(decodeSegment);
  let name = segments[0] ?? '';
  let rest = segments.slice(1);
  if (name.startsWith('@') && !name.includes('/')) {
    name = `${name}/${segments[1] ?? ''}`;
    rest = segments.slice(2);
  }
  assertPackageName(name);
  if (rest.length === 0) return { kind: 'packument', name };
  if (rest.some((s) => s === '.' || s === '..'))
    throw new AirlockError('EBADREQUEST', `"${printable(raw)}" is not an npm registry path`);
  if (rest.length === 1) return { kind: 'version', name, spec: assertSpec(rest[0] ?? '') };
  if (rest.length === 2 && rest[0] === '-') return { kind: 'tarball', name, filename: assertTarballFilename(rest[1] ?? '') };
  throw new AirlockError('ENOTFOUND', `no such npm endpoint: ${printable(raw)}`);
}

/** A version (`1.2.3`) or dist-tag (`latest`, `next`): URL-safe, not starting with a dot. */
function assertSpec(spec: string): string {
  if (semver.valid(spec) || (spec.length > 0 && spec.length <= 256 && !spec.startsWith('.') && encodeURIComponent(spec) === spec)) return spec;
  throw new AirlockError('EBADREQUEST', `"${printable(spec)}" is neither a version nor a dist-tag`);
}

function assertTarballFilename(filename: string): string {
  if (/^[A-Za-z0-9~!'()*-][A-Za-z0-9._~!'()*+-]*\.tgz$/.test(filename) && filename.length <= 512) return filename;
  throw new AirlockError('EBADREQUEST', `"${printable(filename)}" is not a tarball file name (expected <name>-<version>.tgz)`);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new AirlockError('EBADREQUEST', `"${printable(segment)}" is not a valid URL path segment`);
  }
}
