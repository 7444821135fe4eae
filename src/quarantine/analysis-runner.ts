import PQueue from 'p-queue';
import semver from 'semver';
import type { AnalysisInput, AnalysisResult, DependencyStatus } from '../analyzer/index.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { errorStack, isAirlockError } from '../errors.js';
import type { Severity } from '../domain/severity.js';
import { formatReleaseId } from '../domain/release-id.js';
import type { Ecosystem } from '../domain/ecosystem.js';
import type { Logger } from '../log/create-logger.js';
import type { Metrics } from '../metrics.js';
import type { JobQueue } from '../store/job-queue.js';
import type { Artifact, ReleaseStore } from '../store/release-store.js';
import { artifactDigest } from './artifact-digest.js';
import { AnalysisJobs, type AnalysisJobOutcome, type AnalysisTarget } from './analysis-jobs.js';
import { AnalysisPool, type AnalyzeOptions } from './analysis-pool.js';
import { AnalysisTiming } from './analysis-timing.js';
import type { ArtifactProvider, ReleaseArtifact } from './artifact-provider.js';
import type { AnalysisScheduler, Quarantine } from './quarantine.js';
import type { Release } from '../domain/release.js';
import type { StoredFinding } from '../domain/finding.js';
import { atOrAbove } from './release-status.js';
import { VersionOrder } from './version-order.js';

/** Analyses running at once per analysis worker (see the constructor). */
const analysesPerWorker = 4;

/** Releases `baselineFor` reads one by one before it reads the package's releases at once. */
const pointReads = 8;

export interface AnalysisRunnerOptions {
  /** The analyzer; the real one in worker threads unless a benchmark wants to time something else. */
  analyze?: (input: AnalysisInput, options?: AnalyzeOptions) => Promise<AnalysisResult>;
  /** How long to wait before retrying when upstream was unreachable. @default 60s */
  retryDelayMs?: number;
  /**
   * How many times an analysis whose artifacts upstream would not give is tried before it
   * becomes an `analysis-error` finding a reviewer sees (rather than pending, unseen, forever).
   * @default 5
   */
  maxFetchAttempts?: number;
  /** How long a claimed analysis job is held without renewal (with `ctx.jobs`). @default 60s */
  leaseMs?: number;
  /** Queued analyses (of this process or another) are first looked for once this settles: a new process's first sweep goes first. */
  startAfter?: Promise<unknown>;
}

/**
 * What the runner uses of the app's context (`AppContext` has all of it), named here because the
 * app's context is built on top of quarantine and so quarantine does not import it.
 */
export interface AnalysisRunnerContext {
  config: Config;
  store: ReleaseStore;
  clock: Clock;
  quarantine: Quarantine;
  metrics: Metrics;
  log: (message: string) => void;
  logger: Logger;
  jobs?: JobQueue;
}

/**
 * Runs release analyses on a bounded queue: picks the baseline, fetches both releases' artifacts
 * through the ecosystem, runs the analyzer and records the findings. Releases a client is waiting
 * for jump the queue. Pending state lives in the store, so a restart (or another replica) picks
 * unfinished work up again with `recover()`.
 *
 * With a job queue (`ctx.jobs`, which the server always has) the queue is the database's: each
 * analysis is one job whichever replica queues it, run by the replica that claims it (see
 * `AnalysisJobs`); without one (tests of a single process) it is a queue in memory.
 */
export class AnalysisRunner implements AnalysisScheduler {
  private readonly queue: PQueue;
  private readonly queued = new Set<number>();
  private readonly waiters = new Map<number, (() => void)[]>();
  /** The same for the own analyses of files added to known releases, by artifact id. */
  private readonly filesQueued = new Set<number>();
  private readonly fileWaiters = new Map<number, (() => void)[]>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /** Failed artifact fetches per release since this process started (a restart starts over). */
  private readonly fetchFailures = new Map<number, number>();
  /** Worker threads running the analyzer (with the file-profile cache they share); null when `options.analyze` replaces it. */
  readonly pool: AnalysisPool | null;
  private readonly analyze: (input: AnalysisInput, options?: AnalyzeOptions) => Promise<AnalysisResult>;
  /** When this process first queued each release's analysis (performance.now()), for the `queued` phase. */
  private readonly scheduledAt = new Map<number, number>();
  /** Each package's versions, newest first, for choosing baselines. */
  private readonly versionOrder: VersionOrder;
  /** The analyses as jobs in the database; null without `ctx.jobs`. */
  private readonly jobs: AnalysisJobs | null;
  private closed = false;

  constructor(
    private readonly ctx: AnalysisRunnerContext,
    private readonly providers: Record<Ecosystem, ArtifactProvider>,
    private readonly options: AnalysisRunnerOptions = {},
  ) {
    // More analyses than workers: the next ones look up their baseline and download their artifacts
    // (waits on the store and upstream, not CPU) while the current ones use the CPU; the pool still
    // runs at most `analysisConcurrency` workers at once, urgent work first.
    const running = ctx.config.analysisConcurrency * (options.analyze ? 1 : analysesPerWorker);
    this.queue = new PQueue({ concurrency: running });
    if (options.analyze) {
      this.pool = null;
      this.analyze = options.analyze;
    } else {
      const pool = new AnalysisPool({ size: ctx.config.analysisConcurrency, log: ctx.log });
      this.pool = pool;
      this.analyze = pool.analyze;
    }
    this.versionOrder = new VersionOrder(ctx.store);
    this.queue.on('next', () => this.ctx.metrics.analysisQueueLength.set(this.queue.size + this.queue.pending));
    this.jobs = ctx.jobs
      ? new AnalysisJobs({
          jobs: ctx.jobs,
          concurrency: running,
          leaseMs: options.leaseMs ?? 60_000,
          startAfter: options.startAfter,
          retryDelayMs: options.retryDelayMs ?? 60_000,
          run: (target, attempts) => (target.artifactId === undefined ? this.run(target.releaseId, attempts) : this.runFile(target.releaseId, target.artifactId)),
          isFinished: (target) => this.isFinished(target),
          onRunning: (count) => this.ctx.metrics.analysisQueueLength.set(count),
          log: (message) => this.ctx.log(message),
        })
      : null;
  }

  schedule(release: Release, urgent = false): void {
    if (this.closed || release.analysis !== 'pending') return;
    if (!this.scheduledAt.has(release.id)) {
      // Only a measurement: start over rather than grow when others' analyses are never run here.
      if (this.scheduledAt.size >= 100_000) this.scheduledAt.clear();
      this.scheduledAt.set(release.id, performance.now());
    }
    if (this.jobs) {
      this.pool?.warm();
      return this.jobs.enqueue({ releaseId: release.id }, urgent);
    }
    const id = String(release.id);
    if (this.queued.has(release.id)) {
      if (urgent) {
        try {
          this.queue.setPriority(id, 10);
        } catch {
          // already running: nothing to move
        }
      }
      return;
    }
    this.queued.add(release.id);
    this.pool?.warm();
    this.ctx.metrics.analysisQueueLength.set(this.queue.size + this.queue.pending + 1);
    void this.queue
      .add(() => this.run(release.id), { id, priority: urgent ? 10 : 0 })
      .catch((err: unknown) => this.ctx.log(`analysis of ${formatReleaseId(release)} failed: ${errorStack(err)}`))
      .finally(() => this.queued.delete(release.id));
  }

  waitFor(release: Release, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const list = this.waiters.get(release.id) ?? [];
      list.push(done);
      this.waiters.set(release.id, list);
      // The analysis may run on another replica: its result is seen in the store. This replica's
      // caches hear of it from the change feed a moment later; the waiting client must not.
      const ctx = this.ctx;
      const unwatch = this.jobs?.watch({ releaseId: release.id }, () => {
        ctx.quarantine.changed(release.ecosystem, release.name);
        done();
      });
      function done() {
        clearTimeout(timer);
        unwatch?.();
        resolve();
      }
    });
  }

  scheduleFile(artifact: Artifact, urgent = false): void {
    if (this.closed || artifact.analysis !== 'pending') return;
    if (this.jobs) return this.jobs.enqueue({ releaseId: artifact.releaseId, artifactId: artifact.id }, urgent);
    const id = `file:${artifact.id}`;
    if (this.filesQueued.has(artifact.id)) {
      if (urgent) {
        try {
          this.queue.setPriority(id, 10);
        } catch {
          // already running: nothing to move
        }
      }
      return;
    }
    this.filesQueued.add(artifact.id);
    this.ctx.metrics.analysisQueueLength.set(this.queue.size + this.queue.pending + 1);
    void this.queue
      .add(() => this.runFile(artifact.releaseId, artifact.id), { id, priority: urgent ? 10 : 0 })
      .catch((err: unknown) => this.ctx.log(`analysis of ${artifact.filename} failed: ${errorStack(err)}`))
      .finally(() => this.filesQueued.delete(artifact.id));
  }

  waitForFile(artifact: Artifact, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const list = this.fileWaiters.get(artifact.id) ?? [];
      list.push(done);
      this.fileWaiters.set(artifact.id, list);
      const ctx = this.ctx;
      const unwatch = this.jobs?.watch({ releaseId: artifact.releaseId, artifactId: artifact.id }, () => {
        void ctx.store
          .getReleaseById(artifact.releaseId)
          .then((r) => r && ctx.quarantine.changed(r.ecosystem, r.name))
          .catch(() => {})
          .finally(done);
      });
      function done() {
        clearTimeout(timer);
        unwatch?.();
        resolve();
      }
    });
  }

  /**
   * Queues every release the store still has as pending (after a restart). With the job queue,
   * queueing is idempotent by key: an analysis another replica already queued or runs stays the
   * one job, and this pass only adds those nobody queued (a process that died before queueing).
   */
  async recover(): Promise<void> {
    for (const release of await this.ctx.store.listReleases({ analysis: 'pending' })) this.schedule(release);
    for (const artifact of await this.ctx.store.listArtifactsPendingAnalysis()) this.scheduleFile(artifact);
  }

  /** Resolves when the queue is empty and nothing runs (tests and shutdown). */
  async idle(): Promise<void> {
    await this.jobs?.idle();
    await this.queue.onIdle();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.retryTimers) clearTimeout(t);
    this.queue.clear();
    await this.jobs?.close();
    await this.queue.onIdle();
    await this.pool?.close();
  }

  /** `jobAttempts`: with the job queue, the claims of the job so far (the fetch-attempt count across replicas and restarts). */
  private async run(releaseId: number, jobAttempts?: number): Promise<AnalysisJobOutcome> {
    const release = await this.ctx.store.getReleaseById(releaseId);
    if (!release || release.analysis !== 'pending') return this.finished(releaseId);
    const provider = this.providers[release.ecosystem];
    const started = process.hrtime.bigint();
    const timing = new AnalysisTiming();
    const queuedAt = this.scheduledAt.get(releaseId);
    if (queuedAt !== undefined) timing.add('queued', performance.now() - queuedAt);
    const baseline = await timing.time('baseline', () => this.baselineFor(release, provider));
    const policy = this.ctx.quarantine.policyFor(release.ecosystem, release.name, release.version);

    let findings: StoredFinding[];
    try {
      // Both downloads at once: on a first install they are most of an analysis's time.
      const [candidate, previous] = await Promise.all([
        timing.time('candidate', () => provider.artifactsOf(release)),
        baseline ? timing.time('previous', () => this.baselineArtifacts(baseline, provider)) : undefined,
      ]);
      const result = await this.analyze(
        {
          ecosystem: release.ecosystem,
          candidate,
          previous: previous ?? undefined,
          candidateMeta: metaOf(release),
          previousMeta: baseline ? metaOf(baseline) : undefined,
          reviewThreshold: policy.reviewThreshold,
          dependencyStatus: (name, spec) => this.dependencyStatus(release.ecosystem, name, spec, provider),
        },
        // A client waiting on it (first sight): its CPU work goes ahead of background analyses.
        { timing, urgent: this.waiters.has(release.id) },
      );
      findings = previous === null && baseline ? [...result.findings, baselineMissing(baseline)] : result.findings;
    } catch (err) {
      const fetchFailed = isAirlockError(err) && (err.code === 'EUPSTREAMDOWN' || err.code === 'EUPSTREAM');
      const attempts = fetchFailed ? (jobAttempts ?? (this.fetchFailures.get(release.id) ?? 0) + 1) : 0;
      const maxAttempts = this.options.maxFetchAttempts ?? 5;
      if (fetchFailed && attempts < maxAttempts && !this.closed) {
        // Upstream is unreachable or refused: maybe not the release's fault. Stay pending (invisible) and try again
        // (the job queue retries the job after its back-off).
        if (jobAttempts === undefined) {
          this.fetchFailures.set(release.id, attempts);
          this.retryLater(release);
        }
        return 'retry';
      }
      if (this.closed && fetchFailed) return 'stopped';
      this.fetchFailures.delete(release.id);
      const why = fetchFailed
        ? `its artifacts could not be fetched from upstream after ${attempts} attempts: ${(err as Error).message}`
        : (err as Error).message;
      findings = [
        {
          kind: 'analysis-error',
          severity: 'high',
          path: null,
          line: null,
          message: `${formatReleaseId(release)} could not be analyzed: ${why}`,
        },
      ];
    }
    this.fetchFailures.delete(release.id);

    const now = this.ctx.clock.now();
    // The state it will be in, from the release as read with this result (files' own findings kept):
    // the result and its audit entry are one conditional write, so the entry is written before a re-read.
    const analyzed: Release = { ...release, analysis: 'done', findings: [...findings, ...release.findings.filter((f) => f.artifact)], baselineVersion: baseline?.version ?? null, analyzedAt: now };
    const status = this.ctx.quarantine.status(analyzed, now);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const verdict = findings.some((f) => atOrAbove(f.severity, policy.reviewThreshold)) ? 'review' : 'clean';
    const kinds = [...new Set(findings.map((f) => f.kind))];
    const saved = await timing.time('save', () => this.ctx.store.saveAnalysisIfPending(
        release.id,
        { findings, baselineVersion: baseline?.version ?? null, analyzedAt: now },
        {
          at: now,
          actor: 'system',
          role: 'system',
          action: 'analyzed',
          subject: formatReleaseId(release),
          reason: findings.length === 0 ? 'no findings' : `${findings.length} finding(s): ${kinds.join(', ')}`,
          detail: { baseline: baseline?.version ?? null, findings: findings.length, state: status.state, seconds },
        },
    ),
    );
    if (!saved) {
      // Another replica saved it first (it took over a lease this one held too long): its result stands.
      this.ctx.logger.info({ event: 'analysis-superseded', release: formatReleaseId(release) }, `analysis of ${formatReleaseId(release)} was saved by another replica first`);
      return this.finished(releaseId);
    }
    this.ctx.metrics.analysisDuration.observe({ ecosystem: release.ecosystem, verdict }, seconds);
    this.ctx.logger.info(
      { event: 'analysis', release: formatReleaseId(release), verdict, baseline: baseline?.version ?? null, findings: kinds, state: status.state, seconds, phases: timing },
      `analysis of ${formatReleaseId(release)}: ${verdict}${kinds.length ? ` (${kinds.join(', ')})` : ''}, now ${status.state}`,
    );
    this.ctx.quarantine.changed(release.ecosystem, release.name);
    return this.finished(releaseId);
  }

  /** Tells local waiters the release's analysis is over; the outcome of a run that found or left it done. */
  private finished(releaseId: number): AnalysisJobOutcome {
    this.scheduledAt.delete(releaseId);
    this.notify(releaseId);
    return 'finished';
  }

  /** Whether a target's analysis is no longer pending in the store (finished here or on another replica). */
  private async isFinished(target: AnalysisTarget): Promise<boolean> {
    if (target.artifactId === undefined) return (await this.ctx.store.getReleaseById(target.releaseId))?.analysis !== 'pending';
    const file = (await this.ctx.store.listArtifacts(target.releaseId)).find((a) => a.id === target.artifactId);
    return file?.analysis !== 'pending';
  }

  /**
   * Analyzes a file upstream added to a release Airlock already had files for. The candidate is
   * the release's files with the new one; the previous side is the files the release had before
   * it (those that came with it or passed their own analysis), or, when it had none to trust, the
   * baseline release's. So only what the new file adds is reported, and it is reported against
   * this file alone: its findings name it, and they send it and its release to review.
   */
  private async runFile(releaseId: number, artifactId: number): Promise<AnalysisJobOutcome> {
    const release = await this.ctx.store.getReleaseById(releaseId);
    const files = release ? await this.ctx.store.listArtifacts(releaseId) : [];
    const file = files.find((a) => a.id === artifactId);
    if (!release || !file || file.analysis !== 'pending') return this.fileFinished(artifactId);
    const provider = this.providers[release.ecosystem];
    const started = process.hrtime.bigint();
    const policy = this.ctx.quarantine.policyFor(release.ecosystem, release.name, release.version);
    const earlier = new Set(
      files.filter((a) => a.id !== file.id && a.firstSeenAt <= file.firstSeenAt && trustedAsPrevious(a, release, policy.reviewThreshold)).map((a) => a.filename),
    );

    let baseline: Release | null = null;
    let findings: StoredFinding[];
    try {
      // Only the files this diff reads: the others may be large, gone upstream or still pending.
      const all = await provider.artifactsOf(release, (name) => name === file.filename || earlier.has(name));
      const added = all.find((a) => a.filename === file.filename);
      if (!added) throw new Error(`${file.filename} is not among the files of ${formatReleaseId(release)}`);
      const ownPrevious = all.filter((a) => earlier.has(a.filename));
      let previous: ReleaseArtifact[] | null | undefined = ownPrevious;
      if (ownPrevious.length === 0) {
        baseline = await this.baselineFor(release, provider);
        previous = baseline ? await this.baselineArtifacts(baseline, provider) : undefined;
      }
      const result = await this.analyze({
        ecosystem: release.ecosystem,
        candidate: [...ownPrevious, added],
        previous: previous ?? undefined,
        candidateMeta: metaOf(release),
        previousMeta: baseline ? metaOf(baseline) : metaOf(release),
        reviewThreshold: policy.reviewThreshold,
      });
      findings = previous === null && baseline ? [...result.findings, baselineMissing(baseline)] : result.findings;
    } catch (err) {
      if (isAirlockError(err) && (err.code === 'EUPSTREAMDOWN' || err.code === 'EUPSTREAM') && !this.closed) {
        if (!this.jobs) this.retryFileLater(file);
        return 'retry';
      }
      if (this.jobs && this.closed && isAirlockError(err) && (err.code === 'EUPSTREAMDOWN' || err.code === 'EUPSTREAM')) return 'stopped';
      findings = [
        {
          kind: 'analysis-error',
          severity: 'high',
          path: null,
          line: null,
          message: `${file.filename} of ${formatReleaseId(release)} could not be analyzed: ${(err as Error).message}`,
        },
      ];
    }

    const now = this.ctx.clock.now();
    const digest = artifactDigest(file);
    const own = findings.map((f) => ({ ...f, artifact: { filename: file.filename, digest } }));
    // The release as it will read with this file's findings, for the state its audit entry records.
    const analyzed: Release = { ...release, findings: [...release.findings.filter((f) => f.artifact?.filename !== file.filename), ...own] };
    const status = this.ctx.quarantine.status(analyzed, now);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const verdict = findings.some((f) => atOrAbove(f.severity, policy.reviewThreshold)) ? 'review' : 'clean';
    const summary = findings.length === 0 ? 'no findings' : `${findings.length} finding(s): ${[...new Set(findings.map((f) => f.kind))].join(', ')}`;
    const saved = await this.ctx.store.saveArtifactAnalysisIfPending(
      file.id,
      { findings: own, analyzedAt: now },
      {
        at: now,
        actor: 'system',
        role: 'system',
        action: 'analyzed',
        subject: formatReleaseId(release),
        reason: `${file.filename}, added to the release later: ${summary}`,
        detail: {
          file: file.filename,
          against: baseline ? `baseline ${baseline.version}` : [...earlier].sort(),
          findings: findings.length,
          state: status.state,
          seconds,
        },
      },
    );
    if (saved) {
      this.ctx.metrics.analysisDuration.observe({ ecosystem: release.ecosystem, verdict }, seconds);
      this.ctx.quarantine.changed(release.ecosystem, release.name);
    }
    return this.fileFinished(artifactId);
  }

  private fileFinished(artifactId: number): AnalysisJobOutcome {
    this.notifyFile(artifactId);
    return 'finished';
  }

  /**
   * The baseline is the highest release below the candidate in the ecosystem's version order that
   * clients can see; when none is visible yet (a burst of new releases), the highest one below it
   * that was not rejected or withdrawn, so the diff still shows what changed. Pre-releases are only
   * a baseline for pre-releases. Only the package's versions are listed (thousands for some
   * packages, on every analysis); releases are read whole one by one from the top, and the first
   * one or two usually decide.
   */
  private async baselineFor(release: Release, provider: ArtifactProvider): Promise<Release | null> {
    const candidatePre = provider.isPrerelease(release.version);
    const versions = await this.versionOrder.newestFirst(release.ecosystem, release.name, provider);
    // Newest first: the versions below the candidate follow the first one that sorts below it.
    const first = versions.findIndex((r) => provider.compareVersions(r.version, release.version) < 0);
    const below = (first === -1 ? [] : versions.slice(first)).filter((r) => r.id !== release.id);
    const now = this.ctx.clock.now();
    // A release past its cooldown whose own analysis is still running (analyses of one package
    // run side by side) is the one clients will see if it is clean: count it as visible, so the
    // baseline does not depend on which analysis happened to finish first.
    const visibleOnceAnalyzed = (r: Release, s: { state: string; until: Date | null }) =>
      r.analysis === 'pending' && s.state === 'quarantined' && s.until !== null && s.until <= now;
    let fallback: Release | null = null;
    let whole: Map<number, Release> | null = null;
    let n = 0;
    for (const { id, version } of below) {
      if (!candidatePre && provider.isPrerelease(version)) continue;
      // Past a few misses (a burst of releases none of which is visible yet), one listing is cheaper than a read each.
      if (n++ === pointReads && !whole) whole = new Map((await this.ctx.store.listReleases({ ecosystem: release.ecosystem, name: release.name })).map((r) => [r.id, r]));
      const r = whole ? whole.get(id) : await this.ctx.store.getReleaseById(id);
      if (!r) continue;
      const s = this.ctx.quarantine.status(r, now);
      if (s.visible || visibleOnceAnalyzed(r, s)) return r;
      if (!fallback && s.state !== 'rejected' && s.state !== 'withdrawn') fallback = r;
    }
    return fallback;
  }

  /** The baseline's artifacts, or null when they cannot be had (a finding, not a silent first release). */
  private async baselineArtifacts(baseline: Release, provider: ArtifactProvider) {
    try {
      return await provider.artifactsOf(baseline);
    } catch (err) {
      if (isAirlockError(err) && err.code === 'EUPSTREAMDOWN') throw err;
      return null;
    }
  }

  /**
   * What Airlock knows of a dependency a candidate adds: the newest known release the spec
   * allows (npm semver; PyPI the newest final release), its state, and whether the package's
   * first release is younger than the analysis horizon. Null for a package Airlock has not seen.
   */
  private async dependencyStatus(ecosystem: Ecosystem, name: string, spec: string, provider: ArtifactProvider): Promise<DependencyStatus | null> {
    const known = await this.ctx.store.listReleases({ ecosystem, name });
    const sorted = [...known].sort((a, b) => provider.compareVersions(b.version, a.version));
    const [newest] = sorted;
    if (!newest) return null;
    const range = ecosystem === 'npm' ? semver.validRange(spec, { loose: true }) : null;
    const resolved = (range ? sorted.find((r) => semver.satisfies(r.version, range, { loose: true })) : sorted.find((r) => !provider.isPrerelease(r.version))) ?? newest;
    const times = known.map((r) => (r.publishedAt ?? r.firstSeenAt).getTime());
    const firstPublishedAt = new Date(Math.min(...times));
    const status = this.ctx.quarantine.status(resolved);
    const horizonMs = this.ctx.quarantine.policyFor(ecosystem, name, resolved.version).analysisHorizonMs;
    return {
      id: formatReleaseId(resolved),
      state: status.state,
      firstPublishedAt,
      held: !status.visible && status.state !== 'withdrawn',
      brandNew: this.ctx.clock.now().getTime() - firstPublishedAt.getTime() < horizonMs,
    };
  }

  private retryLater(release: Release): void {
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.schedule(release);
    }, this.options.retryDelayMs ?? 60_000);
    timer.unref();
    this.retryTimers.add(timer);
  }

  private retryFileLater(artifact: Artifact): void {
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.scheduleFile(artifact);
    }, this.options.retryDelayMs ?? 60_000);
    timer.unref();
    this.retryTimers.add(timer);
  }

  private notifyFile(artifactId: number): void {
    for (const done of this.fileWaiters.get(artifactId) ?? []) done();
    this.fileWaiters.delete(artifactId);
  }

  private notify(releaseId: number): void {
    for (const done of this.waiters.get(releaseId) ?? []) done();
    this.waiters.delete(releaseId);
  }
}

function metaOf(release: Release): { publisher?: string | null; hasProvenance?: boolean } {
  const meta = release.meta as { publisher?: unknown; hasProvenance?: unknown };
  return {
    publisher: typeof meta.publisher === 'string' ? meta.publisher : null,
    hasProvenance: meta.hasProvenance === true,
  };
}

/**
 * Whether a file can stand for what the release already was, when a file added later is diffed:
 * it came with the release, or its own analysis found nothing at the threshold, or the latest
 * approval covers it. A file still pending or waiting for a reviewer never hides what another adds.
 */
function trustedAsPrevious(artifact: Artifact, release: Release, threshold: Severity): boolean {
  if (artifact.analysis === null) return true;
  if (artifact.analysis !== 'done') return false;
  const approval = release.decision?.action === 'approve' ? release.decision : null;
  if (approval?.digests?.includes(artifactDigest(artifact))) return true;
  return !artifact.findings.some((f) => atOrAbove(f.severity, threshold));
}

function baselineMissing(baseline: Release): StoredFinding {
  return {
    kind: 'analysis-error',
    severity: 'high',
    path: null,
    line: null,
    message: `the artifacts of the baseline ${formatReleaseId(baseline)} could not be fetched, so the diff is against nothing`,
  };
}
