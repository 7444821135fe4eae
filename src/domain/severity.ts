/**
 * How much a finding matters. `critical`/`high`: a reviewer must decide; `medium`: shown, and may
 * lengthen the hold by policy; `low`: shown only.
 */
export type Severity = 'critical' | 'high' | 'medium' | 'low';
/** Most severe first. */
export const severities: readonly Severity[] = ['critical', 'high', 'medium', 'low'];

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
