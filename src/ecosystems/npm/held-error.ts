import { AirlockError } from '../../errors.js';
import type { Release } from '../../quarantine/release.js';
import { formatInstant, type ReleaseStatus } from '../../quarantine/release-status.js';
import { formatReleaseId } from '../../release-id.js';

/**
 * The 403 for a held release's tarball. npm prints the reason phrase in its status line
 * (`403 Quarantined until 2026-12-01T10:00Z - GET …`) followed by the body's `error` field, the
 * status reason (`npm:express@5.3.0 is quarantined until …: cooldown 72h from upstream publish time`).
 */
export function heldError(release: Release, status: ReleaseStatus, now: Date): AirlockError {
  const subject = formatReleaseId(release);
  switch (status.state) {
    case 'rejected':
      return new AirlockError('EREJECTED', status.reason, { subject, statusText: 'Rejected' });
    case 'withdrawn':
      return new AirlockError('EWITHDRAWN', status.reason, { subject, statusText: 'Withdrawn upstream' });
    case 'awaiting-review':
      return new AirlockError('EQUARANTINED', status.reason, { subject, statusText: 'Awaiting review' });
    default: {
      const statusText =
        status.until && status.until > now ? `Quarantined until ${formatInstant(status.until)}` : 'Quarantined: analysis not finished';
      return new AirlockError('EQUARANTINED', status.reason, { subject, statusText });
    }
  }
}

/** The cooldown is over and only the analysis is unfinished: worth a short wait before refusing. */
export function waitsOnAnalysisOnly(release: Release, status: ReleaseStatus, now: Date): boolean {
  return status.state === 'quarantined' && release.analysis === 'pending' && status.until !== null && status.until <= now;
}
