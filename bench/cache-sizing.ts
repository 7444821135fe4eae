import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { create as createTar } from 'tar';
import { startAirlock } from '../test/helpers/start-airlock.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

/**
 * Disk and memory per cached npm artifact, measured: every package installed in this checkout's
 * node_modules (real npm packages, the usual mix of small libraries and a few large tools) is packed
 * as upstream would serve it, served by a local upstream, and fetched through a fresh Airlock.
 * Prints the blob storage and SQLite sizes per 1,000 artifacts, and RSS before and after.
 */
export async function benchCacheSizing(): Promise<void> {
  const modules = path.join(root, 'node_modules');
  const dirs: string[] = [];
  for (const entry of await readdir(modules)) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) for (const sub of await readdir(path.join(modules, entry))) dirs.push(`${entry}/${sub}`);
    else dirs.push(entry);
  }
  const tarballs = new Map<string, Buffer>();
  for (const name of dirs) {
    const chunks: Buffer[] = [];
    const stream = createTar({ gzip: true, cwd: path.join(modules, name), prefix: 'package/', portable: true, filter: (p) => !p.includes('node_modules') }, ['.']);
    for await (const chunk of stream) chunks.push(chunk);
    tarballs.set(name.replace('/', '__'), Buffer.concat(chunks));
  }
  const upstream = createServer((req, res) => {
    const url = decodeURIComponent(req.url ?? '/');
    const tgz = /^\/(.+)\/-\/.+-1\.0\.0\.tgz$/.exec(url);
    const key = (tgz ? tgz[1]! : url.slice(1)).replace('/', '__');
    const bytes = tarballs.get(key);
    if (!bytes) return void res.writeHead(404).end('{}');
    if (tgz) return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(bytes);
    const name = key.replace('__', '/');
    const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        name,
        'dist-tags': { latest: '1.0.0' },
        versions: {
          '1.0.0': {
            name,
            version: '1.0.0',
            dist: { tarball: `${base}${name}/-/${name.split('/').pop()}-1.0.0.tgz`, integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}` },
          },
        },
        time: { '1.0.0': '2020-01-01T00:00:00.000Z' },
      }),
    );
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`;
  const airlock = await startAirlock({ policy: 'cooldown: 0\nanalysisHorizon: 0\n', env: { AIRLOCK_NPM_UPSTREAM: upstreamUrl } });
  try {
    global.gc?.();
    const idleRss = process.memoryUsage().rss;
    let fetched = 0;
    for (const name of dirs) {
      const packument = await fetch(new URL(`npm/${name}`, airlock.url));
      if (packument.status !== 200) continue;
      const res = await fetch(new URL(`npm/${name}/-/${name.split('/').pop()}-1.0.0.tgz`, airlock.url));
      await res.arrayBuffer();
      if (res.status === 200) fetched++;
    }
    const afterRss = process.memoryUsage().rss;
    const blobBytes = await sizeOf(path.join(airlock.storageDir, 'blobs'));
    const dbBytes = (await Promise.all(['airlock.db', 'airlock.db-wal'].map((f) => stat(path.join(airlock.storageDir, f)).then((s) => s.size, () => 0)))).reduce((a, b) => a + b, 0);
    const sizes = [...tarballs.values()].map((b) => b.length).sort((a, b) => a - b);
    const per1000 = (bytes: number) => `${((bytes / fetched) * 1000 / 1e6).toFixed(1)} MB`;
    console.log(`cache-sizing: ${fetched} npm packages from node_modules fetched through Airlock (tarball median ${kb(sizes[Math.floor(sizes.length / 2)]!)}, p90 ${kb(sizes[Math.floor(sizes.length * 0.9)]!)}, max ${kb(sizes[sizes.length - 1]!)})`);
    console.log(`  blob storage ${mb(blobBytes)} = ${per1000(blobBytes)} per 1,000 artifacts (bounded by AIRLOCK_CACHE_MAX)`);
    console.log(`  SQLite (db + wal) ${mb(dbBytes)} = ${per1000(dbBytes)} per 1,000 packages (releases, artifacts, audit, cached packuments; not bounded)`);
    console.log(`  RSS (this process: Airlock and the upstream) ${mb(idleRss)} idle after start, ${mb(afterRss)} after serving them`);
  } finally {
    await airlock.close();
    await new Promise((resolve) => upstream.close(resolve));
  }
}

async function sizeOf(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
