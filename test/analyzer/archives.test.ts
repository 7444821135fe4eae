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

describe('names are read the way installers read them, and names that disagree fail closed', () => {
  const wheelInfo: ArchiveEntry[] = [
    { path: 'zipdiff-1.0.0.dist-info/METADATA', data: 'Metadata-Version: 2.1\nName: zipdiff\nVersion: 1.0.0\n' },
    { path: 'zipdiff-1.0.0.dist-info/WHEEL', data: 'Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n' },
  ];
  // Diffed against a baseline wheel that has only the metadata, so added files are findings.
  const wheelOf = async (entries: ArchiveEntry[]) => {
    const previous = path.join(dir.dir, `${n++}-zipdiff-0.9.0-py3-none-any.whl`);
    const candidate = path.join(dir.dir, `${n++}-zipdiff-1.0.0-py3-none-any.whl`);
    await writeFile(previous, zipBuffer(wheelInfo));
    await writeFile(candidate, zipBuffer([...wheelInfo, ...entries]));
    return analyzeRelease({
      ecosystem: 'pypi',
      previous: [{ ...fileSource(previous), filename: 'zipdiff-0.9.0-py3-none-any.whl' }],
      candidate: [{ ...fileSource(candidate), filename: 'zipdiff-1.0.0-py3-none-any.whl' }],
    });
  };
  const problems = (result: Awaited<ReturnType<typeof analyzeBytes>>) =>
    result.findings.filter((f) => f.kind === 'analysis-error').map((f) => f.message).join('\n');

  it('reads a wheel entry under its raw name, as pip does, and reports a Unicode-path extra field that names another file', async () => {
    const result = await wheelOf([{ path: 'zipdiff-init.pth', data: 'import os; os.system("true")\n', unicodePath: 'zipdiff/notes.txt' }]);
    expect(result.verdict).toBe('review');
    expect(problems(result)).toMatch(/`zipdiff-init\.pth`.*Unicode Path extra field.*`zipdiff\/notes\.txt`/);
    expect(result.findings.some((f) => f.kind === 'pth-exec-added' && f.path === 'zipdiff-init.pth')).toBe(true);
  });

  it('reports a local file header that names another file than the central directory', async () => {
    const result = await wheelOf([{ path: 'zipdiff/notes.txt', localName: 'zipdiff-init.pth', data: 'import os\n' }]);
    expect(result.verdict).toBe('review');
    expect(problems(result)).toMatch(/local file header names `zipdiff-init\.pth`.*central directory names `zipdiff\/notes\.txt`/);
  });

  it('reports two wheel entries with the same name', async () => {
    const result = await wheelOf([{ path: 'zipdiff/__init__.py', data: 'x = 1\n' }, { path: 'zipdiff/__init__.py', data: 'import os\n' }]);
    expect(problems(result)).toMatch(/`zipdiff\/__init__\.py` appears more than once/);
  });

  it('reports wheel entries whose names differ only by case or Unicode normalization', async () => {
    const byCase = await wheelOf([{ path: 'zipdiff/util.py', data: 'x = 1\n' }, { path: 'zipdiff/UTIL.py', data: 'import os\n' }]);
    expect(problems(byCase)).toMatch(/`zipdiff\/UTIL\.py` and `zipdiff\/util\.py` are the same file on a case-insensitive file system/);
    const byForm = await wheelOf([{ path: 'zipdiff/caf\u00e9.py', data: 'x = 1\n' }, { path: 'zipdiff/cafe\u0301.py', data: 'import os\n' }]);
    expect(problems(byForm)).toMatch(/same file on a case-insensitive file system/);
  });

  it('decodes a name without the UTF-8 flag as cp437, as CPython does', async () => {
    // 0x82 is é in cp437; with flag bit 11 clear, pip installs `caf\u00e9.pth`.
    const result = await wheelOf([{ path: 'ignored', rawName: Buffer.from([...Buffer.from('caf'), 0x82, ...Buffer.from('.pth')]), flags: 0, data: 'import os\n' }]);
    expect(result.findings.some((f) => f.kind === 'pth-exec-added' && f.path === 'caf\u00e9.pth')).toBe(true);
  });

  it('reports a name flagged UTF-8 that is not valid UTF-8', async () => {
    const result = await wheelOf([{ path: 'ignored', rawName: Buffer.from([...Buffer.from('zipdiff/'), 0xff, 0xfe, ...Buffer.from('.py')]), data: 'x = 1\n' }]);
    expect(problems(result)).toMatch(/not valid UTF-8/);
  });

  it('reports a wheel entry name with a backslash, which pip on Linux installs as one top-level file name', async () => {
    const result = await wheelOf([{ path: 'zipdiff\\init.pth', data: 'import os\n' }]);
    expect(problems(result)).toMatch(/backslash/);
  });

  it('reports a tarball with two members of the same name', async () => {
    const result = await analyzeBytes('demo-1.0.0.tgz', tgzBuffer([pkg, { path: 'package/index.js', data: 'module.exports = 1;\n' }, { path: 'package/index.js', data: 'require("child_process").exec("id");\n' }]));
    expect(result.verdict).toBe('review');
    expect(problems(result)).toMatch(/`index\.js` appears more than once/);
    // Some packers write a member twice with the same bytes (agent-base 7.1.3 does): harmless.
    const same = await analyzeBytes('demo-1.0.0.tgz', tgzBuffer([pkg, { path: 'package/index.js', data: '1;\n' }, { path: 'package/index.js', data: '1;\n' }]));
    expect(problems(same)).toBe('');
  });

  it('reports tarball members whose names differ only by case', async () => {
    const result = await analyzeBytes('demo-1.0.0.tgz', tgzBuffer([pkg, { path: 'package/lib/a.js', data: '1;\n' }, { path: 'package/lib/A.js', data: '2;\n' }]));
    expect(problems(result)).toMatch(/`lib\/A\.js` and `lib\/a\.js` are the same file on a case-insensitive file system/);
  });

  it('passes an ordinary wheel and tarball without name problems', async () => {
    const result = await wheelOf([{ path: 'zipdiff/__init__.py', data: 'x = 1\n' }, { path: 'zipdiff/util.py', data: 'y = 2\n' }]);
    expect(problems(result)).toBe('');
    const tar = await analyzeBytes('demo-1.0.0.tgz', tgzBuffer([pkg, { path: 'package/index.js', data: '1;\n' }, { path: 'package/lib/index.js', data: '2;\n' }]));
    expect(problems(tar)).toBe('');
  });
});
