import type { NextChangeListener } from './release-store.js';

/**
 * The listeners of one store's `watchNextChanges`, and whether writes by others are heard now.
 * A listener added is told at once whether they are.
 */
export class NextChangeListeners {
  private readonly listeners = new Set<NextChangeListener>();
  private on: boolean;

  constructor(listening: boolean) {
    this.on = listening;
  }

  add(listener: NextChangeListener): () => void {
    this.listeners.add(listener);
    listener.listening(this.on);
    return () => this.listeners.delete(listener);
  }

  /** A write made a release due at `at`. */
  changed(at: Date): void {
    for (const l of this.listeners) l.changed(at);
  }

  listening(on: boolean): void {
    this.on = on;
    for (const l of this.listeners) l.listening(on);
  }
}
