import { describe, expect, it } from 'vitest';
import { effectivePolicy } from '../../src/policy/effective-policy.js';
import { parsePolicy } from '../../src/policy/load-policy.js';
import type { Decision } from '../../src/domain/decision.js';
import type { FileFacts, ReleaseFacts } from '../../src/domain/release.js';
import type { StoredFinding } from '../../src/domain/finding.js';
import { releaseStatus } from '../../src/quarantine/release-status.js';

const now = new Date('2026-11-20T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);
const policy = effectivePolicy(parsePolicy('cooldown: 72h\nmediumHold: 24h\n'), 'pypi', 'demo', '1.1.0');

const original = 'sha256:aaaa';
const late = 'sha256:bbbb';
const pth: StoredFinding = { kind: 'pth-exec-added', severity: 'critical', path: 'demo_init.pth', line: 1, message: 'a .pth runs code', artifact: { filename: 'demo-1.1.0-1-py3-none-any.whl', digest: late } };
const approval: Decision = { action: 'approve', reason: 'vetted', actor: 'alice', role: 'reviewer', decidedAt: hoursAgo(10), digests: [original] };

function release(overrides: Partial<ReleaseFacts> = {}): ReleaseFacts {
  return { ecosystem: 'pypi', name: 'demo', version: '1.1.0', publishedAt: hoursAgo(12), firstSeenAt: hoursAgo(11), analysis: 'done', findings: [], decision: null, withdrawnAt: null, ...overrides };
}

/** One file as `fileStatus` passes it: the release's facts with the file's own clock and facts. */
function file(r: ReleaseFacts, facts: Partial<FileFacts> & { uploadedAt: Date }): ReleaseFacts {
  const { uploadedAt, ...rest } = facts;
  return {
    ...r,
    publishedAt: uploadedAt,
    firstSeenAt: uploadedAt,
    file: { filename: 'demo-1.1.0-1-py3-none-any.whl', digest: late, firstSeenAt: uploadedAt, analysis: 'pending', findings: [], ...rest },
  };
}

describe('releaseStatus of one file', () => {
  it('serves a file an approval was made on, and holds one added after it on its own clock', () => {
    const r = release({ decision: approval });
    expect(releaseStatus(file(r, { digest: original, analysis: null, uploadedAt: hoursAgo(12) }), policy, now).state).toBe('approved');
    const added = releaseStatus(file(r, { uploadedAt: hoursAgo(1), analysis: 'done' }), policy, now);
    expect(added).toMatchObject({ state: 'quarantined', visible: false });
    expect(added.until?.toISOString()).toBe('2026-11-23T11:00:00.000Z');
  });

  it('keeps a file added later out of sight after its cooldown until its own analysis has finished', () => {
    const s = releaseStatus(file(release({ decision: approval }), { uploadedAt: hoursAgo(80), analysis: 'pending' }), policy, now);
    expect(s).toMatchObject({ state: 'quarantined', visible: false });
    expect(s.reason).toContain('its analysis has not finished');
  });

  it('sends a file added later with a finding at the threshold to review, and releases a clean one after its cooldown', () => {
    const r = release({ decision: approval, findings: [pth] });
    expect(releaseStatus(file(r, { uploadedAt: hoursAgo(80), analysis: 'done', findings: [pth] }), policy, now).state).toBe('awaiting-review');
    expect(releaseStatus(file(release({ decision: approval }), { uploadedAt: hoursAgo(80), analysis: 'done' }), policy, now).state).toBe('released');
  });

  it('lengthens only that file\'s hold for its own medium finding', () => {
    const medium: StoredFinding = { ...pth, kind: 'entry-point-added', severity: 'medium' };
    const s = releaseStatus(file(release(), { uploadedAt: hoursAgo(80), analysis: 'done', findings: [medium] }), policy, now);
    expect(s.state).toBe('quarantined');
    expect(s.reason).toContain('plus 24h for medium findings');
    // The release itself, and the files that came with it, keep their own hold.
    expect(releaseStatus(release({ findings: [medium], publishedAt: hoursAgo(80) }), policy, now).state).toBe('released');
  });

  it('holds a file added later to a release still awaiting review for the release\'s own findings too', () => {
    const own: StoredFinding = { ...pth, artifact: undefined, path: 'demo/setup_hook.py', kind: 'process-spawn-added', severity: 'high' };
    const s = releaseStatus(file(release({ findings: [own], publishedAt: hoursAgo(80) }), { uploadedAt: hoursAgo(80), analysis: 'done' }), policy, now);
    expect(s.state).toBe('awaiting-review');
  });

  it('lets a rejection cover every file, also those added after it', () => {
    const rejection: Decision = { ...approval, action: 'reject', reason: 'malware' };
    const s = releaseStatus(file(release({ decision: rejection }), { uploadedAt: hoursAgo(1), analysis: 'done' }), policy, now);
    expect(s).toMatchObject({ state: 'rejected', visible: false, reason: 'pypi:demo@1.1.0 was rejected by alice: malware' });
  });

  it('covers the files seen by then when a decision carries no digests', () => {
    const { digests: _, ...undigested } = approval;
    const r = release({ decision: undigested });
    expect(releaseStatus(file(r, { uploadedAt: hoursAgo(11), analysis: null }), policy, now).state).toBe('approved');
    expect(releaseStatus(file(r, { uploadedAt: hoursAgo(1), analysis: 'done' }), policy, now).state).toBe('quarantined');
  });
});

describe('releaseStatus of a release with a file added later', () => {
  it('sends an approved release to review for a finding in a file its approval does not cover', () => {
    const s = releaseStatus(release({ decision: approval, findings: [pth] }), policy, now);
    expect(s).toMatchObject({ state: 'awaiting-review', visible: false });
    expect(s.reason).toBe(
      'pypi:demo@1.1.0 is awaiting review: the analyzer reported pth-exec-added in demo-1.1.0-1-py3-none-any.whl, added after its approval (the files it was approved with are still served)',
    );
  });

  it('is approved again once a reviewer approves it with that file', () => {
    const again: Decision = { ...approval, digests: [original, late] };
    expect(releaseStatus(release({ decision: again, findings: [pth] }), policy, now).state).toBe('approved');
  });

  it('sends a release trusted by age to review after its cooldown for a finding in a file added to it', () => {
    const s = releaseStatus(release({ analysis: 'skipped', publishedAt: hoursAgo(2000), findings: [pth] }), policy, now);
    expect(s.state).toBe('awaiting-review');
    expect(s.reason).toContain('in demo-1.1.0-1-py3-none-any.whl, added to it later');
  });
});
