import PQueue from 'p-queue';
import semver from 'semver';
import type { AppContext } from '../../app-context.js';
import { waitsOnAnalysisOnly } from './held-error.js';
import type { NpmIndex, PackageSnapshot } from './npm-index.js';
import { isValidPackageName } from './package-name.js';
import { visibleVersions } from './visible-versions.js';

export interface DependencyLookaheadOptions {
  /** Levels of dependencies read ahead of a packument a client read; 0 turns the lookahead off. */
  depth: number;
  /** Packuments read ahead at once (each read blocks this thread while it is recorded). @default 2 */
  concurrency?: number;
}

/** Packages waiting to be read ahead; past this the lookahead drops new ones (the client asks in time anyway). */
const maxQueued = 2000;
/** Names and versions remembered; past this the memory starts over (it only saves repeated work). */
const maxRemembered = 50_000;
/** Dependencies of one version followed; a version listing more is hostile or generated. */
const maxDependencies = 300;

/**
 * The dependency members followed: what npm installs for a (non-root) package. Optional ones are
 * left out: most are platform builds (`@swc/core-linux-x64-gnu` and a dozen siblings) npm skips.
 */
const dependencyMembers = ['dependencies', 'peerDependencies'] as const;

/**
 * Reads ahead of npm on first sight. npm resolves a tree one packument at a time, so on a fresh
 * Airlock every first-sight wait (the packument's releases still being analyzed, most of it
 * downloading their tarballs from upstream) adds up along the whole install. When a client reads
 * a packument, this predicts the version npm will pick (the `latest` tag when it satisfies the
 * range, else the highest match, as npm-pick-manifest does; for a package no read-ahead range is
 * known of, `latest`), and reads the packuments of that version's dependencies in the background,
 * `depth` levels down, following each dependency's range. Reading one records its releases and
 * queues their analyses as background work, so by the time npm asks for it the analyses have run
 * or are running, and its wait is short.
 *
 * Only packages this process has never read are read ahead: a warm Airlock does nothing here. It
 * goes through the same index as a client request, so internal names are never looked up
 * upstream, and a prediction that misses only costs a packument read and its analyses.
 */
export class DependencyLookahead {
  private readonly queue: PQueue;
  /** Ranges read-ahead dependents asked of each package. */
  private readonly ranges = new Map<string, Set<string>>();
  /** `name@version` seen, with how many levels of its dependencies were followed. */
  private readonly followed = new Map<string, number>();
  /** Packages queued or read ahead by this process. */
  private readonly scheduled = new Set<string>();

  constructor(
    private readonly ctx: AppContext,
    private readonly index: NpmIndex,
    private readonly options: DependencyLookaheadOptions,
  ) {
    this.queue = new PQueue({ concurrency: options.concurrency ?? 2 });
  }

  /** A client read the package (after its first-sight wait): follow the dependencies of the versions it will likely pick. */
  served(snapshot: PackageSnapshot, visible: ReadonlySet<string>): void {
    if (this.options.depth <= 0) return;
    this.follow(snapshot, visible, this.options.depth);
  }

  /** Settles once nothing is queued or being read ahead (for tests and shutdown). */
  async idle(): Promise<void> {
    await this.queue.onIdle();
  }

  /** Drops what is queued; reads in progress finish on their own. */
  close(): void {
    this.queue.clear();
  }

  /**
   * Records the tarball of each version npm will likely pick (releases trusted by age otherwise
   * get theirs on first download), so its tarball request is served from the store even after the
   * packument left memory, without reading the whole packument again; with `depth` left, follows
   * those versions' dependencies.
   */
  private follow(snapshot: PackageSnapshot, candidates: ReadonlySet<string>, depth: number): void {
    for (const version of this.predicted(snapshot, candidates)) {
      const key = `${snapshot.name}@${version}`;
      const before = this.followed.get(key);
      if (before !== undefined && before >= depth) continue;
      if (this.followed.size >= maxRemembered) this.followed.clear();
      this.followed.set(key, depth);
      const release = snapshot.releases.get(version);
      const upstream = snapshot.packument.versions.get(version);
      if (before === undefined && release && upstream) this.index.prefetchArtifact(release, upstream);
      if (depth <= 0) continue;
      for (const [name, range] of dependenciesOf(snapshot, version)) {
        this.expect(name, range);
        this.readAhead(name, depth - 1);
      }
    }
  }

  /** The versions npm is likely to pick: one per range dependents asked, or `latest` when none did. */
  private predicted(snapshot: PackageSnapshot, candidates: ReadonlySet<string>): Set<string> {
    const versions = [...candidates];
    const latest = snapshot.packument.distTags.latest;
    const picked = new Set<string>();
    const pick = (range: string | null) => {
      if (latest && candidates.has(latest) && (range === null || semver.satisfies(latest, range))) return latest;
      return semver.maxSatisfying(versions, range ?? '*');
    };
    const asked = this.ranges.get(snapshot.name);
    for (const range of asked ?? [null]) {
      const version = pick(range);
      if (version) picked.add(version);
    }
    return picked;
  }

  private expect(name: string, range: string): void {
    let asked = this.ranges.get(name);
    if (!asked) {
      if (this.ranges.size >= maxRemembered) this.ranges.clear();
      this.ranges.set(name, (asked = new Set()));
    }
    asked.add(range);
  }

  private readAhead(name: string, depth: number): void {
    if (this.scheduled.has(name) || this.index.seen(name)) return;
    if (this.queue.size >= maxQueued) return;
    remember(this.scheduled, name);
    void this.queue.add(async () => {
      try {
        const snapshot = await this.index.package(name);
        if (snapshot) this.follow(snapshot, this.candidates(snapshot), depth);
      } catch {
        // Only a prediction: an internal name, a package upstream lacks or a failed read is the
        // client's to meet (and to be told of) when it asks, if it ever does.
      }
    });
  }

  /** Versions a client could be shown once their analyses finish: visible now, or held only by a pending analysis. */
  private candidates(snapshot: PackageSnapshot): Set<string> {
    const now = this.ctx.clock.now();
    const { visible, held } = visibleVersions(this.ctx.quarantine, snapshot, now);
    const out = new Set(visible);
    for (const { version, status } of held) {
      const release = snapshot.releases.get(version);
      if (release && waitsOnAnalysisOnly(release, status, now)) out.add(version);
    }
    return out;
  }
}

/** The registry dependencies of one version (name → range), read from its bytes in the packument; aliases resolved. */
export function dependenciesOf(snapshot: PackageSnapshot, version: string): Map<string, string> {
  const out = new Map<string, string>();
  const upstream = snapshot.packument.versions.get(version);
  if (!upstream) return out;
  let manifest: unknown;
  try {
    manifest = JSON.parse(snapshot.packument.raw.toString('utf8', upstream.valueStart, upstream.valueEnd));
  } catch {
    return out;
  }
  if (!isObject(manifest)) return out;
  const optionalPeer = isObject(manifest.peerDependenciesMeta) ? manifest.peerDependenciesMeta : {};
  for (const member of dependencyMembers) {
    const deps = manifest[member];
    if (!isObject(deps)) continue;
    for (const [name, spec] of Object.entries(deps)) {
      if (out.size >= maxDependencies) return out;
      if (typeof spec !== 'string') continue;
      // npm installs a peer unless it is marked optional.
      if (member === 'peerDependencies' && isObject(optionalPeer[name]) && optionalPeer[name].optional === true) continue;
      const target = registryTarget(name, spec);
      if (target) out.set(target.name, target.range);
    }
  }
  return out;
}

/** `name` at `spec` as a registry package and a semver range; null for git, file, URL, tag and workspace specs. */
function registryTarget(name: string, spec: string): { name: string; range: string } | null {
  let target = name;
  let range = spec.trim();
  const alias = /^npm:((?:@[^/@]+\/)?[^@]+)(?:@(.*))?$/.exec(range);
  if (alias?.[1]) {
    target = alias[1];
    range = alias[2] ?? '*';
  }
  if (!isValidPackageName(target)) return null;
  const valid = semver.validRange(range === '' || range === 'latest' ? '*' : range);
  return valid === null ? null : { name: target, range: valid };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function remember(set: Set<string>, value: string): void {
  if (set.size >= maxRemembered) set.clear();
  set.add(value);
}
