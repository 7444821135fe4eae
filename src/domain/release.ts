import type { Decision } from './decision.js';
import type { Ecosystem } from './ecosystem.js';
import type { StoredFinding } from './finding.js';

/**
 * Where a release's analysis stands.
 * - `pending`: queued or running; the release is not visible until it finishes.
 * - `skipped`: older than the analysis horizon at first sight, trusted by age.
 * - `done`: findings recorded (an unreadable artifact is an `analysis-error` finding, not a state).
 */
export type AnalysisState = 'pending' | 'skipped' | 'done';

/**
 * The findings of a release that has none, shared: most stored releases (every one trusted by age)
 * have none, and a cached package holds hundreds of them.
 */
export const noFindings: readonly StoredFinding[] = Object.freeze([]);

/** The facts Airlock records about one release. Its state is derived from them by `releaseStatus`. */
export interface Release {
  id: number;
  ecosystem: Ecosystem;
  name: string;
  version: string;
  /** Upstream publish time (npm `time[version]`; PyPI earliest file `upload-time`); null when upstream gave none. */
  publishedAt: Date | null;
  firstSeenAt: Date;
  /**
   * The earliest instant the cooldown may count from, whatever upstream's publish time says: set
   * when Airlock could have seen the release earlier and did not (it is new to a package Airlock
   * had already read), or when the publish time arrived after first sight. Null when the publish
   * time is trusted as given.
   */
  clockFloorAt: Date | null;
  analysis: AnalysisState;
  /** The release's own findings, then those of files added to it later (each with its `artifact`). */
  findings: readonly StoredFinding[];
  analyzedAt: Date | null;
  /** Version the candidate was diffed against; null for a first release or before analysis. */
  baselineVersion: string | null;
  /** The latest decision; the one that counts. */
  decision: Decision | null;
  /** When upstream removed or yanked it. */
  withdrawnAt: Date | null;
  /** Upstream metadata the analyzer uses (publisher, provenance), kept as given. */
  meta: Record<string, unknown>;
}

/**
 * What `releaseStatus` needs to know about one file when it decides that file alone (PyPI: a
 * release has many files, and each is decided on its own clock).
 */
export interface FileFacts {
  filename: string;
  /** `artifactDigest` of the file: what an approval is bound to. */
  digest: string;
  /** When Airlock first saw the file. */
  firstSeenAt: Date;
  /**
   * null: the file came with the release and the release's analysis covers it. Otherwise it was
   * added later and this is its own analysis, against the files the release already had.
   */
  analysis: AnalysisState | null;
  findings: readonly StoredFinding[];
}

/**
 * The input `releaseStatus` needs. For one file, `file` is set and the file's own times are
 * passed in place of the release's.
 */
export type ReleaseFacts = Pick<
  Release,
  'ecosystem' | 'name' | 'version' | 'publishedAt' | 'firstSeenAt' | 'analysis' | 'findings' | 'decision' | 'withdrawnAt'
> &
  Partial<Pick<Release, 'clockFloorAt'>> & { file?: FileFacts };
