import type { Release } from '../domain/release.js';

/** One downloadable file of a release, opened as often as needed (the analyzer's input shape). */
export interface ReleaseArtifact {
  filename: string;
  open(): Promise<NodeJS.ReadableStream>;
}

/**
 * What an ecosystem gives the analysis runner: a release's verified artifact bytes, the
 * ecosystem's version order (for choosing the baseline), and the metadata the analyzer reads.
 */
export interface ArtifactProvider {
  /**
   * Fetches (verifying, into the BlobStore) when not yet stored, and returns the release's
   * artifacts; only those whose name `only` accepts, when given (an ecosystem may return more).
   */
  artifactsOf(release: Release, only?: (filename: string) => boolean): Promise<ReleaseArtifact[]>;
  /** Negative when `a` sorts before `b` in the ecosystem's version order (semver for npm, PEP 440 for PyPI). */
  compareVersions(a: string, b: string): number;
  /** Whether `version` is a pre-release (pre-releases never serve as a baseline for final releases). */
  isPrerelease(version: string): boolean;
}
