import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Base64Url, zipBuffer, type ArchiveEntry } from '../helpers/build-archives.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { startPypiUpstream, type PypiUpstream } from '../helpers/pypi-upstream.js';
import { buildWheel, type PythonArtifact } from '../helpers/python-artifacts.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';

const hour = 3_600_000;
const adminToken = 'test-admin-token-0123456789';

/**
 * The zip name differential from the adversarial test: the raw (central directory) name is a
 * `.pth` that pip on Python 3.11 installs and runs; the Info-ZIP Unicode Path extra field says it
 * is a harmless text file. The payload is inert.
 */
function zipdiffWheel(version: string): PythonArtifact {
  const info = `zipdiff-${version}.dist-info`;
  const files: Record<string, string> = {
    'zipdiff/__init__.py': `__version__ = ${JSON.stringify(version)}\n`,
    'zipdiff-init.pth': 'import os; os.environ.setdefault("ZIPDIFF_REPLICA", "1")\n',
    [`${info}/METADATA`]: `Metadata-Version: 2.1\nName: zipdiff\nVersion: ${version}\n`,
    [`${info}/WHEEL`]: 'Wheel-Version: 1.0\nGenerator: airlock-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
  };
  files[`${info}/RECORD`] =
    Object.entries(files)
      .map(([p, d]) => `${p},sha256=${sha256Base64Url(d)},${Buffer.byteLength(d)}`)
      .join('\n') + `\n${info}/RECORD,,\n`;
  const entries: ArchiveEntry[] = Object.entries(files).map(([path, data]) => (path === 'zipdiff-init.pth' ? { path, data, unicodePath: 'zipdiff/notes.txt' } : { path, data }));
  return { filename: `zipdiff-${version}-py3-none-any.whl`, bytes: zipBuffer(entries), metadata: Buffer.from(files[`${info}/METADATA`]!) };
}

describe('a wheel whose entry names disagree, through the proxy', () => {
  const clock = new ManualClock('2026-06-01T10:00:00Z');
  let upstream: PypiUpstream;
  let airlock: StartedAirlock;

  beforeAll(async () => {
    upstream = await startPypiUpstream();
    upstream.add('zipdiff', buildWheel({ name: 'zipdiff', version: '1.0.0' }), { uploadedAt: new Date(clock.now().getTime() - 2000 * hour) });
    upstream.add('zipdiff', zipdiffWheel('1.1.0'), { uploadedAt: new Date(clock.now().getTime() - hour) });
    airlock = await startAirlock({ env: { AIRLOCK_PYPI_UPSTREAM: upstream.url, AIRLOCK_INDEX_TTL: '0', AIRLOCK_ADMIN_TOKEN: adminToken }, clock });
  });

  afterAll(async () => {
    await airlock?.close();
    await upstream?.close();
  });

  it('waits for review with an analysis-error naming both names, and is not served after the cooldown', async () => {
    await fetch(`${airlock.url}pypi/simple/zipdiff/`, { headers: { accept: 'application/vnd.pypi.simple.v1+json' } });
    await airlock.airlock.analysis.idle();
    clock.advance('73h');
    const res = await fetch(new URL('api/v1/releases/pypi:zipdiff@1.1.0', airlock.url), { headers: { authorization: `Bearer ${adminToken}` } });
    const body = (await res.json()) as { state: string; findings: { kind: string; severity: string; message: string }[] };
    expect(body.state).toBe('awaiting-review');
    expect(body.findings).toContainEqual(expect.objectContaining({ kind: 'analysis-error', severity: 'high', message: expect.stringMatching(/`zipdiff-init\.pth`.*`zipdiff\/notes\.txt`/) }));
    const page = await fetch(`${airlock.url}pypi/simple/zipdiff/`, { headers: { accept: 'application/vnd.pypi.simple.v1+json' } });
    expect(((await page.json()) as { versions: string[] }).versions).toEqual(['1.0.0']);
  });
});
