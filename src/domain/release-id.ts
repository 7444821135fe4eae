import { AirlockError } from '../errors.js';
import type { Ecosystem } from './ecosystem.js';

export interface ReleaseId {
  ecosystem: Ecosystem;
  name: string;
  version: string;
}

/** `npm:@acme/widget@1.0.1`: the one spelling of a release everywhere (CLI, API, audit, messages). */
export function formatReleaseId(id: ReleaseId): string {
  return `${id.ecosystem}:${id.name}@${id.version}`;
}

/** `npm:express`: a package in one ecosystem. */
export function formatPackageId(ecosystem: Ecosystem, name: string): string {
  return `${ecosystem}:${name}`;
}

/**
 * Parses `<ecosystem>:<name>@<version>`; the version is after the last `@` so scoped npm names work.
 * @example parseReleaseId('npm:@acme/widget@1.0.1') // { ecosystem: 'npm', name: '@acme/widget', version: '1.0.1' }
 */
export function parseReleaseId(text: string): ReleaseId {
  const match = /^(npm|pypi):(.+)@([^@\s/]+)$/.exec(text.trim());
  const [, ecosystem, name, version] = match ?? [];
  if (ecosystem === undefined || name === undefined || version === undefined || name.length === 0 || name.endsWith('@')) {
    throw new AirlockError(
      'EBADREQUEST',
      `"${text}" is not a release id; expected <ecosystem>:<name>@<version>, e.g. npm:express@5.0.0 or pypi:requests@2.32.0`,
    );
  }
  return { ecosystem: ecosystem as Ecosystem, name, version };
}
