import type { AppContext } from '../../app-context.js';
import { AirlockError } from '../../errors.js';
import { analysisPendingError } from '../../quarantine/analysis-pending-error.js';
import type { Release } from '../../domain/release.js';
import type { Artifact, CachedDocument, ObservedRelease } from '../../store/release-store.js';
import { resolveUpstreamUrl } from '../../http/resolve-upstream-url.js';
import { SingleFlight } from '../../upstream/single-flight.js';
import { isUpstreamUnavailable, type UpstreamClient } from '../../upstream/upstream-client.js';
import { waitsOnAnalysisOnly } from './held-error.js';
import { upstreamAccept } from './npm-wire.js';
import { printable } from './package-name.js';
import { readPackument, type UpstreamPackument, type UpstreamVersion } from './read-packument.js';
import { upstreamTarballUrl } from './tarball-url.js';

/**
 * Packages kept in memory; beyond this, or past `indexMemoryBytes` by `entryCost` (counting only the
 * raw bytes let 2,000 packages of 200 versions take over 1 GB: the parsed index and the releases of
 * a version cost several times its bytes), the least recently refreshed are dropped.
 */
const maxPackages = 5000;
/**
 * Heap bytes one version costs beyond the raw document: its UpstreamVersion (byte ranges, digests,
 * dates, file name), its `time` member and its stored Release, measured with a heap snapshot
 * (about 1.9 KB a version with 200-version packuments) and rounded up.
 */
const versionCost = 2048;
/** Artifact rows kept in memory. */
const maxArtifacts = 100_000;
/** Shelved packages remembered (a few dozen bytes each); past it the shelf starts over. */
const maxShelved = 200_000;

/** What Airlock knows of one package: upstream's current packument and the stored releases of its versions. */
export interface PackageSnapshot {
  name: string;
  packument: UpstreamPackument;
  /** Stored releases by version. */
  releases: Map<string, Release>;
  /** Changes whenever the packument or the releases change: rendered documents are cached per revision. */
  revision: number;
}

interface PackageEntry {
  /** null: upstream has no such package. */
  snapshot: PackageSnapshot | null;
  /** Clock time (ms) of the last upstream check, successful or not (a failed check also waits a TTL). */
  checkedAt: number;
  /** The change count of the package when `snapshot.releases` was read. */
  releasesAt: number;
  /** Upstream's validators for the document in `snapshot`, for the next conditional request. */
  etag: string | null;
  lastModified: string | null;
  /** When upstream sent the document in `snapshot` (its identity in the store); 0 without one. */
  fetchedAt: number;
}

/**
 * What stays of a package once it is dropped from memory: enough to know that its rendered
 * documents still describe it (same upstream document, same releases, checked within a TTL), so a
 * warm request is served without reading and parsing the document again.
 */
interface Shelved {
  revision: number;
  checkedAt: number;
  releasesAt: number;
  fetchedAt: number;
}

/** What an entry costs in memory, roughly: its raw document plus what each version adds once parsed. */
function entryCost(entry: PackageEntry): number {
  const s = entry.snapshot;
  return s ? s.packument.raw.length + (s.packument.versions.size + s.releases.size) * (versionCost / 2) : 0;
}

/**
 * The npm packages Airlock serves, kept in memory and refreshed from upstream at most once per
 * `indexTtlMs`, conditionally and in the background (the last document is served meanwhile). Each fresh packument is recorded (releases, tarball artifacts of
 * releases awaiting analysis, withdrawals, the raw document); when upstream is unreachable the last document keeps being
 * served. Memory is only a cache: everything can be rebuilt from the store and upstream.
 */
export class NpmIndex {
  private readonly entries = new Map<string, PackageEntry>();
  private readonly changes = new Map<string, number>();
  private readonly refreshes = new SingleFlight<PackageEntry>();
  private readonly reloads = new SingleFlight<PackageSnapshot>();
  /** Release id → its tarball artifact, for releases recorded by this process. */
  private readonly artifacts = new Map<number, Artifact>();
  /** What each installed entry was counted at (an entry replaced by a reload keeps its count). */
  private readonly costs = new WeakMap<PackageEntry, number>();
  /** Every package read, in memory or dropped: its current revision and when upstream was last asked. */
  private readonly shelved = new Map<string, Shelved>();
  private bytes = 0;
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
   * The package (before filtering), or null when upstream has no such package. Names the policy
   * marks internal are never looked up upstream (dependency-confusion guard).
   */
  async package(name: string): Promise<PackageSnapshot | null> {
    this.ctx.quarantine.refuseInternal('npm', name);
    let entry = this.entries.get(name);
    const now = this.ctx.clock.now().getTime();
    if (!entry) entry = await this.refreshes.run(name, () => this.refresh(name));
    else if (now - entry.checkedAt >= this.ctx.config.indexTtlMs) {
      // Stale while revalidating: clients never wait on upstream for a package Airlock already has.
      // What is visible is still decided against the current clock on every request.
      this.refreshes.run(name, () => this.refresh(name)).catch((err: unknown) => this.ctx.log(`npm:${name}: refresh failed: ${(err as Error).message}`));
    }
    if (entry.snapshot && entry.releasesAt !== (this.changes.get(name) ?? 0)) return this.reloadReleases(name, entry, entry.snapshot);
    return entry.snapshot;
  }

  /** Whether the package is in memory now (its packument parsed). */
  inMemory(name: string): boolean {
    return this.entries.has(name);
  }

  /**
   * The revision of the package as last read, when it is still current: upstream was asked within
   * a TTL, and no quarantine change happened since. Null otherwise (the caller reads the package).
   * Costs a map lookup whether or not the package is still in memory, so documents rendered for
   * that revision can be served without the package.
   */
  currentRevision(name: string): number | null {
    this.ctx.quarantine.refuseInternal('npm', name);
    const shelf = this.shelved.get(name);
    if (!shelf) return null;
    const fresh = this.ctx.clock.now().getTime() - shelf.checkedAt < this.ctx.config.indexTtlMs;
    return fresh && shelf.releasesAt === (this.changes.get(name) ?? 0) ? shelf.revision : null;
  }

  /**
   * The package once the analyses of the releases it would show are done: on first sight, releases
   * past their cooldown but not yet analyzed would otherwise be missing, and npm would resolve an
   * older version in silence. Waits at most `firstSightWaitMs` (those analyses go first, newest
   * first); past it, throws a 503 naming the release rather than answering without it.
   */
  async settle(snapshot: PackageSnapshot): Promise<PackageSnapshot> {
    const now = this.ctx.clock.now();
    const waiting: Release[] = [];
    for (const release of snapshot.releases.values()) {
      // Cheap test first: this runs on every index request, and almost no release is pending.
      if (release.analysis !== 'pending' || !snapshot.packument.versions.has(release.version)) continue;
      if (waitsOnAnalysisOnly(release, this.ctx.quarantine.status(release, now), now)) waiting.push(release);
    }
    if (waiting.length === 0) return snapshot;
    const waitMs = this.ctx.config.firstSightWaitMs;
    const after = await this.ctx.quarantine.awaitAnalyses(waiting, waitMs);
    const still = after.filter((r) => r.analysis === 'pending');
    if (still.length > 0) throw analysisPendingError(newestFirst(still), waitMs);
    return (await this.package(snapshot.name)) ?? snapshot;
  }

  /**
   * The tarball artifact of a release: as recorded, or recorded now from the upstream version
   * (releases trusted by age are recorded on first download rather than all at first sight).
   */
  async artifactOf(release: Release, upstream?: UpstreamVersion): Promise<Artifact | null> {
    const known = this.artifacts.get(release.id);
    if (known) return known;
    const [stored] = await this.ctx.store.listArtifacts(release.id);
    if (stored) {
      this.remember(release.id, stored);
      return stored;
    }
    return upstream ? this.record(release, upstream) : null;
  }

  private remember(releaseId: number, artifact: Artifact): void {
    // Only a cache of the store's rows: start over rather than grow without bound.
    if (this.artifacts.size >= maxArtifacts) this.artifacts.clear();
    this.artifacts.set(releaseId, artifact);
  }

  private async record(release: Release, v: UpstreamVersion): Promise<Artifact | null> {
    const url = upstreamTarballUrl(this.ctx.config.npmUpstream, release.name, v.version, v.listedTarball);
    const [artifact] = await this.ctx.store.recordArtifacts(
      release.id,
      [{ filename: v.filename, url: url.href, digests: v.digests, size: null, publishedAt: null }],
      this.ctx.clock.now(),
    );
    if (artifact) this.remember(release.id, artifact);
    return artifact ?? null;
  }

  private async reloadReleases(name: string, entry: PackageEntry, current: PackageSnapshot): Promise<PackageSnapshot> {
    return this.reloads.run(name, async () => {
      const seen = this.changes.get(name) ?? 0;
      const releases = await this.ctx.store.listReleases({ ecosystem: 'npm', name });
      const snapshot: PackageSnapshot = { ...current, releases: byVersion(releases), revision: ++this.revisions };
      // Only install it when no refresh replaced the entry meanwhile.
      if (this.entries.get(name) === entry) {
        const reloaded = { ...entry, snapshot, releasesAt: seen };
        this.costs.set(reloaded, this.costs.get(entry) ?? 0);
        this.entries.set(name, reloaded);
        this.shelve(name, reloaded);
      }
      return snapshot;
    });
  }

  private async refresh(name: string): Promise<PackageEntry> {
    const previous = this.entries.get(name);
    const docKey = documentKey(name);
    // The stored document is only read when memory has none (first use, restart, eviction).
    const stored = previous?.snapshot ? null : await this.ctx.store.getDocument(docKey);
    const validators = previous?.snapshot ? previous : stored;
    const url = packumentUrl(this.ctx.config.npmUpstream, name);
    const checkedAt = this.ctx.clock.now().getTime();
    // A package dropped from memory whose stored document upstream sent less than a TTL ago is
    // rebuilt from it: asking upstream again would only make the client wait (a tarball request
    // right after its packument, once the package was evicted meanwhile).
    if (!previous && stored && checkedAt - stored.fetchedAt.getTime() < this.ctx.config.indexTtlMs) {
      return this.install(name, await this.ingest(name, stored, stored.fetchedAt.getTime(), { recorded: true }));
    }
    const started = process.hrtime.bigint();
    let result;
    try {
      // Conditional only when a stored document is there to fall back on.
      result = await this.client.getDocument(url, { accept: upstreamAccept, etag: validators?.etag, lastModified: validators?.lastModified });
    } catch (err) {
      this.ctx.metrics.upstreamRequests.inc({ upstream: 'npm', outcome: 'error' });
      if (!isUpstreamUnavailable(err)) throw err;
      if (previous) {
        this.ctx.log(`npm:${name}: upstream unreachable, serving the packument checked at ${new Date(previous.checkedAt).toISOString()}: ${(err as Error).message}`);
        return this.install(name, { ...previous, checkedAt });
      }
      if (stored) {
        this.ctx.log(`npm:${name}: upstream unreachable, serving the packument fetched at ${stored.fetchedAt.toISOString()}: ${(err as Error).message}`);
        return this.install(name, await this.ingest(name, stored, checkedAt));
      }
      throw err;
    }
    this.ctx.metrics.upstreamDuration.observe({ upstream: 'npm' }, Number(process.hrtime.bigint() - started) / 1e9);

    if (result.status === 404 || result.status === 410) {
      this.ctx.metrics.upstreamRequests.inc({ upstream: 'npm', outcome: 'not-found' });
      const known = await this.ctx.store.listReleases({ ecosystem: 'npm', name });
      if (known.length > 0) await this.ctx.quarantine.reconcileWithdrawn('npm', name, known, new Set());
      return this.install(name, { snapshot: null, checkedAt, releasesAt: 0, etag: null, lastModified: null, fetchedAt: 0 });
    }
    // An upstream without validators answers 200 with the same bytes: that is a 304 too.
    const current = previous?.snapshot?.packument.raw ?? stored?.body;
    if (result.status === 304 || (current && current.equals(result.body))) {
      this.ctx.metrics.upstreamRequests.inc({ upstream: 'npm', outcome: 'not-modified' });
      if (previous?.snapshot) return this.install(name, { ...previous, checkedAt });
      if (!stored) throw new AirlockError('EUPSTREAM', `npm upstream answered 304 for ${name} to an unconditional request`);
      return this.install(name, await this.ingest(name, stored, checkedAt, { recorded: true }));
    }
    this.ctx.metrics.upstreamRequests.inc({ upstream: 'npm', outcome: 'ok' });
    const doc: CachedDocument = { body: result.body, etag: result.etag, lastModified: result.lastModified, fetchedAt: new Date(checkedAt) };
    let entry: PackageEntry;
    try {
      entry = await this.ingest(name, doc, checkedAt);
    } catch (err) {
      // A document Airlock cannot read changes nothing: keep serving the last good one.
      if (!previous || !isUpstreamUnavailable(err)) throw err;
      this.ctx.log(`npm:${name}: keeping the packument checked at ${new Date(previous.checkedAt).toISOString()}: ${(err as Error).message}`);
      return this.install(name, { ...previous, checkedAt });
    }
    await this.ctx.store.putDocument(docKey, doc);
    return this.install(name, entry);
  }

  private install(name: string, entry: PackageEntry): PackageEntry {
    const old = this.entries.get(name);
    if (old) this.bytes -= this.costs.get(old) ?? 0;
    this.entries.delete(name);
    this.entries.set(name, entry);
    const cost = entryCost(entry);
    this.costs.set(entry, cost);
    this.bytes += cost;
    this.shelve(name, entry);
    // Least recently refreshed first; an evicted package is read again from the store or upstream.
    while (this.entries.size > 1 && (this.entries.size > maxPackages || this.bytes > this.ctx.config.indexMemoryBytes)) {
      const first = this.entries.entries().next();
      if (first.done) break;
      const [oldest, evicted] = first.value;
      this.bytes -= this.costs.get(evicted) ?? 0;
      this.entries.delete(oldest);
    }
    return entry;
  }

  private shelve(name: string, entry: PackageEntry): void {
    if (!entry.snapshot) {
      this.shelved.delete(name);
      return;
    }
    if (this.shelved.size >= maxShelved && !this.shelved.has(name)) this.shelved.clear();
    this.shelved.set(name, { revision: entry.snapshot.revision, checkedAt: entry.checkedAt, releasesAt: entry.releasesAt, fetchedAt: entry.fetchedAt });
  }

  /**
   * Records an upstream packument: one observed release per version (published at `time[version]`),
   * its tarball as an artifact with the digests from `dist`, withdrawals of versions that are gone.
   * Reading comes first, so an unreadable document changes nothing. A document the store already
   * holds (`recorded`: read again after the package left memory, or confirmed by a 304) was
   * recorded when it arrived: its releases are only read back, and the package keeps its revision
   * when nothing changed since, so documents rendered from it stay valid.
   */
  private async ingest(name: string, doc: CachedDocument, checkedAt: number, { recorded = false } = {}): Promise<PackageEntry> {
    const packument = readPackument(name, doc.body, (message) => this.ctx.log(message));
    this.ctx.metrics.indexReads.inc({ ecosystem: 'npm', source: recorded ? 'store' : 'upstream' });
    const fetchedAt = doc.fetchedAt.getTime();
    if (recorded) {
      const releasesAt = this.changes.get(name) ?? 0;
      const releaseOf = byVersion(await this.ctx.store.listReleases({ ecosystem: 'npm', name }));
      // Every version must have its row (it does unless the store was changed underneath): else record it as new.
      if ([...packument.versions.keys()].every((v) => releaseOf.has(v))) {
        const shelf = this.shelved.get(name);
        const same = shelf && shelf.fetchedAt === fetchedAt && shelf.releasesAt === releasesAt;
        const revision = same ? shelf.revision : ++this.revisions;
        return { snapshot: { name, packument, releases: releaseOf, revision }, checkedAt, releasesAt, etag: doc.etag, lastModified: doc.lastModified, fetchedAt };
      }
    }
    const observed: ObservedRelease[] = [...packument.versions.values()].map((v) => ({
      version: v.version,
      publishedAt: v.publishedAt,
      meta: { publisher: v.publisher, hasProvenance: v.hasProvenance },
    }));
    let releasesAt = this.changes.get(name) ?? 0;
    const releases = await this.ctx.quarantine.observe('npm', name, observed);
    let releaseOf = byVersion(releases);
    // Releases waiting for analysis get their artifact now (the analyzer and reviewers need it);
    // the rest, often thousands of old versions, when first downloaded.
    for (const v of packument.versions.values()) {
      const release = releaseOf.get(v.version);
      if (release?.analysis === 'pending' && !this.artifacts.has(release.id)) await this.record(release, v);
    }
    await this.ctx.quarantine.reconcileWithdrawn('npm', name, releases, new Set(packument.versions.keys()));
    // Recording new releases is itself a change of the package (the review queue hears of it), and
    // another change may have come meanwhile: read the releases once more now, rather than have
    // the next request find the snapshot out of date (and the rendered documents with it).
    const seen = this.changes.get(name) ?? 0;
    if (seen !== releasesAt) {
      releaseOf = byVersion(await this.ctx.store.listReleases({ ecosystem: 'npm', name }));
      releasesAt = seen;
    }
    return {
      snapshot: { name, packument, releases: releaseOf, revision: ++this.revisions },
      checkedAt,
      releasesAt,
      etag: doc.etag,
      lastModified: doc.lastModified,
      fetchedAt,
    };
  }
}

/** Where the raw upstream packument of a package is kept in the store. */
export function documentKey(name: string): string {
  return `npm:packument:${name}`;
}

/**
 * `<upstream>/<name>`, scoped names as `@scope%2fname` (what every registry accepts). Names are
 * validated before they get here; resolving is checked all the same, as for every upstream URL
 * built from a request path, so the packument fetch can only ever reach `/<name>`.
 */
export function packumentUrl(upstream: URL, name: string): URL {
  const url = resolveUpstreamUrl(upstream, `/${name.replace('/', '%2f')}`, '');
  if (!url) throw new AirlockError('EBADNAME', `"${printable(name)}" does not resolve to a packument path upstream`);
  return url;
}

function newestFirst(releases: Release[]): Release[] {
  return [...releases].sort((a, b) => (b.publishedAt ?? b.firstSeenAt).getTime() - (a.publishedAt ?? a.firstSeenAt).getTime());
}

function byVersion(releases: Release[]): Map<string, Release> {
  return new Map(releases.map((r) => [r.version, r]));
}
