import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { run, type RunResult } from '../helpers/run.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { adminToken, postinstallFinding, reviewPolicy, seedRelease } from './review-fixtures.js';

const entry = path.resolve('src/cli/main.ts');
let airlock: StartedAirlock;
let reviewerToken: string;

/** Runs the CLI in a real child process, as an operator would. */
function airlockCli(args: string[], env: Record<string, string | undefined> = {}): Promise<RunResult> {
  return run(process.execPath, ['--import', 'tsx', entry, ...args], {
    env: { AIRLOCK_URL: airlock.url, AIRLOCK_TOKEN: undefined, AIRLOCK_STORAGE: airlock.storageDir, ...env },
    timeoutMs: 60_000,
  });
}

beforeAll(async () => {
  airlock = await startAirlock({ clock: new ManualClock('2026-03-24T12:00:00Z'), policy: reviewPolicy, env: { AIRLOCK_ADMIN_TOKEN: adminToken } });
  await seedRelease(airlock, { name: 'demo-lib', version: '1.0.0', publishedHoursAgo: 24 * 30, findings: [] });
  await seedRelease(airlock, { name: 'demo-lib', version: '2.0.0', publishedHoursAgo: 80, findings: [postinstallFinding], baselineVersion: '1.0.0' });
  await seedRelease(airlock, { name: 'evil', version: '6.6.6', publishedHoursAgo: 75, findings: [{ ...postinstallFinding, message: 'curl | sh' }] });
  await seedRelease(airlock, { name: 'fresh', version: '0.1.0', publishedHoursAgo: 6, findings: [] });
}, 60_000);

afterAll(async () => {
  await airlock?.close();
});

describe('airlock token', () => {
  it('creates a reviewer token on the server storage, printing it once', async () => {
    const res = await airlockCli(['token', 'create', '--name', 'alice', '--role', 'reviewer']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^airlock_[A-Za-z0-9_-]{43}\n$/);
    expect(res.stderr).toMatch(/created reviewer token "alice" \(id \d+\) in .*airlock\.db; it is shown only this once/);
    reviewerToken = res.stdout.trim();
    const list = await airlockCli(['token', 'list']);
    expect(list.stdout).toMatch(/alice\s+reviewer\s+created .* by local/);
    expect(list.stdout).not.toContain(reviewerToken);
  });

  it('creates a token through the API when given an admin token', async () => {
    const res = await airlockCli(['token', 'create', '--name', 'bot', '--role', 'reader', '--json'], { AIRLOCK_TOKEN: adminToken });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ name: 'bot', role: 'reader', createdBy: 'admin' });
  });

  it('fails with exit 1 and the server reason when the token is not an admin', async () => {
    const res = await airlockCli(['token', 'list'], { AIRLOCK_TOKEN: reviewerToken });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('airlock token: GET /api/v1/tokens: alice has the reviewer role; this needs admin\n');
  });

  it('refuses an unknown role with exit 1', async () => {
    const res = await airlockCli(['token', 'create', '--name', 'x', '--role', 'root']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/role must be one of reader, reviewer, admin/);
  });

  it('revokes a token by name', async () => {
    const res = await airlockCli(['token', 'revoke', 'bot']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/revoked token "bot"/);
  });
});

describe('airlock review', () => {
  it('lists the releases awaiting review', async () => {
    const res = await airlockCli(['review', 'list'], { AIRLOCK_TOKEN: reviewerToken });
    expect(res.code).toBe(0);
    expect(res.stdout.split('\n')[0]).toMatch(/^STATE\s+RELEASE\s+FINDINGS\s+WHEN$/);
    expect(res.stdout).toMatch(/awaiting-review\s+npm:demo-lib@2\.0\.0\s+1 critical/);
    expect(res.stdout).toMatch(/awaiting-review\s+npm:evil@6\.6\.6/);
    expect(res.stdout).not.toMatch(/fresh/);
  });

  it('lists quarantined releases with a countdown', async () => {
    const res = await airlockCli(['review', 'list', '--state', 'quarantined'], { AIRLOCK_TOKEN: reviewerToken });
    expect(res.stdout).toMatch(/quarantined\s+npm:fresh@0\.1\.0\s+-\s+until 2026-03-27T06:00Z \(2d 18h left\)/);
  });

  it('shows a release with its policy, findings and history, and as JSON', async () => {
    const res = await airlockCli(['review', 'show', 'npm:demo-lib@2.0.0'], { AIRLOCK_TOKEN: reviewerToken });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('npm:demo-lib@2.0.0  awaiting-review');
    expect(res.stdout).toContain('baseline:    1.0.0');
    expect(res.stdout).toMatch(/policy:\s+cooldown 3d \(default\), review at high and above/);
    expect(res.stdout).toContain('CRITICAL install-script-added  package.json:6');
    expect(res.stdout).toContain('| "postinstall": "node steal.js"');
    const json = await airlockCli(['review', 'show', 'npm:demo-lib@2.0.0', '--json'], { AIRLOCK_TOKEN: reviewerToken });
    expect(JSON.parse(json.stdout)).toMatchObject({ id: 'npm:demo-lib@2.0.0', state: 'awaiting-review' });
  });

  it('approves with a reason, and refuses without one (exit 2)', async () => {
    const missing = await airlockCli(['review', 'approve', 'npm:demo-lib@2.0.0'], { AIRLOCK_TOKEN: reviewerToken });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/approve needs --reason/);
    const res = await airlockCli(['review', 'approve', 'npm:demo-lib@2.0.0', '--reason', 'postinstall only builds docs'], { AIRLOCK_TOKEN: reviewerToken });
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('npm:demo-lib@2.0.0: awaiting-review → approved\n');
  });

  it('approves a quarantined release early and says so', async () => {
    const res = await airlockCli(['review', 'approve', 'npm:fresh@0.1.0', '--reason', 'hotfix we need today'], { AIRLOCK_TOKEN: reviewerToken });
    expect(res.stdout).toBe('npm:fresh@0.1.0: quarantined → approved (early approval, before the cooldown ended)\n');
  });

  it('rejects, then revokes the approval of another', async () => {
    const reject = await airlockCli(['review', 'reject', 'npm:evil@6.6.6', '--reason', 'curl pipe sh'], { AIRLOCK_TOKEN: reviewerToken });
    expect(reject.stdout).toBe('npm:evil@6.6.6: awaiting-review → rejected\n');
    const revoke = await airlockCli(['review', 'revoke', 'npm:fresh@0.1.0', '--reason', 'maintainer account taken over', '--json'], { AIRLOCK_TOKEN: reviewerToken });
    expect(JSON.parse(revoke.stdout)).toMatchObject({ previousState: 'approved', release: { state: 'rejected' } });
  });

  it('reports a refused decision with exit 1', async () => {
    const res = await airlockCli(['review', 'reject', 'npm:evil@6.6.6', '--reason', 'again'], { AIRLOCK_TOKEN: reviewerToken });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('airlock review: POST /api/v1/releases/npm:evil@6.6.6/reject: cannot reject npm:evil@6.6.6: it is rejected\n');
  });

  it('explains a missing AIRLOCK_TOKEN, a bad release id and an unreachable server', async () => {
    const noToken = await airlockCli(['review', 'list']);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/AIRLOCK_TOKEN is not set/);
    const badId = await airlockCli(['review', 'show', 'demo-lib'], { AIRLOCK_TOKEN: reviewerToken });
    expect(badId.code).toBe(2);
    expect(badId.stderr).toMatch(/"demo-lib" is not a release id/);
    const down = await airlockCli(['review', 'list'], { AIRLOCK_TOKEN: reviewerToken, AIRLOCK_URL: 'http://127.0.0.1:1/' });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach Airlock at http:\/\/127\.0\.0\.1:1\//);
  });
});
