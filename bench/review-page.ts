import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readTar } from '../src/analyzer/archive/read-tar.js';
import type { RawFile } from '../src/analyzer/archive/raw-file.js';
import { defaultLimits } from '../src/analyzer/index.js';
import type { ReleaseArtifact } from '../src/quarantine/artifact-provider.js';
import { readArchiveFile } from '../src/review/archive-file.js';
import { evidenceWindow } from '../src/review/evidence-window.js';
import { readArtifactListing } from '../src/review/read-artifact-listing.js';
import { tgzBuffer } from '../test/helpers/build-archives.js';
import { table } from './bench-tools.js';

/** Target from issue 12: the release page with three bundle findings answers well under a second. */
const targetPageSeconds = 1;

/**
 * Release page benchmark on a next-like tarball (3,000 files, ~40 MB unpacked, three 131 KB
 * one-line bundles with a finding each, spread through the archive), side by side:
 * - before: one file request per finding, each reading candidate and baseline to the end
 *   (as the file endpoint did), and the page inlining whole files;
 * - now, cold: the page reads each artifact once (listing, hashes, windows);
 * - now, the file endpoint alone: stops reading at the file.
 */
export async function benchReviewPage(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'airlock-bench-review-'));
  try {
    const bundles = ['dist/a/chunk-0001.js', 'dist/m/chunk-1500.js', 'dist/z/chunk-2900.js'];
    const baseline = await writeRelease(work, 'next-16.4.3.tgz', bundles, false);
    const candidate = await writeRelease(work, 'next-16.4.6.tgz', bundles, true);
    const findings = bundles.map((p) => ({ path: p, line: 1, message: `${p} contains a new endpoint, collect.webhook.site (webhook collector).`, evidence: '' }));

    const before = await timed(async () => {
      let bytes = 0;
      for (const f of findings) {
        const c = await readToEnd(candidate, f.path);
        const b = await readToEnd(baseline, f.path);
        bytes += c + b; // both texts went to the browser in full
      }
      return bytes;
    });
    const pageCold = await timed(async () => {
      const paths = new Set(findings.map((f) => f.path));
      // As the page reads them: both artifacts at once.
      const [c] = await Promise.all([readArtifactListing(candidate, 'npm', (p) => paths.has(p)), readArtifactListing(baseline, 'npm', (p) => paths.has(p))]);
      let bytes = 0;
      for (const f of findings) {
        const text = c.texts.get(f.path)?.full;
        if (text) bytes += JSON.stringify(evidenceWindow(text, f)).length;
      }
      return bytes;
    });
    const fileCold = await timed(async () => {
      let bytes = 0;
      for (const f of findings) bytes += (await readArchiveFile(candidate, f.path))?.size ?? 0;
      return bytes;
    });

    console.log(
      table(
        ['review page, 3 bundle findings', 'seconds', 'bytes to the browser', 'vs before'],
        [
          ['before: a file request per finding, read to the end', before.seconds.toFixed(2), String(before.value), '1.00'],
          ['now: page with windows + diff summary, cold', pageCold.seconds.toFixed(2), String(pageCold.value), (pageCold.seconds / before.seconds).toFixed(2)],
          ['now: file endpoint, cold, three files', fileCold.seconds.toFixed(2), '-', (fileCold.seconds / before.seconds).toFixed(2)],
        ],
      ),
    );
    console.log(`page cold ${pageCold.seconds.toFixed(2)} s (target < ${targetPageSeconds} s): ${pageCold.seconds < targetPageSeconds ? 'pass' : 'FAIL'}; later loads and the file endpoint use the page's in-memory cache (not measured here)`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function writeRelease(dir: string, filename: string, bundles: string[], withHost: boolean): Promise<ReleaseArtifact> {
  const entries = [];
  let seed = 1;
  const text = (n: number) => {
    let s = '';
    while (s.length < n) s += `export function f${(seed = (seed * 48271) % 2147483647)}(a){return a*${seed % 97}}\n`;
    return s.slice(0, n);
  };
  for (let i = 0; i < 3000; i++) {
    const p = `dist/${String.fromCharCode(97 + Math.floor(i / 116))}/chunk-${String(i).padStart(4, '0')}.js`;
    if (bundles.includes(p)) {
      const line = text(131_000).replace(/\n/g, ';');
      const host = withHost ? ';fetch("https://collect.webhook.site/c")' : '';
      entries.push({ path: `package/${p}`, data: line.slice(0, 65_000) + host + line.slice(65_000) });
    } else entries.push({ path: `package/${p}`, data: text(13_000) });
  }
  entries.push({ path: 'package/package.json', data: JSON.stringify({ name: 'next', version: filename.slice(5, -4) }) });
  const file = path.join(dir, filename);
  await writeFile(file, tgzBuffer(entries));
  return { filename, open: async () => createReadStream(file) };
}

/** The file endpoint as it was: the wanted file kept, the rest of the archive still read to the end. */
async function readToEnd(artifact: ReleaseArtifact, wanted: string): Promise<number> {
  let size = 0;
  const limits = { ...defaultLimits, maxFileBytes: 8 << 20 };
  await readTar(await artifact.open(), limits, (p) => p.endsWith(`/${wanted}`), (f: RawFile) => {
    if (f.data && f.path.endsWith(`/${wanted}`)) size = f.data.length;
  });
  return size;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, value };
}
