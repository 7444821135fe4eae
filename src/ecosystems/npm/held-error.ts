import { AirlockError } from '../../errors.js';
import type { Release } from '../../domain/release.js';
import { formatInstant, type ReleaseStatus } from '../../quarantine/release-status.js';
import { formatReleaseId } from '../../domain/release-id.js';

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

/** Held releases given a line of their own in npm's policy message; beyond this, a count. */
const maxHeldLines = 10;
/** Held releases past those named by version alone. */
const maxNamedOnly = 40;
/** Characters of one held release's line in that message (a reviewer's reason can be long). */
const maxHeldLineChars = 140;

/**
 * npm's policy message for a package's held releases (`policyRestrictions.message`). npm prints
 * it after `Could not download <name>@<wanted> due to policy violations:`, for whichever held
 * version was asked for; the packument cannot know which one, so npm's own first line names it
 * and this message stays short: one held release in full, several as one line each cut to a
 * few words past its state (newest first), the rest by version only.
 */
export function heldReleasesMessage(name: string, held: ReadonlyArray<{ version: string; status: ReleaseStatus }>): string {
  const only = held.length === 1 ? held[0] : undefined;
  if (only) return `Airlock holds this release:\n  ${only.status.reason}`;
  const lines = held.slice(0, maxHeldLines).map(({ status }) => {
    const line = `  ${status.reason}`;
    return line.length > maxHeldLineChars ? `${line.slice(0, maxHeldLineChars - 1)}…` : line;
  });
  // The rest by version only, so the one asked for is named even when it has no line of its own.
  const rest = held.slice(maxHeldLines);
  if (rest.length > 0) {
    const named = rest.slice(0, maxNamedOnly).map((h) => h.version).join(', ');
    lines.push(`  … and ${rest.length} more: ${named}${rest.length > maxNamedOnly ? ', …' : ''}`);
  }
  return `Airlock holds ${held.length} releases of ${name}; the one asked for is among them:\n${lines.join('\n')}`;
}
