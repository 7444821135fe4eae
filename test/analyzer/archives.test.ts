import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeRelease, type ArchiveLimits } from '../../src/analyzer/index.js';
import { tempDir } from '../helpers/temp-dir.js';
import { tarBuffer, tgzBuffer, zipBuffer, type ArchiveEntry } from '../helpers/build-archives.js';
import { fileSource, packageJson } from './build-artifacts.js';

let dir: { dir: string; remove: () => Promise<void> };
let n = 0;
beforeAll(async () => {
  dir = await tempDir('airlock-analyzer-archives-');
});
afterAll(() => dir.remove());

async function analyzeBytes(filename: string, bytes: Buffer, limits: Partial<ArchiveLimits> = {}, ecosystem: 'npm' | 'pypi' = 'npm') {
  const file = path.join(dir.dir, `${n++}-${filename}`);
  await writeFile(file, bytes);
  const source = { ...fileSource(file), filename };
  return analyzeRelease({ ecosystem, previous: [source], candidate: [source], limits });
}
const pkg: ArchiveEntry = { path: 'package/package.json', data: packageJson('1.0.0') };

describe('hostile archives become analysis-error findings, never exceptions', () => {
  it('refuses an entry that climbs out of the archive root and still reads the rest', async () => {
    const result = await analyzeBytes('demo-1.0.0.tgz', tgzBuffer([pkg, { path: 'package/../../etc/cron.d/x', data: '* * * * * root id\n' }, { path: 'package/index.js', data: 'module.exports = 1;\n' }]));
    expect(result.verdict).toBe('review');
    expect(result.findings.find((f) => f.kind === 'analysis-error' && /outside the archive root/.test(f.message))).toMatchObject({ severity: 'high', path: 'package/../../etc/cron.d/x' });
  });

  it('reports a symlink pointing outside the package', async () => {
    const result = await analyzeBytes('demo-1.0.0.tgz', tgzBuffer([pkg, { path: 'package/creds', type: 'symlink', linkpath: '../../../home/user/.npmrc' }]));
    expect(result.findings.map((f) => f.message).join('\n')).toMatch(/link `creds` points outside the archive/);
  });

  it('reports a truncated gzip stream', async () => {
    const whole = tgzBuffer([pkg, { path: 'package/index.js', data: 'x'.repeat(100_000) }]);
    const result = await analyzeBytes('demo-1.0.0.tgz', whole.subarray(0, Math.floor(whole.length / 2)));
    expect(result.verdict).toBe('review');
    expect(result.findings.some((f) => f.kind === 'analysis-error')).toBe(true);
  });

  it('reports bytes that are not an archive at all', async () => {
    const result = await analyzeBytes('demo-1.0.0.tgz', Buffer.from('<html>not found</html>'));
    expect(result.findings.find((f) => f.kind === 'analysis-error')!.message).toMatch(/demo-1\.0\.0\.tgz could not be fully analyzed: it is not a readable tar archive/);
  });

  it('stops a decompression bomb by its compression ratio', async () => {
    const bomb = gzipSync(tarBuffer([pkg, { path: 'package/zeros.js', data: Buffer.alloc(40 * 1024 * 1024) }]));
    const result = await analyzeBytes('demo-1.0.0.tgz', bomb);
    expect(result.findings.map((f) => f.message).join('\n')).toMatch(/decompression bomb/);
  });

  it('stops at the entry-count cap', async () => {
    const entries = Array.from({ length: 50 }, (_, i) => ({ path: `package/f${i}.txt`, data: 'x' }));
    const result = await analyzeBytes('demo-1.0.0.tgz', tgzBuffer([pkg, ...entries]), { maxEntries: 20 });
    expect(result.findings.map((f) => f.message).join('\n')).toMatch(/more than 20 entries/);
  });

  it('does not scan a file above the per-file cap, and says so', async () => {
    const result = await analyzeBytes('demo-1.0.0.tgz', tgzBuffer([pkg, { path: 'package/big.js', data: 'x'.repeat(5000) }]), { maxFileBytes: 1000 });
    expect(result.findings.find((f) => f.kind === 'analysis-error' && f.path === 'big.js')!.message).toMatch(/above the 1000-byte scan limit/);
  });

  it('stops at the total-size cap', async () => {
    const result = await analyzeBytes('demo-1.0.0.tgz', tgzBuffer([pkg, { path: 'package/a.txt', data: 'a'.repeat(3000) }, { path: 'package/b.txt', data: 'b'.repeat(3000) }]), { maxTotalBytes: 4000 });
    expect(result.findings.map((f) => f.message).join('\n')).toMatch(/unpacks to more than 4000 bytes/);
  });

  it('reports a corrupt wheel', async () => {
    const wheel = zipBuffer([{ path: 'demo_py/__init__.py', data: 'x = 1\n' }]);
    wheel.fill(0, wheel.length - 22);
    const result = await analyzeBytes('demo_py-1.0.0-py3-none-any.whl', wheel, {}, 'pypi');
    expect(result.findings.find((f) => f.kind === 'analysis-error')!.message).toMatch(/not a readable zip archive/);
  });

  it('reports a wheel entry that climbs out of the archive root', async () => {
    const wheel = zipBuffer([{ path: 'demo_py/__init__.py', data: 'x = 1\n' }, { path: '../../evil.pth', data: 'import os\n' }]);
    const result = await analyzeBytes('demo_py-1.0.0-py3-none-any.whl', wheel, {}, 'pypi');
    expect(result.verdict).toBe('review');
    expect(result.findings.some((f) => f.kind === 'analysis-error')).toBe(true);
  });

  it('reports an artifact type it cannot read', async () => {
    const result = await analyzeBytes('demo_py-1.0.0.tar.bz2', Buffer.from('BZh9'), {}, 'pypi');
    expect(result.findings.find((f) => f.kind === 'analysis-error')!.message).toMatch(/not a tarball, wheel or zip sdist/);
  });

  it('turns a failing artifact source into a finding', async () => {
    const broken = { filename: 'demo-1.0.1.tgz', open: async (): Promise<NodeJS.ReadableStream> => { throw new Error('upstream reset the connection'); } };
    const result = await analyzeRelease({ ecosystem: 'npm', candidate: [broken] });
    expect(result.findings.find((f) => f.kind === 'analysis-error')!.message).toMatch(/upstream reset the connection/);
    expect(result.verdict).toBe('review');
  });
});
