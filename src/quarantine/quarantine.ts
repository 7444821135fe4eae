import { mustExist } from '../must-exist.js';
import type { Clock } from '../clock.js';
import { formatDuration } from '../duration.js';
import type { Logger } from '../log/create-logger.js';
import { AirlockError } from '../errors.js';
import { effectivePolicy, releasePatternsFor } from '../policy/effective-policy.js';
import type { EffectivePolicy, Policy } from '../policy/policy.js';
import { formatReleaseId } from '../domain/release-id.js';
import type { Ecosystem } from '../domain/ecosystem.js';
import type { Artifact, InitialState, NewAuditEntry, ObservedRelease, RecordSeenHint, ReleaseStore, StateTransition } from '../store/release-store.js';
import { artifactDigest } from './artifact-digest.js';
import type { Decision } from '../domain/decision.js';
import type { Release, ReleaseFacts } from '../domain/release.js';
import { releaseStatus, type ReleaseStatus } from './release-status.js';

/** Called for every release whose analysis should run; the analysis runner implements it. */
export interface AnalysisScheduler {
  /** Queues the release; `urgent` puts it ahead of background work (a client is waiting). */
  schedule(release: Release, urgent?: boolean): void;
  /** Resolves when the release's analysis finished, or after `timeoutMs`, whichever comes first. */
  waitFor(release: Release, timeoutMs: number): Promise<void>;
  /** Queues the own analysis of a file added to a known release (`artifact.analysis` pending). */
  scheduleFile(artifact: Artifact, urgent?: boolean): void;
  /** Resolves when the file's own analysis finished, or after `timeoutMs`. */
  waitForFile(artifact: Artifact, timeoutMs: number): Promise<void>;
}

export interface QuarantineDeps {
  store: ReleaseStore;
  clock: Clock;
  /** The current policy; a function so a reloaded policy takes effect without a restart. */
  policy: () => Policy;
  analysis?: AnalysisScheduler;
  /** Where decisions are logged. */
  logger?: Logger;
  /** Told after every recorded state change, e.g. to invalidate cached indexes. */
  onChange?: (ecosystem: Ecosystem, name: string) => void;
}

/**
 * What a change to a package was: `recorded`, new releases recorded with their first states (and
 * their next changes told to the store's listeners); `state`, anything else (a decision, an
 * analysis result, a withdrawal, a change another replica made).
 */
export type ChangeKind = 'recorded' | 'state';
export type ChangeListener = (ecosystem: Ecosystem, name: string, origin: object | undefined, what: ChangeKind) => void;

/**
 * Records what upstream shows, and answers what clients may see. Ecosystems call `observe` with
 * each fresh upstream document and `status` for every release they would serve.
 */
export class Quarantine {
  private analysis: AnalysisScheduler | undefined;
  private readonly listeners: ChangeListener[] = [];
  /**
   * Each package's effective policy, for the policy object it was resolved from: a reload makes a
   * new object and so a new cache. `perRelease` marks packages a release pattern names, whose
   * releases are resolved one by one.
   */
  private policies: { policy: Policy | null; byPackage: Map<string, { policy: EffectivePolicy; perRelease: boolean }> } = {
    policy: null,
    byPackage: new Map(),
  };

  constructor(private readonly deps: QuarantineDeps) {
    this.analysis = deps.analysis;
    if (deps.onChange) this.listeners.push(deps.onChange);
  }

  get store(): ReleaseStore {
    return this.deps.store;
  }

  get clock(): Clock {
    return this.deps.clock;
  }

  /** Attaches the analysis runner (it needs the quarantine itself, so it comes after construction). */
  setAnalysisScheduler(analysis: AnalysisScheduler): void {
    this.analysis = analysis;
  }

  /**
   * Registers a listener for state changes of a package (decisions, analysis results, withdrawals)
   * and for releases recorded for it. `origin` is what the caller of `observe`/`reconcileWithdrawn`
   * passed, so a cache recording a document can tell its own change from anyone else's.
   */
  onChange(listener: ChangeListener): void {
    this.listeners.push(listener);
  }

  /** Tells listeners a package's releases changed state (or, `recorded`, that new ones were recorded). */
  changed(ecosystem: Ecosystem, name: string, origin?: object, what: ChangeKind = 'state'): void {
    for (const l of this.listeners) l(ecosystem, name, origin, what);
  }

  /**
   * The effective policy of a package (or release), resolved once per package per policy object.
   * Callers must not modify the answer: it is shared.
   */
  policyFor(ecosystem: Ecosystem, name: string, version?: string): EffectivePolicy {
    const { policy, entry } = this.packageEntry(ecosystem, name);
    return version !== undefined && entry.perRelease ? effectivePolicy(policy, ecosystem, name, version) : entry.policy;
  }

  /**
   * `policyFor` of one package's releases, the package looked up once: a first sight resolves the
   * policy of each of its hundreds of releases.
   */
  private packagePolicy(ecosystem: Ecosystem, name: string): (version: string) => EffectivePolicy {
    const {
      policy,
      entry: { policy: ofPackage, perRelease },
    } = this.packageEntry(ecosystem, name);
    return perRelease ? (version) => effectivePolicy(policy, ecosystem, name, version) : () => ofPackage;
  }

  /** The current policy object and the package's effective policy under it (cached). */
  private packageEntry(ecosystem: Ecosystem, name: string): { policy: Policy; entry: { policy: EffectivePolicy; perRelease: boolean } } {
    const policy = this.deps.policy();
    if (this.policies.policy !== policy) this.policies = { policy, byPackage: new Map() };
    const key = `${ecosystem}:${name}`;
    let entry = this.policies.byPackage.get(key);
    if (!entry) {
      entry = { policy: effectivePolicy(policy, ecosystem, name), perRelease: releasePatternsFor(policy, ecosystem, name).length > 0 };
      // Only a cache: start over rather than grow without bound.
      if (this.policies.byPackage.size >= 50_000) this.policies.byPackage.clear();
      this.policies.byPackage.set(key, entry);
    }
    return { policy, entry };
  }

  /**
   * Throws `ENOTFOUND` for a name the policy marks internal, before any upstream is asked: the
   * dependency-confusion guard means such names are never looked up, let alone served. Called on
   * every index request, so matches are remembered for as long as the policy object is the same.
   */
  refuseInternal(ecosystem: Ecosystem, name: string): void {
    const key = `${ecosystem}:${name}`;
    const { internalBy } = this.policyFor(ecosystem, name);
    if (internalBy)
      throw new AirlockError(
        'ENOTFOUND',
        `${key} is an internal name (policy internal "${internalBy}"); Airlock never fetches it from upstream`,
        { subject: key },
      );
  }

  /** The state of a release now; PyPI passes a file's own times in place of the release's. */
  status(release: Parameters<typeof releaseStatus>[0], now: Date = this.deps.clock.now()): ReleaseStatus {
    return releaseStatus(release, this.policyFor(release.ecosystem, release.name, release.version), now);
  }

  /**
   * The state a release is in now and what records it: when its state can next change by time
   * alone (the end of its hold, from `releaseStatus`), or null when only a new fact (an analysis
   * result, a decision, a withdrawal) can change it.
   */
  stateOf(release: ReleaseFacts, now: Date = this.deps.clock.now()): { status: ReleaseStatus; state: Omit<InitialState, 'audit'> } {
    const status = this.status(release, now);
    const { state, holdUntil, nextChangeAt } = stateFor(status, now, null);
    return { status, state: { state, holdUntil, nextChangeAt } };
  }

  /** `stateOf` as a transition of a stored release read at `revision`. */
  transition(release: Release, revision: number, now: Date = this.deps.clock.now()): { status: ReleaseStatus; transition: Omit<StateTransition, 'audit'> } {
    const { status, state } = this.stateOf(release, now);
    return { status, transition: { releaseId: release.id, revision, ...state } };
  }

  /**
   * Records the releases an upstream document lists, with their artifacts. New releases younger than the analysis
   * horizon are queued for analysis; older ones are trusted by age. Returns every stored release
   * of the package.
   */
  async observe(ecosystem: Ecosystem, name: string, observed: ObservedRelease[], origin?: object, hint?: RecordSeenHint): Promise<Release[]> {
    const now = this.deps.clock.now();
    // Releases past the analysis horizon at first sight and released by age alone: a reviewer
    // needs one entry saying how many were trusted that way, not one per old version. By version:
    // the store may judge a release again (the last judgement counts).
    const trusted = new Map<string, { version: string; publishedAt: Date | null; horizonMs: number }>();
    const policyOf = this.packagePolicy(ecosystem, name);
    const { releases, added } = await this.deps.store.recordSeen(
      ecosystem,
      name,
      observed,
      now,
      (o) => {
        const horizon = policyOf(o.version).analysisHorizonMs;
        const age = now.getTime() - (o.publishedAt ?? now).getTime();
        return age < horizon ? 'pending' : 'skipped';
      },
      // Each new release's first state is written with the row; releases that enter quarantine,
      // analysis or review get their own `discovered` entry, those trusted by age the package's.
      (release) => {
        const policy = policyOf(release.version);
        const status = releaseStatus(release, policy, now);
        if (release.analysis === 'skipped' && status.state === 'released') {
          trusted.set(release.version, { version: release.version, publishedAt: release.publishedAt, horizonMs: policy.analysisHorizonMs });
          return stateFor(status, now, null);
        }
        trusted.delete(release.version);
        const audit = {
          at: now,
          actor: 'system',
          role: 'system',
          action: 'discovered',
          subject: formatReleaseId(release),
          reason: status.reason,
          detail: {
            state: status.state,
            publishedAt: release.publishedAt?.toISOString() ?? null,
            analysis: release.analysis,
            until: status.until?.toISOString() ?? null,
          },
        };
        return stateFor(status, now, audit);
      },
      (versions) => {
        const written = [...trusted.values()].filter((t) => versions.has(t.version));
        return written.length > 0 ? [trustedByAgeEntry(`${ecosystem}:${name}`, written, now)] : [];
      },
      hint,
    );
    // Artifacts are recorded before analysis is scheduled: the analysis reads them from the store.
    // (npm lists none at first sight: its thousands of old tarballs are recorded when first fetched.)
    const byVersion = observed.some((o) => o.artifacts?.length) ? new Map(releases.map((r) => [r.version, r])) : null;
    const withArtifacts = byVersion
      ? observed.flatMap((o) => {
          const release = byVersion.get(o.version);
          return release && o.artifacts?.length ? [{ release, artifacts: o.artifacts }] : [];
        })
      : [];
    if (withArtifacts.length > 0)
      await this.deps.store.recordManyArtifacts(
        withArtifacts.map((o) => ({ releaseId: o.release.id, artifacts: o.artifacts })),
        now,
      );
    for (const release of added) if (release.analysis === 'pending') this.analysis?.schedule(release);
    // Files upstream added to releases already known: each is analyzed on its own.
    const addedIds = new Set(added.map((r) => r.id));
    const known = withArtifacts.map((o) => o.release.id).filter((id) => !addedIds.has(id));
    const pendingFiles = known.length > 0 ? await this.deps.store.listArtifactsPendingAnalysis(known) : [];
    // Recorded by this call (first seen now): said once in the release's history.
    const arrived = pendingFiles.filter((a) => a.firstSeenAt.getTime() === now.getTime());
    const subjectOf = arrived.length > 0 ? new Map(releases.map((r) => [r.id, formatReleaseId(r)])) : new Map<number, string>();
    if (arrived.length > 0)
      await this.deps.store.appendAuditEntries(
        arrived.map((a) => ({
          at: now,
          actor: 'system',
          role: 'system',
          action: 'file-added',
          subject: subjectOf.get(a.releaseId) ?? `release #${a.releaseId}`,
          reason: `${a.filename} was added upstream to a release Airlock already had; it is held on its own clock and analyzed against the files before it`,
          detail: { file: a.filename, publishedAt: a.publishedAt?.toISOString() ?? null },
        })),
      );
    for (const artifact of pendingFiles) this.analysis?.scheduleFile(artifact);
    if (added.length > 0) this.changed(ecosystem, name, origin, 'recorded');
    return releases;
  }

  /** Waits (bounded) for a pending analysis a client is waiting on, moving it to the front of the queue. */
  async awaitAnalysis(release: Release, timeoutMs: number): Promise<Release> {
    if (release.analysis !== 'pending' || !this.analysis) return release;
    this.analysis.schedule(release, true);
    await this.analysis.waitFor(release, timeoutMs);
    return (await this.deps.store.getReleaseById(release.id)) ?? release;
  }

  /** Waits (bounded) for the own analysis of a file added to a known release, moving it to the front of the queue. */
  async awaitFileAnalysis(artifact: Artifact, timeoutMs: number): Promise<Artifact> {
    if (artifact.analysis !== 'pending' || !this.analysis) return artifact;
    this.analysis.scheduleFile(artifact, true);
    await this.analysis.waitForFile(artifact, timeoutMs);
    return (await this.deps.store.listArtifacts(artifact.releaseId)).find((a) => a.id === artifact.id) ?? artifact;
  }

  /**
   * Waits (bounded, one deadline for all) for the pending analyses of releases a client would be
   * shown once they finish, putting them ahead of background work, newest first. Returns the
   * releases as stored afterwards; those still `pending` ran past `timeoutMs`.
   */
  async awaitAnalyses(releases: Release[], timeoutMs: number): Promise<Release[]> {
    const pending = releases.filter((r) => r.analysis === 'pending');
    const analysis = this.analysis;
    if (pending.length === 0 || !analysis) return releases;
    const newestFirst = [...pending].sort((a, b) => clockOf(b) - clockOf(a));
    for (const release of newestFirst) analysis.schedule(release, true);
    await Promise.all(newestFirst.map((release) => analysis.waitFor(release, timeoutMs)));
    return Promise.all(releases.map(async (r) => (r.analysis === 'pending' ? ((await this.deps.store.getReleaseById(r.id)) ?? r) : r)));
  }

  /**
   * Records a reviewer's decision and its audit entry. The decision is bound to the artifacts
   * stored now: an approval covers exactly these files, not one upstream adds later.
   */
  async decide(release: Release, decision: Decision): Promise<Release> {
    const subject = formatReleaseId(release);
    const artifacts = await this.deps.store.listArtifacts(release.id);
    decision = { ...decision, digests: decision.digests ?? artifacts.map(artifactDigest) };
    // Only if nobody decided since `release` was read (another reviewer, on any replica).
    const won = await this.deps.store.decideIf(release.id, release.decision, decision, {
      at: decision.decidedAt,
      actor: decision.actor,
      role: decision.role,
      action: decision.action,
      subject,
      reason: decision.reason,
      detail: { files: artifacts.map((a) => a.filename) },
    });
    if (!won) {
      const now = (await this.deps.store.getReleaseById(release.id)) ?? release;
      const by = now.decision ? `: ${now.decision.actor} decided ${now.decision.action} at ${now.decision.decidedAt.toISOString()}` : '';
      throw new AirlockError('ECONFLICT', `${subject} was decided meanwhile${by}; reload and decide again`, { subject });
    }
    this.deps.logger?.info(
      { event: 'decision', release: formatReleaseId(release), action: decision.action, actor: decision.actor, role: decision.role, reason: decision.reason },
      `${decision.actor} (${decision.role}) decided ${decision.action} on ${formatReleaseId(release)}: ${decision.reason}`,
    );
    this.changed(release.ecosystem, release.name);
    return mustExist(await this.deps.store.getReleaseById(release.id), `release #${release.id} just decided`);
  }

  /** Marks releases upstream no longer lists as withdrawn (and clears it for ones that came back). */
  async reconcileWithdrawn(ecosystem: Ecosystem, name: string, releases: Release[], listed: Set<string>, origin?: object): Promise<void> {
    const now = this.deps.clock.now();
    let changed = false;
    for (const release of releases) {
      const present = listed.has(release.version);
      if (!present && !release.withdrawnAt) {
        await this.deps.store.setWithdrawn(release.id, now);
        await this.deps.store.appendAudit({
          at: now,
          actor: 'system',
          role: 'system',
          action: 'withdrawn',
          subject: formatReleaseId(release),
          reason: 'no longer listed upstream',
          detail: {},
        });
        release.withdrawnAt = now;
        changed = true;
      } else if (present && release.withdrawnAt) {
        await this.deps.store.setWithdrawn(release.id, null);
        release.withdrawnAt = null;
        changed = true;
      }
    }
    if (changed) this.changed(ecosystem, name, origin);
  }
}

/**
 * The one audit entry for the releases of a package that one observation trusted by age: their
 * count, the horizon they were older than, and every version (the release page finds its own).
 */
function trustedByAgeEntry(
  subject: string,
  trusted: { version: string; publishedAt: Date | null; horizonMs: number }[],
  now: Date,
): NewAuditEntry {
  const ordered = [...trusted].sort((a, b) => (a.publishedAt?.getTime() ?? 0) - (b.publishedAt?.getTime() ?? 0));
  const versions = ordered.map((t) => t.version);
  const horizons = [...new Set(ordered.map((t) => t.horizonMs))];
  const oneHorizon = horizons.length === 1 ? (horizons[0] ?? null) : null;
  const horizon = oneHorizon === null ? 'their analysis horizon' : `the ${formatDuration(oneHorizon)} analysis horizon`;
  const first = versions[0] ?? '';
  const last = versions[versions.length - 1] ?? '';
  const span = versions.length === 1 ? first : `${first} … ${last}`;
  const count = versions.length === 1 ? '1 release' : `${versions.length} releases`;
  return {
    at: now,
    actor: 'system',
    role: 'system',
    action: 'trusted-by-age',
    subject,
    reason: `${count} older than ${horizon} at first sight ${versions.length === 1 ? 'was' : 'were'} trusted by age without analysis (${span})`,
    detail: {
      count: versions.length,
      versions,
      analysisHorizonMs: oneHorizon,
      oldestPublishedAt: ordered[0]?.publishedAt?.toISOString() ?? null,
      newestPublishedAt: ordered[ordered.length - 1]?.publishedAt?.toISOString() ?? null,
    },
  };
}

function clockOf(release: Release): number {
  return (release.publishedAt ?? release.firstSeenAt).getTime();
}

/**
 * The state a release in `status` is recorded in: when it can next change by time alone (the end
 * of its hold), or null when only a new fact can change it.
 */
function stateFor(status: ReleaseStatus, now: Date, audit: NewAuditEntry | null): InitialState {
  const nextChangeAt = status.until && status.until > now ? status.until : null;
  return { state: status.state, holdUntil: status.until, nextChangeAt, audit };
}
