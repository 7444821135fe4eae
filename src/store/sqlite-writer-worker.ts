import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import { SqliteWrites, tuneConnection } from './sqlite-writes.js';
import type { WriterReply, WriterRequest } from './sqlite-writer.js';

/**
 * The SQLite writer thread: its own connection to the store's file, doing the writes posted to it
 * one at a time, in order. better-sqlite3 is a native module, so it is required from where the
 * store's module lives rather than bundled.
 */
const { file, resolveFrom } = workerData as { file: string; resolveFrom: string };
const Database = createRequire(resolveFrom)('better-sqlite3') as typeof BetterSqlite3;
const db = new Database(file);
tuneConnection(db);
const writes = new SqliteWrites(db);
if (!parentPort) throw new Error('the SQLite writer runs as a worker thread');
const port = parentPort;

port.on('message', (request: WriterRequest) => {
  if (request.kind === 'close') {
    db.close();
    port.close();
    return;
  }
  let reply: WriterReply;
  try {
    let ids: [string, number][] = [];
    if (request.kind === 'releases') ids = writes.writeReleases(request.batch);
    else if (request.kind === 'artifacts') writes.writeArtifacts(request.batch);
    else {
      const { body } = request.doc;
      writes.writeDocument({ ...request.doc, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength) });
    }
    reply = { seq: request.seq, ok: true, ids };
  } catch (err) {
    reply = { seq: request.seq, ok: false, message: (err as Error).message, code: (err as { code?: string }).code ?? null };
  }
  // A document's bytes go back where they came from (see SqliteWriter.post), whatever happened.
  if (request.kind === 'document') port.postMessage(reply, [request.doc.body.buffer as ArrayBuffer]);
  else port.postMessage(reply);
});
