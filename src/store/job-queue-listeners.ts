import type { JobListener } from './job-queue.js';

/** The listeners of one queue's `watch`, by kind, and whether other replicas' jobs are heard now. */
export class JobQueueListeners {
  private readonly byKind = new Map<string, Set<JobListener>>();
  private on: boolean;

  constructor(listening: boolean) {
    this.on = listening;
  }

  /** Adds a listener of `kind`, told at once whether others' jobs are heard. */
  add(kind: string, listener: JobListener): () => void {
    const set = this.byKind.get(kind) ?? new Set<JobListener>();
    this.byKind.set(kind, set);
    set.add(listener);
    listener.listening(this.on);
    return () => set.delete(listener);
  }

  kinds(): string[] {
    return [...this.byKind.keys()];
  }

  /** A job of `kind` may be claimed from `at` on. */
  claimable(kind: string, at: Date): void {
    for (const l of this.byKind.get(kind) ?? []) l.claimableAt(at);
  }

  listening(on: boolean): void {
    this.on = on;
    for (const set of this.byKind.values()) for (const l of set) l.listening(on);
  }
}
