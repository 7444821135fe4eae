import type { Ecosystem } from './ecosystem.js';

/**
 * The canonical spelling of a package name, used as the key in the store and in policy matching.
 * npm names are case-sensitive as published (new ones are lowercase); PyPI names compare after
 * PEP 503 normalisation (`Foo.Bar_baz` → `foo-bar-baz`).
 */
export function canonicalName(ecosystem: Ecosystem, name: string): string {
  return ecosystem === 'pypi' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name;
}
