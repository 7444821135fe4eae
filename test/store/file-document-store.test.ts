import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileDocumentStore } from '../../src/store/file-document-store.js';
import { openSqlite } from '../../src/store/open-sqlite.js';
import { SqliteReleaseStore } from '../../src/store/sqlite-release-store.js';
import { tempDir } from '../helpers/temp-dir.js';

const at = (iso: string) => new Date(iso);
const doc = (text: string, etag: string | null = null) => ({ body: Buffer.from(text), etag, lastModified: null, fetchedAt: at('2026-11-01T10:00:00Z') });

/** Every file under `dir`, as paths relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe('cached upstream documents as files', () => {
  let temp: { dir: string; remove: () => Promise<void> };
  beforeEach(async () => {
    temp = await tempDir('airlock-documents-');
  });
  afterEach(() => temp.remove());

  it('keeps the last of several writes of one key, given at once, and reads it back whole', async () => {
    const documents = new FileDocumentStore(path.join(temp.dir, 'documents'));
    const writes = Array.from({ length: 20 }, (_, i) => documents.put('npm:demo', doc(`{"v":${i}}`.padEnd(10_000 + i, ' '), `"e${i}"`)));
    // A read while they are under way waits for them.
    const read = documents.get('npm:demo');
    await Promise.all(writes);
    expect((await read)?.etag).toBe('"e19"');
    const last = await documents.get('npm:demo');
    expect(last).toEqual(doc(`{"v":19}`.padEnd(10_019, ' '), '"e19"'));
    expect(await documents.get('npm:other')).toBeNull();
    // One file, no temporary ones left behind.
    expect(await filesUnder(path.join(temp.dir, 'documents'))).toHaveLength(1);
  });

  it('names files by a digest of the key, so no key reaches outside its folder', async () => {
    const root = path.join(temp.dir, 'documents');
    const documents = new FileDocumentStore(root);
    for (const key of ['npm:../../escape', 'pypi:/etc/passwd', 'npm:@scope%2F..%2F..', `npm:${'x'.repeat(5000)}`]) {
      await documents.put(key, doc(key));
      expect((await documents.get(key))?.body.toString()).toBe(key);
    }
    expect(await readdir(temp.dir)).toEqual(['documents']);
    for (const file of await filesUnder(root)) expect(file).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{64}$/);
  });

  it('reads a file cut short, garbled or written for another key as no document', async () => {
    const root = path.join(temp.dir, 'documents');
    const documents = new FileDocumentStore(root);
    await documents.put('npm:a', doc('{"name":"a"}'));
    await documents.put('npm:b', doc('{"name":"b"}'));
    const [fileA, fileB] = await Promise.all(['npm:a', 'npm:b'].map(async (key) => {
      const files = await filesUnder(root);
      for (const f of files) if ((await readFile(path.join(root, f), 'utf8')).includes(`"key":"${key}"`)) return path.join(root, f);
      throw new Error(`no file for ${key}`);
    }));
    const whole = await readFile(fileA!);
    await writeFile(fileA!, whole.subarray(0, whole.length - 3));
    expect(await documents.get('npm:a')).toBeNull();
    await writeFile(fileA!, 'not a header at all');
    expect(await documents.get('npm:a')).toBeNull();
    // b's bytes under a's name: the header names b, so a has no document.
    await writeFile(fileA!, await readFile(fileB!));
    expect(await documents.get('npm:a')).toBeNull();
    expect((await documents.get('npm:b'))?.body.toString()).toBe('{"name":"b"}');
    // A new write replaces what was there.
    await documents.put('npm:a', doc('{"name":"a2"}'));
    expect((await documents.get('npm:a'))?.body.toString()).toBe('{"name":"a2"}');
    expect((await collect(documents.entries())).map((e) => e.key).sort()).toEqual(['npm:a', 'npm:b']);
  });

  it('removes the temporary files of a process that ended mid-write, never those of one still running', async () => {
    const root = path.join(temp.dir, 'documents');
    const documents = new FileDocumentStore(root);
    await documents.put('npm:demo', doc('{"name":"demo"}'));
    const [file] = await filesUnder(root);
    const ended = spawnSync(process.execPath, ['-e', '']).pid;
    const stray = path.join(root, 'tmp', `${path.basename(file!)}.${ended}.1`);
    const ours = path.join(root, 'tmp', `${path.basename(file!)}.${process.pid}.7`);
    await writeFile(stray, 'cut short');
    await writeFile(ours, 'being written');
    expect(await documents.removeLeftovers()).toBe(1);
    expect((await filesUnder(root)).sort()).toEqual([file!, path.relative(root, ours)].sort());
    expect((await collect(documents.entries())).map((e) => e.key)).toEqual(['npm:demo']);
    expect((await documents.get('npm:demo'))?.body.toString()).toBe('{"name":"demo"}');
  });

  it('still reads documents a store kept in its database before, and drops each once it is written again', async () => {
    const file = path.join(temp.dir, 'airlock.db');
    const before = openSqlite(file);
    const old = new SqliteReleaseStore(before);
    await old.putDocument('npm:kept', doc('{"old":"kept"}', '"k"'));
    await old.putDocument('npm:rewritten', doc('{"old":"rewritten"}'));
    await old.close();

    const db = openSqlite(file);
    const store = new SqliteReleaseStore(db, { documentsDir: path.join(temp.dir, 'documents') });
    expect(await store.getDocument('npm:kept')).toEqual(doc('{"old":"kept"}', '"k"'));
    await store.putDocument('npm:rewritten', doc('{"new":true}'));
    expect((await store.getDocument('npm:rewritten'))?.body.toString()).toBe('{"new":true}');
    const rows = db.prepare('SELECT key FROM documents ORDER BY key').all();
    expect(rows).toEqual([{ key: 'npm:kept' }]);
    await store.close();
  });
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}
