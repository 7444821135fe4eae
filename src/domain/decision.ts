export type DecisionAction = 'approve' | 'reject' | 'revoke';

/** A reviewer's `approve`, `reject` or `revoke` of a release, with its reason; the latest one counts. */
export interface Decision {
  action: DecisionAction;
  reason: string;
  actor: string;
  role: string;
  decidedAt: Date;
  /**
   * The artifacts the decision was made on (`artifactDigest`), recorded when it is made: an
   * approval covers these files only, so a file upstream adds later is not approved with them.
   */
  digests?: string[];
}
