import semver from 'semver';
import { AirlockError } from '../../errors.js';
import { digestsOf, hasDigests } from './integrity-digests.js';
import { indexJson, type IndexedMember, type JsonMember, type JsonShape } from './json-members.js';
import { corgiVersionFields, installScripts } from './npm-wire.js';
import { tarballFilename } from './tarball-url.js';

/** One version of an upstream packument: what Airlock reads from it and where its bytes are. */
export interface UpstreamVersion {
  version: string;
  /** Where its member of `versions` is in the upstream bytes: the key's opening quote, the value, and just past it. */
  keyStart: number;
  valueStart: number;
  valueEnd: number;
  /**
   * Byte ranges (`start, end` pairs) of the packument's versions, all in one array: a version's
   * are the entries from its `…At` index up to (not including) its `…End` index. One array for the
   * document, not two small ones per version (most of the garbage of reading it, once).
   */
  ranges: readonly number[];
  /**
   * In `ranges`: the fields abbreviated documents keep, in order; fields next to each other
   * upstream are one range, the comma between them included.
   */
  corgiAt: number;
  corgiEnd: number;
  /** The bytes of the corgi ranges together (to size a rendered document). */
  corgiBytes: number;
  /** In `ranges`: every `dist.tarball` value, in order; all are rewritten. */
  tarballsAt: number;
  tarballsEnd: number;
  /** `time[version]`, or null when upstream gave none (the cooldown then runs from first sight). */
  publishedAt: Date | null;
  /** `dist.tarball` as upstream listed it. */
  listedTarball: unknown;
  filename: string;
  /** Lowercase hex digests the tarball must match; empty when upstream gave none. */
  digests: Record<string, string>;
  /** Whether `digests` has any (known without decoding them: a version without one is never shown). */
  hasDigests: boolean;
  publisher: string | null;
  hasProvenance: boolean;
  /** Whether abbreviated documents must add `hasInstallScript: true` (upstream's object lacks it). */
  addInstallScriptFlag: boolean;
}

/** An upstream packument, validated and indexed by byte position, ready to be filtered and re-emitted. */
export interface UpstreamPackument {
  name: string;
  raw: Buffer;
  /** Top-level members in upstream order. */
  members: JsonMember[];
  /** Versions in upstream order (only well-formed ones: a semver key and a `dist` object). */
  versions: Map<string, UpstreamVersion>;
  byFilename: Map<string, UpstreamVersion>;
  /** Members of `time`, to re-emit the visible ones byte-for-byte. */
  timeMembers: JsonMember[];
  distTags: Record<string, string>;
  /** `time.modified`, which abbreviated documents carry as `modified`. */
  modified: string | null;
}

/**
 * What `readPackument` indexes in its one pass over the document: each version object's members
 * that it reads (abbreviated fields, `dist`, `scripts`, `_npmUser`, `hasInstallScript`) and the
 * members of its `dist`, and the members of `time`. Everything else is only validated.
 */
const packumentShape: JsonShape = {
  named: new Map<string, JsonShape>([
    ['versions', { other: { named: new Map([['dist', {}]]), only: new Set([...corgiVersionFields, 'dist', 'scripts', '_npmUser', 'hasInstallScript']) } }],
    ['time', {}],
  ]),
};

/**
 * Reads an upstream packument. The document is validated as JSON in the same single pass that
 * finds the byte positions of its versions, so the byte scanner only ever sees text a client's
 * parser reads the same way; only the small values Airlock needs (each version's `dist` strings,
 * `time`, `dist-tags`, `scripts`, `_npmUser`) are decoded, never the whole 10 MB document. Where a
 * key repeats, the last one counts, as in every JSON parser. Versions that are not semver, or lack
 * a `dist` object, are left out (logged).
 */
export function readPackument(name: string, raw: Buffer, skipped: (message: string) => void): UpstreamPackument {
  let indexed: IndexedMember[];
  try {
    indexed = indexJson(raw, packumentShape);
  } catch (err) {
    throw new AirlockError('EUPSTREAM', `npm upstream sent an unreadable packument for npm:${name}: ${(err as Error).message}`, { cause: err });
  }
  const top = lastByKey(indexed);
  const timeMember = top.get('time');
  const timeMembers = timeMember?.members ?? [];
  const time = lastByKey(timeMembers);
  const versions = new Map<string, UpstreamVersion>();
  const ranges: number[] = [];

  for (const member of top.get('versions')?.members ?? []) {
    const version = member.key;
    versions.delete(version); // a repeated key: the last one counts
    const entry = member.members && isWellFormedVersion(version) ? readVersion(name, raw, member, member.members, time, ranges) : null;
    if (entry) versions.set(version, entry);
    else skipped(`npm:${name}: skipping upstream version "${version.slice(0, 100)}": not a semver version with a dist object`);
  }

  const distTags: Record<string, string> = {};
  for (const [tag, version] of Object.entries(parseObject(raw, top.get('dist-tags')) ?? {})) if (typeof version === 'string') distTags[tag] = version;
  const modified = time.get('modified');
  let byFilename: Map<string, UpstreamVersion> | null = null;

  return {
    name,
    raw,
    // Kept with the packument: plain members, so the index of the versions is not kept with them.
    members: indexed.map(plainMember),
    versions,
    // Built when a tarball is first asked for: most packuments read are only rendered.
    get byFilename() {
      return (byFilename ??= new Map([...versions.values()].map((v) => [v.filename, v])));
    },
    // Already plain: values of `time` are not indexed (its shape names none), so none holds an index.
    timeMembers,
    distTags,
    modified: modified ? stringValue(raw, modified) : null,
  };
}

function readVersion(name: string, raw: Buffer, member: JsonMember, fields: IndexedMember[], time: Map<string, JsonMember>, ranges: number[]): PackumentVersion | null {
  const version = member.key;
  // The members Airlock reads, the last of each key (one backward pass: no map per version).
  let distMember: IndexedMember | undefined;
  let scriptsMember: IndexedMember | undefined;
  let npmUserMember: IndexedMember | undefined;
  let hasFlag = false;
  for (let i = fields.length - 1; i >= 0; i--) {
    const f = fields[i];
    if (!f) continue;
    if (f.key === 'dist') distMember ??= f;
    else if (f.key === 'scripts') scriptsMember ??= f;
    else if (f.key === '_npmUser') npmUserMember ??= f;
    else if (f.key === 'hasInstallScript') hasFlag = true;
  }
  const dist = distMember?.members;
  if (!dist) return null;

  // Appended to the document's ranges; a version left out (no dist) has returned before this.
  const corgiAt = ranges.length;
  let corgiBytes = 0;
  let lastEnd = -1;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (!f || !corgiVersionFields.has(f.key) || repeatedLater(fields, f.key, i)) continue;
    corgiBytes += f.valueEnd - f.keyStart;
    // The member right after the previous kept one: extend that range over the comma between.
    if (lastEnd >= 0 && onlyCommaBetween(raw, lastEnd, f.keyStart)) ranges[ranges.length - 1] = f.valueEnd;
    else ranges.push(f.keyStart, f.valueEnd);
    lastEnd = f.valueEnd;
  }
  // Every tarball member of every dist object is rewritten, so no duplicate can point a client elsewhere.
  const corgiEnd = ranges.length;
  for (const f of fields) {
    if (f.key !== 'dist' || !f.members) continue;
    for (const d of f.members) if (d.key === 'tarball') ranges.push(d.valueStart, d.valueEnd);
  }
  let tarball: JsonMember | undefined;
  let integrity: JsonMember | undefined;
  let shasum: JsonMember | undefined;
  let attestations: JsonMember | undefined;
  for (let i = dist.length - 1; i >= 0; i--) {
    const d = dist[i];
    if (!d) continue;
    if (d.key === 'tarball') tarball ??= d;
    else if (d.key === 'integrity') integrity ??= d;
    else if (d.key === 'shasum') shasum ??= d;
    else if (d.key === 'attestations') attestations ??= d;
  }
  const scripts = hasFlag ? null : parseObject(raw, scriptsMember);
  const npmUser = parseObject(raw, npmUserMember);
  const publishedMember = time.get(version);
  const publishedText = publishedMember ? stringValue(raw, publishedMember) : null;
  // The shasum alone answers for most versions; the longer integrity string is decoded only without one.
  const digestsKnown = isHexShasum(raw, shasum) || hasDigests({ integrity: stringValue(raw, integrity) ?? undefined, shasum: stringValue(raw, shasum) ?? undefined });
  return new PackumentVersion(raw, name, tarball, integrity, shasum, {
    version,
    keyStart: member.keyStart,
    valueStart: member.valueStart,
    valueEnd: member.valueEnd,
    ranges,
    corgiAt,
    corgiEnd,
    corgiBytes,
    tarballsAt: corgiEnd,
    tarballsEnd: ranges.length,
    // As `new Date(text).getTime()` would give, without the Date.
    publishedMs: publishedText !== null ? Date.parse(publishedText) : Number.NaN,
    publisher: typeof npmUser?.name === 'string' ? npmUser.name : null,
    hasProvenance: !!(attestations && jsonValue(raw, attestations)),
    hasDigests: digestsKnown,
    addInstallScriptFlag: !hasFlag && scripts !== null && hasInstallScript(scripts),
  });
}

/**
 * A version read from a packument. `listedTarball` and `digests` are decoded from the document's
 * bytes when first asked for: most versions (old ones, trusted by age) never are, and a package
 * in memory then keeps two byte offsets per field rather than its decoded strings.
 */
class PackumentVersion implements UpstreamVersion {
  version: string;
  keyStart: number;
  valueStart: number;
  valueEnd: number;
  ranges: readonly number[];
  corgiAt: number;
  corgiEnd: number;
  corgiBytes: number;
  tarballsAt: number;
  tarballsEnd: number;
  /** `publishedAt` as a number (NaN for none): a Date per version cost about a hundred bytes, kept. */
  private readonly publishedMs: number;
  publisher: string | null;
  hasProvenance: boolean;
  hasDigests: boolean;
  addInstallScriptFlag: boolean;
  // Value ranges of `dist.tarball`, `dist.integrity` and `dist.shasum` (start -1 where absent):
  // plain fields, not six small arrays per version.
  private readonly tarballStart: number;
  private readonly tarballEnd: number;
  private readonly integrityStart: number;
  private readonly integrityEnd: number;
  private readonly shasumStart: number;
  private readonly shasumEnd: number;
  private decoded: Record<string, string> | null = null;

  constructor(
    private readonly raw: Buffer,
    private readonly packageName: string,
    tarball: JsonMember | undefined,
    integrity: JsonMember | undefined,
    shasum: JsonMember | undefined,
    fields: Omit<UpstreamVersion, 'listedTarball' | 'digests' | 'publishedAt' | 'filename'> & { publishedMs: number },
  ) {
    this.version = fields.version;
    this.keyStart = fields.keyStart;
    this.valueStart = fields.valueStart;
    this.valueEnd = fields.valueEnd;
    this.ranges = fields.ranges;
    this.corgiAt = fields.corgiAt;
    this.corgiEnd = fields.corgiEnd;
    this.corgiBytes = fields.corgiBytes;
    this.tarballsAt = fields.tarballsAt;
    this.tarballsEnd = fields.tarballsEnd;
    this.publishedMs = fields.publishedMs;
    this.publisher = fields.publisher;
    this.hasProvenance = fields.hasProvenance;
    this.hasDigests = fields.hasDigests;
    this.addInstallScriptFlag = fields.addInstallScriptFlag;
    this.tarballStart = tarball?.valueStart ?? -1;
    this.tarballEnd = tarball?.valueEnd ?? -1;
    this.integrityStart = integrity?.valueStart ?? -1;
    this.integrityEnd = integrity?.valueEnd ?? -1;
    this.shasumStart = shasum?.valueStart ?? -1;
    this.shasumEnd = shasum?.valueEnd ?? -1;
  }

  get publishedAt(): Date | null {
    return Number.isNaN(this.publishedMs) ? null : new Date(this.publishedMs);
  }

  /** Spelled when asked for (a tarball request), not kept per version. */
  get filename(): string {
    return tarballFilename(this.packageName, this.version);
  }

  get listedTarball(): unknown {
    return jsonValue(this.raw, memberAt(this.tarballStart, this.tarballEnd));
  }

  get digests(): Record<string, string> {
    this.decoded ??= digestsOf({
      integrity: stringValue(this.raw, memberAt(this.integrityStart, this.integrityEnd)) ?? undefined,
      shasum: stringValue(this.raw, memberAt(this.shasumStart, this.shasumEnd)) ?? undefined,
    });
    return this.decoded;
  }
}

/**
 * Whether the member's value is a string of 40 hex digits written plainly, read from the bytes
 * without decoding it: the usual shasum, which `hasDigests` accepts. (Any other value, escaped
 * digits included, is left to `hasDigests` itself.)
 */
function isHexShasum(raw: Buffer, member: JsonMember | undefined): boolean {
  if (!member || member.valueEnd - member.valueStart !== 42 || raw[member.valueStart] !== 0x22) return false;
  for (let i = member.valueStart + 1; i < member.valueEnd - 1; i++) {
    const c = raw[i] ?? 0;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46))) return false;
  }
  return true;
}

/** Whether `scripts` has an install script (a loop, not a closure made per version). */
function hasInstallScript(scripts: Record<string, unknown>): boolean {
  for (const s of installScripts) if (typeof scripts[s] === 'string') return true;
  return false;
}

/** Whether a member after `fields[i]` has its `key` (then that one counts, as in every JSON parser). */
function repeatedLater(fields: readonly JsonMember[], key: string, i: number): boolean {
  for (let j = i + 1; j < fields.length; j++) if (fields[j]?.key === key) return true;
  return false;
}

/** Whether `[from, to)` is whitespace around one comma: the members ending at `from` and starting at `to` are neighbours. */
function onlyCommaBetween(raw: Buffer, from: number, to: number): boolean {
  let commas = 0;
  for (let i = from; i < to; i++) {
    const c = raw[i];
    if (c === 0x2c) commas++;
    else if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
  }
  return commas === 1;
}

function memberAt(valueStart: number, valueEnd: number): JsonMember | undefined {
  return valueStart < 0 ? undefined : { key: '', keyStart: valueStart, valueStart, valueEnd };
}

/** The member's value parsed, when it is an object (small values only: never the whole document). */
function parseObject(raw: Buffer, member: JsonMember | undefined): Record<string, unknown> | null {
  if (!member || raw[member.valueStart] !== 0x7b) return null;
  return JSON.parse(raw.toString('utf8', member.valueStart, member.valueEnd)) as Record<string, unknown>;
}

/** The member's value when it is a string, decoded as `JSON.parse` would; else null. */
function stringValue(raw: Buffer, member: JsonMember | undefined): string | null {
  if (!member || raw[member.valueStart] !== 0x22) return null;
  const text = raw.toString('utf8', member.valueStart + 1, member.valueEnd - 1);
  // Without escapes the bytes between the quotes are the string (the document is valid JSON).
  return text.includes('\\') ? (JSON.parse(raw.toString('utf8', member.valueStart, member.valueEnd)) as string) : text;
}

/** The member's value parsed (undefined when there is no such member). */
function jsonValue(raw: Buffer, member: JsonMember | undefined): unknown {
  if (!member) return undefined;
  return raw[member.valueStart] === 0x22 ? stringValue(raw, member) : JSON.parse(raw.toString('utf8', member.valueStart, member.valueEnd));
}

/** The member's positions alone, without the index of its value. */
function plainMember(m: JsonMember): JsonMember {
  return { key: m.key, keyStart: m.keyStart, valueStart: m.valueStart, valueEnd: m.valueEnd };
}

function lastByKey<M extends JsonMember>(members: M[]): Map<string, M> {
  return new Map(members.map((m) => [m.key, m]));
}

/**
 * SemVer 2.0's own grammar (semver.org), with numeric parts short enough to be safe integers:
 * every version it matches is one `semver.valid` accepts too, so almost all versions skip building
 * a SemVer object (a packument of thousands of versions spent a second in it under load).
 */
const plainSemver =
  /^(?:0|[1-9]\d{0,14})\.(?:0|[1-9]\d{0,14})\.(?:0|[1-9]\d{0,14})(?:-(?:0|[1-9]\d{0,14}|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d{0,14}|\d*[A-Za-z-][0-9A-Za-z-]*))*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** A semver version made of URL-safe characters (it becomes part of a tarball URL and file name). */
function isWellFormedVersion(version: string): boolean {
  if (version.length > 256 || !/^[0-9A-Za-z.+-]+$/.test(version)) return false;
  return plainSemver.test(version) || semver.valid(version, { loose: true }) !== null;
}
