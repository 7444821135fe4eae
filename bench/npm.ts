import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, createServer, get, type Server } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { freePort } from '../test/helpers/verdaccio.js';
import { fetchBody, peakRssMB, table, waitFor } from './bench-tools.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

/** Targets from the npm issue. */
const targets = { vsStatic: 0.7, vsVerdaccio: 20, tarballVsVerdaccio: 1.5, rssMB: 300 };
const bigVersions = 3000;
const mediumVersions = 230;
const heldVersions = 5;
const durationSeconds = 8;
const corgiAccept = 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*';

/** What one load run measured: completed 200 responses per second and their latency. */
interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** Non-200 answers and broken connections (requests still in flight at the end are not counted). */
  errors: number;
  /**
   * Server CPU time per completed request. Unlike req/s it does not depend on what else shares
   * the machine's cores (the load generator, other processes), so it is the steadier comparison.
   */
  cpuUsPerRequest?: number;
}

interface Case {
  label: string;
  path: string;
  headers: Record<string, string>;
  connections: number;
  /** The file the static server answers with for this case. */
  staticFile: string;
}

/**
 * npm benchmark: warm packument and tarball throughput, p50/p99 latency and peak RSS of Airlock,
 * Verdaccio 6.8 (with its built-in package filter at `minAgeDays: 3`, its closest equivalent to a
 * 72h cooldown) and a static Node server answering Airlock's own bytes from memory (the physical
 * limit), all in child processes in front of one local upstream holding a 3,000-version ≥ 10 MB
 * packument, a ~750 KB packument and a 1 MB tarball. Prints a table and the ratios against targets.
 */
export async function benchNpm(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'airlock-bench-npm-'));
  const children: ChildProcess[] = [];
  let upstream: Server | null = null;
  try {
    const upstreamPort = await freePort();
    const upstreamUrl = `http://127.0.0.1:${upstreamPort}/`;
    const tarball = randomBytes(1024 * 1024);
    const documents = new Map<string, Buffer>([
      ['/big-pkg', packument('big-pkg', bigVersions, upstreamUrl)],
      ['/medium-pkg', packument('medium-pkg', mediumVersions, upstreamUrl)],
      ['/tarball-pkg', packument('tarball-pkg', 1, upstreamUrl, tarball)],
      ['/tarball-pkg/-/tarball-pkg-1.0.0.tgz', tarball],
    ]);
    upstream = createServer((req, res) => {
      const body = documents.get(req.url!.split('?')[0]!.replace('%2f', '/'));
      if (!body) return void res.writeHead(404).end('{}');
      res.writeHead(200, { 'content-type': req.url!.endsWith('.tgz') ? 'application/octet-stream' : 'application/json', 'content-length': body.length });
      res.end(body);
    });
    await new Promise<void>((resolve) => upstream!.listen(upstreamPort, '127.0.0.1', resolve));
    console.log(
      `npm: upstream packuments big-pkg ${mb(documents.get('/big-pkg')!)} (${bigVersions} versions), medium-pkg ${kb(documents.get('/medium-pkg')!)} (${mediumVersions} versions), tarball 1 MB; the newest ${heldVersions} versions published 1h ago`,
    );

    // Airlock, as `npm start` runs it.
    const airlockPort = await freePort();
    await writeFile(path.join(work, 'policy.yaml'), 'cooldown: 72h\nanalysisHorizon: 0\n');
    const airlock = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/main.ts')], {
      cwd: root,
      env: {
        ...process.env,
        AIRLOCK_PORT: String(airlockPort),
        AIRLOCK_STORAGE: path.join(work, 'airlock'),
        AIRLOCK_POLICY: path.join(work, 'policy.yaml'),
        AIRLOCK_NPM_UPSTREAM: upstreamUrl,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(airlock);
    const airlockUrl = `http://127.0.0.1:${airlockPort}/npm/`;

    // Verdaccio 6.8 with its package filter, uplinked to the same upstream.
    const verdaccioPort = await freePort();
    await mkdir(path.join(work, 'verdaccio'), { recursive: true });
    await writeFile(
      path.join(work, 'verdaccio', 'config.yaml'),
      [
        `storage: ${path.join(work, 'verdaccio', 'storage')}`,
        'uplinks:',
        `  upstream: { url: ${upstreamUrl}, maxage: 30m, timeout: 60s }`,
        'packages:',
        "  '**': { access: $all, proxy: upstream }",
        'filters:',
        "  '@verdaccio/package-filter':",
        '    minAgeDays: 3',
        'max_body_size: 200mb',
        'log: { type: stdout, format: pretty, level: error }',
        '',
      ].join('\n'),
    );
    const verdaccio = spawn(
      process.execPath,
      [path.join(root, 'node_modules/.bin/verdaccio'), '--config', path.join(work, 'verdaccio', 'config.yaml'), '--listen', `127.0.0.1:${verdaccioPort}`],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    children.push(verdaccio);
    const verdaccioUrl = `http://127.0.0.1:${verdaccioPort}/`;
    await waitFor(`http://127.0.0.1:${airlockPort}/healthz`, airlock);
    await waitFor(`${verdaccioUrl}-/ping`, verdaccio);

    const cases: Case[] = [
      { label: 'medium full', path: 'medium-pkg', headers: { accept: 'application/json', 'accept-encoding': 'identity' }, connections: 20, staticFile: 'medium-full' },
      { label: 'medium corgi gzip', path: 'medium-pkg', headers: { accept: corgiAccept, 'accept-encoding': 'gzip' }, connections: 20, staticFile: 'medium-corgi' },
      { label: 'tarball 1 MB', path: 'tarball-pkg/-/tarball-pkg-1.0.0.tgz', headers: {}, connections: 20, staticFile: 'tarball' },
      { label: 'big full', path: 'big-pkg', headers: { accept: 'application/json', 'accept-encoding': 'identity' }, connections: 50, staticFile: 'big-full' },
      { label: 'big corgi gzip', path: 'big-pkg', headers: { accept: corgiAccept, 'accept-encoding': 'gzip' }, connections: 50, staticFile: 'big-corgi' },
    ];

    // Cold: first requests fetch from upstream (Airlock also records 3,000 releases); the static server gets Airlock's bytes.
    const cold: string[] = [];
    for (const [label, url, headers] of [
      ['airlock', airlockUrl, {}],
      ['verdaccio', verdaccioUrl, {}],
    ] as const) {
      const started = performance.now();
      const body = await fetchBody(`${url}big-pkg`, { accept: 'application/json', ...headers });
      cold.push(`${label} ${(performance.now() - started).toFixed(0)} ms (${mb(body)})`);
    }
    const airlockBodies: Record<string, Buffer> = {
      'medium-full': await fetchBody(`${airlockUrl}medium-pkg`, { accept: 'application/json' }),
      'medium-corgi': await fetchBody(`${airlockUrl}medium-pkg`, { accept: corgiAccept }),
      'big-full': await fetchBody(`${airlockUrl}big-pkg`, { accept: 'application/json' }),
      'big-corgi': await fetchBody(`${airlockUrl}big-pkg`, { accept: corgiAccept }),
      tarball: await fetchBody(`${airlockUrl}tarball-pkg/-/tarball-pkg-1.0.0.tgz`, {}),
    };
    const verdaccioBig = JSON.parse((await fetchBody(`${verdaccioUrl}big-pkg`, { accept: 'application/json' })).toString()) as { versions: object };
    const airlockBig = JSON.parse(airlockBodies['big-full']!.toString()) as { versions: object };
    await fetchBody(`${verdaccioUrl}tarball-pkg/-/tarball-pkg-1.0.0.tgz`, {});
    for (const [name, body] of Object.entries(airlockBodies)) {
      await writeFile(path.join(work, name), body);
      await writeFile(path.join(work, `${name}.gz`), gzipSync(body));
    }
    const staticPort = await freePort();
    const staticServer = spawn(process.execPath, ['-e', staticServerSource, work, String(staticPort)], { stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(staticServer);
    const staticUrl = `http://127.0.0.1:${staticPort}/`;
    await waitFor(`${staticUrl}tarball`, staticServer);

    const rows: string[][] = [];
    const results: Record<string, Record<string, LoadResult>> = {};
    const servers = { airlock, verdaccio, static: staticServer };
    for (const c of cases) {
      results[c.label] = {};
      for (const [server, url] of [
        ['airlock', `${airlockUrl}${c.path}`],
        ['verdaccio', `${verdaccioUrl}${c.path}`],
        ['static', `${staticUrl}${c.staticFile}`],
      ] as const) {
        await load(url, c.connections, 1, c.headers); // warm JIT and caches
        await settle(servers[server].pid!);
        const cpuBefore = cpuMs(servers[server].pid!);
        const r = await load(url, c.connections, durationSeconds, c.headers);
        r.cpuUsPerRequest = r.requestsPerSecond > 0 ? ((cpuMs(servers[server].pid!) - cpuBefore) * 1000) / (r.requestsPerSecond * durationSeconds) : 0;
        results[c.label]![server] = r;
        rows.push(row(`${c.label} ${server}`, c.connections, r));
        // A server still working through requests the load generator gave up on would steal the next run's CPU.
        await settle(servers[server].pid!);
      }
    }
    const rss = { airlock: peakRssMB(airlock.pid!), verdaccio: peakRssMB(verdaccio.pid!), static: peakRssMB(staticServer.pid!) };

    console.log(`\nnpm: warm throughput, ${durationSeconds}s per run, keep-alive clients`);
    console.log(`cold first big-pkg request: ${cold.join(', ')}`);
    console.log(
      `versions shown of big-pkg: airlock ${Object.keys(airlockBig.versions).length}, verdaccio ${Object.keys(verdaccioBig.versions).length} (of ${bigVersions}; ${heldVersions} are 1h old)`,
    );
    console.log(table(['case', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'cpu µs/req', 'errors'], rows));
    console.log(`peak RSS (VmHWM): airlock ${rss.airlock.toFixed(0)} MB, verdaccio ${rss.verdaccio.toFixed(0)} MB, static ${rss.static.toFixed(0)} MB`);
    const loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(`load average at the end: ${loadAverage} on ${availableParallelism()} cores (other work on the machine lowers req/s, not cpu µs/req)`);
    const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
    for (const c of cases) {
      const a = results[c.label]!.airlock!.requestsPerSecond;
      const v = results[c.label]!.verdaccio!.requestsPerSecond;
      const s = results[c.label]!.static!.requestsPerSecond;
      const vsVerdaccio = v > 0 ? a / v : Number.POSITIVE_INFINITY;
      const tarball = c.staticFile === 'tarball';
      const want = tarball ? targets.tarballVsVerdaccio : targets.vsVerdaccio;
      // The issue sets a static-server target for packuments only; for tarballs the ratio is shown for information.
      const staticPart = tarball
        ? `${(a / s).toFixed(2)}× static (no target)`
        : `${verdict(a / s >= targets.vsStatic)} ${(a / s).toFixed(2)}× static (target ≥ ${targets.vsStatic}×)`;
      console.log(
        `${c.label}: ${staticPart}; ` +
          `${verdict(vsVerdaccio >= want)} ${Number.isFinite(vsVerdaccio) ? vsVerdaccio.toFixed(1) : '∞'}× verdaccio (target ≥ ${want}×)`,
      );
    }
    console.log(`${verdict(rss.airlock <= targets.rssMB)} airlock peak RSS ${rss.airlock.toFixed(0)} MB (target ≤ ${targets.rssMB} MB, 50 clients on the ${mb(documents.get('/big-pkg')!)} packument)`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve)))));
    if (upstream) await new Promise((resolve) => upstream!.close(resolve));
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * A packument shaped like a busy real package: per version the fields npmjs serves (scripts,
 * dependencies, maintainers, signatures, `_npmUser`, …), a readme, and `time` per version; the
 * newest few versions were published an hour ago (held by a 72h cooldown, hidden by `minAgeDays: 3`).
 */
function packument(name: string, count: number, upstream: string, tarball?: Buffer): Buffer {
  const now = Date.now();
  const versions: Record<string, unknown> = {};
  const time: Record<string, string> = { created: new Date(now - (count + 10) * 86_400_000).toISOString() };
  const hex = (seed: string, len: number) => createHash('sha512').update(seed).digest('hex').slice(0, len);
  const b64 = (seed: string) => createHash('sha512').update(seed).digest('base64');
  const deps = (prefix: string, n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}-${i}`, `^${i + 1}.${i % 7}.0`]));
  const list: string[] = [];
  for (let i = 0; i < count; i++) list.push(`${Math.floor(i / 100) + 1}.${Math.floor(i / 10) % 10}.${i % 10}`);
  for (const [i, version] of list.entries()) {
    const integrity = tarball ? `sha512-${createHash('sha512').update(tarball).digest('base64')}` : `sha512-${b64(`${name}${version}`)}`;
    const shasum = tarball ? createHash('sha1').update(tarball).digest('hex') : hex(`sha1${version}`, 40);
    versions[version] = {
      name,
      version,
      description: `A fast, small and well-tested library for doing the thing that ${name} does, with streaming, typed errors and no dependencies at run time; release ${version}.`,
      main: 'lib/index.js',
      types: 'lib/index.d.ts',
      scripts: { build: 'tsc -p tsconfig.build.json', test: 'vitest run', lint: 'eslint . --ext .ts', prepublishOnly: 'npm run build' },
      repository: { type: 'git', url: `git+https://github.com/example/${name}.git` },
      keywords: ['fast', 'small', 'typescript', 'library', 'utility', 'stream', 'parser', 'cli', 'esm', 'node', 'browser', 'deno'],
      author: { name: 'Example Maintainer', email: 'maintainer@example.com', url: 'https://example.com' },
      license: 'MIT',
      bugs: { url: `https://github.com/example/${name}/issues` },
      homepage: `https://github.com/example/${name}#readme`,
      dependencies: deps('dependency', 21),
      devDependencies: deps('dev-dependency', 30),
      engines: { node: '>=18' },
      gitHead: hex(`git${version}`, 40),
      _id: `${name}@${version}`,
      _nodeVersion: '20.11.1',
      _npmVersion: '10.2.4',
      dist: {
        integrity,
        shasum,
        tarball: `${upstream}${name}/-/${name}-${version}.tgz`,
        fileCount: 42,
        unpackedSize: 123456 + i,
        signatures: [{ keyid: 'SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA', sig: `MEUCIQ${b64(`sig${version}`).slice(0, 90)}` }],
      },
      _npmUser: { name: 'maintainer', email: 'maintainer@example.com' },
      directories: {},
      maintainers: [
        { name: 'maintainer', email: 'maintainer@example.com' },
        { name: 'second', email: 'second@example.com' },
        { name: 'third-maintainer', email: 'third-maintainer@example.com' },
      ],
      files: ['lib/', 'bin/', 'README.md', 'LICENSE'],
      exports: { '.': { types: './lib/index.d.ts', import: './lib/index.mjs', require: './lib/index.cjs' }, './package.json': './package.json' },
      _npmOperationalInternal: { host: 's3://npm-registry-packages', tmp: `tmp/${name}_${version}_${now}_0.${i}` },
      _hasShrinkwrap: false,
    };
    const age = i >= count - heldVersions && count > 1 ? 3_600_000 : (count - i + 5) * 86_400_000;
    time[version] = new Date(now - age).toISOString();
  }
  time.modified = new Date(now - 3_600_000).toISOString();
  const latest = list.length > 1 ? list[list.length - 1]! : list[0]!;
  return Buffer.from(
    JSON.stringify({
      _id: name,
      name,
      'dist-tags': { latest },
      versions,
      time,
      maintainers: [{ name: 'maintainer', email: 'maintainer@example.com' }],
      description: `The ${name} package`,
      readme: `# ${name}\n\n${'Usage notes and examples. '.repeat(count > 1000 ? 4000 : 200)}`,
      readmeFilename: 'README.md',
      license: 'MIT',
    }),
  );
}

/** A keep-alive static server answering fixed bytes per file (gzip when asked), from memory. */
const staticServerSource = `
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const [dir, port] = process.argv.slice(1);
const files = {};
for (const name of ['medium-full', 'medium-corgi', 'big-full', 'big-corgi', 'tarball'])
  files[name] = { body: fs.readFileSync(path.join(dir, name)), gzip: fs.readFileSync(path.join(dir, name + '.gz')) };
const server = http.createServer((req, res) => {
  const name = req.url.slice(1);
  const file = files[name];
  if (!file) { res.statusCode = 404; return res.end(); }
  const gzip = name !== 'tarball' && /gzip/.test(req.headers['accept-encoding'] || '');
  const body = gzip ? file.gzip : file.body;
  res.setHeader('Content-Type', name === 'tarball' ? 'application/octet-stream' : 'application/json');
  res.setHeader('ETag', '"static"');
  if (gzip) res.setHeader('Content-Encoding', 'gzip');
  res.setHeader('Content-Length', body.length);
  res.end(body);
});
server.keepAliveTimeout = 65000;
server.listen(Number(port), '127.0.0.1');
`;



/** CPU time (user + system) a process has used, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 1/100 s
}

/** Waits (at most 2 minutes) until a process uses less than 5% of a core. */
async function settle(pid: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  let before = cpuMs(pid);
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const now = cpuMs(pid);
    if (now - before <= 20) return;
    before = now;
  }
}


function row(label: string, connections: number, r: LoadResult): string[] {
  return [
    label,
    String(connections),
    r.requestsPerSecond.toFixed(1),
    r.p50.toFixed(1),
    r.p99.toFixed(1),
    r.requestsPerSecond > 0 ? (r.cpuUsPerRequest ?? 0).toFixed(0) : '-',
    String(r.errors),
  ];
}

/**
 * A keep-alive load generator: `connections` clients each sending the next request when the last
 * answer has been read, for `seconds`. (autocannon reads binary bodies such as tarballs ten times
 * slower than text, which made it, not the servers, the limit for the tarball case.) Requests
 * still unanswered at the end are cut off and not counted.
 */
async function load(url: string, connections: number, seconds: number, headers: Record<string, string>): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  let over = false;
  const timer = setTimeout(() => {
    over = true;
    agent.destroy();
  }, seconds * 1000);
  const one = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const req = get(url, { agent, headers }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) errors++;
          else if (performance.now() <= end) latencies.push(performance.now() - started);
          resolve();
        });
        res.on('error', () => resolve());
      });
      req.on('error', () => {
        if (!over) errors++;
        resolve();
      });
    });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (!over) await one();
    }),
  );
  clearTimeout(timer);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! : 0);
  return { requestsPerSecond: latencies.length / seconds, p50: at(0.5), p99: at(0.99), errors };
}


const mb = (b: Buffer) => `${(b.length / 1024 / 1024).toFixed(1)} MB`;
const kb = (b: Buffer) => `${(b.length / 1024).toFixed(0)} KB`;
