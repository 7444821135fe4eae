import { createHash } from 'node:crypto';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';

/** A built distribution file and, for wheels, its `METADATA` (what PEP 658 serves as `.metadata`). */
export interface PythonArtifact {
  filename: string;
  bytes: Buffer;
  metadata: Buffer | null;
}

export interface DistributionSpec {
  /** Project name as its author spells it, e.g. `Demo.Py`. */
  name: string;
  version: string;
  /** Files besides the generated package module and metadata, by path inside the archive. */
  files?: Record<string, string>;
  requiresPython?: string;
  /** `Requires-Dist` lines, e.g. `['other-py>=1.0']`. */
  requires?: string[];
  /** Wheel tag. @default 'py3-none-any' */
  tag?: string;
  /** Wheel build number: pip prefers the higher one among wheels of the same version and tag. */
  build?: number;
}

/** `Demo.Py` → `demo_py`: the distribution name as wheel and sdist file names spell it. */
export function distributionName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '_');
}

/**
 * A real wheel: the package module, `.dist-info/METADATA`, `WHEEL` and a `RECORD` with the
 * urlsafe-base64 sha256 and size of every file, as pip expects.
 */
export function buildWheel(spec: DistributionSpec): PythonArtifact {
  const dist = distributionName(spec.name);
  const tag = spec.tag ?? 'py3-none-any';
  const info = `${dist}-${spec.version}.dist-info`;
  const metadata = metadataText(spec);
  const files: Record<string, string> = {
    [`${dist}/__init__.py`]: `__version__ = ${JSON.stringify(spec.version)}\n`,
    ...spec.files,
    [`${info}/METADATA`]: metadata,
    [`${info}/WHEEL`]: `Wheel-Version: 1.0\nGenerator: airlock-test\nRoot-Is-Purelib: true\nTag: ${tag}\n${spec.build ? `Build: ${spec.build}\n` : ''}`,
  };
  files[`${info}/RECORD`] =
    Object.entries(files)
      .map(([p, d]) => `${p},sha256=${sha256Base64Url(d)},${Buffer.byteLength(d)}`)
      .join('\n') + `\n${info}/RECORD,,\n`;
  const bytes = zipBuffer(files);
  const build = spec.build ? `-${spec.build}` : '';
  return { filename: `${dist}-${spec.version}${build}-${tag}.whl`, bytes, metadata: Buffer.from(metadata) };
}

/** A real sdist (`.tar.gz`) with `PKG-INFO`, a `pyproject.toml` and the package module. */
export function buildSdist(spec: DistributionSpec): PythonArtifact {
  const dist = distributionName(spec.name);
  const root = `${dist}-${spec.version}`;
  const files: Record<string, string> = {
    'PKG-INFO': metadataText(spec),
    'pyproject.toml': `[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n[project]\nname = ${JSON.stringify(spec.name)}\nversion = ${JSON.stringify(spec.version)}\n`,
    [`${dist}/__init__.py`]: `__version__ = ${JSON.stringify(spec.version)}\n`,
    ...spec.files,
  };
  const bytes = gzipSync(tarBuffer(Object.fromEntries(Object.entries(files).map(([p, d]) => [`${root}/${p}`, d]))));
  return { filename: `${root}.tar.gz`, bytes, metadata: null };
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function metadataText(spec: DistributionSpec): string {
  const lines = ['Metadata-Version: 2.1', `Name: ${spec.name}`, `Version: ${spec.version}`, 'Summary: An Airlock test package'];
  if (spec.requiresPython) lines.push(`Requires-Python: ${spec.requiresPython}`);
  for (const r of spec.requires ?? []) lines.push(`Requires-Dist: ${r}`);
  return `${lines.join('\n')}\n\n`;
}

function sha256Base64Url(data: string): string {
  return createHash('sha256').update(data).digest('base64url');
}

/** A zip with deflated entries and a central directory: what a wheel is. */
function zipBuffer(files: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [path, data] of Object.entries(files)) {
    const raw = Buffer.from(data);
    const compressed = deflateRawSync(raw);
    const name = Buffer.from(path);
    const crc = crc32(raw);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x0314, 4); // made by unix, so the mode below counts
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, compressed);
    centrals.push(central, name);
    offset += local.length + name.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(centrals.length / 2, 8);
  end.writeUInt16LE(centrals.length / 2, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A ustar archive of regular files (paths under 100 bytes): what an sdist is, before gzip. */
function tarBuffer(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [path, text] of Object.entries(files)) {
    const data = Buffer.from(text);
    const header = Buffer.alloc(512);
    header.write(path, 0, 100);
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
    header.write('14000000000\0', 136);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}
