import { formatDuration } from '../duration.js';
import { severities, type Severity } from '../domain/severity.js';
import type { EffectivePolicy } from '../policy/policy.js';
import { formatReleaseId } from '../domain/release-id.js';
import type { Decision } from '../domain/decision.js';
import { noFindings, type ReleaseFacts } from '../domain/release.js';
import type { ReleaseState } from '../domain/release-state.js';
import type { StoredFinding } from '../domain/finding.js';

export interface ReleaseStatus {
  state: ReleaseState;
  /** Only `released` and `approved` are ever served to clients. */
  visible: boolean;
  /** When the hold ends (cooldown plus any medium-finding hold); null when no clock applies. */
  until: Date | null;
  /** When the cooldown counts from: upstream publish time, or first-seen time when upstream gave none. */
  clockStart: Date;
  /** One sentence for clients and reviewers, e.g. `npm:express@5.3.0 is quarantined until …`. */
  reason: string;
}

/**
 * Decides what a client may see of a release. The one place visibility is decided: every route
 * asks this function, and it is pure (no I/O, time is an argument).
 *
 * Order matters: an explicit policy block or internal name beats everything; a reviewer's latest
 * decision beats the clock; then upstream withdrawal; then the cooldown; then the analysis.
 */
export function releaseStatus(release: ReleaseFacts, policy: EffectivePolicy, now: Date): ReleaseStatus {
  const clockStart = cooldownStart(release);

  if (policy.internalBy)
    return heldStatus(clockStart, 'rejected', `${formatReleaseId(release)} is an internal name (policy internal "${policy.internalBy}") and is never served from upstream`);
  if (policy.blockedBy) return heldStatus(clockStart, 'rejected', `${formatReleaseId(release)} is blocked by policy ("${policy.blockedBy}")`);

  const decision = release.decision;
  if (decision && decision.action !== 'approve') {
    // A rejection covers the release, whatever files upstream adds to it later.
    const verb = decision.action === 'revoke' ? 'revoked' : 'rejected';
    return heldStatus(clockStart, 'rejected', `${formatReleaseId(release)} was ${verb} by ${decision.actor}: ${decision.reason}`);
  }
  const file = release.file ?? null;
  // An approval covers the files it was made on; a file added since is decided on its own facts.
  const approval = decision;
  const unreviewed = file ? noFindings : laterFileFindings(release.findings, approval, policy.reviewThreshold);
  if (approval) {
    const approved = { state: 'approved' as const, visible: true, until: null, clockStart, reason: `${formatReleaseId(release)} was approved by ${approval.actor}: ${approval.reason}` };
    // An early approval vouched for a release upstream still stood behind. When upstream takes it
    // down afterwards (the usual end of a compromised release), that vouching no longer holds; a
    // reviewer who still wants it approves again, after the withdrawal.
    const early = approval.decidedAt < new Date(clockStart.getTime() + policy.cooldownMs);
    if (early && release.withdrawnAt && release.withdrawnAt >= approval.decidedAt)
      return heldStatus(clockStart, 'withdrawn', `${formatReleaseId(release)} was withdrawn upstream after ${approval.actor} approved it early; a reviewer may approve it again`);
    if (file ? covers(approval, file.digest, file.firstSeenAt) : unreviewed.length === 0) return approved;
    if (!file)
      return heldStatus(
        clockStart,
        'awaiting-review',
        `${formatReleaseId(release)} is awaiting review: the analyzer reported ${kindsOf(unreviewed)} in ${filesOf(unreviewed)}, added after its approval (the files it was approved with are still served)`,
      );
  }

  if (release.withdrawnAt) return heldStatus(clockStart, 'withdrawn', `${formatReleaseId(release)} was withdrawn upstream`);

  // What the analysis says: the release's own (unless a reviewer approved it with this file's
  // release-mates) and, for a file added later, the file's own against the files before it.
  const fromRelease = !approval || file?.analysis === null;
  const ownFindings = fromRelease && release.analysis === 'done' && release.findings.length > 0 ? release.findings.filter((f) => !f.artifact) : noFindings;
  const fileFindings = file?.analysis === 'done' ? file.findings : noFindings;
  const findings = fileFindings.length === 0 ? ownFindings : [...ownFindings, ...fileFindings];
  const pending = (fromRelease && release.analysis === 'pending') || file?.analysis === 'pending';

  const hasMedium = findings.length > 0 && findings.some((f) => f.severity === 'medium');
  const holdMs = policy.cooldownMs + (hasMedium ? policy.mediumHoldMs : 0);
  const until = new Date(clockStart.getTime() + holdMs);
  if (now < until) return new CooldownStatus(release, policy, hasMedium, until, clockStart);

  if (pending) return heldStatus(clockStart, 'quarantined', `${formatReleaseId(release)} is quarantined: its analysis has not finished`, until);

  const blocking = findings.length > 0 ? findings.filter((f) => atOrAbove(f.severity, policy.reviewThreshold)) : noFindings;
  if (blocking.length > 0) return heldStatus(clockStart, 'awaiting-review', `${formatReleaseId(release)} is awaiting review: the analyzer reported ${kindsOf(blocking)}`, until);
  if (unreviewed.length > 0)
    return heldStatus(clockStart, 'awaiting-review', `${formatReleaseId(release)} is awaiting review: the analyzer reported ${kindsOf(unreviewed)} in ${filesOf(unreviewed)}, added to it later`, until);
  return new ReleasedStatus(release, until, clockStart);
}

/** A status that hides the release. A module function, not a closure made per call: this runs for every release on every read. */
function heldStatus(clockStart: Date, state: ReleaseState, reason: string, until: Date | null = null): ReleaseStatus {
  return { state, visible: false, until, clockStart, reason };
}

/*
 * The two statuses nearly every release has (released, or in its cooldown) spell their reason
 * only when it is read: a render decides hundreds of releases and reads no reason, a reviewer or
 * an audit entry reads one.
 */

/** A release past its hold with nothing to review. */
class ReleasedStatus implements ReleaseStatus {
  readonly state = 'released' as const;
  readonly visible = true;
  readonly #release: ReleaseFacts;

  constructor(
    release: ReleaseFacts,
    readonly until: Date,
    readonly clockStart: Date,
  ) {
    this.#release = release;
  }

  get reason(): string {
    return `${formatReleaseId(this.#release)} was released after its cooldown`;
  }
}

/** A release in its cooldown (plus the medium-finding hold, when it has medium findings). */
class CooldownStatus implements ReleaseStatus {
  readonly state = 'quarantined' as const;
  readonly visible = false;
  readonly #release: ReleaseFacts;
  readonly #policy: EffectivePolicy;
  readonly #hasMedium: boolean;

  constructor(
    release: ReleaseFacts,
    policy: EffectivePolicy,
    hasMedium: boolean,
    readonly until: Date,
    readonly clockStart: Date,
  ) {
    this.#release = release;
    this.#policy = policy;
    this.#hasMedium = hasMedium;
  }

  get reason(): string {
    const policy = this.#policy;
    const extra = this.#hasMedium && policy.mediumHoldMs > 0 ? ` plus ${formatDuration(policy.mediumHoldMs)} for medium findings` : '';
    return `${formatReleaseId(this.#release)} is quarantined until ${formatInstant(this.until)}: cooldown ${formatDuration(policy.cooldownMs)} ${clockNote(this.#release)}${extra}`;
  }
}

/**
 * Where the cooldown counts from: upstream's publish time, or first sight when upstream gave
 * none, but never before the release's clock floor, so a publish time that arrives late, or a
 * release that appears in a package Airlock had already read with a date from before that read,
 * cannot shorten the hold (both are how a backdated release would slip through).
 */
function cooldownStart(release: ReleaseFacts): Date {
  const given = release.publishedAt ?? release.firstSeenAt;
  const floor = release.clockFloorAt ?? null;
  return floor && floor > given ? floor : given;
}

/** How a reason says where the cooldown counts from (see `cooldownStart`). */
function clockNote(release: ReleaseFacts): string {
  const given = release.publishedAt ?? release.firstSeenAt;
  const floor = release.clockFloorAt ?? null;
  if (floor && floor > given)
    return release.publishedAt
      ? `from ${formatInstant(floor)}, when Airlock could first have seen it (upstream's publish time ${formatInstant(release.publishedAt)} is earlier)`
      : `from ${formatInstant(floor)}, when Airlock could first have seen it`;
  return release.publishedAt ? 'from upstream publish time' : 'from first sight (upstream gave no publish time)';
}

/**
 * Findings at the threshold in files added to the release later that no approval covers: they
 * send the release as a whole to review, while each file is still decided on its own.
 */
function laterFileFindings(findings: readonly StoredFinding[], approval: Decision | null, threshold: Severity): readonly StoredFinding[] {
  if (findings.length === 0) return noFindings;
  return findings.filter((f) => f.artifact && atOrAbove(f.severity, threshold) && !(approval && covers(approval, f.artifact.digest)));
}

/**
 * Whether an approval was made with this file present: bound to its digest. A decision recorded
 * without digests (by a store or tool that predates them) covers the files seen by then.
 */
function covers(approval: Decision, digest: string, firstSeenAt?: Date): boolean {
  if (approval.digests) return approval.digests.includes(digest);
  return firstSeenAt !== undefined && firstSeenAt <= approval.decidedAt;
}

function kindsOf(findings: readonly StoredFinding[]): string {
  return [...new Set(findings.map((f) => f.kind))].join(', ');
}

function filesOf(findings: readonly StoredFinding[]): string {
  return [...new Set(findings.map((f) => f.artifact?.filename))].join(', ');
}

/** Whether `severity` is at or above `threshold` (critical > high > medium > low). */
export function atOrAbove(severity: Severity, threshold: Severity): boolean {
  return severities.indexOf(severity) <= severities.indexOf(threshold);
}

/** `2026-12-01T10:00Z`: minutes are the useful precision for a hold, and short enough for a status line. */
export function formatInstant(date: Date): string {
  return `${date.toISOString().slice(0, 16)}Z`;
}
