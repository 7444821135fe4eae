import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { startPypiUpstream, type PypiUpstream } from '../helpers/pypi-upstream.js';
import { buildWheel } from '../helpers/python-artifacts.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { pipClient } from './pip-client.js';
import { revalidated } from './revalidated.js';

const hour = 3_600_000;
const adminToken = 'test-admin-token-0123456789';
const jsonPage = { accept: 'application/vnd.pypi.simple.v1+json' };
// Runs at every interpreter start once installed into site-packages (pip --target never runs it).
const pth = { 'hold_demo_init.pth': 'import os; os.environ.get("HOME")\n' };

interface Finding {
  kind: string;
  severity: string;
  path: string | null;
  artifact?: { filename: string; digest: string };
}

/**
 * Upstream adds a file to a release Airlock already knows: a build-tag wheel (pip prefers the
 * higher build number) is the way to slip new code into a release clients already trust.
 */
describe('a file added upstream to a known release', () => {
  const clock = new ManualClock('2026-03-24T12:00:00Z');
  const hoursAgo = (h: number) => new Date(clock.now().getTime() - h * hour);
  let upstream: PypiUpstream;
  let airlock: StartedAirlock;
  let index: string;
  const lateApproved = buildWheel({ name: 'hold-demo', version: '1.1.0', build: 1, files: pth });
  const lateOld = buildWheel({ name: 'hold-demo', version: '1.0.0', build: 1, files: pth });
  const lateClean = buildWheel({ name: 'clean-demo', version: '1.1.0', build: 1 });

  const api = async (urlPath: string, init: RequestInit = {}) => {
    const res = await fetch(new URL(`api/v1/${urlPath}`, airlock.url), {
      ...init,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', ...init.headers },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const listed = async (project: string) => {
    const res = await fetch(`${index}${project}/`, { headers: jsonPage });
    return ((await res.json()) as { files: { filename: string }[] }).files.map((f) => f.filename);
  };
  const file = (project: string, version: string, filename: string) => fetch(`${airlock.url}pypi/files/${project}/${version}/${filename}`);

  beforeAll(async () => {
    upstream = await startPypiUpstream();
    // 1.0.0 is months old: trusted by age. 1.1.0 is new, approved early by a reviewer.
    upstream.add('hold-demo', buildWheel({ name: 'hold-demo', version: '1.0.0' }), { uploadedAt: hoursAgo(2000) });
    upstream.add('hold-demo', buildWheel({ name: 'hold-demo', version: '1.1.0' }), { uploadedAt: hoursAgo(2) });
    upstream.add('clean-demo', buildWheel({ name: 'clean-demo', version: '1.0.0' }), { uploadedAt: hoursAgo(2000) });
    upstream.add('clean-demo', buildWheel({ name: 'clean-demo', version: '1.1.0' }), { uploadedAt: hoursAgo(2) });
    airlock = await startAirlock({
      env: { AIRLOCK_PYPI_UPSTREAM: upstream.url, AIRLOCK_INDEX_TTL: '0', AIRLOCK_ADMIN_TOKEN: adminToken },
      clock,
    });
    index = `${airlock.url}pypi/simple/`;
    for (const project of ['hold-demo', 'clean-demo']) {
      await listed(project);
      await airlock.airlock.analysis.idle();
      const approved = await api(`releases/pypi:${project}@1.1.0/approve`, { method: 'POST', body: JSON.stringify({ reason: 'vetted the diff' }) });
      expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    }
  });

  afterAll(async () => {
    await airlock?.close();
    await upstream?.close();
  });

  it('keeps a .pth wheel added to an early-approved release out of the index, analyzes it and sends the release to review, while pip still installs the approved wheel', async () => {
    upstream.add('hold-demo', lateApproved, { uploadedAt: clock.now() });
    await revalidated(airlock, upstream, 'hold-demo');
    expect(await listed('hold-demo')).toEqual(['hold_demo-1.0.0-py3-none-any.whl', 'hold_demo-1.1.0-py3-none-any.whl']);
    const direct = await file('hold-demo', '1.1.0', lateApproved.filename);
    expect(direct.status).toBe(403);

    await airlock.airlock.analysis.idle();
    const release = await api('releases/pypi:hold-demo@1.1.0');
    expect(release.body.state).toBe('awaiting-review');
    expect(release.body.reason).toContain(lateApproved.filename);
    const findings = release.body.findings as Finding[];
    expect(findings).toContainEqual(
      expect.objectContaining({ kind: 'pth-exec-added', severity: 'critical', path: 'hold_demo_init.pth', artifact: expect.objectContaining({ filename: lateApproved.filename }) }),
    );
    const queue = await api('releases?state=awaiting-review');
    expect((queue.body.releases as { id: string }[]).map((r) => r.id)).toContain('pypi:hold-demo@1.1.0');
    // Held for its own cooldown first, then until a reviewer decides (below, after the cooldown).
    const held = await file('hold-demo', '1.1.0', lateApproved.filename);
    expect(held.status).toBe(403);
    expect(held.statusText).toBe('Quarantined until 2026-03-27T12:00Z');

    const pip = await pipClient(index);
    try {
      const result = await pip.install(['hold-demo==1.1.0']);
      expect(result.code, result.output).toBe(0);
      expect(result.output).toContain('Successfully installed hold-demo-1.1.0');
      expect(await readdir(pip.target)).not.toContain('hold_demo_init.pth');
      const download = await pip.download(['hold-demo==1.1.0']);
      expect(download.code, download.output).toBe(0);
      expect(await readdir(pip.downloads)).toEqual(['hold_demo-1.1.0-py3-none-any.whl']);
    } finally {
      await pip.remove();
    }
  });

  it('holds a .pth wheel added to an old release trusted by age on its own clock and analyzes it', async () => {
    upstream.add('hold-demo', lateOld, { uploadedAt: clock.now() });
    await revalidated(airlock, upstream, 'hold-demo');
    const held = await file('hold-demo', '1.0.0', lateOld.filename);
    expect(held.status).toBe(403);
    expect(held.statusText).toBe('Quarantined until 2026-03-27T12:00Z');
    await airlock.airlock.analysis.idle();
    const release = await api('releases/pypi:hold-demo@1.0.0');
    expect(release.body.analysis).toBe('skipped');
    const history = (release.body.history as { action: string; reason: string }[]).map((e) => `${e.action}: ${e.reason}`);
    expect(history.some((h) => h.startsWith(`file-added: ${lateOld.filename} was added upstream`))).toBe(true);
    expect(history).toContainEqual(`analyzed: ${lateOld.filename}, added to the release later: 1 finding(s): pth-exec-added`);
    expect(release.body.state).toBe('awaiting-review');
    expect(release.body.findings as Finding[]).toContainEqual(
      expect.objectContaining({ kind: 'pth-exec-added', path: 'hold_demo_init.pth', artifact: expect.objectContaining({ filename: lateOld.filename }) }),
    );
  });

  it('holds a clean wheel added to an early-approved release for its own cooldown', async () => {
    upstream.add('clean-demo', lateClean, { uploadedAt: clock.now() });
    await revalidated(airlock, upstream, 'clean-demo');
    expect(await listed('clean-demo')).toEqual(['clean_demo-1.0.0-py3-none-any.whl', 'clean_demo-1.1.0-py3-none-any.whl']);
    const held = await file('clean-demo', '1.1.0', lateClean.filename);
    expect(held.status).toBe(403);
    expect(held.statusText).toBe('Quarantined until 2026-03-27T12:00Z');
    await airlock.airlock.analysis.idle();
    const release = await api('releases/pypi:clean-demo@1.1.0');
    expect(release.body.state).toBe('approved');
    expect(release.body.findings).toEqual([]);
    const history = (release.body.history as { action: string; reason: string }[]).map((e) => `${e.action}: ${e.reason}`);
    expect(history).toContain(`analyzed: ${lateClean.filename}, added to the release later: no findings`);
  });

  it('after the late files\' cooldown serves the clean one, and still not the .pth ones while their finding awaits review', async () => {
    clock.advance('73h');
    expect(await listed('clean-demo')).toContain(lateClean.filename);
    expect(await listed('hold-demo')).toEqual(['hold_demo-1.0.0-py3-none-any.whl', 'hold_demo-1.1.0-py3-none-any.whl']);
    for (const [version, late] of [['1.0.0', lateOld], ['1.1.0', lateApproved]] as const) {
      const res = await file('hold-demo', version, late.filename);
      expect(res.status).toBe(403);
      expect(res.statusText).toBe('Awaiting review');
      expect(((await res.json()) as { detail: string }).detail).toContain('pth-exec-added');
    }

    const pip = await pipClient(index);
    try {
      const clean = await pip.download(['clean-demo==1.1.0']);
      expect(clean.code, clean.output).toBe(0);
      expect(await readdir(pip.downloads)).toEqual([lateClean.filename]);
      const old = await pip.download(['hold-demo==1.0.0']);
      expect(old.code, old.output).toBe(0);
      expect(await readdir(pip.downloads)).toContain('hold_demo-1.0.0-py3-none-any.whl');
      expect(await readdir(pip.downloads)).not.toContain(lateOld.filename);
    } finally {
      await pip.remove();
    }
  });

  it('serves the .pth wheel once a reviewer approves the release again, now with that file', async () => {
    const approved = await api('releases/pypi:hold-demo@1.1.0/approve', { method: 'POST', body: JSON.stringify({ reason: 'the .pth is the vendor\'s own' }) });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect((approved.body.release as { state: string }).state).toBe('approved');
    const pip = await pipClient(index);
    try {
      const result = await pip.download(['hold-demo==1.1.0']);
      expect(result.code, result.output).toBe(0);
      expect(await readdir(pip.downloads)).toEqual([path.basename(lateApproved.filename)]);
    } finally {
      await pip.remove();
    }
  });
});
