import { mustExist } from '../must-exist.js';
import type { JobListener, NewJob, JobQueue, QueuedJob } from './job-queue.js';
import { JobQueueListeners } from './job-queue-listeners.js';
import { followOtherConnections } from './sqlite-next-change-watch.js';
import type { Migration } from './migrations.js';
import type { SqliteDatabase } from './open-sqlite.js';
import { migrateSqlite } from './sqlite-migrate.js';

/** The job queue's SQLite schema (track `jobs`); append, never edit a shipped entry. */
export const sqliteJobMigrations: Migration[] = [
  {
    version: 1,
    name: 'jobs',
    sql: `
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  payload TEXT NOT NULL DEFAULT '{}',
  priority INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  run_after INTEGER NOT NULL,
  owner TEXT,
  lease_until INTEGER,
  last_error TEXT,
  queued_at INTEGER NOT NULL,
  done_at INTEGER
);
CREATE UNIQUE INDEX jobs_unfinished_key ON jobs (key) WHERE done_at IS NULL;
CREATE INDEX jobs_runnable ON jobs (kind, priority DESC, id) WHERE done_at IS NULL;
`,
  },
];

interface JobRow {
  id: number;
  kind: string;
  key: string;
  payload: string;
  priority: number;
  attempts: number;
  run_after: number;
  owner: string | null;
  lease_until: number | null;
  last_error: string | null;
  queued_at: number;
  done_at: number | null;
}

const toDate = (ms: number | null) => (ms === null ? null : new Date(ms));

function toJob(row: JobRow): QueuedJob {
  return {
    id: row.id,
    kind: row.kind,
    key: row.key,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    priority: row.priority,
    attempts: row.attempts,
    runAfter: new Date(row.run_after),
    owner: row.owner,
    leaseUntil: toDate(row.lease_until),
    lastError: row.last_error,
    queuedAt: new Date(row.queued_at),
    doneAt: toDate(row.done_at),
  };
}

/** The job queue in the embedded SQLite file; claims are IMMEDIATE transactions, so two processes never share a job. */
export class SqliteJobQueue implements JobQueue {
  private readonly stmts;
  /** This connection's jobs are heard as they are queued; another connection's once it commits (see followOtherConnections). */
  private readonly listeners = new JobQueueListeners(true);
  private stopFollowing: (() => void) | null = null;

  constructor(private readonly db: SqliteDatabase) {
    migrateSqlite(db, 'jobs', sqliteJobMigrations);
    this.stmts = {
      enqueue: db.prepare(
        `INSERT INTO jobs (kind, key, payload, priority, run_after, queued_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (key) WHERE done_at IS NULL DO NOTHING`,
      ),
      prioritize: db.prepare('UPDATE jobs SET priority = MAX(priority, ?) WHERE key = ? AND done_at IS NULL'),
      runnable: db.prepare<[string, number, number, number], { id: number }>(
        `SELECT id FROM jobs WHERE kind = ? AND done_at IS NULL AND run_after <= ? AND (lease_until IS NULL OR lease_until <= ?)
         ORDER BY priority DESC, id LIMIT ?`,
      ),
      take: db.prepare('UPDATE jobs SET owner = ?, lease_until = ?, attempts = attempts + 1 WHERE id = ?'),
      byId: db.prepare<[number], JobRow>('SELECT * FROM jobs WHERE id = ?'),
      renew: db.prepare('UPDATE jobs SET lease_until = ? WHERE id = ? AND owner = ? AND done_at IS NULL'),
      complete: db.prepare('UPDATE jobs SET done_at = ?, owner = NULL, lease_until = NULL WHERE id = ? AND owner = ? AND done_at IS NULL'),
      retry: db.prepare<[number, string, number, string], { kind: string }>(
        'UPDATE jobs SET run_after = ?, last_error = ?, owner = NULL, lease_until = NULL WHERE id = ? AND owner = ? AND done_at IS NULL RETURNING kind',
      ),
      nextClaim: db.prepare<[string, string], { at: number | null }>(
        'SELECT MIN(MAX(run_after, COALESCE(lease_until, run_after))) AS at FROM jobs WHERE kind = ? AND done_at IS NULL AND (owner IS NULL OR owner <> ?)',
      ),
      nextUnclaimed: db.prepare<[string], { at: number | null }>('SELECT MIN(run_after) AS at FROM jobs WHERE kind = ? AND done_at IS NULL AND owner IS NULL'),
      find: db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE key = ? AND done_at IS NULL'),
      prune: db.prepare('DELETE FROM jobs WHERE done_at IS NOT NULL AND done_at < ?'),
    };
  }

  async enqueue(job: NewJob, now: Date): Promise<boolean> {
    const info = this.stmts.enqueue.run(job.kind, job.key, JSON.stringify(job.payload ?? {}), job.priority ?? 0, (job.runAfter ?? now).getTime(), now.getTime());
    if (info.changes > 0) this.listeners.claimable(job.kind, job.runAfter ?? now);
    return info.changes > 0;
  }

  async prioritize(key: string, priority: number): Promise<boolean> {
    return this.stmts.prioritize.run(priority, key).changes > 0;
  }

  async claim(kind: string, owner: string, now: Date, leaseMs: number, limit: number): Promise<QueuedJob[]> {
    return this.db
      .transaction(() => {
        const ids = this.stmts.runnable.all(kind, now.getTime(), now.getTime(), limit).map((r) => r.id);
        for (const id of ids) this.stmts.take.run(owner, now.getTime() + leaseMs, id);
        return ids.map((id) => toJob(mustExist(this.stmts.byId.get(id), `job ${id} just claimed`)));
      })
      .immediate();
  }

  async renew(id: number, owner: string, leaseUntil: Date): Promise<boolean> {
    return this.stmts.renew.run(leaseUntil.getTime(), id, owner).changes > 0;
  }

  async complete(id: number, owner: string, now: Date): Promise<boolean> {
    return this.stmts.complete.run(now.getTime(), id, owner).changes > 0;
  }

  async retry(id: number, owner: string, runAfter: Date, error: string): Promise<boolean> {
    const row = this.stmts.retry.get(runAfter.getTime(), error, id, owner);
    if (row) this.listeners.claimable(row.kind, runAfter);
    return row !== undefined;
  }

  async find(key: string): Promise<QueuedJob | null> {
    const row = this.stmts.find.get(key);
    return row ? toJob(row) : null;
  }

  async prune(before: Date): Promise<number> {
    return this.stmts.prune.run(before.getTime()).changes;
  }

  async nextClaimAt(kind: string, owner: string): Promise<Date | null> {
    return toDate(this.stmts.nextClaim.get(kind, owner)?.at ?? null);
  }

  watch(kind: string, listener: JobListener): () => void {
    // Another process queued or handed back jobs: the soonest unclaimed one of each kind followed.
    // (Leases it holds are found by the looks' own `nextClaimAt`.)
    this.stopFollowing ??= followOtherConnections(this.db, () => {
      for (const k of this.listeners.kinds()) {
        const at = this.stmts.nextUnclaimed.get(k)?.at ?? null;
        if (at !== null) this.listeners.claimable(k, new Date(at));
      }
    });
    return this.listeners.add(kind, listener);
  }

  /** Stops looking for other connections' jobs (the database itself is closed by its owner). */
  close(): void {
    this.stopFollowing?.();
    this.stopFollowing = null;
  }
}
