import semver from 'semver';
import { AirlockError } from '../../errors.js';
import { digestsOf } from './integrity-digests.js';
import { objectMembers, type JsonMember } from './json-members.js';
import { installScripts, type NpmPackument, type NpmVersionObject } from './npm-wire.js';
import { tarballFilename } from './tarball-url.js';

/** One version of an upstream packument: what Airlock reads from it and where its bytes are. */
export interface UpstreamVersion {
  version: string;
  /** The member of `versions` (key through value) in the upstream bytes. */
  member: JsonMember;
  /** The version object's own members, for abbreviated documents. */
  fields: JsonMember[];
  /** Every `dist.tarball` value in the version object (upstream's bytes; all are rewritten). */
  tarballValues: { start: number; end: number }[];
  /** `time[version]`, or null when upstream gave none (the cooldown then runs from first sight). */
  publishedAt: Date | null;
  /** `dist.tarball` as upstream listed it. */
  listedTarball: unknown;
  filename: string;
  /** Lowercase hex digests the tarball must match; empty when upstream gave none. */
  digests: Record<string, string>;
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
 * Reads an upstream packument. The whole document goes through `JSON.parse` first, so the byte
 * scanner only ever sees valid JSON and cannot disagree with a client's parser about what a
 * member contains. Versions that are not semver, or lack a `dist`, are left out (logged).
 */
export function readPackument(name: string, raw: Buffer, skipped: (message: string) => void): UpstreamPackument {
  let doc: NpmPackument;
  let members: JsonMember[];
  try {
    doc = JSON.parse(raw.toString('utf8')) as NpmPackument;
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new SyntaxError('not a JSON object');
    members = objectMembers(raw, 0);
  } catch (err) {
    throw new AirlockError('EUPSTREAM', `npm upstream sent an unreadable packument for npm:${name}: ${(err as Error).message}`, { cause: err });
  }

  const time = isObject(doc.time) ? doc.time : {};
  const versionObjects = isObject(doc.versions) ? doc.versions : {};
  const versions = new Map<string, UpstreamVersion>();
  const byFilename = new Map<string, UpstreamVersion>();
  const versionsMember = members.find((m) => m.key === 'versions');
  const timeMember = members.find((m) => m.key === 'time');
  const versionMembers = versionsMember && raw[versionsMember.valueStart] === 0x7b ? objectMembers(raw, versionsMember.valueStart) : [];

  for (const member of versionMembers) {
    const version = member.key;
    // With duplicate keys a parser keeps the last one; so does this map, and the renderer emits only that one.
    const object = versionObjects[version] as NpmVersionObject | undefined;
    if (!isWellFormedVersion(version) || !isObject(object) || !isObject(object.dist) || raw[member.valueStart] !== 0x7b) {
      skipped(`npm:${name}: skipping upstream version "${version.slice(0, 100)}": not a semver version with a dist object`);
      versions.delete(version);
      continue;
    }
    const fields = objectMembers(raw, member.valueStart);
    const tarballValues: { start: number; end: number }[] = [];
    for (const field of fields) {
      if (field.key !== 'dist' || raw[field.valueStart] !== 0x7b) continue;
      for (const d of objectMembers(raw, field.valueStart))
        if (d.key === 'tarball') tarballValues.push({ start: d.valueStart, end: d.valueEnd });
    }
    const published = typeof time[version] === 'string' ? new Date(time[version] as string) : null;
    const scripts = isObject(object.scripts) ? object.scripts : {};
    const npmUser = isObject(object._npmUser) ? (object._npmUser as { name?: unknown }) : undefined;
    const entry: UpstreamVersion = {
      version,
      member,
      fields,
      tarballValues,
      publishedAt: published && !Number.isNaN(published.getTime()) ? published : null,
      listedTarball: object.dist.tarball,
      filename: tarballFilename(name, version),
      digests: digestsOf(object.dist),
      publisher: typeof npmUser?.name === 'string' ? npmUser.name : null,
      hasProvenance: !!object.dist.attestations,
      addInstallScriptFlag: object.hasInstallScript === undefined && installScripts.some((s) => typeof scripts[s] === 'string'),
    };
    versions.delete(version);
    versions.set(version, entry);
  }
  for (const v of versions.values()) byFilename.set(v.filename, v);

  const distTags: Record<string, string> = {};
  if (isObject(doc['dist-tags']))
    for (const [tag, version] of Object.entries(doc['dist-tags'])) if (typeof version === 'string') distTags[tag] = version;

  return {
    name,
    raw,
    members,
    versions,
    byFilename,
    timeMembers: timeMember && raw[timeMember.valueStart] === 0x7b ? objectMembers(raw, timeMember.valueStart) : [],
    distTags,
    modified: typeof time.modified === 'string' ? time.modified : null,
  };
}

/** A semver version made of URL-safe characters (it becomes part of a tarball URL and file name). */
function isWellFormedVersion(version: string): boolean {
  return version.length <= 256 && /^[0-9A-Za-z.+-]+$/.test(version) && semver.valid(version, { loose: true }) !== null;
}

function isObject(value: unknown): value is Record<string, unknown> & object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
