import type { AppContext } from '../../app-context.js';
import { analysisPendingError } from '../../quarantine/analysis-pending-error.js';
import type { Release } from '../../domain/release.js';
import type { Artifact, ObservedRelease, RecordSeenHint } from '../../store/release-store.js';
import type { UpstreamClient } from '../../upstream/upstream-client.js';
import { UpstreamIndex } from '../../upstream/upstream-index.js';
import { fileStatus } from './file-status.js';
import { parseSimpleDetail, type UpstreamFile } from './parse-simple-detail.js';
import { mergeEquivalentReleases } from './merge-equivalent-releases.js';
import { canonicalVersion } from './pep440-version.js';
import { upstreamAccept } from './simple-wire.js';

/**
 * What the projects kept in memory may cost, by `projectCost`; a dropped project is read again
 * from the store or upstream. A count of projects let a few hundred projects of thousands of files
 * (boto3, numpy) take gigabytes.
 */
const maxBytes = 64 * 1024 * 1024;
/**
 * Heap bytes one file costs beyond the raw page: its UpstreamFile (name, URL, digests, dates), its
 * stored Artifact row and their map entries; and one release its stored Release. Measured with the
 * heap after gc: 1,900 files in 950 releases (19 projects) took 1.25 KB a file beyond their raw
 * pages and rendered pages, which these two figures reproduce.
 */
const fileCost = 1024;
const releaseCost = 512;

/** An upstream file joined with what the store recorded about it (ids, first-seen time, digests). */
export interface IndexedFile {
  upstream: UpstreamFile;
  artifact: Artifact;
}

/** What Airlock knows of one project: upstream's current files and the stored releases they belong to. */
export interface ProjectSnapshot {
  /** Canonical (PEP 503) name. */
  name: string;
  /** The upstream page the files were read from. */
  raw: Buffer;
  files: IndexedFile[];
  byFilename: Map<string, IndexedFile>;
  /** Stored releases by release key (`canonicalVersion`, what `UpstreamFile.releaseKey` names). */
  releases: Map<string, Release>;
  /** Changes whenever files or releases change: rendered pages are cached per revision. */
  revision: number;
}

/** What a project costs in memory, roughly: its raw page plus what each file and release adds once read. */
function projectCost(s: ProjectSnapshot): number {
  return s.raw.length + s.files.length * fileCost + s.releases.size * releaseCost;
}

/**
 * The PyPI projects Airlock serves, through the shared upstream index (kept in memory within a
 * byte budget, refreshed at most once per `indexTtlMs` in the background while the last page is
 * served, conditionally; the last page served when upstream is down or sends one that cannot be
 * read). What is PyPI's own: reading a simple page into releases (one per PEP 440 version, each
 * file an artifact with its own upload time) and waiting for per-file analyses on first sight.
 */
export class PypiIndex {
  private readonly index: UpstreamIndex<ProjectSnapshot>;

  constructor(
    private readonly ctx: AppContext,
    private readonly client: UpstreamClient,
  ) {
    this.index = new UpstreamIndex<ProjectSnapshot>(
      {
        ecosystem: 'pypi',
        noun: 'page',
        documentKey,
        documentUrl: (name) => pageUrl(ctx.config.pypiUpstream, name),
        accept: upstreamAccept,
        ingest: (name, doc, revision, _origin, hint) => this.ingest(name, doc.body, revision, hint),
        reload: (snapshot, revision) => this.reload(snapshot, revision),
        gone: async (name) => {
          const known = await ctx.store.listReleases({ ecosystem: 'pypi', name });
          if (known.length > 0) await ctx.quarantine.reconcileWithdrawn('pypi', name, known, new Set());
        },
        raw: (snapshot) => snapshot.raw,
        cost: projectCost,
      },
      {
        store: ctx.store,
        clock: ctx.clock,
        client,
        metrics: ctx.metrics,
        log: ctx.log,
        ttlMs: ctx.config.indexTtlMs,
        maxBytes,
        onBytes: (bytes) => ctx.metrics.indexBytes.set({ upstream: 'pypi' }, bytes),
      },
    );
  }

  /** Called on every quarantine change of a package: its releases are read again on next use. */
  changed(name: string): void {
    this.index.changed(name);
  }

  /**
   * The project as clients may be shown it (before filtering), or null when upstream has no such
   * project. Names the policy marks internal are never looked up upstream.
   */
  async project(name: string): Promise<ProjectSnapshot | null> {
    this.ctx.quarantine.refuseInternal('pypi', name);
    return this.index.get(name);
  }

/**
   * The project once the analyses of the releases its page would show are done: on first sight,
   * files past their cooldown whose release is not yet analyzed would otherwise be missing, and pip
   * would pick an older version in silence. Waits at most `firstSightWaitMs` (those analyses go
   * first, newest first); past it, throws a 503 naming the release, which pip retries on its own.
   */
  async settle(snapshot: ProjectSnapshot): Promise<ProjectSnapshot> {
    const now = this.ctx.clock.now();
    const waiting = new Map<number, Release>();
    const waitingFiles = new Map<number, Artifact>();
    for (const file of snapshot.files) {
      // Releases are keyed by their PEP 440 canonical version, not the spelling in a filename.
      const release = snapshot.releases.get(file.upstream.releaseKey);
      const ownPending = file.artifact.analysis === 'pending';
      if (!release || (release.analysis !== 'pending' && !ownPending)) continue;
      const status = fileStatus(this.ctx.quarantine, release, file.artifact, now);
      if (status.state !== 'quarantined' || status.until === null || status.until > now) continue;
      if (release.analysis === 'pending') waiting.set(release.id, release);
      if (ownPending) waitingFiles.set(file.artifact.id, file.artifact);
    }
    if (waiting.size === 0 && waitingFiles.size === 0) return snapshot;
    const waitMs = this.ctx.config.firstSightWaitMs;
    const [after, files] = await Promise.all([
      this.ctx.quarantine.awaitAnalyses([...waiting.values()], waitMs),
      Promise.all([...waitingFiles.values()].map((a) => this.ctx.quarantine.awaitFileAnalysis(a, waitMs))),
    ]);
    const still = after
      .filter((r) => r.analysis === 'pending')
      .sort((a, b) => (b.publishedAt ?? b.firstSeenAt).getTime() - (a.publishedAt ?? a.firstSeenAt).getTime());
    for (const file of files) {
      const release = [...snapshot.releases.values()].find((r) => r.id === file.releaseId);
      if (file.analysis === 'pending' && release && !still.includes(release)) still.push(release);
    }
    if (still.length > 0) throw analysisPendingError(still, waitMs);
    return (await this.project(snapshot.name)) ?? snapshot;
  }

  private async reload(loaded: ProjectSnapshot, revision: number): Promise<ProjectSnapshot> {
    const releases = await this.ctx.store.listReleases({ ecosystem: 'pypi', name: loaded.name });
    const files = await this.refreshPendingFiles(loaded.files);
    return { ...loaded, files, byFilename: new Map(files.map((f) => [f.upstream.filename, f])), releases: byKey(releases), revision };
  }

  /**
   * Files whose own analysis was pending are read again (it may have finished): only their
   * releases' rows, so a change to a project costs what changed, not what it holds.
   */
  private async refreshPendingFiles(files: IndexedFile[]): Promise<IndexedFile[]> {
    const releaseIds = new Set(files.filter((f) => f.artifact.analysis === 'pending').map((f) => f.artifact.releaseId));
    if (releaseIds.size === 0) return files;
    const fresh = new Map<number, Artifact>();
    for (const id of releaseIds) for (const a of await this.ctx.store.listArtifacts(id)) fresh.set(a.id, a);
    return files.map((f) => (releaseIds.has(f.artifact.releaseId) ? { ...f, artifact: fresh.get(f.artifact.id) ?? f.artifact } : f));
  }

  /**
   * Records an upstream page: one observed release per version (published at its earliest file's
   * `upload-time`), every file as an artifact with its own upload time, withdrawals of versions
   * that are gone. Parsing comes first, so a bad page changes nothing.
   */
  private async ingest(name: string, body: Buffer, revision: number, hint?: RecordSeenHint): Promise<ProjectSnapshot> {
    const project = parseSimpleDetail(body, {
      project: name,
      pageUrl: pageUrl(this.ctx.config.pypiUpstream, name),
      isAllowed: (url) => this.client.isAllowed(url),
      skipped: (message) => this.ctx.log(message),
    });
    // One release per version as pip compares them: `1.2` and `1.2.0` are one.
    const groups = new Map<string, UpstreamFile[]>();
    for (const file of project.files) groups.set(file.releaseKey, [...(groups.get(file.releaseKey) ?? []), file]);
    const stored = byKey(await mergeEquivalentReleases(this.ctx, name, await this.ctx.store.listReleases({ ecosystem: 'pypi', name })));
    const observed: ObservedRelease[] = [...groups].map(([key, files]) => ({
      version: stored.get(key)?.version ?? spellingOf(key, files),
      publishedAt: earliest(files.map((f) => f.uploadedAt)),
      meta: { hasProvenance: files.some((f) => typeof f.provenance === 'string') },
      artifacts: files.map((f) => ({ filename: f.filename, url: f.url.href, digests: { sha256: f.sha256 }, size: f.size, publishedAt: f.uploadedAt })),
    }));

    const releases = await this.ctx.quarantine.observe('pypi', name, observed, undefined, hint);
    const releaseOf = byKey(releases);
    const files: IndexedFile[] = [];
    for (const [key, group] of groups) {
      const release = releaseOf.get(key);
      if (!release) continue;
      const artifacts = await this.ctx.store.listArtifacts(release.id);
      const artifactOf = new Map(artifacts.map((a) => [a.filename, a]));
      for (const f of group) {
        const artifact = artifactOf.get(f.filename);
        if (artifact) files.push({ upstream: f, artifact });
      }
    }
    // Keep upstream's order of files: it is the order clients are used to.
    const order = new Map(project.files.map((f, i) => [f.filename, i]));
    files.sort((a, b) => (order.get(a.upstream.filename) ?? 0) - (order.get(b.upstream.filename) ?? 0));
    await this.ctx.quarantine.reconcileWithdrawn('pypi', name, releases, new Set(observed.map((o) => o.version)));

    return { name, raw: body, files, byFilename: new Map(files.map((f) => [f.upstream.filename, f])), releases: releaseOf, revision };
  }
}

/** `<upstream>/simple/<name>/`; the name is a validated PEP 503 name. */
function pageUrl(upstream: URL, name: string): URL {
  return new URL(`simple/${name}/`, upstream);
}

/** Where the raw upstream page of a project is kept in the store. */
export function documentKey(name: string): string {
  return `pypi:simple:${name}`;
}

/**
 * Releases by key. Two stored spellings of one key only exist until the next ingest merges them
 * (e.g. two replicas recorded a new release at once); meanwhile a rejected one stands for both.
 */
function byKey(releases: Release[]): Map<string, Release> {
  const map = new Map<string, Release>();
  for (const r of releases) {
    const key = canonicalVersion(r.version) ?? r.version;
    const other = map.get(key);
    if (!other || !isRejected(other)) map.set(key, other && isRejected(r) ? r : (other ?? r));
  }
  return map;
}

function isRejected(release: Release): boolean {
  return release.decision !== null && release.decision.action !== 'approve';
}

/**
 * How a new release is named when its files spell its version differently: the canonical
 * spelling when a file uses it, else the earliest upload's (then the first by name), so the
 * id reviewers see is one of upstream's own spellings.
 */
function spellingOf(key: string, files: UpstreamFile[]): string {
  if (files.some((f) => f.version === key)) return key;
  const [first] = [...files].sort(
    (a, b) => (a.uploadedAt?.getTime() ?? Infinity) - (b.uploadedAt?.getTime() ?? Infinity) || a.filename.localeCompare(b.filename),
  );
  return first?.version ?? key;
}

function earliest(dates: (Date | null)[]): Date | null {
  let min: Date | null = null;
  for (const d of dates) if (d && (!min || d < min)) min = d;
  return min;
}
