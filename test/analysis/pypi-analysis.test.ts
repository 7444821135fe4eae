import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { startPypiUpstream, type PypiUpstream } from '../helpers/pypi-upstream.js';
import { buildWheel } from '../helpers/python-artifacts.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { pipClient } from '../pypi/pip-client.js';

const hour = 3_600_000;
const adminToken = 'test-admin-token-0123456789';

// A harmless replica of the March 2026 litellm compromise: the payloads decode to nothing that runs
// and the hosts are under .invalid. What matters is the shape the analyzer must see.
const payload = Buffer.from("print('replica payload: models.litellm.invalid')").toString('base64');
const proxyServer = (extra: string) => `import os\n\n\ndef start_proxy():\n    return os.environ.get("PORT", "4000")\n${extra}`;

describe('analysis in the proxy: the litellm 1.82.7/1.82.8 replica through pip', () => {
  const clock = new ManualClock('2026-03-24T10:00:00Z');
  const hoursAgo = (h: number) => new Date(clock.now().getTime() - h * hour);
  let upstream: PypiUpstream;
  let airlock: StartedAirlock;
  let index: string;

  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(new URL(`api/v1/${path}`, airlock.url), {
      ...init,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json', ...init.headers },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    upstream = await startPypiUpstream();
    const files = { 'litellm/proxy/proxy_server.py': proxyServer('') };
    // 1.82.6 is months old: trusted by age, the baseline for what follows.
    upstream.add('litellm', buildWheel({ name: 'litellm', version: '1.82.6', files }), { uploadedAt: hoursAgo(2000) });
    upstream.add(
      'litellm',
      buildWheel({
        name: 'litellm',
        version: '1.82.7',
        files: { 'litellm/proxy/proxy_server.py': proxyServer(`\nimport base64\nexec(base64.b64decode("${payload}"))\n`) },
      }),
      { uploadedAt: hoursAgo(1) },
    );
    upstream.add(
      'litellm',
      buildWheel({
        name: 'litellm',
        version: '1.82.8',
        files: { ...files, 'litellm_init.pth': `import os, base64; exec(base64.b64decode("${payload}"))\n` },
      }),
      { uploadedAt: hoursAgo(1) },
    );
    // An honest follow-up release with an ordinary change.
    upstream.add(
      'litellm',
      buildWheel({ name: 'litellm', version: '1.82.9', files: { 'litellm/proxy/proxy_server.py': proxyServer('\n\ndef stop_proxy():\n    return None\n') } }),
      { uploadedAt: hoursAgo(1) },
    );
    airlock = await startAirlock({
      env: { AIRLOCK_PYPI_UPSTREAM: upstream.url, AIRLOCK_INDEX_TTL: '0', AIRLOCK_ADMIN_TOKEN: adminToken },
      clock,
    });
    index = `${airlock.url}pypi/simple/`;
  });

  afterAll(async () => {
    await airlock?.close();
    await upstream?.close();
  });

  it('serves only the old release while the new ones are analyzed and held', async () => {
    const page = await fetch(`${index}litellm/`, { headers: { accept: 'application/vnd.pypi.simple.v1+json' } });
    expect(((await page.json()) as { versions: string[] }).versions).toEqual(['1.82.6']);
    await airlock.airlock.analysis.idle();
    const release = await airlock.store.getRelease('pypi', 'litellm', '1.82.6');
    expect(release?.analysis).toBe('skipped');
  });

  it('records the .pth startup hook and the decoded exec, each with file and line, against 1.82.6', async () => {
    const r8 = await api('releases/pypi:litellm@1.82.8');
    expect(r8.status).toBe(200);
    expect(r8.body.baselineVersion).toBe('1.82.6');
    const f8 = r8.body.findings as { kind: string; severity: string; path: string; line: number }[];
    expect(f8).toContainEqual(expect.objectContaining({ kind: 'pth-exec-added', severity: 'critical', path: 'litellm_init.pth', line: 1 }));

    const r7 = await api('releases/pypi:litellm@1.82.7');
    const f7 = r7.body.findings as { kind: string; severity: string; path: string; line: number }[];
    expect(f7).toContainEqual(expect.objectContaining({ kind: 'decode-exec', severity: 'critical', path: 'litellm/proxy/proxy_server.py' }));
    expect(f7.find((f) => f.kind === 'decode-exec')?.line).toBe(8);

    const r9 = await api('releases/pypi:litellm@1.82.9');
    expect(r9.body.findings).toEqual([]);
  });

  it('after the cooldown pip gets the clean 1.82.9, while 1.82.7 and 1.82.8 wait for a reviewer', async () => {
    clock.advance('73h');
    const pip = await pipClient(index);
    try {
      const latest = await pip.install(['litellm']);
      expect(latest.code, latest.output).toBe(0);
      expect(latest.output).toContain('Successfully installed litellm-1.82.9');

      const pinned = await pip.install(['litellm==1.82.8']);
      expect(pinned.code).not.toBe(0);
      expect(pinned.output).toContain('Could not find a version that satisfies the requirement litellm==1.82.8 (from versions: 1.82.6, 1.82.9)');

      const direct = await fetch(`${airlock.url}pypi/files/litellm/1.82.8/litellm-1.82.8-py3-none-any.whl`);
      expect(direct.status).toBe(403);
      const problem = (await direct.json()) as { detail: string };
      expect(problem.detail).toContain('pypi:litellm@1.82.8 is awaiting review: the analyzer reported');
      expect(problem.detail).toContain('pth-exec-added');
    } finally {
      await pip.remove();
    }
    const queue = await api('releases?state=awaiting-review');
    const ids = (queue.body.releases as { id: string }[]).map((r) => r.id).sort();
    expect(ids).toEqual(['pypi:litellm@1.82.7', 'pypi:litellm@1.82.8']);
  });
});
