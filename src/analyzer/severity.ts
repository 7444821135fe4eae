import type { Severity } from './types.js';

const rank: Record<Severity, number> = { critical: 3, high: 2, medium: 1, low: 0 };

/** Whether `a` is at least as severe as `b`. */
export function atLeast(a: Severity, b: Severity): boolean {
  return rank[a] >= rank[b];
}

/** Sort order: most severe first. */
export function compareSeverity(a: Severity, b: Severity): number {
  return rank[b] - rank[a];
}

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && value in rank;
}
