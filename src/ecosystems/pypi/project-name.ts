import { canonicalName } from '../../domain/package-name.js';

/** PEP 508 project names: ASCII letters and digits, with `.`, `_`, `-` inside. */
const validName = /^([a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$/i;

export function isValidProjectName(name: string): boolean {
  return name.length <= 200 && validName.test(name);
}

/**
 * The PEP 503 normalised name (`Foo.Bar_baz` → `foo-bar-baz`): the key in the store, in policy
 * patterns and in every URL Airlock generates.
 */
export function normalizeProjectName(name: string): string {
  return canonicalName('pypi', name);
}
