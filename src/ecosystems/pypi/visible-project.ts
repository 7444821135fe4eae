import type { Quarantine } from '../../quarantine/quarantine.js';
import { fileStatus } from './file-status.js';
import { compareVersions } from './pep440-version.js';
import type { IndexedFile, ProjectSnapshot } from './pypi-index.js';

export interface VisibleProject {
  files: IndexedFile[];
  /** Versions with at least one visible file, in PEP 440 order (PEP 700 `versions`). */
  versions: string[];
  /** The next moment a file's state changes by time alone; null when none is waiting on the clock. */
  changesAt: Date | null;
}

/** The files of a project a client may see now, each decided on its own clock. */
export function visibleProject(quarantine: Quarantine, snapshot: ProjectSnapshot, now: Date): VisibleProject {
  const files: IndexedFile[] = [];
  const versions = new Set<string>();
  let changesAt: Date | null = null;
  for (const file of snapshot.files) {
    const release = snapshot.releases.get(file.upstream.releaseKey);
    if (!release) continue; // not recorded: never shown
    const status = fileStatus(quarantine, release, file.artifact, now);
    if (status.visible) {
      files.push(file);
      versions.add(release.version);
    } else if (status.until && status.until > now && (!changesAt || status.until < changesAt)) {
      changesAt = status.until;
    }
  }
  return { files, versions: [...versions].sort(compareVersions), changesAt };
}
