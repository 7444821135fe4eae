import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { JobQueue, QueuedJob } from '../store/job-queue.js';
import { JobQueueWaker } from '../store/job-queue-waker.js';

/** What an analysis job names: a release's analysis, or the own analysis of a file added to it later. */
export interface AnalysisTarget {
  releaseId: number;
  /** Set for a file's own analysis. */
  artifactId?: number;
}

/**
 * How one run of a job ended: `finished` (saved, or found already done), `retry` (upstream did not
 * give the artifacts: again after a back-off), `stopped` (this replica is shutting down: hand it
 * back so another takes it at once).
 */
export type AnalysisJobOutcome = 'finished' | 'retry' | 'stopped';

export interface AnalysisJobsOptions {
  jobs: JobQueue;
  /** Analyses this replica runs at once. */
  concurrency: number;
  /** How long a claim holds without renewal; renewed every third of it while the analysis runs. */
  leaseMs: number;
  /** First retry delay after an upstream failure; each next one doubles (at most 15 minutes). */
  retryDelayMs: number;
  /**
   * How often the queue is looked at while jobs other replicas queue may go unheard (see
   * JobQueueWaker; otherwise it is looked at when told, and when a back-off or lease ends). @default 1000
   */
  claimPollMs?: number;
  /** How often it is looked at while they are heard, in case a notification was lost. @default 5000 */
  safetyPollMs?: number;
  /** How often a request waiting on an analysis another replica may be running looks at the store. @default 200 */
  waitPollMs?: number;
  /** The queue is first looked at once this settles (a new process's first sweep); jobs this replica queues run at once. */
  startAfter?: Promise<unknown>;
  /** Runs one analysis; `attempts` counts the claims of this job, this one included. */
  run(target: AnalysisTarget, attempts: number): Promise<AnalysisJobOutcome>;
  /** Whether the target's analysis is no longer pending in the store (done here or on any replica). */
  isFinished(target: AnalysisTarget): Promise<boolean>;
  /** Told how many analyses this replica runs, whenever that changes. */
  onRunning?(count: number): void;
  log(message: string): void;
}

const kind = 'analysis';
const urgentPriority = 10;
const maxRetryDelayMs = 15 * 60_000;
/** Finished jobs are kept this long as a record (what ran, how often it was tried), then deleted. */
const keepFinishedMs = 7 * 86_400_000;
const pruneEveryMs = 3_600_000;

/** The job key: one unfinished job per release (or file), whichever replica queues it. */
export function analysisJobKey(target: AnalysisTarget): string {
  return target.artifactId === undefined ? `analysis:${target.releaseId}` : `analysis:file:${target.artifactId}`;
}

function targetOf(job: QueuedJob): AnalysisTarget | null {
  const { releaseId, artifactId } = job.payload;
  if (typeof releaseId !== 'number') return null;
  if (artifactId !== undefined && typeof artifactId !== 'number') return null;
  return artifactId === undefined ? { releaseId } : { releaseId, artifactId };
}

/**
 * Analyses as jobs in the shared database: queued by key (a release queued by every replica that
 * sees it is one job), claimed with a lease by whichever replica has a free slot, the lease renewed
 * while the analysis runs and the job completed once the result is saved. A replica killed
 * mid-analysis stops renewing, and another replica claims the job when the lease runs out. The
 * queue is looked at when a job is queued or handed back (on any replica) and when the soonest
 * back-off or lease ends, not on a timer (see JobQueueWaker). A
 * request waiting on an analysis learns of it from this replica's own run at once, and of another
 * replica's by looking at the store every `waitPollMs`.
 */
export class AnalysisJobs {
  /** This process, as the owner of the jobs it claims. */
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly running = new Map<number, Promise<void>>();
  private readonly enqueues = new Set<Promise<void>>();
  private pumping: Promise<void> | null = null;
  private pumpAgain = false;
  private closed = false;
  private readonly waker: JobQueueWaker;
  private readonly pruneTimer: NodeJS.Timeout;
  private readonly watchers = new Set<{ target: AnalysisTarget; done: () => void }>();
  private watchTimer: NodeJS.Timeout | null = null;
  private watching = false;

  constructor(private readonly o: AnalysisJobsOptions) {
    // Every job is a row: without this the table grows by one per analysis (and webhook delivery)
    // forever. Any replica may do it; a second deletes nothing.
    this.pruneTimer = setInterval(() => {
      void o.jobs.prune(new Date(Date.now() - keepFinishedMs)).catch((err: unknown) => o.log(`jobs: finished ones not pruned: ${(err as Error).message}`));
    }, pruneEveryMs);
    this.pruneTimer.unref();
    // Last: it may look at the queue at once.
    this.waker = new JobQueueWaker({
      jobs: o.jobs,
      kind,
      owner: this.owner,
      look: () => void this.pump(),
      unheardMs: o.claimPollMs ?? 1000,
      safetyMs: o.safetyPollMs,
      after: o.startAfter,
    });
  }

  /** Queues the target's analysis (idempotent by key); `urgent` raises an already queued one. */
  enqueue(target: AnalysisTarget, urgent: boolean): void {
    if (this.closed) return;
    const key = analysisJobKey(target);
    const priority = urgent ? urgentPriority : 0;
    const queued: Promise<void> = this.o.jobs
      .enqueue({ kind, key, payload: { ...target }, priority }, new Date())
      .then(async (added) => {
        if (!added && urgent) await this.o.jobs.prioritize(key, priority);
      })
      .then(() => this.pump())
      .catch((err: unknown) => this.o.log(`analysis job ${key} not queued: ${(err as Error).message}`))
      .finally(() => this.enqueues.delete(queued));
    this.enqueues.add(queued);
  }

  /**
   * Calls `done` once the target's analysis is no longer pending in the store; returns a function
   * that stops watching. One timer serves every watcher.
   */
  watch(target: AnalysisTarget, done: () => void): () => void {
    const watcher = { target, done };
    this.watchers.add(watcher);
    if (!this.watchTimer) {
      this.watchTimer = setInterval(() => void this.checkWatchers(), this.o.waitPollMs ?? 200);
      this.watchTimer.unref();
    }
    return () => this.unwatch(watcher);
  }

  /** Resolves when nothing is being queued, nothing runs here and nothing is claimable now (tests, shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      while (this.enqueues.size > 0) await Promise.allSettled([...this.enqueues]);
      await this.pump();
      if (this.running.size === 0 && this.enqueues.size === 0 && !this.pumping) return;
      await Promise.allSettled([...this.running.values(), ...(this.pumping ? [this.pumping] : [])]);
    }
  }

  /** Claims nothing more; the analyses running here finish (and complete or hand back their jobs). */
  async close(): Promise<void> {
    this.closed = true;
    this.waker.close();
    clearInterval(this.pruneTimer);
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.watchTimer = null;
    await Promise.allSettled([...this.enqueues]);
    await this.pumping;
    await Promise.allSettled([...this.running.values()]);
  }

  /** Claims jobs while this replica has free slots; one pass at a time, another one after it when asked meanwhile. */
  private pump(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.pumping) {
      this.pumpAgain = true;
      return this.pumping;
    }
    this.pumping = (async () => {
      do {
        this.pumpAgain = false;
        const free = this.o.concurrency - this.running.size;
        if (free <= 0) return;
        const claimed = await this.o.jobs.claim(kind, this.owner, new Date(), this.o.leaseMs, free);
        for (const job of claimed) this.start(job);
        if (claimed.length === free) this.pumpAgain = true;
        // Room left: nothing more is claimable now; wake when a back-off or another replica's lease ends.
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- pump() and close() set them while claim awaits
        else if (!this.pumpAgain && !this.closed) await this.waker.idle();
      } while (this.pumpAgain && !this.closed);
    })()
      .catch((err: unknown) => this.o.log(`analysis jobs: could not claim: ${(err as Error).message}`))
      .finally(() => (this.pumping = null));
    return this.pumping;
  }

  private start(job: QueuedJob): void {
    const { jobs, leaseMs } = this.o;
    const renew = setInterval(() => {
      void jobs
        .renew(job.id, this.owner, new Date(Date.now() + leaseMs))
        .then((held) => {
          // Another replica took it over (this one stalled past its lease); the store saves one result only.
          if (!held) this.o.log(`analysis job ${job.key}: lease lost to another replica`);
        })
        .catch((err: unknown) => this.o.log(`analysis job ${job.key}: lease not renewed: ${(err as Error).message}`));
    }, Math.max(Math.floor(leaseMs / 3), 10));
    renew.unref();
    const run = (async () => {
      const target = targetOf(job);
      let outcome: AnalysisJobOutcome;
      let error = 'upstream did not give the artifacts';
      if (!target) {
        this.o.log(`analysis job ${job.key} dropped: its payload names no release`);
        outcome = 'finished';
      } else {
        try {
          outcome = await this.o.run(target, job.attempts);
        } catch (err) {
          // Not the release's fault as far as anyone knows (a store error, a bug): try again later.
          error = (err as Error).message;
          this.o.log(`analysis job ${job.key} failed: ${(err as Error).stack ?? error}`);
          outcome = 'retry';
        }
      }
      clearInterval(renew);
      const now = new Date();
      if (outcome === 'finished') await jobs.complete(job.id, this.owner, now);
      else if (outcome === 'stopped') await jobs.retry(job.id, this.owner, now, 'handed back: the replica running it shut down');
      else {
        const delayMs = Math.min(this.o.retryDelayMs * 2 ** Math.max(job.attempts - 1, 0), maxRetryDelayMs);
        await jobs.retry(job.id, this.owner, new Date(now.getTime() + delayMs), error);
      }
    })()
      .catch((err: unknown) => this.o.log(`analysis job ${job.key}: ${(err as Error).message}`))
      .finally(() => {
        clearInterval(renew);
        this.running.delete(job.id);
        this.o.onRunning?.(this.running.size);
        void this.pump();
      });
    this.running.set(job.id, run);
    this.o.onRunning?.(this.running.size);
  }

  private async checkWatchers(): Promise<void> {
    if (this.watching) return; // a slow store: one look at a time
    this.watching = true;
    try {
      const byKey = new Map<string, { target: AnalysisTarget; list: (() => void)[] }>();
      for (const w of this.watchers) {
        const entry = byKey.get(analysisJobKey(w.target)) ?? { target: w.target, list: [] };
        entry.list.push(w.done);
        byKey.set(analysisJobKey(w.target), entry);
      }
      await Promise.all(
        [...byKey.values()].map(async ({ target, list }) => {
          if (await this.o.isFinished(target).catch(() => false)) for (const done of list) done();
        }),
      );
    } finally {
      this.watching = false;
    }
  }

  private unwatch(watcher: { target: AnalysisTarget; done: () => void }): void {
    this.watchers.delete(watcher);
    if (this.watchers.size === 0 && this.watchTimer) {
      clearInterval(this.watchTimer);
      this.watchTimer = null;
    }
  }
}
