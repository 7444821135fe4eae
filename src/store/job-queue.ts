/** A piece of background work kept in the database, so any replica can run it and none loses it. */
export interface QueuedJob {
  id: number;
  /** What it is: `analysis`, `webhook`, … */
  kind: string;
  /** Unique among unfinished jobs: queueing a key already queued does nothing (`analysis:<release id>`). */
  key: string;
  payload: Record<string, unknown>;
  /** Higher runs first; a client waiting on a job raises it. */
  priority: number;
  /** Times it was claimed, this claim included. */
  attempts: number;
  /** Not claimed before this (a retry's back-off). */
  runAfter: Date;
  /** The replica holding it, until `leaseUntil`; null when nobody does. */
  owner: string | null;
  leaseUntil: Date | null;
  lastError: string | null;
  queuedAt: Date;
  /** Set when it finished; finished jobs stay as a record until pruned. */
  doneAt: Date | null;
}

export interface NewJob {
  kind: string;
  key: string;
  payload?: Record<string, unknown>;
  /** @default 0 */
  priority?: number;
  /** @default now */
  runAfter?: Date;
}

/**
 * Background jobs with leases. A replica claims jobs for a while (`leaseMs`); if it dies the lease
 * runs out and another replica claims the job again, so work is done at least once and, while
 * its holder lives, by one replica only. Every call that touches a claimed job names its owner
 * and fails (false) when the lease was lost to another replica.
 */
export interface JobQueue {
  /** Queues a job unless one with its key is unfinished; true when this call queued it. */
  enqueue(job: NewJob, now: Date): Promise<boolean>;
  /** Raises an unfinished job's priority to at least `priority`; false when there is none. */
  prioritize(key: string, priority: number): Promise<boolean>;
  /** Claims up to `limit` runnable jobs of `kind` for `owner` until `now + leaseMs`, highest priority, then oldest, first. */
  claim(kind: string, owner: string, now: Date, leaseMs: number, limit: number): Promise<QueuedJob[]>;
  /** Extends a lease `owner` still holds. */
  renew(id: number, owner: string, leaseUntil: Date): Promise<boolean>;
  /** Marks a job `owner` still holds as finished. */
  complete(id: number, owner: string, now: Date): Promise<boolean>;
  /** Gives a job `owner` holds back to the queue, to run again from `runAfter`. */
  retry(id: number, owner: string, runAfter: Date, error: string): Promise<boolean>;
  /** The unfinished job with this key, or null (finished, or never queued): what a waiting client polls. */
  find(key: string): Promise<QueuedJob | null>;
  /** Deletes finished jobs older than `before`; returns how many. */
  prune(before: Date): Promise<number>;
  /**
   * When a job of `kind` may next be claimed: the soonest back-off end or lease expiry among its
   * unfinished jobs (at or before now: at once), leaving out the leases `owner` holds (it renews
   * them); null when there is none.
   */
  nextClaimAt(kind: string, owner: string): Promise<Date | null>;
  /**
   * Tells `listener` when jobs of `kind` may be claimed from a moment on: each queued or handed
   * back by this queue as it is, and on PostgreSQL by any replica (LISTEN/NOTIFY), soon after
   * commit; on SQLite another process's writes to the file are looked for every half second.
   * Returns what stops it.
   */
  watch(kind: string, listener: JobListener): () => void;
}

/** Hears when jobs may be claimed (see `JobQueue.watch`). */
export interface JobListener {
  /** A job may be claimed from `at` on (at or before now: at once). */
  claimableAt(at: Date): void;
  /** As `NextChangeListener.listening`: false while other replicas' jobs may go unheard (look at the queue often). */
  listening(on: boolean): void;
}
