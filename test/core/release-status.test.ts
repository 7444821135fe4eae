import { describe, expect, it } from 'vitest';
import { effectivePolicy } from '../../src/policy/effective-policy.js';
import { parsePolicy } from '../../src/policy/load-policy.js';
import type { ReleaseFacts } from '../../src/domain/release.js';
import { releaseStatus } from '../../src/quarantine/release-status.js';

const now = new Date('2026-11-20T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);

function release(overrides: Partial<ReleaseFacts> = {}): ReleaseFacts {
  return {
    ecosystem: 'npm',
    name: 'left-pad',
    version: '2.0.0',
    publishedAt: hoursAgo(2),
    firstSeenAt: hoursAgo(1),
    analysis: 'skipped',
    findings: [],
    decision: null,
    withdrawnAt: null,
    ...overrides,
  };
}

const policy = parsePolicy('cooldown: 72h\nmediumHold: 24h\npackages:\n  "npm:@acme/*": { cooldown: 0 }\n  "npm:@acme/risky": { cooldown: 7d }\ninternal: ["npm:@corp/*"]\nblock: ["npm:event-stream@3.3.6"]\n');
const eff = (name: string, version?: string) => effectivePolicy(policy, 'npm', name, version);

describe('releaseStatus', () => {
  it('hides left-pad@2.0.0, published 2h ago, under a 72h cooldown, until 70h from now', () => {
    const s = releaseStatus(release(), eff('left-pad'), now);
    expect(s.state).toBe('quarantined');
    expect(s.visible).toBe(false);
    expect(s.until?.toISOString()).toBe('2026-11-23T10:00:00.000Z');
    expect(s.reason).toBe('npm:left-pad@2.0.0 is quarantined until 2026-11-23T10:00Z: cooldown 72h from upstream publish time');
  });

  it('releases it once the cooldown has passed and the analysis is clean', () => {
    const s = releaseStatus(release({ publishedAt: hoursAgo(73), analysis: 'done' }), eff('left-pad'), now);
    expect(s).toMatchObject({ state: 'released', visible: true });
  });

  it('counts from first sight when upstream gives no publish time (fails closed)', () => {
    const s = releaseStatus(release({ publishedAt: null, firstSeenAt: hoursAgo(10) }), eff('left-pad'), now);
    expect(s.state).toBe('quarantined');
    expect(s.reason).toContain('from first sight');
  });

  it('keeps a release whose analysis has not finished out of sight after the cooldown', () => {
    const s = releaseStatus(release({ publishedAt: hoursAgo(100), analysis: 'pending' }), eff('left-pad'), now);
    expect(s).toMatchObject({ state: 'quarantined', visible: false });
  });

  it('sends a release with a high finding to awaiting-review after the cooldown', () => {
    const findings = [{ kind: 'install-script-added', severity: 'critical' as const, path: 'package.json', line: 5, message: 'x' }];
    const s = releaseStatus(release({ publishedAt: hoursAgo(100), analysis: 'done', findings }), eff('left-pad'), now);
    expect(s.state).toBe('awaiting-review');
    expect(s.reason).toContain('install-script-added');
  });

  it('lengthens the hold by mediumHold when there are medium findings', () => {
    const findings = [{ kind: 'new-package', severity: 'medium' as const, path: null, line: null, message: 'x' }];
    const s = releaseStatus(release({ publishedAt: hoursAgo(80), analysis: 'done', findings }), eff('left-pad'), now);
    expect(s.state).toBe('quarantined');
    expect(s.reason).toContain('plus 24h for medium findings');
  });

  it('lets an early approval through and a revocation take it away', () => {
    const approved = release({ decision: { action: 'approve', reason: 'hotfix', actor: 'alice', role: 'reviewer', decidedAt: now } });
    expect(releaseStatus(approved, eff('left-pad'), now)).toMatchObject({ state: 'approved', visible: true });
    const revoked = release({ decision: { action: 'revoke', reason: 'advisory', actor: 'bob', role: 'reviewer', decidedAt: now } });
    expect(releaseStatus(revoked, eff('left-pad'), now)).toMatchObject({ state: 'rejected', visible: false });
    expect(releaseStatus(revoked, eff('left-pad'), now).reason).toBe('npm:left-pad@2.0.0 was revoked by bob: advisory');
  });

  it('hides an early approval once upstream withdraws the release, and keeps a later approval', () => {
    const approvedAt = hoursAgo(1);
    const early = release({ decision: { action: 'approve', reason: 'hotfix', actor: 'alice', role: 'reviewer', decidedAt: approvedAt }, withdrawnAt: now });
    expect(releaseStatus(early, eff('left-pad'), now)).toMatchObject({ state: 'withdrawn', visible: false });
    expect(releaseStatus(early, eff('left-pad'), now).reason).toContain('withdrawn upstream after alice approved it early');
    const afterCooldown = release({
      publishedAt: hoursAgo(100),
      decision: { action: 'approve', reason: 'reviewed', actor: 'alice', role: 'reviewer', decidedAt: approvedAt },
      withdrawnAt: now,
    });
    expect(releaseStatus(afterCooldown, eff('left-pad'), now)).toMatchObject({ state: 'approved', visible: true });
    const reapproved = release({ decision: { action: 'approve', reason: 'again', actor: 'bob', role: 'reviewer', decidedAt: now }, withdrawnAt: approvedAt });
    expect(releaseStatus(reapproved, eff('left-pad'), now)).toMatchObject({ state: 'approved', visible: true });
  });

  it('never counts the cooldown from before the clock floor, whatever the publish time says', () => {
    const backdated = release({ publishedAt: hoursAgo(1000), firstSeenAt: hoursAgo(10), clockFloorAt: hoursAgo(10) });
    const s = releaseStatus(backdated, eff('left-pad'), now);
    expect(s).toMatchObject({ state: 'quarantined', clockStart: hoursAgo(10) });
    expect(s.reason).toContain("when Airlock could first have seen it (upstream's publish time");
    const honest = release({ publishedAt: hoursAgo(5), firstSeenAt: hoursAgo(1), clockFloorAt: hoursAgo(10) });
    expect(releaseStatus(honest, eff('left-pad'), now).clockStart).toEqual(hoursAgo(5));
  });

  it('applies the most specific package rule and says where each setting came from', () => {
    expect(eff('@acme/widget')).toMatchObject({ cooldownMs: 0, sources: { cooldownMs: 'packages["npm:@acme/*"]' } });
    expect(eff('@acme/risky')).toMatchObject({ cooldownMs: 7 * 86_400_000, sources: { cooldownMs: 'packages["npm:@acme/risky"]' } });
    expect(eff('express').sources.cooldownMs).toBe('default');
  });

  it('never serves internal names or blocked releases', () => {
    expect(releaseStatus(release({ name: '@corp/secret', publishedAt: hoursAgo(1000) }), eff('@corp/secret'), now).state).toBe('rejected');
    const blocked = release({ name: 'event-stream', version: '3.3.6', publishedAt: hoursAgo(1000) });
    expect(releaseStatus(blocked, eff('event-stream', '3.3.6'), now).reason).toContain('blocked by policy');
  });
});

describe('parsePolicy', () => {
  it('reports every problem at once', () => {
    let message = '';
    try {
      parsePolicy('cooldown: soon\nreviewThreshold: scary\npackages:\n  "left-pad": {}\nextra: 1\n');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('cooldown must be a duration like 72h, 30d or 0, got "soon"');
    expect(message).toContain('reviewThreshold must be one of critical, high, medium, low, got "scary"');
    expect(message).toContain('packages["left-pad"]: must start with npm: or pypi:');
    expect(message).toContain('unknown key "extra"');
  });
});
