import type { Severity } from './severity.js';

/** One thing the analyzer reports about a release. */
export interface Finding {
  kind: string;
  severity: Severity;
  /** Path inside the artifact (without the `package/` or `name-version/` root), or null for release-level findings. */
  path: string | null;
  line: number | null;
  /** One sentence naming the file. */
  message: string;
  /** A few lines of code around the finding, for the review page. */
  evidence?: string;
  /** Another release the finding is about (a new dependency's own release id), for linking. */
  related?: string;
}

/** A finding as stored with a release: the analyzer's, and for a file analyzed on its own, which file. */
export interface StoredFinding extends Finding {
  /**
   * The file this finding came from, when that file was added to the release after the release
   * itself was seen (and so analyzed on its own); absent for the release's own analysis.
   */
  artifact?: { filename: string; digest: string };
}
