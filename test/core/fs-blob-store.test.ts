import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../../src/store/fs-blob-store.js';
import { tempDir } from '../helpers/temp-dir.js';

async function* chunks(...parts: string[]) {
  for (const p of parts) yield Buffer.from(p);
}
const hex = (algo: string, text: string) => createHash(algo).update(text).digest('hex');

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

describe('FsBlobStore', () => {
  let cleanup: () => Promise<void> = async () => {};
  afterEach(() => cleanup());

  it('stores verified bytes under their sha256 and reads them back, whole or by range', async () => {
    const t = await tempDir();
    cleanup = t.remove;
    const blobs = new FsBlobStore(t.dir);
    const info = await blobs.put(chunks('hello ', 'world'), { sha512: hex('sha512', 'hello world') });
    expect(info).toEqual({ key: hex('sha256', 'hello world'), size: 11, sha256: hex('sha256', 'hello world') });
    let text = '';
    for await (const c of await blobs.open(info.key, { start: 6, end: 10 })) text += c;
    expect(text).toBe('world');
    expect(await blobs.stat(info.key)).toEqual({ size: 11 });
  });

  it('refuses bytes that do not match their digest and keeps nothing, not even a temp file', async () => {
    const t = await tempDir();
    cleanup = t.remove;
    const blobs = new FsBlobStore(t.dir);
    await expect(blobs.put(chunks('tampered'), { sha1: hex('sha1', 'original') })).rejects.toMatchObject({ code: 'EINTEGRITY' });
    expect(await listFiles(t.dir)).toEqual([]);
    await expect(blobs.put(chunks('anything'), {})).rejects.toMatchObject({ code: 'EINTEGRITY' });
  });

  it('rejects keys that are not sha256 hex, so a key can never name a path', async () => {
    const t = await tempDir();
    cleanup = t.remove;
    const blobs = new FsBlobStore(t.dir);
    await expect(blobs.open('../../etc/passwd')).rejects.toMatchObject({ code: 'EBADREQUEST' });
  });
});
