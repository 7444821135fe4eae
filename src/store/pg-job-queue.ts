import type pg from 'pg';
import type { JobListener, JobQueue, NewJob, QueuedJob } from './job-queue.js';
import { JobQueueListeners } from './job-queue-listeners.js';
import { jobsChannel, type PgNotifications } from './pg-notifications.js';
import type { Migration } from './migrations.js';
import { migratePostgres, type MigrateOptions } from './pg-migrate.js';

/** The job queue's PostgreSQL schema (track `jobs`); append, never edit a shipped entry. */
export const pgJobMigrations: Migration[] = [
  {
    version: 1,
    name: 'jobs',
    sql: `
CREATE TABLE jobs (
  id BIGSERIAL PRIMARY KEY,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  payload JSONB NOT NULL DEFAULT '{}',
  priority INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  run_after TIMESTAMPTZ NOT NULL,
  owner TEXT,
  lease_until TIMESTAMPTZ,
  last_error TEXT,
  queued_at TIMESTAMPTZ NOT NULL,
  done_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX jobs_unfinished_key ON jobs (key) WHERE done_at IS NULL;
CREATE INDEX jobs_runnable ON jobs (kind, priority DESC, id) WHERE done_at IS NULL;
`,
  },
  {
    version: 2,
    name: 'jobs queued or handed back notify airlock_jobs',
    // Replicas look at the queue when told, not on a timer: each statement that queues jobs, or
    // hands them back (a retry with its back-off, a shutdown), notifies once per kind with the
    // soonest moment they may be claimed ('<kind> <ms since the epoch>'). Claims, renewals and
    // completions leave jobs nobody else may take, and notify nothing.
    sql: `
CREATE FUNCTION jobs_notify_claimable() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r RECORD;
BEGIN
  FOR r IN SELECT kind, MIN(run_after) AS at FROM changed WHERE done_at IS NULL AND owner IS NULL GROUP BY kind LOOP
    PERFORM pg_notify('airlock_jobs', r.kind || ' ' || FLOOR(EXTRACT(EPOCH FROM r.at) * 1000)::BIGINT::TEXT);
  END LOOP;
  RETURN NULL;
END $$;
CREATE TRIGGER jobs_queued AFTER INSERT ON jobs REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION jobs_notify_claimable();
CREATE TRIGGER jobs_handed_back AFTER UPDATE ON jobs REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION jobs_notify_claimable();
`,
  },
];

interface JobRow {
  id: string;
  kind: string;
  key: string;
  payload: Record<string, unknown>;
  priority: number;
  attempts: number;
  run_after: Date;
  owner: string | null;
  lease_until: Date | null;
  last_error: string | null;
  queued_at: Date;
  done_at: Date | null;
}

function toJob(row: JobRow): QueuedJob {
  return {
    id: Number(row.id),
    kind: row.kind,
    key: row.key,
    payload: row.payload,
    priority: row.priority,
    attempts: row.attempts,
    runAfter: row.run_after,
    owner: row.owner,
    leaseUntil: row.lease_until,
    lastError: row.last_error,
    queuedAt: row.queued_at,
    doneAt: row.done_at,
  };
}

/**
 * The job queue in PostgreSQL, shared by every replica. A claim is one statement that locks the
 * rows it takes with `FOR UPDATE SKIP LOCKED`: replicas claiming at the same moment each get
 * different jobs and never wait on each other.
 */
export class PgJobQueue implements JobQueue {
  /** Heard of: this queue's own jobs; with `notifications`, every replica's once followed. */
  private readonly listeners = new JobQueueListeners(false);
  private stopFollowing: (() => void) | null = null;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly notifications: PgNotifications | null,
  ) {}

  /** Migrates the schema and returns the queue; `notifications`: how `watch` hears other replicas' jobs (else they go unheard). */
  static async open(pool: pg.Pool, options: { applied?: MigrateOptions['applied']; notifications?: PgNotifications } = {}): Promise<PgJobQueue> {
    await migratePostgres(pool, 'jobs', pgJobMigrations, { applied: options.applied });
    return new PgJobQueue(pool, options.notifications ?? null);
  }

  async enqueue(job: NewJob, now: Date): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO jobs (kind, key, payload, priority, run_after, queued_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (key) WHERE done_at IS NULL DO NOTHING`,
      [job.kind, job.key, JSON.stringify(job.payload ?? {}), job.priority ?? 0, job.runAfter ?? now, now],
    );
    if ((rowCount ?? 0) > 0) this.listeners.claimable(job.kind, job.runAfter ?? now);
    return (rowCount ?? 0) > 0;
  }

  async prioritize(key: string, priority: number): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE jobs SET priority = GREATEST(priority, $1) WHERE key = $2 AND done_at IS NULL', [priority, key]);
    return (rowCount ?? 0) > 0;
  }

  async claim(kind: string, owner: string, now: Date, leaseMs: number, limit: number): Promise<QueuedJob[]> {
    const { rows } = await this.pool.query<JobRow>(
      `UPDATE jobs SET owner = $1, lease_until = $2, attempts = attempts + 1
       WHERE id IN (
         SELECT id FROM jobs
         WHERE kind = $3 AND done_at IS NULL AND run_after <= $4 AND (lease_until IS NULL OR lease_until <= $4)
         ORDER BY priority DESC, id
         LIMIT $5
         FOR UPDATE SKIP LOCKED
       )
       RETURNING *`,
      [owner, new Date(now.getTime() + leaseMs), kind, now, limit],
    );
    return rows.map(toJob).sort((x, y) => y.priority - x.priority || x.id - y.id);
  }

  async renew(id: number, owner: string, leaseUntil: Date): Promise<boolean> {
    const { rowCount } = await this.pool.query('UPDATE jobs SET lease_until = $1 WHERE id = $2 AND owner = $3 AND done_at IS NULL', [leaseUntil, id, owner]);
    return (rowCount ?? 0) > 0;
  }

  async complete(id: number, owner: string, now: Date): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      'UPDATE jobs SET done_at = $1, owner = NULL, lease_until = NULL WHERE id = $2 AND owner = $3 AND done_at IS NULL',
      [now, id, owner],
    );
    return (rowCount ?? 0) > 0;
  }

  async retry(id: number, owner: string, runAfter: Date, error: string): Promise<boolean> {
    const { rows } = await this.pool.query<{ kind: string }>(
      'UPDATE jobs SET run_after = $1, last_error = $2, owner = NULL, lease_until = NULL WHERE id = $3 AND owner = $4 AND done_at IS NULL RETURNING kind',
      [runAfter, error, id, owner],
    );
    if (rows[0]) this.listeners.claimable(rows[0].kind, runAfter);
    return rows.length > 0;
  }

  async find(key: string): Promise<QueuedJob | null> {
    const { rows } = await this.pool.query<JobRow>('SELECT * FROM jobs WHERE key = $1 AND done_at IS NULL', [key]);
    return rows[0] ? toJob(rows[0]) : null;
  }

  async prune(before: Date): Promise<number> {
    const { rowCount } = await this.pool.query('DELETE FROM jobs WHERE done_at IS NOT NULL AND done_at < $1', [before]);
    return rowCount ?? 0;
  }

  async nextClaimAt(kind: string, owner: string): Promise<Date | null> {
    const { rows } = await this.pool.query<{ at: Date | null }>(
      `SELECT MIN(GREATEST(run_after, COALESCE(lease_until, run_after))) AS at FROM jobs
       WHERE kind = $1 AND done_at IS NULL AND (owner IS NULL OR owner <> $2)`,
      [kind, owner],
    );
    return rows[0]?.at ?? null;
  }

  watch(kind: string, listener: JobListener): () => void {
    this.stopFollowing ??=
      this.notifications?.subscribe(jobsChannel, {
        notify: (payload) => {
          const space = payload.lastIndexOf(' ');
          const ms = Number(payload.slice(space + 1));
          if (space > 0 && payload.slice(space + 1) !== '' && Number.isFinite(ms)) this.listeners.claimable(payload.slice(0, space), new Date(ms));
          // A payload this schema does not write: every follower looks now rather than miss a job.
          else for (const kind of this.listeners.kinds()) this.listeners.claimable(kind, new Date(0));
        },
        listening: (on) => this.listeners.listening(on),
      }) ?? null;
    return this.listeners.add(kind, listener);
  }
}
