import { createHash } from 'node:crypto';
import type { AppContext } from '../app-context.js';
import { severities, type Severity } from '../domain/severity.js';
import type { Release } from '../domain/release.js';
import type { ReleaseState } from '../domain/release-state.js';
import type { StoredFinding } from '../domain/finding.js';
import type { ReleaseStatus } from '../quarantine/release-status.js';
import { formatReleaseId } from '../domain/release-id.js';
import type { PageEvidence } from './release-evidence.js';

export interface ReleaseSummary {
  id: string;
  ecosystem: Release['ecosystem'];
  name: string;
  version: string;
  state: ReleaseState;
  visible: boolean;
  reason: string;
  /** When the hold ends; null when no clock applies. */
  until: string | null;
  /** Milliseconds until the hold ends (0 when over), for countdowns. */
  remainingMs: number | null;
  publishedAt: string | null;
  firstSeenAt: string;
  analysis: Release['analysis'];
  analyzedAt: string | null;
  baselineVersion: string | null;
  decision: { action: string; reason: string; actor: string; role: string; decidedAt: string } | null;
  withdrawnAt: string | null;
  findingCounts: Record<Severity, number>;
  /** Highest severity among the findings; null without findings. */
  topSeverity: Severity | null;
  /** The kinds of the findings, most severe first, each once. */
  findingKinds: string[];
  /**
   * Undecided releases with the same key wait on the same findings: same package, same
   * baseline, and the same kinds in the same files among the findings at or above the review
   * threshold (lines may differ, as a rebuilt bundle moves them). Null when nothing is waiting.
   */
  sameFindings: string | null;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function summarize(release: Release, status: ReleaseStatus, now: Date, reviewThreshold: Severity = 'high'): ReleaseSummary {
  const findingCounts = { critical: 0, high: 0, medium: 0, low: 0 } satisfies Record<Severity, number>;
  for (const f of release.findings) findingCounts[f.severity] += 1;
  const topSeverity = severities.find((s) => findingCounts[s] > 0) ?? null;
  return {
    id: formatReleaseId(release),
    ecosystem: release.ecosystem,
    name: release.name,
    version: release.version,
    state: status.state,
    visible: status.visible,
    reason: status.reason,
    until: iso(status.until),
    remainingMs: status.until ? Math.max(0, status.until.getTime() - now.getTime()) : null,
    publishedAt: iso(release.publishedAt),
    firstSeenAt: release.firstSeenAt.toISOString(),
    analysis: release.analysis,
    analyzedAt: iso(release.analyzedAt),
    baselineVersion: release.baselineVersion,
    decision: release.decision ? { ...release.decision, decidedAt: release.decision.decidedAt.toISOString() } : null,
    withdrawnAt: iso(release.withdrawnAt),
    findingCounts,
    topSeverity,
    findingKinds: [...new Set(sortFindings(release.findings).map((f) => f.kind))],
    sameFindings: sameFindingsKey(release, status, reviewThreshold),
  };
}

function sameFindingsKey(release: Release, status: ReleaseStatus, reviewThreshold: Severity): string | null {
  if (status.state !== 'awaiting-review' && status.state !== 'quarantined') return null;
  const limit = severities.indexOf(reviewThreshold);
  const shared = [...new Set(release.findings.filter((f) => severities.indexOf(f.severity) <= limit).map((f) => `${f.kind}\0${f.path ?? ''}`))].sort();
  if (shared.length === 0) return null;
  const text = [release.ecosystem, release.name, release.baselineVersion ?? '', ...shared].join('\n');
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Findings most severe first, then by file and line, so the page and the CLI read the same way. */
export function sortFindings(findings: readonly StoredFinding[]): StoredFinding[] {
  return [...findings].sort(
    (a, b) =>
      severities.indexOf(a.severity) - severities.indexOf(b.severity) ||
      (a.path ?? '').localeCompare(b.path ?? '') ||
      (a.line ?? 0) - (b.line ?? 0),
  );
}

/**
 * Everything a reviewer needs about one release: status, effective policy and its sources,
 * findings (with the window around each one's evidence, when `evidence` is given), the diff
 * summary, the other releases waiting on the same findings, history.
 */
export async function describeRelease(ctx: AppContext, release: Release, evidence?: PageEvidence) {
  const now = ctx.clock.now();
  const status = ctx.quarantine.status(release, now);
  const policy = ctx.quarantine.policyFor(release.ecosystem, release.name, release.version);
  const id = formatReleaseId(release);
  const audit = (await ctx.store.listAudit({ subject: id, limit: 500, order: 'oldest' })).filter((e) => e.subject === id);
  // A release trusted by age has no entry of its own: the package-level one that covers it explains it.
  const pkg = `${release.ecosystem}:${release.name}`;
  const byAge = (await ctx.store.listAudit({ subject: pkg, action: 'trusted-by-age', limit: 100, order: 'oldest' })).filter(
    (e) => e.subject === pkg && Array.isArray(e.detail.versions) && e.detail.versions.includes(release.version),
  );
  if (byAge.length > 0) {
    audit.push(...byAge);
    audit.sort((a, b) => a.id - b.id);
  }
  const artifacts = await ctx.store.listArtifacts(release.id);
  const findings = sortFindings(release.findings.map((f, i) => (evidence ? { ...f, excerpt: evidence.findings[i] ?? null } : f)));
  const summary = summarize(release, status, now, policy.reviewThreshold);
  const sharesFindingsWith: string[] = [];
  if (summary.sameFindings) {
    for (const other of await ctx.store.listReleases({ ecosystem: release.ecosystem, name: release.name, undecided: true })) {
      if (other.id === release.id) continue;
      const p = ctx.quarantine.policyFor(other.ecosystem, other.name, other.version);
      if (summarize(other, ctx.quarantine.status(other, now), now, p.reviewThreshold).sameFindings === summary.sameFindings) sharesFindingsWith.push(formatReleaseId(other));
    }
  }
  return {
    ...summary,
    sharesFindingsWith,
    diffSummary: evidence?.diff ?? null,
    evidenceError: evidence?.error ?? null,
    clockStart: status.clockStart.toISOString(),
    policy: {
      cooldownMs: policy.cooldownMs,
      reviewThreshold: policy.reviewThreshold,
      analysisHorizonMs: policy.analysisHorizonMs,
      mediumHoldMs: policy.mediumHoldMs,
      sources: policy.sources,
      blockedBy: policy.blockedBy,
      internalBy: policy.internalBy,
    },
    findings,
    findingsBySeverity: Object.fromEntries(severities.map((s) => [s, findings.filter((f) => f.severity === s)])),
    artifacts: artifacts.map((a) => ({ filename: a.filename, size: a.size, publishedAt: iso(a.publishedAt), stored: a.blobKey !== null })),
    history: audit.map((e) => ({ at: e.at.toISOString(), actor: e.actor, role: e.role, action: e.action, reason: e.reason, detail: e.detail })),
  };
}

/** Review order: most severe first, then the newest; quarantined ones by soonest end of hold. */
export function byRisk(a: ReleaseSummary, b: ReleaseSummary): number {
  const rank = (s: ReleaseSummary) => (s.topSeverity ? severities.indexOf(s.topSeverity) : severities.length);
  return rank(a) - rank(b) || (b.analyzedAt ?? b.firstSeenAt).localeCompare(a.analyzedAt ?? a.firstSeenAt);
}
