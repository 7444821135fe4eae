import { listenOnChannels, type PgListener } from './pg-listener.js';

/** Each statement writing releases notifies the soonest next change it wrote, in ms since the epoch (PostgreSQL migration 7). */
export const nextChangeChannel = 'airlock_next_change';
/** Each statement queueing jobs, or handing them back, notifies `<kind> <ms since the epoch it may be claimed>` (jobs migration 2). */
export const jobsChannel = 'airlock_jobs';

/** The audit table's trigger notifies each statement that appends an entry a replica's caches care about (migrations 6 and 11). */
export const auditChannel = 'airlock_audit';

const channels = [nextChangeChannel, jobsChannel, auditChannel] as const;
export type PgChannel = (typeof channels)[number];

export interface PgSubscriber {
  notify(payload: string): void;
  /** As `PgListenerOptions.onListening`; told the current state when subscribing. */
  listening(on: boolean): void;
}

/**
 * The notifications the stores of one database follow, on one dedicated connection per process,
 * opened at the first subscription or by `listen` (a CLI command that subscribes to nothing opens none).
 */
export class PgNotifications {
  private listener: PgListener | null = null;
  private on = false;
  private closed = false;
  private readonly subscribers = new Map<PgChannel, Set<PgSubscriber>>();
  /** Callers of `listen` waiting for the connection to be listening. */
  private waiting: (() => void)[] = [];

  constructor(
    private readonly connectionString: string,
    private readonly log: (message: string) => void = console.error,
  ) {}

  /** Follows `channel`; returns what stops it. */
  subscribe(channel: PgChannel, subscriber: PgSubscriber): () => void {
    const set = this.subscribers.get(channel) ?? new Set<PgSubscriber>();
    this.subscribers.set(channel, set);
    set.add(subscriber);
    subscriber.listening(this.on);
    this.start();
    return () => set.delete(subscriber);
  }

  /**
   * Opens the connection now rather than at the first subscription, and settles once it listens
   * or after `timeoutMs`, whichever is first (it keeps trying after that): a server opens it at
   * start, beside its migrations, so it hears other replicas' writes from its first sweep on.
   */
  listen(timeoutMs: number): Promise<void> {
    this.start();
    if (this.on || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waiting.push(done);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.on = false;
    this.wake();
    await this.listener?.close();
    this.listener = null;
  }

  private start(): void {
    if (this.listener || this.closed) return;
    this.listener = listenOnChannels(this.connectionString, channels, (c, payload) => this.dispatch(c, payload), {
      applicationName: 'airlock-store-listener',
      name: 'store listener',
      log: this.log,
      onListening: (on) => {
        this.on = on;
        for (const s of [...this.subscribers.values()].flatMap((x) => [...x])) s.listening(on);
        if (on) this.wake();
      },
    });
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const done of waiting) done();
  }

  private dispatch(channel: string, payload: string): void {
    for (const s of this.subscribers.get(channel as PgChannel) ?? []) s.notify(payload);
  }
}
