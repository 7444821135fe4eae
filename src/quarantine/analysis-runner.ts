import PQueue from 'p-queue';
import { analyzeRelease, createProfileCache, type AnalysisInput, type AnalysisResult, type ProfileCache } from '../analyzer/index.js';
import type { AppContext } from '../app-context.js';
import { isAirlockError } from '../errors.js';
import { formatReleaseId, type Ecosystem } from '../release-id.js';
import type { ArtifactProvider } from './artifact-provider.js';
import type { AnalysisScheduler } from './quarantine.js';
import type { Release, StoredFinding } from './release.js';
import { atOrAbove } from './release-status.js';

export interface AnalysisRunnerOptions {
  /** The analyzer; the real one unless a benchmark wants to time something else. */
  analyze?: (input: AnalysisInput) => Promise<AnalysisResult>;
  /** How long to wait before retrying when upstream was unreachable. @default 60s */
  retryDelayMs?: number;
  /**
   * How many times an analysis whose artifacts upstream would not give is tried before it
   * becomes an `analysis-error` finding a reviewer sees (rather than pending, unseen, forever).
   * @default 5
   */
  maxFetchAttempts?: number;
}

/**
 * Runs release analyses on a bounded queue: picks the baseline, fetches both releases' artifacts
 * through the ecosystem, runs the analyzer and records the findings. Releases a client is waiting
 * for jump the queue. Pending state lives in the store, so a restart (or another replica) picks
 * unfinished work up again with `recover()`.
 */
export class AnalysisRunner implements AnalysisScheduler {
  private readonly queue: PQueue;
  private readonly queued = new Set<number>();
  private readonly waiters = new Map<number, (() => void)[]>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /** Failed artifact fetches per release since this process started (a restart starts over). */
  private readonly fetchFailures = new Map<number, number>();
  private readonly cache: ProfileCache = createProfileCache({ maxEntries: 50_000 });
  private readonly analyze: (input: AnalysisInput) => Promise<AnalysisResult>;
  private closed = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly providers: Record<Ecosystem, ArtifactProvider>,
    private readonly options: AnalysisRunnerOptions = {},
  ) {
    this.queue = new PQueue({ concurrency: ctx.config.analysisConcurrency });
    this.analyze = options.analyze ?? analyzeRelease;
    this.queue.on('next', () => this.ctx.metrics.analysisQueueLength.set(this.queue.size + this.queue.pending));
  }

  schedule(release: Release, urgent = false): void {
    if (this.closed || release.analysis !== 'pending') return;
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
    this.ctx.metrics.analysisQueueLength.set(this.queue.size + this.queue.pending + 1);
    void this.queue
      .add(() => this.run(release.id), { id, priority: urgent ? 10 : 0 })
      .catch((err: unknown) => this.ctx.log(`analysis of ${formatReleaseId(release)} failed: ${(err as Error).stack ?? err}`))
      .finally(() => this.queued.delete(release.id));
  }

  waitFor(release: Release, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const list = this.waiters.get(release.id) ?? [];
      list.push(done);
      this.waiters.set(release.id, list);
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  /** Queues every release the store still has as pending (after a restart). */
  async recover(): Promise<void> {
    for (const release of await this.ctx.store.listReleases({ analysis: 'pending' })) this.schedule(release);
  }

  /** Resolves when the queue is empty and nothing runs (tests and shutdown). */
  async idle(): Promise<void> {
    await this.queue.onIdle();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.retryTimers) clearTimeout(t);
    this.queue.clear();
    await this.queue.onIdle();
  }

  private async run(releaseId: number): Promise<void> {
    const release = await this.ctx.store.getReleaseById(releaseId);
    if (!release || release.analysis !== 'pending') return this.notify(releaseId);
    const provider = this.providers[release.ecosystem];
    const started = process.hrtime.bigint();
    const baseline = await this.baselineFor(release, provider);
    const policy = this.ctx.quarantine.policyFor(release.ecosystem, release.name, release.version);

    let findings: StoredFinding[];
    try {
      const candidate = await provider.artifactsOf(release);
      const previous = baseline ? await this.baselineArtifacts(baseline, provider) : undefined;
      const result = await this.analyze({
        ecosystem: release.ecosystem,
        candidate,
        previous: previous ?? undefined,
        candidateMeta: metaOf(release),
        previousMeta: baseline ? metaOf(baseline) : undefined,
        reviewThreshold: policy.reviewThreshold,
        cache: this.cache,
      });
      findings = previous === null ? [...result.findings, baselineMissing(baseline!)] : result.findings;
    } catch (err) {
      const fetchFailed = isAirlockError(err) && (err.code === 'EUPSTREAMDOWN' || err.code === 'EUPSTREAM');
      const attempts = fetchFailed ? (this.fetchFailures.get(release.id) ?? 0) + 1 : 0;
      const maxAttempts = this.options.maxFetchAttempts ?? 5;
      if (fetchFailed && attempts < maxAttempts && !this.closed) {
        // Upstream is unreachable or refused: maybe not the release's fault. Stay pending (invisible) and try again.
        this.fetchFailures.set(release.id, attempts);
        this.retryLater(release);
        return;
      }
      if (this.closed && fetchFailed) return;
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
    await this.ctx.store.saveAnalysis(release.id, { findings, baselineVersion: baseline?.version ?? null, analyzedAt: now });
    const analyzed = (await this.ctx.store.getReleaseById(release.id))!;
    const status = this.ctx.quarantine.status(analyzed, now);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const verdict = findings.some((f) => atOrAbove(f.severity, policy.reviewThreshold)) ? 'review' : 'clean';
    this.ctx.metrics.analysisDuration.observe({ ecosystem: release.ecosystem, verdict }, seconds);
    const kinds = [...new Set(findings.map((f) => f.kind))];
    this.ctx.logger.info(
      { event: 'analysis', release: formatReleaseId(release), verdict, baseline: baseline?.version ?? null, findings: kinds, state: status.state, seconds },
      `analysis of ${formatReleaseId(release)}: ${verdict}${kinds.length ? ` (${kinds.join(', ')})` : ''}, now ${status.state}`,
    );
    await this.ctx.store.appendAudit({
      at: now,
      actor: 'system',
      role: 'system',
      action: 'analyzed',
      subject: formatReleaseId(release),
      reason: findings.length === 0 ? 'no findings' : `${findings.length} finding(s): ${[...new Set(findings.map((f) => f.kind))].join(', ')}`,
      detail: { baseline: baseline?.version ?? null, findings: findings.length, state: status.state, seconds },
    });
    this.ctx.quarantine.changed(release.ecosystem, release.name);
    this.notify(releaseId);
  }

  /**
   * The baseline is the highest release below the candidate in the ecosystem's version order that
   * clients can see; when none is visible yet (a burst of new releases), the highest one below it
   * that was not rejected or withdrawn, so the diff still shows what changed. Pre-releases are only
   * a baseline for pre-releases.
   */
  private async baselineFor(release: Release, provider: ArtifactProvider): Promise<Release | null> {
    const all = await this.ctx.store.listReleases({ ecosystem: release.ecosystem, name: release.name });
    const candidatePre = provider.isPrerelease(release.version);
    const below = all
      .filter((r) => r.id !== release.id && provider.compareVersions(r.version, release.version) < 0)
      .filter((r) => candidatePre || !provider.isPrerelease(r.version))
      .sort((a, b) => provider.compareVersions(b.version, a.version));
    const statuses = below.map((r) => ({ r, s: this.ctx.quarantine.status(r) }));
    return (
      statuses.find(({ s }) => s.visible)?.r ??
      statuses.find(({ s }) => s.state !== 'rejected' && s.state !== 'withdrawn')?.r ??
      null
    );
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

  private retryLater(release: Release): void {
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.schedule(release);
    }, this.options.retryDelayMs ?? 60_000);
    timer.unref();
    this.retryTimers.add(timer);
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

function baselineMissing(baseline: Release): StoredFinding {
  return {
    kind: 'analysis-error',
    severity: 'high',
    path: null,
    line: null,
    message: `the artifacts of the baseline ${formatReleaseId(baseline)} could not be fetched, so the diff is against nothing`,
  };
}
