import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { adminToken, api, createToken, postinstallFinding, reviewPolicy, seedRelease } from './review-fixtures.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies in assertions

let airlock: StartedAirlock;
let url: string;
let reader: string;
let reviewer: string;

beforeAll(async () => {
  airlock = await startAirlock({
    clock: new ManualClock('2026-03-24T12:00:00Z'),
    policy: `${reviewPolicy}packages:\n  "npm:@acme/*": { cooldown: 24h }\n`,
    env: { AIRLOCK_ADMIN_TOKEN: adminToken },
  });
  url = airlock.url;
  reader = await createToken(url, 'dev', 'reader');
  reviewer = await createToken(url, 'alice', 'reviewer');
  // demo-lib 2.0.0: published 80h ago, cooldown over, a critical finding → awaiting review.
  await seedRelease(airlock, { name: 'demo-lib', version: '1.0.0', publishedHoursAgo: 24 * 30, findings: [] });
  await seedRelease(airlock, { name: 'demo-lib', version: '2.0.0', publishedHoursAgo: 80, findings: [postinstallFinding], baselineVersion: '1.0.0' });
  // @acme/widget 1.0.1: published 2h ago under a 24h scope rule → quarantined for 22h more.
  await seedRelease(airlock, { name: '@acme/widget', version: '1.0.1', publishedHoursAgo: 2, findings: [] });
  // left-pad 1.3.0: clean and old → released.
  await seedRelease(airlock, { name: 'left-pad', version: '1.3.0', publishedHoursAgo: 100, findings: [] });
  // risky 3.0.0: a high finding, cooldown over → awaiting review.
  await seedRelease(airlock, {
    name: 'risky',
    version: '3.0.0',
    publishedHoursAgo: 90,
    findings: [{ kind: 'network-code-added', severity: 'high', path: 'lib/net.js', line: 3, message: 'new network code' }],
  });
});

afterAll(async () => {
  await airlock?.close();
});

describe('authentication and roles', () => {
  it('answers 401 with a challenge when no token is sent', async () => {
    const res = await api(url, 'api/v1/releases');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((res.body as Json).error).toMatch(/sign in or send an API token/);
  });

  it('answers 401 for an unknown token rather than treating the request as anonymous', async () => {
    const res = await api(url, 'api/v1/releases', { token: 'airlock_not-a-real-token' });
    expect(res.status).toBe(401);
    expect((res.body as Json).error).toMatch(/not valid/);
  });

  it('answers 403 when a reader tries to decide, read the audit log or manage tokens', async () => {
    const approve = await api(url, 'api/v1/releases/npm:demo-lib@2.0.0/approve', { method: 'POST', token: reader, body: { reason: 'x' } });
    expect(approve.status).toBe(403);
    expect((approve.body as Json).error).toBe('dev has the reader role; this needs reviewer');
    expect((await api(url, 'api/v1/audit', { token: reader })).status).toBe(403);
    expect((await api(url, 'api/v1/audit/export', { token: reader })).status).toBe(403);
    expect((await api(url, 'api/v1/tokens', { token: reader })).status).toBe(403);
  });

  it('answers 403 when a reviewer tries to manage tokens', async () => {
    expect((await api(url, 'api/v1/tokens', { token: reviewer })).status).toBe(403);
    expect((await api(url, 'api/v1/tokens', { method: 'POST', token: reviewer, body: { name: 'eve', role: 'admin' } })).status).toBe(403);
  });

  it('accepts the token as the password of Basic auth (pip sends credentials that way)', async () => {
    const basic = Buffer.from(`anyone:${reader}`).toString('base64');
    const res = await api(url, 'api/v1/session', { headers: { authorization: `Basic ${basic}` } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'dev', role: 'reader', via: 'token' });
  });
});

describe('tokens', () => {
  it('lets an admin create, list and revoke tokens; the list never shows a secret', async () => {
    const created = await api(url, 'api/v1/tokens', { method: 'POST', token: adminToken, body: { name: 'bob', role: 'reviewer' } });
    expect(created.status).toBe(201);
    const { token, id } = created.body as Json;
    expect(token).toMatch(/^airlock_[A-Za-z0-9_-]{43}$/);
    expect((await api(url, 'api/v1/session', { token })).body).toMatchObject({ name: 'bob', role: 'reviewer' });

    const list = await api(url, 'api/v1/tokens', { token: adminToken });
    expect(list.status).toBe(200);
    expect((list.body as Json).tokens.map((t: Json) => t.name)).toEqual(['dev', 'alice', 'bob']);
    expect(list.text).not.toContain(token);
    expect(list.text).not.toMatch(/hash/);

    expect((await api(url, `api/v1/tokens/${id}`, { method: 'DELETE', token: adminToken })).status).toBe(204);
    expect((await api(url, 'api/v1/session', { token })).status).toBe(401);
    expect((await api(url, `api/v1/tokens/${id}`, { method: 'DELETE', token: adminToken })).status).toBe(404);
  });

  it('refuses bad roles, bad names and a second live token with the same name', async () => {
    const badRole = await api(url, 'api/v1/tokens', { method: 'POST', token: adminToken, body: { name: 'carol', role: 'root' } });
    expect(badRole.status).toBe(400);
    expect((badRole.body as Json).error).toBe('role must be one of reader, reviewer, admin, got "root"');
    expect((await api(url, 'api/v1/tokens', { method: 'POST', token: adminToken, body: { name: 'a b', role: 'reader' } })).status).toBe(400);
    expect((await api(url, 'api/v1/tokens', { method: 'POST', token: adminToken, body: { name: 'alice', role: 'reader' } })).status).toBe(409);
  });
});

describe('releases', () => {
  it('lists the review queue, most severe first, with finding counts', async () => {
    const res = await api(url, 'api/v1/releases?state=awaiting-review', { token: reader });
    expect(res.status).toBe(200);
    const body = res.body as Json;
    expect(body.releases.map((r: Json) => r.id)).toEqual(['npm:demo-lib@2.0.0', 'npm:risky@3.0.0']);
    expect(body.releases[0]).toMatchObject({ state: 'awaiting-review', topSeverity: 'critical', findingCounts: { critical: 1, high: 0 }, baselineVersion: '1.0.0' });
  });

  it('lists quarantined releases with when their hold ends, so developers know when they get them', async () => {
    const res = await api(url, 'api/v1/releases?state=quarantined', { token: reader });
    const [widget] = (res.body as Json).releases;
    expect(widget).toMatchObject({ id: 'npm:@acme/widget@1.0.1', until: '2026-03-25T10:00:00.000Z', remainingMs: 22 * 3_600_000 });
  });

  it('refuses unknown states with the list of known ones', async () => {
    const res = await api(url, 'api/v1/releases?state=pending', { token: reader });
    expect(res.status).toBe(400);
    expect((res.body as Json).error).toMatch(/state must be one of quarantined, awaiting-review/);
  });

  it('shows one release with its status, effective policy and where it came from, findings and history', async () => {
    const res = await api(url, 'api/v1/releases/npm:@acme%2Fwidget@1.0.1', { token: reader });
    expect(res.status).toBe(200);
    const body = res.body as Json;
    expect(body).toMatchObject({ id: 'npm:@acme/widget@1.0.1', state: 'quarantined', publishedAt: '2026-03-24T10:00:00.000Z', firstSeenAt: '2026-03-24T12:00:00.000Z' });
    expect(body.policy).toMatchObject({ cooldownMs: 24 * 3_600_000, sources: { cooldownMs: 'packages["npm:@acme/*"]', reviewThreshold: 'default' } });
    expect(body.history[0]).toMatchObject({ action: 'discovered', actor: 'system' });

    const demo = (await api(url, 'api/v1/releases/npm:demo-lib@2.0.0', { token: reader })).body as Json;
    // No artifact can be read here (upstream is down), so the finding comes without an excerpt.
    expect(demo.findingsBySeverity.critical).toEqual([{ ...postinstallFinding, excerpt: null }]);
    expect(demo.reason).toBe('npm:demo-lib@2.0.0 is awaiting review: the analyzer reported install-script-added');
  });

  it('also takes a scoped release id with its slash unencoded', async () => {
    const res = await api(url, 'api/v1/releases/npm:@acme/widget@1.0.1', { token: reader });
    expect((res.body as Json).id).toBe('npm:@acme/widget@1.0.1');
  });

  it('answers 404 for an unknown release and 400 for something that is not a release id', async () => {
    expect((await api(url, 'api/v1/releases/npm:nope@1.0.0', { token: reader })).status).toBe(404);
    expect((await api(url, 'api/v1/releases/express', { token: reader })).status).toBe(400);
  });

  it('refuses to read a file path that climbs out of the archive', async () => {
    const res = await api(url, 'api/v1/releases/npm:demo-lib@2.0.0/file?path=../../etc/passwd', { token: reader });
    expect(res.status).toBe(400);
    expect((res.body as Json).error).toBe('"../../etc/passwd" is not a file path inside an archive');
  });

  it('shows the effective policy of a package', async () => {
    const res = await api(url, 'api/v1/policy/npm:@acme/widget', { token: reader });
    expect(res.body).toMatchObject({ package: 'npm:@acme/widget', cooldownMs: 86_400_000, sources: { cooldownMs: 'packages["npm:@acme/*"]' } });
  });
});

describe('decisions', () => {
  it('requires a reason', async () => {
    const res = await api(url, 'api/v1/releases/npm:risky@3.0.0/reject', { method: 'POST', token: reviewer, body: { reason: '  ' } });
    expect(res.status).toBe(400);
    expect((res.body as Json).error).toBe('a reason is required to reject a release');
  });

  it('rejects a release awaiting review, records who did it, and refuses to reject it twice', async () => {
    const res = await api(url, 'api/v1/releases/npm:risky@3.0.0/reject', { method: 'POST', token: reviewer, body: { reason: 'exfiltrates env' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ previousState: 'awaiting-review', release: { state: 'rejected', decision: { action: 'reject', actor: 'alice', role: 'reviewer', reason: 'exfiltrates env' } } });
    expect((res.body as Json).release.reason).toBe('npm:risky@3.0.0 was rejected by alice: exfiltrates env');
    const again = await api(url, 'api/v1/releases/npm:risky@3.0.0/reject', { method: 'POST', token: reviewer, body: { reason: 'again' } });
    expect(again.status).toBe(409);
  });

  it('approves early (before the cooldown ends) and says so', async () => {
    const res = await api(url, 'api/v1/releases/npm:@acme%2Fwidget@1.0.1/approve', { method: 'POST', token: reviewer, body: { reason: 'our own team released it' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ early: true, previousState: 'quarantined', release: { state: 'approved', visible: true } });
  });

  it('refuses to reject a released release and points to revoke, then revokes it', async () => {
    const reject = await api(url, 'api/v1/releases/npm:left-pad@1.3.0/reject', { method: 'POST', token: reviewer, body: { reason: 'bad' } });
    expect(reject.status).toBe(409);
    expect((reject.body as Json).error).toBe('cannot reject npm:left-pad@1.3.0: it is released (use revoke for a release clients can already see)');
    const revoke = await api(url, 'api/v1/releases/npm:left-pad@1.3.0/revoke', { method: 'POST', token: reviewer, body: { reason: 'advisory GHSA-xxxx' } });
    expect(revoke.status).toBe(200);
    expect((revoke.body as Json).release).toMatchObject({ state: 'rejected', reason: 'npm:left-pad@1.3.0 was revoked by alice: advisory GHSA-xxxx' });
  });

  it('refuses a decision when the release changed state since the reviewer looked', async () => {
    const res = await api(url, 'api/v1/releases/npm:demo-lib@2.0.0/approve', {
      method: 'POST',
      token: reviewer,
      body: { reason: 'ok', expectedState: 'quarantined' },
    });
    expect(res.status).toBe(409);
    expect((res.body as Json).error).toMatch(/is awaiting-review now, not quarantined/);
  });

  it('answers 404 for an unknown decision verb', async () => {
    expect((await api(url, 'api/v1/releases/npm:demo-lib@2.0.0/delete', { method: 'POST', token: reviewer, body: { reason: 'x' } })).status).toBe(404);
  });
});

describe('audit log', () => {
  it('pages through entries newest first and filters by package and by reviewer', async () => {
    const byAlice = await api(url, 'api/v1/audit?actor=alice', { token: reviewer });
    expect(byAlice.status).toBe(200);
    expect((byAlice.body as Json).entries.map((e: Json) => `${e.action} ${e.subject}`)).toEqual([
      'revoke npm:left-pad@1.3.0',
      'approve npm:@acme/widget@1.0.1',
      'reject npm:risky@3.0.0',
    ]);
    const risky = await api(url, 'api/v1/audit?subject=risky', { token: reviewer });
    // Seeded past the analysis horizon, so first seen as trusted by age (the package's entry).
    expect((risky.body as Json).entries.map((e: Json) => `${e.action} ${e.subject}`)).toEqual([
      'reject npm:risky@3.0.0',
      'awaiting-review npm:risky@3.0.0',
      'trusted-by-age npm:risky',
    ]);

    const first = (await api(url, 'api/v1/audit?limit=2', { token: reviewer })).body as Json;
    expect(first.entries).toHaveLength(2);
    const second = (await api(url, `api/v1/audit?limit=2&before=${first.next}`, { token: reviewer })).body as Json;
    expect(second.entries[0].id).toBeLessThan(first.entries[1].id);
  });

  it('exports the whole log as JSON lines, oldest first, resumable with ?after=', async () => {
    const res = await api(url, 'api/v1/audit/export', { token: reviewer });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = res.text.trim().split('\n').map((l) => JSON.parse(l) as Json);
    expect(lines.length).toBeGreaterThan(8);
    expect(lines.map((l) => l.id)).toEqual([...lines.map((l) => l.id)].sort((a, b) => a - b));
    expect(lines.find((l) => l.action === 'token-created')).toMatchObject({ actor: 'admin', subject: 'token:dev' });
    const rest = await api(url, `api/v1/audit/export?after=${lines[lines.length - 2]!.id}`, { token: reviewer });
    expect(rest.text.trim().split('\n')).toHaveLength(1);
  });

  it('offers no way to change or delete entries, and the database refuses it too', async () => {
    expect((await api(url, 'api/v1/audit', { method: 'DELETE', token: adminToken })).status).toBe(404);
    expect((await api(url, 'api/v1/audit/1', { method: 'PUT', token: adminToken, body: {} })).status).toBe(404);
    const { openSqlite } = await import('../../src/store/open-sqlite.js');
    const db = openSqlite(`${airlock.storageDir}/airlock.db`);
    try {
      expect(() => db.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });
});

describe('web session', () => {
  it('signs in with a token, sets a strict HttpOnly cookie, and needs the CSRF token to change anything', async () => {
    const signIn = await api(url, 'api/v1/session', { method: 'POST', body: { token: reviewer } });
    expect(signIn.status).toBe(201);
    const setCookie = signIn.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^airlock_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    expect(setCookie).not.toMatch(/Secure/); // served over plain http here
    const cookie = setCookie.split(';')[0]!;
    const { csrfToken } = signIn.body as Json;

    const me = await api(url, 'api/v1/session', { cookie });
    expect(me.body).toMatchObject({ name: 'alice', role: 'reviewer', via: 'session', csrfToken });

    const noCsrf = await api(url, 'api/v1/releases/npm:demo-lib@2.0.0/approve', { method: 'POST', cookie, body: { reason: 'fine' } });
    expect(noCsrf.status).toBe(403);
    expect((noCsrf.body as Json).error).toMatch(/CSRF/);
    const wrongCsrf = await api(url, 'api/v1/releases/npm:demo-lib@2.0.0/approve', { method: 'POST', cookie, csrf: 'x'.repeat(43), body: { reason: 'fine' } });
    expect(wrongCsrf.status).toBe(403);

    const signOutNoCsrf = await api(url, 'api/v1/session', { method: 'DELETE', cookie });
    expect(signOutNoCsrf.status).toBe(403);
    const signOut = await api(url, 'api/v1/session', { method: 'DELETE', cookie, csrf: csrfToken });
    expect(signOut.status).toBe(204);
    expect(signOut.headers.get('set-cookie')).toMatch(/^airlock_session=; .*Max-Age=0/);
    expect((await api(url, 'api/v1/session', { cookie })).status).toBe(401);
  });

  it('refuses sign-in with a bad token', async () => {
    const res = await api(url, 'api/v1/session', { method: 'POST', body: { token: 'nope' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('marks the cookie Secure when Airlock is served over https', async () => {
    const res = await api(url, 'api/v1/session', { method: 'POST', body: { token: reviewer }, headers: {} });
    expect(res.headers.get('set-cookie')).not.toMatch(/Secure/);
    const https = await startAirlock({ env: { AIRLOCK_ADMIN_TOKEN: adminToken, AIRLOCK_PUBLIC_URL: 'https://airlock.example.com/' } });
    try {
      const signIn = await api(https.url, 'api/v1/session', { method: 'POST', body: { token: adminToken } });
      expect(signIn.headers.get('set-cookie')).toMatch(/; Secure$/);
    } finally {
      await https.close();
    }
  });
});

describe('web page and metrics', () => {
  it('serves the page and its assets from Airlock itself with a strict content security policy', async () => {
    const page = await fetch(new URL('/', url));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    for (const asset of ['assets/app.js', 'assets/highlight.js', 'assets/style.css']) expect((await fetch(new URL(asset, url))).status).toBe(200);
  });

  it('exports releases by state on /metrics', async () => {
    await api(url, 'api/v1/releases', { token: reader });
    const text = await (await fetch(new URL('/metrics', url))).text();
    expect(text).toMatch(/airlock_releases\{ecosystem="npm",state="awaiting-review"\} 1/);
    expect(text).toMatch(/airlock_releases\{ecosystem="npm",state="approved"\} 1/);
    expect(text).toMatch(/airlock_releases\{ecosystem="npm",state="rejected"\} 2/);
  });
});
