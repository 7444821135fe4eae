import type { ArchiveProblem } from './archive/archive-problem.js';
import type { FileProfile } from './file-profile.js';

export type ArtifactFormat = 'npm' | 'wheel' | 'sdist';

/** One file of an artifact as the rules see it. */
export interface ArtifactFile {
  /** Path inside the artifact, without the `package/` or `name-version/` root. */
  path: string;
  size: number;
  /** sha256 of the content, for scanned and metadata files; null for data skipped unread. */
  sha256: string | null;
  profile: FileProfile | null;
  /** Text of manifests, build files and `.pth` files. */
  text: string | null;
  native: boolean;
  /** A test, example or doc file (does not run on install or import). */
  test: boolean;
}

/** What the analyzer read from one artifact. */
export interface ArtifactView {
  filename: string;
  format: ArtifactFormat;
  files: Map<string, ArtifactFile>;
  /** Problems met while reading; each becomes an `analysis-error` finding when in the candidate. */
  problems: ArchiveProblem[];
}
