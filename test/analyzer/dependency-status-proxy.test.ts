import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';

const adminToken = 'test-admin-token-0123456789';

// The axios 2026 shape, inert: a trusted library's new release adds a dependency that was itself
// published hours earlier and is still held.
describe('a new dependency that is itself brand new, in the proxy', () => {
  let verdaccio: Verdaccio;
  let airlock: StartedAirlock;

  beforeAll(async () => {
    verdaccio = await startVerdaccio();
    await verdaccio.publish({ name: 'fresh-crypto', version: '4.2.1', files: { 'index.js': 'module.exports = 1;\n' } });
    await verdaccio.publish({ name: 'calm-http', version: '1.0.0', files: { 'index.js': "module.exports = 'one';\n" } });
    await verdaccio.publish({ name: 'calm-http', version: '1.1.0', manifest: { dependencies: { 'fresh-crypto': '^4.2.0' } }, files: { 'index.js': "module.exports = 'two';\n" } });
    airlock = await startAirlock({
      clock: new ManualClock(new Date()),
      policy: 'cooldown: 72h\npackages:\n  "npm:calm-http@1.0.0": { cooldown: 0 }\n',
      env: { AIRLOCK_ADMIN_TOKEN: adminToken, AIRLOCK_NPM_UPSTREAM: verdaccio.url },
    });
  }, 120_000);

  afterAll(async () => {
    await airlock?.close();
    await verdaccio?.stop();
  });

  it('reports dependency-added at high severity, naming the dependency’s own release and state', async () => {
    expect((await fetch(new URL('npm/fresh-crypto', airlock.url))).status).toBe(200);
    await airlock.airlock.analysis.idle();
    expect((await fetch(new URL('npm/calm-http', airlock.url))).status).toBe(200);
    await airlock.airlock.analysis.idle();
    const res = await fetch(new URL('api/v1/releases/npm:calm-http@1.1.0', airlock.url), { headers: { authorization: `Bearer ${adminToken}` } });
    const body = (await res.json()) as { findings: { kind: string; severity: string; message: string; related?: string }[] };
    expect(body.findings).toContainEqual(
      expect.objectContaining({
        kind: 'dependency-added',
        severity: 'high',
        related: 'npm:fresh-crypto@4.2.1',
        message: expect.stringContaining('npm:fresh-crypto@4.2.1 is quarantined in Airlock'),
      }),
    );
  });
});
