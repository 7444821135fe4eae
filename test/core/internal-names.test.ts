import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPypiUpstream, type PypiUpstream } from '../helpers/pypi-upstream.js';
import { buildWheel } from '../helpers/python-artifacts.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';

// Dependency-confusion guard: a name the policy marks internal exists upstream (an attacker published
// it), yet Airlock neither serves it nor asks upstream about it, in both ecosystems.
describe('internal names are never looked up upstream', () => {
  let verdaccio: Verdaccio;
  let pypi: PypiUpstream;
  let airlock: StartedAirlock;

  beforeAll(async () => {
    verdaccio = await startVerdaccio();
    await verdaccio.publish({ name: '@acme/secrets', version: '9.9.9' });
    pypi = await startPypiUpstream();
    pypi.add('acme-tools', buildWheel({ name: 'acme-tools', version: '9.9.9' }), { uploadedAt: new Date('2025-01-01T00:00:00Z') });
    airlock = await startAirlock({
      policy: 'cooldown: 0\nanalysisHorizon: 0\ninternal: ["npm:@acme/*", "pypi:acme-*"]\n',
      env: { AIRLOCK_NPM_UPSTREAM: verdaccio.url, AIRLOCK_PYPI_UPSTREAM: pypi.url },
    });
  });

  afterAll(async () => {
    await airlock?.close();
    await verdaccio?.stop();
    await pypi?.close();
  });

  it('answers 404 for an internal npm scope with the reason, though upstream has the package', async () => {
    const res = await fetch(`${airlock.url}npm/@acme%2fsecrets`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toBe(
      'npm:@acme/secrets is an internal name (policy internal "npm:@acme/*"); Airlock never fetches it from upstream',
    );
  });

  it('answers 404 for an internal PyPI name and never asks upstream for its page', async () => {
    const res = await fetch(`${airlock.url}pypi/simple/acme-tools/`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { detail: string }).detail).toContain('pypi:acme-tools is an internal name');
    expect(pypi.requests.filter((p) => p.includes('acme-tools'))).toEqual([]);
  });
});
