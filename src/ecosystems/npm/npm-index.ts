import type { AppContext } from '../../app-context.js';
import { AirlockError } from '../../errors.js';
import { analysisPendingError } from '../../quarantine/analysis-pending-error.js';
import type { Release } from '../../domain/release.js';
import type { Artifact, CachedDocument, ObservedArtifact, ObservedRelease, RecordSeenHint } from '../../store/release-store.js';
import { resolveUpstreamUrl } from '../../http/resolve-upstream-url.js';
import type { UpstreamClient } from '../../upstream/upstream-client.js';
import { UpstreamIndex } from '../../upstream/upstream-index.js';
import { waitsOnAnalysisOnly } from './held-error.js';
import { upstreamAccept } from './npm-wire.js';
import { printable } from './package-name.js';
import { readPackument, type UpstreamPackument, type UpstreamVersion } from './read-packument.js';
import { upstreamTarballUrl } from './tarball-url.js';

/**
 * Packages kept in memory; beyond this, or past `indexMemoryBytes` by `snapshotCost` (counting only the
 * raw bytes let 2,000 packages of 200 versions take over 1 GB: the parsed index and the releases of
 * a version cost several times its bytes), the least recently refreshed are dropped.
 */
const maxPackages = 5000;
/**
 * Heap bytes one version of a parsed packument costs beyond the raw document (its UpstreamVersion:
 * byte ranges, file name, its `time` member, its entries in the version maps), and one stored
 * release (a Release read from the store, as every reload after a quarantine change reads them;
 * those recorded at first sight share their strings and dates and cost about 360). Measured with
 * `process.memoryUsage().heapUsed` after GC over 60,000 synthetic and 24,000 real versions
 * (614–672 and 565–590 bytes) and rounded up, so the memory bound is what is really held.
 */
const versionCost = 700;
const releaseCost = 600;
/** Artifact rows kept in memory. */
const maxArtifacts = 100_000;

/** What Airlock knows of one package: upstream's current packument and the stored releases of its versions. */
export interface PackageSnapshot {
  name: string;
  packument: UpstreamPackument;
  /** Stored releases by version. */
  releases: Map<string, Release>;
  /** Changes whenever the packument or the releases change: rendered documents are cached per revision. */
  revision: number;
}

/** What a package costs in memory: its raw document plus what each version and release adds. */
function snapshotCost(s: PackageSnapshot): number {
  return s.packument.raw.length + s.packument.versions.size * versionCost + s.releases.size * releaseCost;
}

/**
 * The npm packages Airlock serves, through the shared upstream index (kept in memory within
 * `indexMemoryBytes`, refreshed at most once per `indexTtlMs` in the background while the last
 * packument is served, conditionally; the last packument served when upstream is down or sends one
 * that cannot be read; a package dropped from memory keeps its revision, so its rendered documents
 * are served without reading it again). What is npm's own: reading a packument into releases
 * (published at `time[version]`), recording tarballs of releases awaiting analysis at once and the
 * rest on first download, and waiting for analyses on first sight.
 */
export class NpmIndex {
  private readonly index: UpstreamIndex<PackageSnapshot>;
  /** Release id → its tarball artifact, for releases recorded by this process. */
  private readonly artifacts = new Map<number, Artifact>();
  /** Tarballs read ahead (see prefetchArtifact), written when this turn of the event loop ends. */
  private prefetching: { release: Release; upstream: UpstreamVersion }[] = [];

  constructor(
    private readonly ctx: AppContext,
    client: UpstreamClient,
  ) {
    this.index = new UpstreamIndex<PackageSnapshot>(
      {
        ecosystem: 'npm',
        noun: 'packument',
        documentKey,
        documentUrl: (name) => packumentUrl(ctx.config.npmUpstream, name),
        accept: upstreamAccept,
        ingest: (name, doc, revision, origin, hint) => this.ingest(name, doc, revision, origin, hint),
        readBack: (name, doc, revision) => this.readBack(name, doc, revision),
        reload: async (snapshot, revision) => ({
          ...snapshot,
          releases: byVersion(await ctx.store.listReleases({ ecosystem: 'npm', name: snapshot.name })),
          revision,
        }),
        gone: async (name) => {
          const known = await ctx.store.listReleases({ ecosystem: 'npm', name });
          if (known.length > 0) await ctx.quarantine.reconcileWithdrawn('npm', name, known, new Set());
        },
        raw: (snapshot) => snapshot.packument.raw,
        cost: snapshotCost,
      },
      {
        store: ctx.store,
        clock: ctx.clock,
        client,
        metrics: ctx.metrics,
        log: ctx.log,
        ttlMs: ctx.config.indexTtlMs,
        maxBytes: ctx.config.indexMemoryBytes,
        maxEntries: maxPackages,
        onBytes: (bytes) => ctx.metrics.indexBytes.set({ upstream: 'npm' }, bytes),
      },
    );
  }

  /** Called on every quarantine change of a package: its releases are read again on next use (see `UpstreamIndex.changed`). */
  changed(name: string, origin?: object): void {
    this.index.changed(name, origin);
  }

  /**
   * The package (before filtering), or null when upstream has no such package. Names the policy
   * marks internal are never looked up upstream (dependency-confusion guard).
   */
  async package(name: string): Promise<PackageSnapshot | null> {
    this.ctx.quarantine.refuseInternal('npm', name);
    return this.index.get(name);
  }

  /** Whether the package is in memory now (its packument parsed). */
  inMemory(name: string): boolean {
    return this.index.inMemory(name);
  }

  /** Whether this process has read the package, or is reading it now. */
  seen(name: string): boolean {
    return this.index.seen(name);
  }

  /**
   * The revision of the package as last read, when it is still current: upstream was asked within
   * a TTL, and no quarantine change happened since. Null otherwise (the caller reads the package).
   * Costs a map lookup whether or not the package is still in memory, so documents rendered for
   * that revision can be served without the package.
   */
  currentRevision(name: string): number | null {
    this.ctx.quarantine.refuseInternal('npm', name);
    return this.index.currentRevision(name);
  }

  /** The revision of the package as last read, even past its TTL (see `UpstreamIndex.lastRevision`). */
  lastRevision(name: string): number | null {
    this.ctx.quarantine.refuseInternal('npm', name);
    return this.index.lastRevision(name);
  }

  /**
   * For a package dropped from memory past its TTL: its revision once upstream answers that its
   * packument is unchanged, without reading the packument back (see `UpstreamIndex.revalidate`).
   */
  revalidate(name: string): Promise<number | null> {
    this.ctx.quarantine.refuseInternal('npm', name);
    return this.index.revalidate(name);
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

  /**
   * Records the tarball artifact of a release a client will likely download next (the lookahead's
   * guess), unless this process has it already. Those asked for in one turn of the event loop are
   * written together, one transaction (one statement on PostgreSQL): a cold install's lookahead
   * asks once per packument served, and a write each was a commit, or a round trip, per packument.
   */
  prefetchArtifact(release: Release, upstream: UpstreamVersion): void {
    if (this.artifacts.has(release.id)) return;
    if (this.prefetching.push({ release, upstream }) === 1) setImmediate(() => void this.recordPrefetched());
  }

  private async recordPrefetched(): Promise<void> {
    const batch = new Map(this.prefetching.map((p) => [p.release.id, p]));
    this.prefetching = [];
    try {
      // As artifactOf: a tarball already recorded (by another replica too, from its own upstream
      // URL) is kept as it is, and only the missing ones are written, in the same statement.
      const entries: { releaseId: number; artifacts: ObservedArtifact[] }[] = [];
      for (const { release, upstream } of batch.values())
        if (!this.artifacts.has(release.id)) entries.push({ releaseId: release.id, artifacts: [this.tarballOf(release, upstream)] });
      // Not remembered here: a download reads the row once (artifactOf).
      if (entries.length > 0) await this.ctx.store.recordManyArtifacts(entries, this.ctx.clock.now(), { onlyFirst: true });
    } catch (err) {
      this.ctx.log(`npm: tarballs read ahead not recorded (recorded on download instead): ${(err as Error).message}`);
    }
  }

  private tarballOf(release: Release, v: UpstreamVersion): ObservedArtifact {
    const url = upstreamTarballUrl(this.ctx.config.npmUpstream, release.name, v.version, v.listedTarball);
    return { filename: v.filename, url: url.href, digests: v.digests, size: null, publishedAt: null };
  }

  private remember(releaseId: number, artifact: Artifact): void {
    // Only a cache of the store's rows: start over rather than grow without bound.
    if (this.artifacts.size >= maxArtifacts) this.artifacts.clear();
    this.artifacts.set(releaseId, artifact);
  }

  private async record(release: Release, v: UpstreamVersion): Promise<Artifact | null> {
    const [artifact] = await this.ctx.store.recordArtifacts(release.id, [this.tarballOf(release, v)], this.ctx.clock.now());
    if (artifact) this.remember(release.id, artifact);
    return artifact ?? null;
  }

  /**
   * A packument the store holds, recorded when it arrived: its releases are only read back. Null
   * when a version has no release row (the store was changed underneath): then it is recorded as new.
   */
  private async readBack(name: string, doc: CachedDocument, revision: number): Promise<PackageSnapshot | null> {
    const packument = readPackument(name, doc.body, (message) => this.ctx.log(message));
    const releaseOf = byVersion(await this.ctx.store.listReleases({ ecosystem: 'npm', name }));
    if (![...packument.versions.keys()].every((v) => releaseOf.has(v))) return null;
    return { name, packument, releases: releaseOf, revision };
  }

  /**
   * Records an upstream packument: one observed release per version (published at `time[version]`),
   * its tarball as an artifact with the digests from `dist`, withdrawals of versions that are gone.
   * Reading comes first, so an unreadable document changes nothing.
   */
  private async ingest(name: string, doc: CachedDocument, revision: number, origin?: object, hint?: RecordSeenHint): Promise<PackageSnapshot> {
    const packument = readPackument(name, doc.body, (message) => this.ctx.log(message));
    // One meta object per distinct publisher and provenance, shared by the versions that have it
    // (most of a package's): the store writes each distinct one once, not once per version.
    type Meta = { publisher: string | null; hasProvenance: boolean };
    const metas = new Map<string | null, { true?: Meta; false?: Meta }>();
    const metaOf = (publisher: string | null, hasProvenance: boolean): Meta => {
      let byProvenance = metas.get(publisher);
      if (!byProvenance) metas.set(publisher, (byProvenance = {}));
      return (byProvenance[`${hasProvenance}`] ??= { publisher, hasProvenance });
    };
    const observed: ObservedRelease[] = [...packument.versions.values()].map((v) => ({
      version: v.version,
      publishedAt: v.publishedAt,
      meta: metaOf(v.publisher, v.hasProvenance),
    }));
    const releases = await this.ctx.quarantine.observe('npm', name, observed, origin, hint);
    const releaseOf = byVersion(releases);
    // Releases waiting for analysis get their artifact now (the analyzer and reviewers need it);
    // the rest, often thousands of old versions, when first downloaded.
    for (const v of packument.versions.values()) {
      const release = releaseOf.get(v.version);
      if (release?.analysis === 'pending' && !this.artifacts.has(release.id)) await this.record(release, v);
    }
    await this.ctx.quarantine.reconcileWithdrawn('npm', name, releases, new Set(packument.versions.keys()), origin);
    return { name, packument, releases: releaseOf, revision };
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
