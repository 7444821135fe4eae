import type { Quarantine } from '../../quarantine/quarantine.js';
import type { ReleaseStatus } from '../../quarantine/release-status.js';
import type { PackageSnapshot } from './npm-index.js';

export interface HeldVersion {
  version: string;
  status: ReleaseStatus;
}

export interface VisibleVersions {
  /** Versions a client may see now, in upstream order. */
  visible: string[];
  /** Versions upstream lists that are held now (quarantined, awaiting review, rejected). */
  held: HeldVersion[];
  /** The next moment a version's state changes by time alone; null when none is waiting on the clock. */
  changesAt: Date | null;
}

/**
 * What a package shows now: each upstream version asks `releaseStatus` (through the quarantine).
 * A version Airlock has not recorded, or one without a digest to verify its tarball, is never shown.
 */
export function visibleVersions(quarantine: Quarantine, snapshot: PackageSnapshot, now: Date): VisibleVersions {
  const visible: string[] = [];
  const held: HeldVersion[] = [];
  let changesAt: Date | null = null;
  for (const upstream of snapshot.packument.versions.values()) {
    const release = snapshot.releases.get(upstream.version);
    if (!release || !upstream.hasDigests) continue;
    const status = quarantine.status(release, now);
    if (status.visible) {
      visible.push(upstream.version);
      continue;
    }
    held.push({ version: upstream.version, status });
    if (status.until && status.until > now && (!changesAt || status.until < changesAt)) changesAt = status.until;
  }
  return { visible, held, changesAt };
}
