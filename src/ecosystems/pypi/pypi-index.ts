import type { AppContext } from '../../app-context.js';
import { AirlockError } from '../../errors.js';
import { analysisPendingError } from '../../quarantine/analysis-pending-error.js';
import type { Release } from '../../domain/release.js';
import type { Artifact, CachedDocument, ObservedRelease } from '../../store/release-store.js';
import { SingleFlight } from '../../upstream/single-flight.js';
import { isUpstreamUnavailable, type UpstreamClient } from '../../upstream/upstream-client.js';
import { fileStatus } from './file-status.js';
import { parseSimpleDetail, type UpstreamFile } from './parse-simple-detail.js';
import { mergeEquivalentReleases } from './merge-equivalent-releases.js';
import { canonicalVersion } from './pep440-version.js';
import { upstreamAccept } from './simple-wire.js';

/** Projects kept in memory; beyond this the least recently refreshed are dropped. */
const maxProjects = 5000;

/** An upstream file joined with what the store recorded about it (ids, first-seen time, digests). */
export interface IndexedFile {
  upstream: UpstreamFile;
  artifact: Artifact;
}

/** What Airlock knows of one project: upstream's current files and the stored releases they belong to. */
export interface ProjectSnapshot {
  /** Canonical (PEP 503) name. */
  name: string;
  files: IndexedFile[];
  byFilename: Map<string, IndexedFile>;
  /** Stored releases by release key (`canonicalVersion`, what `UpstreamFile.releaseKey` names). */
  releases: Map<string, Release>;
  /** Changes whenever files or releases change: rendered pages are cached per revision. */
  revision: number;
}

interface ProjectEntry {
  /** null: upstream has no such project. */
  snapshot: ProjectSnapshot | null;
  /** Clock time of the last upstream check, successful or not (a failed check also waits a TTL). */
  checkedAt: number;
  /** The change count of the package when `snapshot.releases` was read. */
  releasesAt: number;
}

/**
 * The PyPI projects Airlock serves, kept in memory and refreshed from upstream at most once per
 * `indexTtlMs` (conditionally). Each fresh upstream page is recorded in the store (releases,
 * per-file artifacts, withdrawals, the raw page); when upstream is unreachable the last page keeps
 * being served. Memory is only a cache: everything is rebuilt from the store and upstream.
 */
export class PypiIndex {
  private readonly entries = new Map<string, ProjectEntry>();
  private readonly changes = new Map<string, number>();
  private readonly refreshes = new SingleFlight<ProjectEntry>();
  private readonly reloads = new SingleFlight<ProjectSnapshot>();
  private revisions = 0;

  constructor(
    private readonly ctx: AppContext,
    private readonly client: UpstreamClient,
  ) {}

  /** Called on every quarantine change of a package: its releases are read again on next use. */
  changed(name: string): void {
    this.changes.set(name, (this.changes.get(name) ?? 0) + 1);
  }

  /**
   * The project as clients may be shown it (before filtering), or null when upstream has no such
   * project. Names the policy marks internal are never looked up upstream.
   */
  async project(name: string): Promise<ProjectSnapshot | null> {
    this.ctx.quarantine.refuseInternal('pypi', name);
    let entry = this.entries.get(name);
    const now = this.ctx.clock.now().getTime();
    if (!entry || now - entry.checkedAt >= this.ctx.config.indexTtlMs) entry = await this.refreshes.run(name, () => this.refresh(name));
    if (entry.snapshot && entry.releasesAt !== (this.changes.get(name) ?? 0)) return this.reloadReleases(name, entry, entry.snapshot);
    return entry.snapshot;
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

  private async reloadReleases(name: string, entry: ProjectEntry, loaded: ProjectSnapshot): Promise<ProjectSnapshot> {
    return this.reloads.run(name, async () => {
      const seen = this.changes.get(name) ?? 0;
      const releases = await this.ctx.store.listReleases({ ecosystem: 'pypi', name });
      const files = await this.refreshPendingFiles(loaded.files);
      const snapshot: ProjectSnapshot = {
        ...loaded,
        files,
        byFilename: new Map(files.map((f) => [f.upstream.filename, f])),
        releases: byKey(releases),
        revision: ++this.revisions,
      };
      const current = this.entries.get(name);
      // Only install it when no refresh replaced the entry meanwhile.
      if (current === entry) this.entries.set(name, { ...entry, snapshot, releasesAt: seen });
      return snapshot;
    });
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

  private async refresh(name: string): Promise<ProjectEntry> {
    const previous = this.entries.get(name);
    const docKey = documentKey(name);
    const stored = await this.ctx.store.getDocument(docKey);
    const pageUrl = new URL(`simple/${name}/`, this.ctx.config.pypiUpstream);
    const checkedAt = this.ctx.clock.now().getTime();
    const started = process.hrtime.bigint();
    let result;
    try {
      // Conditional only when the stored page is there to fall back on.
      result = await this.client.getDocument(pageUrl, { accept: upstreamAccept, etag: stored?.etag, lastModified: stored?.lastModified });
    } catch (err) {
      this.ctx.metrics.upstreamRequests.inc({ upstream: 'pypi', outcome: 'error' });
      if (!isUpstreamUnavailable(err)) throw err;
      if (previous) {
        this.ctx.log(`pypi:${name}: upstream unreachable, serving the page checked at ${new Date(previous.checkedAt).toISOString()}: ${(err as Error).message}`);
        return this.install(name, { ...previous, checkedAt });
      }
      if (stored) {
        this.ctx.log(`pypi:${name}: upstream unreachable, serving the page fetched at ${stored.fetchedAt.toISOString()}: ${(err as Error).message}`);
        return this.install(name, await this.ingest(name, stored.body, pageUrl, checkedAt));
      }
      throw err;
    }
    this.ctx.metrics.upstreamDuration.observe({ upstream: 'pypi' }, Number(process.hrtime.bigint() - started) / 1e9);

    if (result.status === 404 || result.status === 410) {
      this.ctx.metrics.upstreamRequests.inc({ upstream: 'pypi', outcome: 'not-found' });
      const known = await this.ctx.store.listReleases({ ecosystem: 'pypi', name });
      if (known.length > 0) await this.ctx.quarantine.reconcileWithdrawn('pypi', name, known, new Set());
      return this.install(name, { snapshot: null, checkedAt, releasesAt: 0 });
    }
    // An upstream without validators answers 200 with the same bytes: that is a 304 too, not a new page to record.
    if (result.status === 304 || (stored && stored.body.equals(result.body))) {
      if (!stored) throw new AirlockError('EUPSTREAM', `pypi upstream answered 304 for ${name} to an unconditional request`);
      this.ctx.metrics.upstreamRequests.inc({ upstream: 'pypi', outcome: 'not-modified' });
      if (previous?.snapshot) return this.install(name, { ...previous, checkedAt });
      return this.install(name, await this.ingest(name, stored.body, pageUrl, checkedAt));
    }
    this.ctx.metrics.upstreamRequests.inc({ upstream: 'pypi', outcome: 'ok' });
    let entry: ProjectEntry;
    try {
      entry = await this.ingest(name, result.body, pageUrl, checkedAt);
    } catch (err) {
      // A page Airlock cannot read changes nothing: keep serving the last good one, as when upstream is down.
      if (!previous || !isUpstreamUnavailable(err)) throw err;
      this.ctx.log(`pypi:${name}: keeping the page checked at ${new Date(previous.checkedAt).toISOString()}: ${(err as Error).message}`);
      return this.install(name, { ...previous, checkedAt });
    }
    const doc: CachedDocument = { body: result.body, etag: result.etag, lastModified: result.lastModified, fetchedAt: new Date(checkedAt) };
    await this.ctx.store.putDocument(docKey, doc);
    return this.install(name, entry);
  }

  private install(name: string, entry: ProjectEntry): ProjectEntry {
    this.entries.delete(name);
    this.entries.set(name, entry);
    // Least recently refreshed first: an evicted project is simply read again from upstream or the store.
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= maxProjects) break;
      this.entries.delete(oldest);
    }
    return entry;
  }

  /**
   * Records an upstream page: one observed release per version (published at its earliest file's
   * `upload-time`), every file as an artifact with its own upload time, withdrawals of versions
   * that are gone. Parsing comes first, so a bad page changes nothing.
   */
  private async ingest(name: string, body: Buffer, pageUrl: URL, checkedAt: number): Promise<ProjectEntry> {
    const project = parseSimpleDetail(body, {
      project: name,
      pageUrl,
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

    const releasesAt = this.changes.get(name) ?? 0;
    const releases = await this.ctx.quarantine.observe('pypi', name, observed);
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

    return {
      snapshot: {
        name,
        files,
        byFilename: new Map(files.map((f) => [f.upstream.filename, f])),
        releases: releaseOf,
        revision: ++this.revisions,
      },
      checkedAt,
      releasesAt,
    };
  }
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
