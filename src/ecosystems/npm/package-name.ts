import { AirlockError } from '../../errors.js';

/** npm's limit on the length of a package name (validate-npm-package-name). */
const maxNameLength = 214;

/**
 * Whether `name` is a package name the registry could hold: one URL-safe part, or `@scope/part`;
 * no part empty or starting with `.` or `_`. Upper case and `~'!()*` are accepted because old
 * packages (`JSONStream`) still carry them. This is also the guard against path traversal: `.`,
 * `..` and anything with `/` or `%` never pass.
 */
export function isValidPackageName(name: string): boolean {
  if (name.length === 0 || name.length > maxNameLength) return false;
  const parts = name.startsWith('@') ? name.slice(1).split('/') : [name];
  if (parts.length !== (name.startsWith('@') ? 2 : 1)) return false;
  return parts.every(isValidPart) && name !== 'node_modules' && name !== 'favicon.ico';
}

function isValidPart(part: string): boolean {
  return part.length > 0 && !part.startsWith('.') && !part.startsWith('_') && encodeURIComponent(part) === part;
}

/** Throws a 400 naming the problem when `name` is not a valid package name. */
export function assertPackageName(name: string): string {
  if (!isValidPackageName(name))
    throw new AirlockError(
      'EBADNAME',
      `"${printable(name)}" is not a valid npm package name (expected a URL-safe name such as express or @scope/name, at most ${maxNameLength} characters)`,
    );
  return name;
}

/** `@scope/name` → `name`; the tarball file name is built from it. */
export function unscopedName(name: string): string {
  return name.startsWith('@') ? name.slice(name.indexOf('/') + 1) : name;
}

/** A name as it may be quoted in a message: control characters and overlong input cut. */
export function printable(text: string): string {
  const cleaned = text.replace(/[^\x20-\x7e]/g, '?');
  return cleaned.length > 100 ? `${cleaned.slice(0, 100)}…` : cleaned;
}
