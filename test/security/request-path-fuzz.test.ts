import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isValidPackageName } from '../../src/ecosystems/npm/package-name.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { startPypiUpstream, type PypiUpstream } from '../helpers/pypi-upstream.js';
import { buildWheel } from '../helpers/python-artifacts.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { startVerdaccio, type Verdaccio } from '../helpers/verdaccio.js';
import { startUpstreamProxy, type UpstreamProxy } from '../npm/upstream-proxy.js';
import { rawSocketRequest } from './raw-socket-request.js';

const clock = new ManualClock();
const visibleWheel = buildWheel({ name: 'demo-py', version: '1.0' });
const heldWheel = buildWheel({ name: 'demo-py', version: '2.0', files: { 'demo_py/held.py': 'HELD = "wheel bytes"\n' } });

/** Every path the npm upstream may be asked for: packuments of valid names and the pass-through endpoints. */
function npmAllowed(path: string): boolean {
  const [pathname] = path.split('?') as [string];
  if (/^\/-\/(ping|npm\/v1\/keys|v1\/search|npm\/v1\/security\/advisories\/bulk|npm\/v1\/security\/audits\/quick)$/.test(pathname)) return true;
  const attestation = /^\/-\/npm\/v1\/attestations\/(.+)@[^@/]+$/.exec(pathname);
  if (attestation) return isValidPackageName(attestation[1]!.replace(/%2f/i, '/'));
  return /^\/[^/]+$/.test(pathname) && isValidPackageName(decodeURIComponent(pathname.slice(1)).replace(/%2f/i, '/'));
}

/** The PyPI upstream may be asked for project pages; files it may only be asked for when visible, and here they are stored already. */
function pypiAllowed(path: string): boolean {
  return /^\/simple\/[a-z0-9]+(-[a-z0-9]+)*\/$/.test(path) || path === '/simple/';
}

// "Keep them closed": random mixtures of separators, encodings, dot segments, case and unicode
// around the path of a held tarball and of a held wheel, on every route (pass-through included),
// never get the held bytes out, and never make an upstream see a path it is not allowed to be
// asked for.
describe('request paths, fuzzed around held artifacts', () => {
  let verdaccio: Verdaccio;
  let proxy: UpstreamProxy;
  let pypi: PypiUpstream;
  let airlock: StartedAirlock;
  let heldTarball: Buffer;

  beforeAll(async () => {
    verdaccio = await startVerdaccio();
    await verdaccio.publish({ name: 'demo-lib', version: '1.0.0' });
    await verdaccio.publish({ name: 'demo-lib', version: '2.0.0', files: { 'index.js': 'module.exports = "held tarball bytes";\n' } });
    heldTarball = Buffer.from(await (await fetch(new URL('demo-lib/-/demo-lib-2.0.0.tgz', verdaccio.url))).arrayBuffer());
    proxy = await startUpstreamProxy(verdaccio.url);
    clock.set(new Date(Date.now() + 1000)); // after the publish times Verdaccio recorded
    pypi = await startPypiUpstream();
    pypi.add('demo-py', visibleWheel, { uploadedAt: new Date(clock.now().getTime() - 100 * 86_400_000) });
    pypi.add('demo-py', heldWheel, { uploadedAt: clock.now() });
    airlock = await startAirlock({
      clock,
      policy: 'cooldown: 72h\nanalysisHorizon: 0\npackages:\n  "npm:demo-lib@1.0.0": { cooldown: 0 }\n',
      env: { AIRLOCK_NPM_UPSTREAM: proxy.url, AIRLOCK_PYPI_UPSTREAM: pypi.url, AIRLOCK_PYPI_FILE_HOSTS: pypi.host },
    });
    // Airlock learns both packages and stores the visible artifacts; the held ones stay upstream.
    expect((await fetch(new URL('npm/demo-lib/-/demo-lib-1.0.0.tgz', airlock.url))).status).toBe(200);
    expect((await fetch(new URL(`pypi/files/demo-py/1.0/${visibleWheel.filename}`, airlock.url))).status).toBe(200);
    expect((await fetch(new URL('npm/demo-lib/-/demo-lib-2.0.0.tgz', airlock.url))).status).toBe(403);
    expect((await fetch(new URL(`pypi/files/demo-py/2.0/${heldWheel.filename}`, airlock.url))).status).toBe(403);
  }, 180_000);

  afterAll(async () => {
    await airlock?.close();
    await proxy?.close();
    await pypi?.close();
    await verdaccio?.stop();
  });

  // Plain '/' often enough that many paths get past the path guard to the routes themselves.
  const separator = fc.oneof(
    { arbitrary: fc.constant('/'), weight: 3 },
    { arbitrary: fc.constantFrom('\\', '%2f', '%2F', '%5c', '%5C', '//', '/./', '\\.\\', '\u2215', '%E2%88%95', '\uff0f', '%EF%BC%8F', '%252f'), weight: 2 },
  );
  const dotSegment = fc.constantFrom('.', '..', '%2e', '%2E', '%2e%2e', '.%2e', '%2E.', '..%00', '\uff0e\uff0e', '%EF%BC%8E%EF%BC%8E', '..;', '%252e%252e');
  // No route prefix (the target path as it is) often, so the routes themselves see many of them.
  const route = fc.oneof({ arbitrary: fc.constant(''), weight: 2 }, { arbitrary: fc.constantFrom(
    '/npm',
    '/NPM',
    '/npm/-/v1/search',
    '/npm/-/ping',
    '/npm/-/npm/v1/keys',
    '/npm/-/npm/v1/attestations',
    '/npm/-/npm/v1/security',
    '/npm/-/npm/v1/security/advisories/bulk',
    '/npm/-/package',
    '/npm/demo-lib',
    '/npm/demo-lib/-',
    '/pypi',
    '/PyPI',
    '/pypi/simple',
    '/pypi/simple/demo-py',
    '/pypi/files',
    '/pypi/files/demo-py',
    '/pypi/files/demo-py/2.0',
    '/api/v1/releases',
    '/assets',
  ), weight: 3 });
  const target = fc.constantFrom(
    ['npm', 'demo-lib', '-', 'demo-lib-2.0.0.tgz'],
    ['demo-lib', '-', 'demo-lib-2.0.0.tgz'],
    ['demo-lib'],
    ['pypi', 'files', 'demo-py', '2.0', heldWheel.filename],
    ['files', 'demo-py', heldWheel.filename],
    ['demo-py', '2.0', heldWheel.filename],
    ['simple', 'demo-py', ''],
    ['npm', 'demo-lib', '2.0.0'],
    ['npm', '-', 'npm', 'v1', 'attestations', 'demo-lib@2.0.0'],
    ['npm', '-', 'v1', 'search'],
    ['pypi', 'simple', 'demo-py', ''],
  );
  /** How one part is spelled: as is, upper case, mixed case by a bit pattern, or partly percent-encoded. */
  const spelling = fc.tuple(fc.constantFrom('as-is', 'as-is', 'as-is', 'upper', 'mixed', 'encoded', 'fullwidth'), fc.integer({ min: 0, max: 2 ** 30 }));
  const respell = (part: string, [how, bits]: [string, number]): string => {
    const pick = (i: number) => (bits >> i % 30) & 1;
    const chars = [...part];
    if (how === 'upper') return part.toUpperCase();
    if (how === 'mixed') return chars.map((c, i) => (pick(i) ? c.toUpperCase() : c)).join('');
    if (how === 'encoded') return chars.map((c, i) => (pick(i) ? `%${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c)).join('');
    if (how === 'fullwidth') return chars.map((c, i) => (pick(i) && c > ' ' && c <= '~' ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join('');
    return part;
  };
  const request = fc.record({
    method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST'),
    route,
    climb: fc.oneof(fc.constant<[string, string][]>([]), fc.array(fc.tuple<[string, string]>(dotSegment, separator), { minLength: 1, maxLength: 6 })),
    target,
    separators: fc.array(separator, { minLength: 6, maxLength: 6 }),
    spellings: fc.array(spelling, { minLength: 6, maxLength: 6 }),
    lead: separator,
    tail: fc.constantFrom('', '/', '?x=1', '%00', '.', '%2e', '#frag', '?/../..'),
  });
  type FuzzRequest = typeof request extends fc.Arbitrary<infer T> ? T : never;
  const pathOf = (r: FuzzRequest): string =>
    r.route +
    r.lead +
    r.climb.map(([dots, sep]) => dots + sep).join('') +
    r.target.map((part, i) => respell(part, r.spellings[i]!) + (i < r.target.length - 1 ? r.separators[i]! : '')).join('') +
    r.tail;

  it('never serves held bytes or an unfiltered index, and upstream only sees allowed paths', async () => {
    const npmSeen = proxy.requests.length;
    const pypiSeen = pypi.requests.length;
    let npmAt = npmSeen;
    let pypiAt = pypiSeen;
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const path = pathOf(r);
        const res = await rawSocketRequest(airlock.url, r.method, path, '{}');
        statuses.add(res.status);
        expect(res.body.includes(heldTarball), `${r.method} ${path} served the held tarball`).toBe(false);
        expect(res.body.includes(heldWheel.bytes), `${r.method} ${path} served the held wheel`).toBe(false);
        if (res.status === 200 && r.method !== 'HEAD' && /json/.test(res.headers['content-type'] ?? '')) {
          const doc = JSON.parse(res.body.toString()) as { versions?: unknown; files?: { filename: string }[] };
          if (doc.versions && !Array.isArray(doc.versions)) expect(Object.keys(doc.versions), `${path} listed a held version`).not.toContain('2.0.0');
          if (Array.isArray(doc.versions)) expect(doc.versions, `${path} listed a held version`).not.toContain('2.0');
        }
        if (res.status === 200) expect(res.body.toString('latin1').includes(heldWheel.filename), `${path} linked the held wheel`).toBe(false);
        const npmNew = proxy.requests.slice(npmAt).map((q) => q.url);
        const pypiNew = pypi.requests.slice(pypiAt);
        npmAt = proxy.requests.length;
        pypiAt = pypi.requests.length;
        expect(npmNew.filter((p) => !npmAllowed(p)), `${r.method} ${path} reached the npm upstream at`).toEqual([]);
        expect(pypiNew.filter((p) => !pypiAllowed(p)), `${r.method} ${path} reached the PyPI upstream at`).toEqual([]);
      }),
      { numRuns: 400, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31), endOnFailure: false },
    );
    if (process.env.FUZZ_VERBOSE) console.log(`statuses: ${[...statuses].sort().join(", ")}; npm upstream saw ${proxy.requests.length - npmSeen}, PyPI ${pypi.requests.length - pypiSeen}`);
    // The paths got past the path guard too: routes answered with their own refusals and redirects.
    expect([...statuses].filter((s) => s !== 400).length, `statuses seen: ${[...statuses].join(', ')}`).toBeGreaterThanOrEqual(3);
    expect(proxy.requests.slice(npmSeen).some((q) => q.url.includes('.tgz'))).toBe(false);
    expect(pypi.requests.slice(pypiSeen).some((p) => p.includes('.whl'))).toBe(false);
  });
});
