import type pg from 'pg';
import type { JobQueue, NewJob, QueuedJob } from './job-queue.js';
import type { Migration } from './migrations.js';
import { migratePostgres } from './pg-migrate.js';

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
  private constructor(private readonly pool: pg.Pool) {}

  static async open(pool: pg.Pool): Promise<PgJobQueue> {
    await migratePostgres(pool, 'jobs', pgJobMigrations);
    return new PgJobQueue(pool);
  }

  async enqueue(job: NewJob, now: Date): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO jobs (kind, key, payload, priority, run_after, queued_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (key) WHERE done_at IS NULL DO NOTHING`,
      [job.kind, job.key, JSON.stringify(job.payload ?? {}), job.priority ?? 0, job.runAfter ?? now, now],
    );
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
    const { rowCount } = await this.pool.query(
      'UPDATE jobs SET run_after = $1, last_error = $2, owner = NULL, lease_until = NULL WHERE id = $3 AND owner = $4 AND done_at IS NULL',
      [runAfter, error, id, owner],
    );
    return (rowCount ?? 0) > 0;
  }

  async find(key: string): Promise<QueuedJob | null> {
    const { rows } = await this.pool.query<JobRow>('SELECT * FROM jobs WHERE key = $1 AND done_at IS NULL', [key]);
    return rows[0] ? toJob(rows[0]) : null;
  }

  async prune(before: Date): Promise<number> {
    const { rowCount } = await this.pool.query('DELETE FROM jobs WHERE done_at IS NOT NULL AND done_at < $1', [before]);
    return rowCount ?? 0;
  }
}
