import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { create as createTar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArchiveFile } from '../../src/review/archive-file.js';
import { run } from '../helpers/run.js';
import { tempDir } from '../helpers/temp-dir.js';

let temp: Awaited<ReturnType<typeof tempDir>>;
const artifact = (file: string) => ({ filename: path.basename(file), open: async () => createReadStream(file) });

beforeAll(async () => {
  temp = await tempDir('airlock-archive-');
  const pkg = path.join(temp.dir, 'package');
  await mkdir(path.join(pkg, 'lib'), { recursive: true });
  await writeFile(path.join(pkg, 'package.json'), '{\n  "name": "demo",\n  "scripts": { "postinstall": "node x.js" }\n}\n');
  await writeFile(path.join(pkg, 'lib', 'big.js'), 'x'.repeat(3000));
  await writeFile(path.join(pkg, 'lib', 'blob.node'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0]));
  await createTar({ gzip: true, file: path.join(temp.dir, 'demo-1.0.0.tgz'), cwd: temp.dir }, ['package']);
  const py = `import zipfile\nz = zipfile.ZipFile('${temp.dir}/demo-1.0-py3-none-any.whl', 'w')\nz.writestr('demo/__init__.py', 'import os\\n')\nz.writestr('demo-1.0.pth', 'import demo\\n')\nz.close()\n`;
  const res = await run('python3', ['-c', py]);
  if (res.code !== 0) throw new Error(res.output);
});

afterAll(async () => {
  await temp?.remove();
});

describe('reading one file out of an artifact for the diff view', () => {
  it('finds a file in an npm tarball under its package/ folder', async () => {
    const file = await readArchiveFile(artifact(path.join(temp.dir, 'demo-1.0.0.tgz')), 'package.json');
    expect(file).toMatchObject({ entry: 'package/package.json', binary: false, truncated: false });
    expect(file!.text).toContain('"postinstall": "node x.js"');
  });

  it('finds a file in a wheel at its own path', async () => {
    const file = await readArchiveFile(artifact(path.join(temp.dir, 'demo-1.0-py3-none-any.whl')), 'demo-1.0.pth');
    expect(file).toMatchObject({ entry: 'demo-1.0.pth', text: 'import demo\n' });
  });

  it('keeps only the first bytes of a large file and says so', async () => {
    const file = await readArchiveFile(artifact(path.join(temp.dir, 'demo-1.0.0.tgz')), 'lib/big.js', { maxFileBytes: 1000 });
    expect(file).toMatchObject({ size: 3000, truncated: true });
    expect(file!.text).toHaveLength(1000);
  });

  it('does not read a file above the read cap at all', async () => {
    const file = await readArchiveFile(artifact(path.join(temp.dir, 'demo-1.0.0.tgz')), 'lib/big.js', { maxFileBytes: 100, maxReadBytes: 2000 });
    expect(file).toMatchObject({ entry: 'package/lib/big.js', text: null, truncated: true });
  });

  it('does not show binary content as text', async () => {
    const file = await readArchiveFile(artifact(path.join(temp.dir, 'demo-1.0.0.tgz')), 'lib/blob.node');
    expect(file).toMatchObject({ binary: true, text: null });
  });

  it('answers null for a file the archive does not have, and refuses paths that leave it', async () => {
    expect(await readArchiveFile(artifact(path.join(temp.dir, 'demo-1.0.0.tgz')), 'lib/missing.js')).toBeNull();
    await expect(readArchiveFile(artifact(path.join(temp.dir, 'demo-1.0.0.tgz')), '../package.json')).rejects.toThrow(/not a file path inside an archive/);
    await expect(readArchiveFile(artifact(path.join(temp.dir, 'demo-1.0.0.tgz')), '/etc/passwd')).rejects.toThrow(/not a file path/);
  });

  it('refuses a zip larger than its cap instead of buffering it', async () => {
    await expect(readArchiveFile(artifact(path.join(temp.dir, 'demo-1.0-py3-none-any.whl')), 'demo-1.0.pth', { maxZipBytes: 10 })).rejects.toThrow(/larger than 10 bytes/);
  });
});
