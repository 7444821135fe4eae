import { normalizeProjectName } from './project-name.js';
import { normalizeVersion } from './pep440-version.js';

const sdistSuffixes = ['.tar.gz', '.tar.bz2', '.tar.xz', '.tgz', '.tar', '.zip'];

/**
 * The normalised version a distribution file belongs to, read from its name, or null when the
 * name does not belong to `project` or carries no PEP 440 version (such files are left out).
 *
 * The JSON API does not say which version a file is of (PEP 700 lists versions apart from files),
 * so the file name is the source, as pip reads it. The release the file belongs to is keyed by
 * `canonicalVersion` of this (`1.2.0` and `1.2` are one release):
 * - wheels: `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl` (the name has no `-`);
 * - eggs: `{name}-{version}(-{python}(-{platform})?)?.egg`;
 * - sdists: `{name}-{version}.tar.gz` and older archive types, where legacy names may contain `-`,
 *   so the split is the one whose left side normalises to the project name.
 *
 * @example versionOfFile('Demo_Py-1.0-py3-none-any.whl', 'demo-py') // '1.0'
 * @example versionOfFile('python-dateutil-2.8.2.tar.gz', 'python-dateutil') // '2.8.2'
 */
export function versionOfFile(filename: string, project: string): string | null {
  const lower = filename.toLowerCase();
  if (lower.endsWith('.whl') || lower.endsWith('.egg')) {
    const parts = filename.slice(0, -4).split('-');
    const [projectPart, versionPart] = parts;
    if (projectPart === undefined || versionPart === undefined || normalizeProjectName(projectPart) !== project) return null;
    return normalizeVersion(versionPart);
  }
  const suffix = sdistSuffixes.find((s) => lower.endsWith(s));
  if (!suffix) return null;
  const stem = filename.slice(0, -suffix.length);
  for (let i = stem.indexOf('-'); i > 0; i = stem.indexOf('-', i + 1)) {
    if (normalizeProjectName(stem.slice(0, i)) !== project) continue;
    const version = normalizeVersion(stem.slice(i + 1));
    if (version) return version;
  }
  return null;
}
