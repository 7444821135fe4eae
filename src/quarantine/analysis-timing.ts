/**
 * Where one analysis's wall time went, in milliseconds by phase (`queued`, `baseline`, `candidate`,
 * `previous`, `slot`, `read`, `scan`, `save`…), for the `analysis` log line: on a first install
 * these waits are on the client's critical path, and the phase names say which one to cut.
 * Phases may overlap (the two downloads run at once), so they need not add up to the total.
 */
export class AnalysisTiming {
  private readonly phases: Record<string, number> = {};

  /** Adds `ms` to a phase. */
  add(phase: string, ms: number): void {
    this.phases[phase] = (this.phases[phase] ?? 0) + ms;
  }

  /** Runs `work`, counting its time under `phase`. */
  async time<T>(phase: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.add(phase, performance.now() - started);
    }
  }

  /** The phases, rounded to a tenth of a millisecond. */
  toJSON(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.phases).map(([k, v]) => [k, Math.round(v * 10) / 10]));
  }
}
