import type { JobQueue } from './job-queue.js';

export interface JobQueueWakerOptions {
  jobs: JobQueue;
  kind: string;
  /** The replica looking; its own leases are left out of the next moment (it renews them). */
  owner: string;
  /** Looks at the queue: claims what it can, then calls `idle()` if it has room left. */
  look: () => void;
  /** How often to look while other replicas' jobs may go unheard (no notifications, or their connection is down). */
  unheardMs: number;
  /** How often to look while they are heard, only in case a notification was lost. @default 5000 */
  safetyMs?: number;
  /** Looking starts once this settles (a new process's first sweep); at once when unset. */
  after?: Promise<unknown>;
}

/** After a look that left a job claimable now (a claim racing another replica's): look again this soon. */
const againMs = 250;
/**
 * A job heard of is looked at this long after it may be claimed, not at once. The replica that
 * queues a job looks at once on its own (its client is waiting there, with the documents it
 * read), so it runs the job when it has room; the others take it only when it has not.
 */
const heardAfterMs = 250;

/**
 * Decides when a replica looks at the queue for jobs of one kind, instead of polling it: soon
 * after told a job was queued or handed back (`JobQueue.watch`: this process's at once, other
 * replicas' by LISTEN/NOTIFY; see `heardAfterMs`), at the soonest back-off end or lease expiry the queue holds (read
 * after each look that left room, `idle()`), and every `safetyMs` in case a notification was lost.
 * While other replicas' jobs may go unheard it looks every `unheardMs`, and once more as soon as
 * they are heard again (what was queued meanwhile was announced to nobody).
 */
export class JobQueueWaker {
  private interval: NodeJS.Timeout | null = null;
  private intervalMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private timerAtMs = Infinity;
  private closed = false;
  private stopWatching: () => void = () => {};

  constructor(private readonly o: JobQueueWakerOptions) {
    if (o.after) void o.after.then(() => this.start(), () => this.start());
    else this.start();
  }

  private start(): void {
    if (this.closed) return;
    const o = this.o;
    this.every(o.unheardMs);
    this.stopWatching = o.jobs.watch(o.kind, {
      claimableAt: (at) => this.wakeAt(Math.max(at.getTime(), Date.now()) + heardAfterMs),
      listening: (on) => {
        if (this.closed) return;
        this.every(on ? (o.safetyMs ?? 5000) : o.unheardMs);
        if (on) o.look();
      },
    });
  }

  /** A look claimed all it could and has room left: wake when the next job may be claimed. */
  async idle(): Promise<void> {
    if (this.closed) return;
    const at = await this.o.jobs.nextClaimAt(this.o.kind, this.o.owner);
    // Claimable now, yet this look did not get it: it raced another replica's claim; look again soon.
    if (at) this.wakeAt(Math.max(at.getTime(), Date.now() + againMs));
  }

  close(): void {
    this.closed = true;
    this.stopWatching();
    if (this.interval) clearInterval(this.interval);
    if (this.timer) clearTimeout(this.timer);
    this.interval = this.timer = null;
  }

  private every(ms: number): void {
    if (this.interval) clearInterval(this.interval);
    this.intervalMs = ms;
    this.interval = setInterval(() => this.o.look(), ms);
    this.interval.unref();
  }

  private wakeAt(atMs: number): void {
    if (this.closed) return;
    const inMs = Math.max(atMs - Date.now(), 0);
    // The interval looks by then anyway; an earlier timer already covers this moment.
    if (inMs >= this.intervalMs || (this.timer && this.timerAtMs <= atMs)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAtMs = atMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAtMs = Infinity;
      this.o.look();
    }, inMs);
    this.timer.unref();
  }
}
