import { errorMessage } from '../errors.js';
import type { AppContext } from '../app-context.js';
import type { ArtifactProvider, ReleaseArtifact } from '../quarantine/artifact-provider.js';
import type { Release } from '../domain/release.js';
import type { StoredFinding } from '../domain/finding.js';
import { formatReleaseId } from '../domain/release-id.js';
import type { Ecosystem } from '../domain/ecosystem.js';
import { archiveKind, readArchiveFile, type ArchiveFile } from './archive-file.js';
import { diffSummary, type DiffSummary } from './diff-summary.js';
import { evidenceWindow, type EvidenceWindow } from './evidence-window.js';
import { readArtifactListing, type ArtifactListing } from './read-artifact-listing.js';

/** A finding's file as the release page shows it: where it was read from and the window around the finding. */
export interface FindingEvidence {
  artifact: string;
  size: number;
  binary: boolean;
  /** The file was too large to read for display. */
  unreadable: boolean;
  window: EvidenceWindow | null;
}

export interface PageEvidence {
  /** By finding, in the order of `release.findings`; null for a finding without a file or a file not in the artifacts. */
  findings: Array<FindingEvidence | null>;
  diff: DiffSummary | null;
  /** Why the artifacts could not be read at all (the page still shows the findings). */
  error: string | null;
}

/** One file of a release's artifact, as the file endpoint returns it. */
export type ShownFile = ArchiveFile & { artifact: string };

/** Release pages kept; each is a few KB of windows and listings. */
const maxPages = 64;
/** Bytes of file text kept for the file endpoint (the side-by-side diff and "whole file"). */
const maxFileCacheBytes = 64 << 20;

/**
 * Evidence for release pages: every finding's window and the diff summary, read from the
 * candidate's and the baseline's artifacts in one pass each, and the files those passes read,
 * for the file endpoint. Artifacts never change once stored, so both are kept in memory (only a
 * cache: any replica rebuilds them from the blob store), keyed by the analysis they belong to.
 */
export class ReleaseEvidence {
  private readonly pages = new Map<string, Promise<PageEvidence>>();
  private readonly files = new Map<string, ShownFile | null>();
  private fileBytes = 0;

  constructor(
    private readonly ctx: AppContext,
    private readonly providers: Record<Ecosystem, ArtifactProvider>,
  ) {}

  /** The page evidence of a release, read once per analysis. Never throws: failures are in `error`. */
  forRelease(release: Release): Promise<PageEvidence> {
    const key = `${formatReleaseId(release)}\0${release.analyzedAt?.toISOString() ?? ''}\0${release.baselineVersion ?? ''}`;
    let page = this.pages.get(key);
    if (page) {
      this.pages.delete(key);
      this.pages.set(key, page);
      return page;
    }
    page = this.read(release).catch((err: unknown): PageEvidence => {
      this.pages.delete(key);
      return { findings: release.findings.map(() => null), diff: null, error: errorMessage(err) };
    });
    this.pages.set(key, page);
    for (const oldest of this.pages.keys()) {
      if (this.pages.size <= maxPages) break;
      this.pages.delete(oldest);
    }
    return page;
  }

  /**
   * One file of a release (the first artifact holding it, preferring one of the same kind as
   * `like`), from the cache the page filled or read on its own, stopping at the file.
   */
  async file(release: Release, path: string, like?: 'tar' | 'zip'): Promise<ShownFile | null> {
    const key = `${formatReleaseId(release)}\0${path}`;
    const cached = this.files.get(key);
    if (cached !== undefined && (!like || !cached || archiveKind(cached.artifact) === like)) return cached;
    const list = (await this.providers[release.ecosystem].artifactsOf(release)).filter((a) => archiveKind(a.filename) !== null);
    const ordered = like ? [...list].sort((a, b) => Number(archiveKind(b.filename) === like) - Number(archiveKind(a.filename) === like)) : list;
    for (const artifact of ordered) {
      const file = await readArchiveFile(artifact, path);
      if (file) {
        const shown = { artifact: artifact.filename, ...file };
        this.remember(key, shown);
        return shown;
      }
    }
    this.remember(key, null);
    return null;
  }

  private async read(release: Release): Promise<PageEvidence> {
    const provider = this.providers[release.ecosystem];
    const paths = new Set(release.findings.map((f) => f.path).filter((p): p is string => p !== null));
    const baselineRelease = release.baselineVersion ? await this.ctx.store.getRelease(release.ecosystem, release.name, release.baselineVersion) : null;
    const baselineErrors: string[] = [];
    // Both artifacts at once: decompression runs off the event loop, so two reads use two cores.
    const [candidates, baselines] = await Promise.all([
      provider.artifactsOf(release).then((list) => this.listings(release, list, paths)),
      baselineRelease
        ? provider
            .artifactsOf(baselineRelease)
            .then((list) => this.listings(baselineRelease, list, paths))
            .catch((err: unknown) => {
              baselineErrors.push(`the baseline ${formatReleaseId(baselineRelease)} could not be read: ${errorMessage(err)}`);
              return null;
            })
        : Promise.resolve(null),
    ]);
    const diff = diffSummary(
      release.ecosystem,
      candidates.map((l) => l.view),
      baselines ? baselines.map((l) => l.view) : null,
      release.baselineVersion,
    );
    diff.problems.unshift(...baselineErrors);
    return { findings: release.findings.map((f) => findingEvidence(f, candidates)), diff, error: null };
  }

  /** Reads each readable artifact once, keeping the finding files' text for the file endpoint. */
  private async listings(release: Release, artifacts: ReleaseArtifact[], paths: Set<string>): Promise<ArtifactListing[]> {
    const out: ArtifactListing[] = [];
    for (const artifact of artifacts) {
      if (archiveKind(artifact.filename) === null) continue;
      const listing = await readArtifactListing(artifact, release.ecosystem, (p) => paths.has(p));
      for (const [path, file] of listing.texts) {
        const key = `${formatReleaseId(release)}\0${path}`;
        if (this.files.get(key)) continue; // the first artifact holding the file is the one shown
        const { full: _full, ...shown } = file;
        this.remember(key, { artifact: artifact.filename, ...shown });
      }
      out.push(listing);
    }
    return out;
  }

  private remember(key: string, file: ShownFile | null): void {
    const old = this.files.get(key);
    if (old) this.fileBytes -= old.text?.length ?? 0;
    this.files.delete(key);
    const size = file?.text?.length ?? 0;
    if (size > maxFileCacheBytes / 4) return;
    this.files.set(key, file);
    this.fileBytes += size;
    for (const [k, v] of this.files) {
      if (this.fileBytes <= maxFileCacheBytes) break;
      this.files.delete(k);
      this.fileBytes -= v?.text?.length ?? 0;
    }
  }
}

function findingEvidence(finding: StoredFinding, candidates: ArtifactListing[]): FindingEvidence | null {
  if (finding.path === null) return null;
  for (const listing of candidates) {
    const file = listing.texts.get(finding.path);
    if (!file) continue;
    return {
      artifact: listing.view.filename,
      size: file.size,
      binary: file.binary,
      unreadable: !file.binary && file.full === null,
      window: file.full === null ? null : evidenceWindow(file.full, finding),
    };
  }
  return null;
}
