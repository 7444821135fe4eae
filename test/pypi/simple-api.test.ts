import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../helpers/manual-clock.js';
import { startPypiUpstream, type PypiUpstream } from '../helpers/pypi-upstream.js';
import { buildSdist, buildWheel, sha256Hex } from '../helpers/python-artifacts.js';
import { startAirlock, type StartedAirlock } from '../helpers/start-airlock.js';
import { revalidated } from './revalidated.js';

const hour = 3_600_000;
const json = 'application/vnd.pypi.simple.v1+json';
const pipAccept = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01';

interface JsonFile {
  filename: string;
  url: string;
  hashes: Record<string, string>;
  'requires-python'?: string;
  'core-metadata': false | Record<string, string>;
  'dist-info-metadata': false | Record<string, string>;
  yanked: boolean | string;
  size: number;
  'upload-time': string | null;
  provenance?: string | null;
}
interface JsonPage {
  meta: { 'api-version': string };
  name: string;
  versions: string[];
  files: JsonFile[];
}

describe('the simple repository API, on the wire', () => {
  const clock = new ManualClock('2026-03-24T12:00:00Z');
  const hoursAgo = (h: number) => new Date(clock.now().getTime() - h * hour);
  let upstream: PypiUpstream;
  let airlock: StartedAirlock;
  let base: string;
  const wheel100 = buildWheel({ name: 'Demo.Py', version: '1.0.0', requiresPython: '>=3.8,<4' });
  const sdist100 = buildSdist({ name: 'Demo.Py', version: '1.0.0' });
  const wheelRc = buildWheel({ name: 'Demo.Py', version: '2.0.0rc1' });
  const wheel300 = buildWheel({ name: 'Demo.Py', version: '3.0.0' });
  const elsewhere = buildWheel({ name: 'Demo.Py', version: '0.9.0' });
  const relative = buildWheel({ name: 'Demo.Py', version: '0.8.0' });
  const decided = buildWheel({ name: 'decided-py', version: '2.0' });
  const adminToken = 'admin-token-for-pypi-tests';

  const getJson = async (url: string): Promise<{ res: Response; page: JsonPage }> => {
    const res = await fetch(url, { headers: { accept: pipAccept } });
    return { res, page: (await res.json()) as JsonPage };
  };

  beforeAll(async () => {
    upstream = await startPypiUpstream();
    upstream.add('Demo.Py', wheel100, { uploadedAt: hoursAgo(400), requiresPython: '>=3.8,<4' });
    upstream.add('Demo.Py', sdist100, { uploadedAt: hoursAgo(399) });
    upstream.add('Demo.Py', wheelRc, { uploadedAt: hoursAgo(100), yanked: 'broken "build" <see #12>', provenance: 'https://pypi.example/provenance/1' });
    upstream.add('Demo.Py', wheel300, { uploadedAt: hoursAgo(1) });
    upstream.add('Demo.Py', elsewhere, { uploadedAt: hoursAgo(500), url: 'http://files.elsewhere.example/demo_py-0.9.0-py3-none-any.whl' });
    upstream.add('Demo.Py', relative, { uploadedAt: hoursAgo(500), url: `../../files/demo-py/${relative.filename}` });
    upstream.add('fresh-only', buildWheel({ name: 'fresh-only', version: '1.0' }), { uploadedAt: hoursAgo(3) });
    upstream.add('decided-py', decided, { uploadedAt: hoursAgo(1) });
    airlock = await startAirlock({
      policy: 'cooldown: 72h\nanalysisHorizon: 0\n',
      env: { AIRLOCK_PYPI_UPSTREAM: upstream.url, AIRLOCK_INDEX_TTL: '0', AIRLOCK_ADMIN_TOKEN: adminToken },
      clock,
    });
    base = `${airlock.url}pypi/`;
  });

  afterAll(async () => {
    await airlock?.close();
    await upstream?.close();
  });

  it('serves PEP 691 JSON with only the files past their cooldown, and PEP 700 fields', async () => {
    const { res, page } = await getJson(`${base}simple/demo-py/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(json);
    expect(res.headers.get('vary')).toContain('Accept');
    expect(page.meta['api-version']).toBe('1.1');
    expect(page.name).toBe('demo-py');
    expect(page.versions).toEqual(['0.8.0', '1.0.0', '2.0.0rc1']);
    expect(page.files.map((f) => f.filename)).toEqual([wheel100.filename, sdist100.filename, wheelRc.filename, relative.filename]);
    const [wheel, sdist, rc] = page.files as [JsonFile, JsonFile, JsonFile];
    expect(wheel).toEqual({
      filename: wheel100.filename,
      url: `${base}files/demo-py/1.0.0/${wheel100.filename}`,
      hashes: { sha256: sha256Hex(wheel100.bytes) },
      'requires-python': '>=3.8,<4',
      'core-metadata': { sha256: sha256Hex(wheel100.metadata!) },
      'dist-info-metadata': { sha256: sha256Hex(wheel100.metadata!) },
      yanked: false,
      size: wheel100.bytes.length,
      'upload-time': hoursAgo(400).toISOString().replace('Z', '000Z'),
    });
    expect(sdist['core-metadata']).toBe(false);
    expect(rc.yanked).toBe('broken "build" <see #12>');
    expect(rc.provenance).toBe('https://pypi.example/provenance/1');
  });

  it('serves PEP 503 HTML with escaped attributes, hashes, yank markers and the repository version', async () => {
    for (const accept of [undefined, 'text/html', 'application/vnd.pypi.simple.v1+html']) {
      const res = await fetch(`${base}simple/demo-py/`, { headers: accept ? { accept } : {} });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(accept ?? 'text/html');
      const html = await res.text();
      expect(html).toContain('<meta name="pypi:repository-version" content="1.1">');
      const anchors = [...html.matchAll(/<a ([^>]*)>([^<]*)<\/a>/g)];
      expect(anchors.map((a) => a[2])).toEqual([wheel100.filename, sdist100.filename, wheelRc.filename, relative.filename]);
      const metadataHash = sha256Hex(wheel100.metadata!);
      expect(anchors[0]![1]).toBe(
        `href="${base}files/demo-py/1.0.0/${wheel100.filename}#sha256=${sha256Hex(wheel100.bytes)}" data-requires-python="&gt;=3.8,&lt;4" ` +
          `data-dist-info-metadata="sha256=${metadataHash}" data-core-metadata="sha256=${metadataHash}"`,
      );
      expect(anchors[2]![1]).toContain('data-yanked="broken &quot;build&quot; &lt;see #12&gt;"');
      expect(anchors[1]![1]).not.toContain('data-yanked');
    }
  });

  it('leaves out a file hosted outside the allowed file hosts, and never fetches it', async () => {
    const { page } = await getJson(`${base}simple/demo-py/`);
    expect(page.files.map((f) => f.filename)).not.toContain(elsewhere.filename);
    expect(page.versions).not.toContain('0.9.0');
    const res = await fetch(`${base}files/demo-py/0.9.0/${elsewhere.filename}`);
    expect(res.status).toBe(404);
  });

  it('resolves a relative upstream file URL against the page URL and serves the file', async () => {
    const res = await fetch(`${base}files/demo-py/0.8.0/${relative.filename}`);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(relative.bytes)).toBe(true);
    expect(upstream.requests).toContain(`/files/demo-py/${relative.filename}`);
  });

  it('answers 200 with no files for a project whose every file is held', async () => {
    const { res, page } = await getJson(`${base}simple/fresh-only/`);
    expect(res.status).toBe(200);
    expect(page.files).toEqual([]);
    expect(page.versions).toEqual([]);
  });

  it('answers 404 for a project upstream does not have', async () => {
    const res = await fetch(`${base}simple/no-such-project/`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('redirects non-normalised names and missing trailing slashes to the normalised URL', async () => {
    for (const p of ['simple/Demo.Py/', 'simple/demo_py/', 'simple/demo-py', 'simple/DEMO--py']) {
      const res = await fetch(`${base}${p}`, { redirect: 'manual' });
      expect(res.status, p).toBe(301);
      expect(res.headers.get('location')).toBe(`${base}simple/demo-py/`);
    }
    const root = await fetch(`${airlock.url}pypi/simple`, { redirect: 'manual' });
    expect(root.headers.get('location')).toBe(`${base}simple/`);
  });

  it('lists the projects it knows at /pypi/simple/, in JSON and HTML', async () => {
    const res = await fetch(`${base}simple/`, { headers: { accept: json } });
    expect(res.headers.get('content-type')).toBe(json);
    const list = (await res.json()) as { meta: { 'api-version': string }; projects: { name: string }[] };
    expect(list.meta['api-version']).toBe('1.1');
    expect(list.projects.map((p) => p.name)).toEqual(expect.arrayContaining(['demo-py', 'fresh-only']));
    const html = await (await fetch(`${base}simple/`)).text();
    expect(html).toContain('<a href="demo-py/">demo-py</a>');
  });

  it('answers a matching If-None-Match with 304, and gzips for clients that accept it', async () => {
    const first = await fetch(`${base}simple/demo-py/`, { headers: { accept: json, 'accept-encoding': 'identity' } });
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    const again = await fetch(`${base}simple/demo-py/`, { headers: { accept: json, 'accept-encoding': 'identity', 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const zipped = await fetch(`${base}simple/demo-py/`, { headers: { accept: json, 'accept-encoding': 'gzip' } });
    expect(zipped.headers.get('content-encoding')).toBe('gzip');
    expect(await zipped.text()).toBe(await first.text());
  });

  it('serves files with HEAD and byte ranges, checked against the upstream sha256', async () => {
    const url = `${base}files/demo-py/1.0.0/${wheel100.filename}`;
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(wheel100.bytes.length));
    expect(head.headers.get('accept-ranges')).toBe('bytes');
    const part = await fetch(url, { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${wheel100.bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(wheel100.bytes.subarray(10, 20))).toBe(true);
    const tail = await fetch(url, { headers: { range: 'bytes=-4' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(wheel100.bytes.subarray(-4))).toBe(true);
    const beyond = await fetch(url, { headers: { range: `bytes=${wheel100.bytes.length}-` } });
    expect(beyond.status).toBe(416);
    const metadata = await fetch(`${url}.metadata`);
    expect(metadata.status).toBe(200);
    expect(await metadata.text()).toBe(wheel100.metadata!.toString());
    const blobs = await readdir(path.join(airlock.storageDir, 'blobs', 'sha256'), { recursive: true });
    expect(blobs).toContain(path.join(sha256Hex(wheel100.bytes).slice(0, 2), sha256Hex(wheel100.bytes)));
  });

  it('shows an upstream yank once it has revalidated, without a stale 304 hiding it', async () => {
    const before = await fetch(`${base}simple/demo-py/`, { headers: { accept: json } });
    const etag = before.headers.get('etag')!;
    upstream.yank('Demo.Py', wheel100.filename, 'security issue');
    await revalidated(airlock, upstream, 'demo-py');
    const { res, page } = await (async () => {
      const r = await fetch(`${base}simple/demo-py/`, { headers: { accept: json, 'if-none-match': etag } });
      return { res: r, page: (await r.json()) as JsonPage };
    })();
    expect(res.status).toBe(200);
    expect(page.files.find((f) => f.filename === wheel100.filename)!.yanked).toBe('security issue');
    expect(page.versions).toContain('1.0.0');
  });

  it('drops a file removed upstream, and withdraws a release with no files left', async () => {
    upstream.remove('Demo.Py', sdist100.filename);
    await revalidated(airlock, upstream, 'demo-py');
    let { page } = await getJson(`${base}simple/demo-py/`);
    expect(page.files.map((f) => f.filename)).not.toContain(sdist100.filename);
    expect((await fetch(`${base}files/demo-py/1.0.0/${sdist100.filename}`)).status).toBe(404);

    upstream.remove('Demo.Py', wheel100.filename);
    await revalidated(airlock, upstream, 'demo-py');
    ({ page } = await getJson(`${base}simple/demo-py/`));
    expect(page.versions).toEqual(['0.8.0', '2.0.0rc1']);
    const release = await airlock.store.getRelease('pypi', 'demo-py', '1.0.0');
    expect(release?.withdrawnAt).not.toBeNull();
  });

  it("reflects a reviewer's early approval and a later revoke in the page and the file route at once", async () => {
    const decide = (action: string) =>
      fetch(`${airlock.url}api/v1/releases/pypi:decided-py@2.0/${action}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: `${action} in a test` }),
      });
    const fileUrl = `${base}files/decided-py/2.0/${decided.filename}`;
    expect((await getJson(`${base}simple/decided-py/`)).page.versions).toEqual([]);
    expect((await decide('approve')).status).toBe(200);
    expect((await getJson(`${base}simple/decided-py/`)).page.versions).toEqual(['2.0']);
    expect((await fetch(fileUrl)).status).toBe(200);
    expect((await decide('revoke')).status).toBe(200);
    expect((await getJson(`${base}simple/decided-py/`)).page.files).toEqual([]);
    const refused = await fetch(fileUrl);
    expect(refused.status).toBe(403);
    expect(refused.statusText).toBe('Revoked by admin: revoke in a test');
    expect(((await refused.json()) as { detail: string }).detail).toContain('revoked by admin: revoke in a test');
  });

  it('shows each held file the moment its own cooldown is over', async () => {
    const versions = async (project: string) => (await getJson(`${base}simple/${project}/`)).page.versions;
    clock.advance('68h'); // fresh-only uploaded 71h ago, 3.0.0 69h ago
    expect(await versions('fresh-only')).toEqual([]);
    expect(await versions('demo-py')).toEqual(['0.8.0', '2.0.0rc1']);
    clock.advance('2h');
    expect(await versions('fresh-only')).toEqual(['1.0']);
    expect(await versions('demo-py')).toEqual(['0.8.0', '2.0.0rc1']);
    clock.advance('1h');
    expect(await versions('demo-py')).toEqual(['0.8.0', '2.0.0rc1', '3.0.0']);
  });
});
