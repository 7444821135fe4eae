import type { Clock } from '../../src/clock.js';

/** A clock tests move by hand: `clock.advance('73h')`. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start: Date | string = new Date()) {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  set(at: Date | string): void {
    this.current = new Date(at).getTime();
  }

  /** Moves time forward by milliseconds or a duration like `72h`, `30m`, `2d`. */
  advance(by: number | string): void {
    this.current += typeof by === 'number' ? by : parse(by);
  }
}

function parse(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new Error(`bad duration ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
  return Number(m[1]) * unit;
}
