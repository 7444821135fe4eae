import type { Ecosystem } from './ecosystem.js';

/** A release's place in its lifecycle; clients see only `released` and `approved` ones. */
export type ReleaseState = 'quarantined' | 'awaiting-review' | 'released' | 'approved' | 'rejected' | 'withdrawn';
export const releaseStates: readonly ReleaseState[] = ['quarantined', 'awaiting-review', 'released', 'approved', 'rejected', 'withdrawn'];

/** How many releases are recorded in one state. */
export interface StateCount {
  ecosystem: Ecosystem;
  state: ReleaseState;
  count: number;
}
