import { parse as parseToml } from 'smol-toml';
import type { ArtifactView } from './artifact-view.js';

export interface PythonDependency {
  /** PEP 503 normalized name. */
  name: string;
  spec: string;
  /** The metadata file it came from. */
  path: string;
}

export function normalizePythonName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

function findFile(view: ArtifactView, test: (path: string) => boolean): { path: string; text: string } | null {
  let best: { path: string; text: string } | null = null;
  for (const file of view.files.values()) {
    if (file.text !== null && test(file.path) && (!best || file.path.length < best.path.length)) best = { path: file.path, text: file.text };
  }
  return best;
}

/** The wheel's `*.dist-info/` or the sdist's `*.egg-info/` file with this name. */
export function distInfoFile(view: ArtifactView, name: string): { path: string; text: string } | null {
  if (view.format === 'wheel') return findFile(view, (p) => new RegExp(`^[^/]+\\.dist-info/${name}$`).test(p));
  return findFile(view, (p) => new RegExp(`^(?:src/)?[^/]+\\.egg-info/${name}$`).test(p));
}

/** Declared dependencies: METADATA / PKG-INFO `Requires-Dist`, egg-info `requires.txt`, or pyproject `[project]`. */
export function pythonDependencies(view: ArtifactView): PythonDependency[] {
  const out: PythonDependency[] = [];
  const metadata = view.format === 'wheel' ? distInfoFile(view, 'METADATA') : findFile(view, (p) => p === 'PKG-INFO');
  if (metadata) {
    for (const m of metadata.text.matchAll(/^Requires-Dist:\s*(.+)$/gim)) out.push(dependency((m[1] ?? '').trim(), metadata.path));
  }
  if (out.length > 0 || view.format === 'wheel') return dedupe(out);
  const requires = distInfoFile(view, 'requires.txt');
  if (requires) {
    for (const line of requires.text.split(/\r?\n/)) {
      const l = line.trim();
      if (l && !l.startsWith('[') && !l.startsWith('#')) out.push(dependency(l, requires.path));
    }
  }
  const pyproject = view.files.get('pyproject.toml')?.text;
  if (pyproject) {
    const project = (parseToml(pyproject) as { project?: { dependencies?: unknown } }).project;
    if (Array.isArray(project?.dependencies)) for (const d of project.dependencies) if (typeof d === 'string') out.push(dependency(d, 'pyproject.toml'));
  }
  return dedupe(out);
}

function dependency(spec: string, path: string): PythonDependency {
  const name = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(spec)?.[1] ?? spec;
  return { name: normalizePythonName(name), spec, path };
}

function dedupe(deps: PythonDependency[]): PythonDependency[] {
  const seen = new Set<string>();
  return deps.filter((d) => (seen.has(d.spec) ? false : (seen.add(d.spec), true)));
}

/** A PEP 508 direct reference (`name @ git+https://…`) or a bare URL/path requirement. */
export function isDirectReference(spec: string): boolean {
  return /^\s*[A-Za-z0-9._-]+(?:\[[^\]]*\])?\s*@\s*\S/.test(spec) || /^(?:git\+|hg\+|svn\+|bzr\+|https?:|file:)/i.test(spec.trim());
}

export interface EntryPoint {
  group: string;
  name: string;
  value: string;
  path: string;
}

/** Console scripts and plugin entry points from entry_points.txt or pyproject `[project.*scripts|entry-points]`. */
export function entryPoints(view: ArtifactView): EntryPoint[] {
  const out: EntryPoint[] = [];
  const file = distInfoFile(view, 'entry_points.txt');
  if (file) {
    let group = '';
    for (const line of file.text.split(/\r?\n/)) {
      const section = /^\s*\[([^\]]+)\]/.exec(line);
      if (section) group = (section[1] ?? '').trim();
      else {
        const m = /^\s*([^=#;\s][^=]*?)\s*=\s*(.+?)\s*$/.exec(line);
        if (m?.[1] && m[2] && group) out.push({ group, name: m[1], value: m[2], path: file.path });
      }
    }
  }
  const pyproject = view.format === 'sdist' ? view.files.get('pyproject.toml')?.text : undefined;
  if (pyproject) {
    const project = (parseToml(pyproject) as { project?: Record<string, unknown> }).project ?? {};
    const add = (group: string, table: unknown) => {
      if (typeof table === 'object' && table !== null) {
        for (const [name, value] of Object.entries(table)) if (typeof value === 'string') out.push({ group, name, value, path: 'pyproject.toml' });
      }
    };
    add('console_scripts', project['scripts']);
    add('gui_scripts', project['gui-scripts']);
    const eps = project['entry-points'];
    if (typeof eps === 'object' && eps !== null) for (const [group, table] of Object.entries(eps)) add(group, table);
  }
  const seen = new Set<string>();
  return out.filter((e) => (seen.has(`${e.group}:${e.name}`) ? false : (seen.add(`${e.group}:${e.name}`), true)));
}

export interface BuildSystem {
  /** `build-backend`, or null when pyproject.toml has none (legacy setuptools). */
  backend: string | null;
  backendPath: string[] | null;
}

/** The sdist's `[build-system]`; null when the artifact has no pyproject.toml. */
export function buildSystem(view: ArtifactView): BuildSystem | null {
  const text = view.files.get('pyproject.toml')?.text;
  if (text == null) return null;
  const bs = (parseToml(text) as { 'build-system'?: { 'build-backend'?: unknown; 'backend-path'?: unknown } })['build-system'];
  const backend = typeof bs?.['build-backend'] === 'string' ? bs['build-backend'] : null;
  const path = bs?.['backend-path'];
  const backendPath = Array.isArray(path) ? path.map(String) : typeof path === 'string' ? [path] : null;
  return { backend, backendPath };
}
