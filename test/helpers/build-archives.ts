import { createHash } from 'node:crypto';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';

export interface ArchiveEntry {
  path: string;
  data?: string | Buffer;
  /** `file` (default), `symlink` or `dir`. */
  type?: 'file' | 'symlink' | 'dir';
  linkpath?: string;
  /** Zip only: the name's raw bytes in both headers (default: `path` as UTF-8). */
  rawName?: Buffer;
  /** Zip only: a different name in the local file header than in the central directory. */
  localName?: string | Buffer;
  /** Zip only: general purpose flag bits (default 0x0800, names are UTF-8). */
  flags?: number;
  /** Zip only: an Info-ZIP Unicode Path extra field (0x7075) carrying this name, in both headers. */
  unicodePath?: string;
}

/** A ustar archive built byte by byte, so tests can also write hostile names and links. */
export function tarBuffer(entries: ArchiveEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = e.type === 'file' || e.type === undefined ? toBuffer(e.data ?? '') : Buffer.alloc(0);
    const header = Buffer.alloc(512);
    let name = e.path;
    let prefix = '';
    if (Buffer.byteLength(name) > 100) {
      const cut = name.lastIndexOf('/', 154);
      prefix = name.slice(0, cut);
      name = name.slice(cut + 1);
    }
    header.write(name, 0, 100);
    header.write(e.type === 'dir' ? '0000755\0' : '0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    header.write('14000000000\0', 136);
    header.write('        ', 148);
    header.write(e.type === 'symlink' ? '2' : e.type === 'dir' ? '5' : '0', 156);
    if (e.linkpath) header.write(e.linkpath, 157, 100);
    header.write('ustar\0', 257);
    header.write('00', 263);
    header.write(prefix, 345, 155);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export function tgzBuffer(entries: ArchiveEntry[]): Buffer {
  return gzipSync(tarBuffer(entries));
}

/** A zip archive (deflated entries, central directory), enough for wheels and zip sdists. */
export function zipBuffer(entries: ArchiveEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const raw = toBuffer(e.type === 'symlink' ? (e.linkpath ?? '') : (e.data ?? ''));
    const compressed = deflateRawSync(raw);
    const name = e.rawName ?? Buffer.from(e.path);
    const localName = e.localName === undefined ? name : toBuffer(e.localName);
    const flags = e.flags ?? 0x0800;
    const extra = e.unicodePath === undefined ? Buffer.alloc(0) : unicodePathField(name, e.unicodePath);
    const crc = crc32(raw);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(localName.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x0314, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt32LE(((e.type === 'symlink' ? 0o120777 : 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, localName, extra, compressed);
    centrals.push(central, name, extra);
    offset += local.length + localName.length + extra.length + compressed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** Info-ZIP Unicode Path extra field: version 1, CRC-32 of the header's name, the UTF-8 name. */
function unicodePathField(headerName: Buffer, unicodeName: string): Buffer {
  const utf8 = Buffer.from(unicodeName);
  const field = Buffer.alloc(4 + 5 + utf8.length);
  field.writeUInt16LE(0x7075, 0);
  field.writeUInt16LE(5 + utf8.length, 2);
  field.writeUInt8(1, 4);
  field.writeUInt32LE(crc32(headerName), 5);
  utf8.copy(field, 9);
  return field;
}

function toBuffer(data: string | Buffer): Buffer {
  return typeof data === 'string' ? Buffer.from(data) : data;
}

export function sha256Base64Url(data: string | Buffer): string {
  return createHash('sha256').update(toBuffer(data)).digest('base64url');
}
