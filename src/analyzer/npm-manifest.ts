import type { ArtifactView } from './artifact-view.js';

export interface NpmDependency {
  name: string;
  spec: string;
  field: 'dependencies' | 'optionalDependencies' | 'peerDependencies';
}

/** The parts of an npm package.json the rules read. */
export interface NpmManifest {
  scripts: Record<string, string>;
  bin: Record<string, string>;
  dependencies: NpmDependency[];
  text: string;
}

const dependencyFields = ['dependencies', 'optionalDependencies', 'peerDependencies'] as const;

/**
 * The root package.json of an npm tarball, or null when there is none. Throws when it is not
 * valid JSON (the engine turns that into an `analysis-error`).
 */
export function npmManifest(view: ArtifactView): NpmManifest | null {
  const text = view.files.get('package.json')?.text;
  if (text == null) return null;
  const json = JSON.parse(text) as Record<string, unknown>;
  const scripts: Record<string, string> = {};
  if (isObject(json['scripts'])) {
    for (const [k, v] of Object.entries(json['scripts'])) if (typeof v === 'string') scripts[k] = v;
  }
  const bin: Record<string, string> = {};
  const rawBin = json['bin'];
  if (typeof rawBin === 'string' && typeof json['name'] === 'string') bin[json['name'].replace(/^@[^/]+\//, '')] = rawBin;
  else if (isObject(rawBin)) for (const [k, v] of Object.entries(rawBin)) if (typeof v === 'string') bin[k] = v;
  const dependencies: NpmDependency[] = [];
  for (const field of dependencyFields) {
    const deps = json[field];
    if (isObject(deps)) for (const [name, spec] of Object.entries(deps)) if (typeof spec === 'string') dependencies.push({ name, spec, field });
  }
  return { scripts, bin, dependencies, text };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether an npm dependency specifier points somewhere other than the registry. */
export function isNonRegistrySpec(spec: string): boolean {
  const s = spec.trim();
  if (/^(?:git\+|git:|github:|gitlab:|bitbucket:|gist:|https?:|file:|link:|ssh:)/i.test(s) || s.includes('://')) return true;
  if (/^npm:/.test(s)) return false;
  // `user/repo` or `user/repo#ref` is GitHub shorthand
  return /^[\w.-]+\/[\w.-]+(?:#.*)?$/.test(s);
}

/** 1-based line of the first occurrence of `needle` in `text`, or null. */
export function lineOf(text: string, needle: string): number | null {
  const at = text.indexOf(needle);
  if (at === -1) return null;
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < at; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Install-time lifecycle scripts a registry install runs. */
export const installScripts = ['preinstall', 'install', 'postinstall'] as const;
/** Scripts that run for git installs and local installs of the package. */
export const prepareScripts = ['preprepare', 'prepare', 'postprepare'] as const;

/** Files a script command runs (`node scripts/setup.js`, `sh ./install.sh`), relative to the package root. */
export function filesRunBy(command: string, view: ArtifactView): string[] {
  const out: string[] = [];
  for (const word of command.split(/[\s;&|()"'`]+/)) {
    const path = word.replace(/^\.\//, '');
    if (!path || path.startsWith('-')) continue;
    for (const candidate of [path, `${path}.js`, `${path}/index.js`, `${path}.cjs`, `${path}.mjs`]) {
      if (view.files.has(candidate)) {
        out.push(candidate);
        break;
      }
    }
  }
  return out;
}
