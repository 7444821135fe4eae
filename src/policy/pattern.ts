import { canonicalName } from '../domain/package-name.js';
import type { Ecosystem } from '../domain/ecosystem.js';

/** A parsed policy pattern: `npm:*`, `npm:@acme/*`, `pypi:litellm`, `npm:left-pad@1.3.0`. */
export interface Pattern {
  ecosystem: Ecosystem;
  /** Canonical name, or a prefix when `prefix` is true (`@acme/` for `@acme/*`), or '' for `*`. */
  name: string;
  prefix: boolean;
  version: string | null;
  /** Higher is more specific: exact release > exact package > longer prefix > ecosystem wildcard. */
  specificity: number;
}

export function parsePattern(text: string): Pattern {
  const m = /^(npm|pypi):(.+)$/.exec(text);
  if (!m) throw new Error('must start with npm: or pypi:');
  const ecosystem = m[1] as Ecosystem;
  let rest = m[2] ?? '';
  let version: string | null = null;
  const at = rest.lastIndexOf('@');
  if (at > 0) {
    version = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!version) throw new Error('has an empty version after @');
  }
  if (rest.includes('*')) {
    if (!rest.endsWith('*') || rest.indexOf('*') !== rest.length - 1) throw new Error('may only use * at the end');
    if (version) throw new Error('cannot combine a wildcard with a version');
    const prefix = canonicalName(ecosystem, rest.slice(0, -1));
    return { ecosystem, name: prefix, prefix: true, version: null, specificity: 1 + prefix.length };
  }
  if (!/^(@[a-z0-9][\w.-]*\/)?[\w.-]+$/i.test(rest)) throw new Error('is not a package name');
  return { ecosystem, name: canonicalName(ecosystem, rest), prefix: false, version, specificity: version ? 1_000_002 : 1_000_001 };
}

/** Whether `pattern` covers the package (and, for release patterns, the version). */
export function patternMatches(pattern: Pattern, ecosystem: Ecosystem, name: string, version?: string): boolean {
  if (pattern.ecosystem !== ecosystem) return false;
  const canonical = canonicalName(ecosystem, name);
  if (pattern.prefix ? !canonical.startsWith(pattern.name) : canonical !== pattern.name) return false;
  return pattern.version === null || pattern.version === version;
}
