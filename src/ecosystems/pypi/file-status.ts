import { artifactDigest } from '../../quarantine/artifact-digest.js';
import type { Quarantine } from '../../quarantine/quarantine.js';
import type { Release } from '../../domain/release.js';
import type { ReleaseStatus } from '../../quarantine/release-status.js';
import type { Artifact } from '../../store/release-store.js';

/**
 * The state of one file: the release's facts with the file's own clock (its `upload-time`, or when
 * Airlock first saw it), so a wheel added later to an old release is held on its own; and what
 * `releaseStatus` needs to judge the file alone: its digest (is it one an approval was made on?)
 * and, for a file added after its release, its own analysis.
 */
export function fileStatus(quarantine: Quarantine, release: Release, artifact: Artifact, now?: Date): ReleaseStatus {
  const floors = [release.clockFloorAt, artifact.clockFloorAt].filter((d): d is Date => d !== null);
  const clockFloorAt = floors.length === 0 ? null : new Date(Math.max(...floors.map((d) => d.getTime())));
  return quarantine.status(
    {
      ...release,
      publishedAt: artifact.publishedAt,
      firstSeenAt: artifact.firstSeenAt,
      clockFloorAt,
      file: {
        filename: artifact.filename,
        digest: artifactDigest(artifact),
        firstSeenAt: artifact.firstSeenAt,
        analysis: artifact.analysis,
        findings: artifact.findings,
      },
    },
    now,
  );
}
