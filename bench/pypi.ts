import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { startPypiUpstream, type PypiUpstream } from '../test/helpers/pypi-upstream.js';
import { freePort } from '../test/helpers/verdaccio.js';
import { fetchBody, peakRssMB, table, waitFor } from './bench-tools.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

/** Targets from the PyPI issue. */
const targets = { throughputRatio: 0.7 };
const releases = 500;
const filesPerRelease = 10;
const heldReleases = 5;
const connections = 50;
const durationSeconds = 8;
const jsonType = 'application/vnd.pypi.simple.v1+json';

/** The part of autocannon's result this benchmark reads (the package ships no types). */
interface LoadResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; max: number };
  throughput: { average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  headers: Record<string, string>;
}) => Promise<LoadResult>;

/**
 * PyPI benchmark: warm simple-page throughput and p99 latency of Airlock for a project with
 * 500 releases × 10 files (JSON and HTML, 50 concurrent keep-alive clients), against a static
 * Node server answering the same bytes from memory, plus the peak RSS of each server (both run in
 * child processes; VmHWM). Prints a table and the ratio against the ≥ 0.7× static target.
 */
export async function benchPypi(): Promise<void> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const work = await mkdtemp(path.join(tmpdir(), 'airlock-bench-pypi-'));
  let upstream: PypiUpstream | null = null;
  const children: ChildProcess[] = [];
  try {
    console.log(`pypi: generating bench-py with ${releases} releases × ${filesPerRelease} files…`);
    upstream = await startPypiUpstream();
    seedProject(upstream);

    const airlockPort = await freePort();
    const policyFile = path.join(work, 'policy.yaml');
    await writeFile(policyFile, 'cooldown: 72h\nanalysisHorizon: 0\n');
    const airlock = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/main.ts')], {
      cwd: root,
      env: {
        ...process.env,
        AIRLOCK_PORT: String(airlockPort),
        AIRLOCK_STORAGE: path.join(work, 'storage'),
        AIRLOCK_POLICY: policyFile,
        AIRLOCK_PYPI_UPSTREAM: upstream.url,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(airlock);
    const airlockUrl = `http://127.0.0.1:${airlockPort}/`;
    await waitFor(`${airlockUrl}healthz`, airlock);

    const pageUrl = `${airlockUrl}pypi/simple/bench-py/`;
    const coldStarted = performance.now();
    const json = await fetchBody(pageUrl, { accept: jsonType });
    const coldMs = performance.now() - coldStarted;
    const html = await fetchBody(pageUrl, { accept: 'text/html' });

    // The static reference answers the very bytes Airlock served, from memory, with the same headers.
    await writeFile(path.join(work, 'page.json'), json);
    await writeFile(path.join(work, 'page.html'), html);
    await writeFile(path.join(work, 'page.json.gz'), gzipSync(json));
    await writeFile(path.join(work, 'page.html.gz'), gzipSync(html));
    const staticPort = await freePort();
    const staticServer = spawn(process.execPath, ['-e', staticServerSource, work, String(staticPort)], { stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(staticServer);
    const staticUrl = `http://127.0.0.1:${staticPort}/`;
    await waitFor(`${staticUrl}page`, staticServer);

    const cases = [
      { label: 'JSON', accept: jsonType, encoding: 'identity', bytes: json.length },
      { label: 'HTML', accept: 'text/html', encoding: 'identity', bytes: html.length },
      { label: 'JSON gzip', accept: jsonType, encoding: 'gzip', bytes: gzipSync(json).length },
    ];
    const rows: string[][] = [];
    const ratios: { label: string; ratio: number }[] = [];
    for (const c of cases) {
      const headers = { accept: c.accept, 'accept-encoding': c.encoding };
      await autocannon({ url: pageUrl, connections, duration: 1, headers }); // warm the JIT and caches
      const a = await autocannon({ url: pageUrl, connections, duration: durationSeconds, headers });
      await autocannon({ url: `${staticUrl}page`, connections, duration: 1, headers });
      const s = await autocannon({ url: `${staticUrl}page`, connections, duration: durationSeconds, headers });
      const ratio = a.requests.average / s.requests.average;
      ratios.push({ label: c.label, ratio });
      rows.push(row(`${c.label} airlock`, c.bytes, a), row(`${c.label} static`, c.bytes, s), [`${c.label} ratio`, '', `${ratio.toFixed(2)}×`, '', '', '', '']);
    }
    const airlockRss = peakRssMB(airlock.pid!);
    const staticRss = peakRssMB(staticServer.pid!);

    console.log(`\nPyPI simple page, ${releases} releases × ${filesPerRelease} files (${heldReleases} releases held), ${connections} clients, ${durationSeconds}s each`);
    console.log(`cold first page (upstream fetch + record ${releases * filesPerRelease} files): ${coldMs.toFixed(0)} ms`);
    console.log(table(['case', 'page bytes', 'req/s', 'MB/s', 'p50 ms', 'p99 ms', 'errors'], rows));
    console.log(`peak RSS: airlock ${airlockRss.toFixed(0)} MB, static ${staticRss.toFixed(0)} MB`);
    for (const { label, ratio } of ratios.slice(0, 2))
      console.log(`${ratio >= targets.throughputRatio ? 'PASS' : 'FAIL'} ${label} warm throughput ${ratio.toFixed(2)}× static (target ≥ ${targets.throughputRatio}×)`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve)))));
    await upstream?.close();
    await rm(work, { recursive: true, force: true });
  }
}

/** 500 releases of 1 sdist + 9 wheels; the newest few uploaded an hour ago, so they are held. */
function seedProject(upstream: PypiUpstream): void {
  const now = Date.now();
  const tags = ['cp38', 'cp39', 'cp310', 'cp311', 'cp312'].flatMap((py) => [`${py}-${py}-manylinux_2_17_x86_64`, `${py}-${py}-win_amd64`]).slice(0, filesPerRelease - 1);
  for (let i = 0; i < releases; i++) {
    const version = `1.${i}.0`;
    const uploadedAt = new Date(i >= releases - heldReleases ? now - 3_600_000 : now - (releases - i) * 86_400_000);
    const metadata = Buffer.from(`Metadata-Version: 2.1\nName: bench-py\nVersion: ${version}\nRequires-Python: >=3.8\n\n`);
    upstream.add('bench-py', { filename: `bench_py-${version}.tar.gz`, bytes: Buffer.from(`sdist ${version}`), metadata: null }, { uploadedAt, requiresPython: '>=3.8' });
    for (const tag of tags) {
      const filename = `bench_py-${version}-${tag}.whl`;
      upstream.add('bench-py', { filename, bytes: Buffer.from(filename), metadata }, { uploadedAt, requiresPython: '>=3.8' });
    }
  }
}

/** A keep-alive static server answering /page with fixed bytes per Accept and Accept-Encoding. */
const staticServerSource = `
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const [dir, port] = process.argv.slice(1);
const read = (f) => fs.readFileSync(path.join(dir, f));
const pages = {
  json: { type: '${jsonType}', body: read('page.json'), gzip: read('page.json.gz') },
  html: { type: 'text/html', body: read('page.html'), gzip: read('page.html.gz') },
};
const server = http.createServer((req, res) => {
  const page = (req.headers.accept || '').includes('json') ? pages.json : pages.html;
  const gzip = /gzip/.test(req.headers['accept-encoding'] || '');
  const body = gzip ? page.gzip : page.body;
  res.setHeader('Content-Type', page.type);
  res.setHeader('Vary', 'Accept, Accept-Encoding');
  res.setHeader('Cache-Control', 'max-age=0, must-revalidate');
  res.setHeader('ETag', '"static"');
  if (gzip) res.setHeader('Content-Encoding', 'gzip');
  res.setHeader('Content-Length', body.length);
  res.end(body);
});
server.keepAliveTimeout = 65000;
server.listen(Number(port), '127.0.0.1');
`;




function row(label: string, bytes: number, r: LoadResult): string[] {
  return [
    label,
    String(bytes),
    r.requests.average.toFixed(0),
    (r.throughput.average / 1e6).toFixed(0),
    r.latency.p50.toFixed(1),
    r.latency.p99.toFixed(1),
    String(r.errors + r.timeouts + r.non2xx),
  ];
}

