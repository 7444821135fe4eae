import yauzl from 'yauzl';
import type { ArchiveLimits } from '../types.js';
import type { ArchiveProblem } from './archive-problem.js';
import { decodeZipName, parseExtraFields, unicodePathNames } from './decode-zip-name.js';
import { nameCollisions } from './name-collisions.js';
import { linkStaysInside, normalizeEntryPath } from './normalize-entry-path.js';
import type { RawFile, WantContent } from './raw-file.js';

const ratioFloorBytes = 1024 * 1024;

/**
 * Reads a zip (wheel, zip sdist) from memory; caps and hostile names become problems. Names are
 * read as pip reads them (`decodeZipName`), and every way two readers could see different files
 * is a problem: a Unicode Path extra field or a local file header naming something else, a name
 * twice, names that collide when case-folded.
 */
export async function readZip(
  buffer: Buffer,
  limits: ArchiveLimits,
  want: WantContent,
  onFile: (file: RawFile) => void,
  /** How entry paths appear in problems (the caller strips the `package/` root). */
  shown: (path: string) => string = (p) => p,
): Promise<ArchiveProblem[]> {
  const problems: ArchiveProblem[] = [];
  let zip: yauzl.ZipFile;
  try {
    zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      yauzl.fromBuffer(buffer, { lazyEntries: true, decodeStrings: false, validateEntrySizes: true, strictFileNames: false }, (err, z) =>
        err ? reject(err) : resolve(z),
      ),
    );
  } catch (err) {
    return [{ path: null, message: `it is not a readable zip archive (${(err as Error).message})` }];
  }
  if (zip.entryCount > limits.maxEntries) {
    zip.close();
    return [{ path: null, message: `it has ${zip.entryCount} entries, above the limit of ${limits.maxEntries}` }];
  }

  let total = 0;
  const names = nameCollisions();
  return new Promise<ArchiveProblem[]>((resolve) => {
    let settled = false;
    const finish = (fatal?: string) => {
      if (settled) return;
      settled = true;
      if (fatal !== undefined) problems.push({ path: null, message: fatal });
      zip.close();
      resolve(problems);
    };
    zip.on('error', (err: Error) => finish(`it is not a readable zip archive (${err.message})`));
    zip.on('end', () => finish());
    zip.on('entry', (entry: yauzl.Entry) => {
      if (settled) return;
      // With decodeStrings off, yauzl leaves the raw name bytes (it would prefer a 0x7075 name).
      const rawName = entry.fileName as unknown as Buffer;
      const name = decodeZipName(rawName, (entry.generalPurposeBitFlag & 0x800) !== 0);
      if (name === null) {
        problems.push({ path: null, message: `entry name \`${rawName.toString('utf8')}\` is flagged UTF-8 but is not valid UTF-8, so installers refuse or misread it` });
        return zip.readEntry();
      }
      for (const other of unicodePathNames(entry.extraFields)) {
        if (other !== name) problems.push({ path: shown(name), message: `entry \`${name}\` carries a Unicode Path extra field naming \`${other}\`; pip installs it as \`${name}\`, other tools as \`${other}\`` });
      }
      zip.readLocalFileHeader(entry, (err, local) => {
        if (settled) return;
        if (err) return finish(`entry \`${name}\` could not be read (${err.message})`);
        const localName = decodeZipName(local.fileName, (local.generalPurposeBitFlag & 0x800) !== 0);
        if (localName !== name) {
          problems.push({ path: shown(name), message: `the local file header names \`${localName ?? local.fileName.toString('utf8')}\` where the central directory names \`${name}\`` });
        }
        for (const other of unicodePathNames(parseExtraFields(local.extraField))) {
          if (other !== name) problems.push({ path: shown(name), message: `entry \`${name}\` carries a Unicode Path extra field naming \`${other}\` in its local header` });
        }
        readEntry(entry, name);
      });
    });
    const readEntry = (entry: yauzl.Entry, name: string) => {
      if (name.endsWith('/')) return zip.readEntry();
      // pip on POSIX writes `a\\b.pth` as one file name in site-packages; on Windows it is a path.
      if (name.includes('\\')) problems.push({ path: shown(name), message: `entry \`${name}\` has a backslash in its name, a directory separator on Windows but part of the file name elsewhere` });
      const path = normalizeEntryPath(name);
      if (path === null) {
        problems.push({ path: name, message: `entry \`${name}\` points outside the archive root` });
        return zip.readEntry();
      }
      const collision = names.add(shown(path));
      if (collision !== null) problems.push({ path: shown(path), message: collision });
      // Unix mode in the high bits of the external attributes: 0o120000 is a symlink.
      const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
      const size = entry.uncompressedSize;
      total += size;
      if (total > limits.maxTotalBytes) return finish(`it unpacks to more than ${limits.maxTotalBytes} bytes`);
      if (size > ratioFloorBytes && size > Math.max(1, entry.compressedSize) * limits.maxCompressionRatio) {
        return finish(`entry \`${path}\` decompresses more than ${limits.maxCompressionRatio} times its compressed size (a decompression bomb)`);
      }
      const tooBig = size > limits.maxFileBytes;
      if (tooBig) problems.push({ path: shown(path), message: `file \`${shown(path)}\` is ${size} bytes, above the ${limits.maxFileBytes}-byte scan limit` });
      const isLink = mode === 0o120000;
      const keep = isLink || (!tooBig && want(path, size));
      const wantHead = !tooBig;
      if (!keep && !wantHead) return zip.readEntry();
      zip.openReadStream(entry, (err, stream) => {
        if (err) return finish(`entry \`${path}\` could not be read (${err.message})`);
        const chunks: Buffer[] = [];
        let head: Buffer | null = null;
        let seen = 0;
        stream.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (head === null) head = chunk.subarray(0, 8);
          if (keep) chunks.push(chunk);
          else if (seen >= 8) stream.destroy();
        });
        let delivered = false;
        const done = () => {
          if (settled || delivered) return;
          delivered = true;
          const data = keep ? Buffer.concat(chunks) : null;
          if (isLink) {
            const target = data?.toString('utf8') ?? '';
            if (!linkStaysInside(path, target)) problems.push({ path: shown(path), message: `link \`${shown(path)}\` points outside the archive to \`${target}\`` });
          } else onFile({ path, size, data, head: head ?? Buffer.alloc(0) });
          zip.readEntry();
        };
        stream.on('end', done);
        // A stream destroyed after its first bytes closes without `end`.
        stream.on('close', done);
        stream.on('error', (e: Error) => finish(`entry \`${path}\` could not be read (${e.message})`));
      });
    };
    zip.readEntry();
  });
}
