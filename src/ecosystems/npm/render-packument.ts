import semver from 'semver';
import type { JsonMember } from './json-members.js';
import type { NpmPolicyRestrictions } from './npm-wire.js';
import type { UpstreamPackument, UpstreamVersion } from './read-packument.js';
import type { HeldVersion } from './visible-versions.js';
import { heldReleasesMessage } from './held-error.js';
import type { PublicTarballUrls } from './tarball-url.js';

/** What a rendered document shows: the visible versions, their tags, and the held ones npm should explain. */
export interface PackumentView {
  visible: readonly string[];
  distTags: Record<string, string>;
  held: readonly HeldVersion[];
  /** Airlock's URLs for the package's tarballs. */
  tarballs: PublicTarballUrls;
}

/**
 * The full packument clients may see: upstream's top-level members in upstream order, with
 * `versions` and `time` reduced to the visible versions, `dist-tags` recomputed, and npm's
 * `policyRestrictions` naming the held ones. Version objects are upstream's bytes, except that
 * every `dist.tarball` points at Airlock.
 */
export function renderFull(p: UpstreamPackument, view: PackumentView): Buffer {
  const out = new Chunks(p.raw, p.raw.length + view.visible.length * urlBytes);
  const shown = new Set(view.visible);
  const emitted = new Set<string>();
  out.text('{');
  for (const m of p.members) {
    // Members Airlock rewrites are emitted once, whatever duplicates upstream sent.
    if (special.has(m.key) && (emitted.has(m.key) || m.key === 'policyRestrictions')) continue;
    emitted.add(m.key);
    if (out.length > 1) out.text(',');
    if (m.key === 'versions') versionsMember(out, p, view, (v) => fullVersion(out, v, view));
    else if (m.key === 'time') timeMember(out, p.timeMembers, shown);
    else if (m.key === 'dist-tags') out.text(`"dist-tags":${JSON.stringify(view.distTags)}`);
    else out.raw(m.keyStart, m.valueEnd);
  }
  if (!emitted.has('dist-tags')) out.text(`${out.length > 1 ? ',' : ''}"dist-tags":${JSON.stringify(view.distTags)}`);
  if (!emitted.has('versions')) out.text(`${out.length > 1 ? ',' : ''}"versions":{}`);
  restrictions(out, p.name, view.held);
  out.text('}');
  return out.concat();
}

/**
 * The abbreviated ("corgi") packument: `name`, `modified`, `dist-tags`, and per visible version
 * only the fields installers read, each as upstream sent it (with `hasInstallScript` added when
 * upstream's object has install scripts but not the flag).
 */
export function renderCorgi(p: UpstreamPackument, view: PackumentView): Buffer {
  let estimate = 1024;
  for (const version of view.visible) estimate += (p.versions.get(version)?.corgiBytes ?? 0) + urlBytes;
  const out = new Chunks(p.raw, estimate);
  out.text(`{"name":${JSON.stringify(p.name)}`);
  if (p.modified) out.text(`,"modified":${JSON.stringify(p.modified)}`);
  out.text(`,"dist-tags":${JSON.stringify(view.distTags)},`);
  versionsMember(out, p, view, (v) => corgiVersion(out, v, view));
  restrictions(out, p.name, view.held);
  out.text('}');
  return out.concat();
}

/** One version object, as `/npm/<name>/<version>` serves it. */
export function renderVersion(p: UpstreamPackument, v: UpstreamVersion, view: Pick<PackumentView, 'tarballs'>): Buffer {
  const out = new Chunks(p.raw, v.valueEnd - v.valueStart + urlBytes);
  fullVersion(out, v, view);
  return out.concat();
}

/** What a rewritten `dist.tarball` and the separators around a version add, about, for sizing a render. */
const urlBytes = 160;

const special = new Set(['versions', 'time', 'dist-tags', 'policyRestrictions']);

function versionsMember(out: Chunks, p: UpstreamPackument, view: PackumentView, emit: (v: UpstreamVersion) => void): void {
  out.text('"versions":{');
  let first = true;
  for (const version of view.visible) {
    const v = p.versions.get(version);
    if (!v) continue;
    if (!first) out.text(',');
    first = false;
    out.raw(v.keyStart, v.valueStart);
    emit(v);
  }
  out.text('}');
}

function fullVersion(out: Chunks, v: UpstreamVersion, view: Pick<PackumentView, 'tarballs'>): void {
  withTarballs(out, v, v.valueStart, v.valueEnd, view.tarballs);
}

function corgiVersion(out: Chunks, v: UpstreamVersion, view: PackumentView): void {
  out.text('{');
  // Flat [start, end, start, end, …] pairs.
  for (let i = v.corgiAt; i + 1 < v.corgiEnd; i += 2) {
    const start = v.ranges[i];
    const end = v.ranges[i + 1];
    if (start === undefined || end === undefined) break;
    if (i > v.corgiAt) out.text(',');
    withTarballs(out, v, start, end, view.tarballs);
  }
  if (v.addInstallScriptFlag) out.text(`${v.corgiEnd > v.corgiAt ? ',' : ''}"hasInstallScript":true`);
  out.text('}');
}

/** Upstream bytes from `start` to `end`, with each `dist.tarball` value inside replaced by Airlock's URL for the version. */
function withTarballs(out: Chunks, v: UpstreamVersion, start: number, end: number, tarballs: PublicTarballUrls): void {
  let at = start;
  for (let i = v.tarballsAt; i + 1 < v.tarballsEnd; i += 2) {
    const tStart = v.ranges[i];
    const tEnd = v.ranges[i + 1];
    if (tStart === undefined || tEnd === undefined) break;
    if (tStart < start || tEnd > end) continue;
    out.raw(at, tStart);
    // The URL as a JSON string, written in parts: no string per version.
    out.text(tarballs.jsonPrefix);
    out.text(tarballs.jsonRest(v.version));
    out.text('.tgz"');
    at = tEnd;
  }
  out.raw(at, end);
}

/** `time` keeps `created`, `modified` and anything else that is not a version, plus the visible versions. */
function timeMember(out: Chunks, members: readonly JsonMember[], shown: ReadonlySet<string>): void {
  out.text('"time":{');
  let first = true;
  for (const m of members) {
    if (!shown.has(m.key) && semver.valid(m.key, true) !== null) continue;
    if (!first) out.text(',');
    first = false;
    out.raw(m.keyStart, m.valueEnd);
  }
  out.text('}');
}

function restrictions(out: Chunks, name: string, held: readonly HeldVersion[]): void {
  if (held.length === 0) return;
  const sorted = [...held].sort((a, b) => semver.rcompare(a.version, b.version, true));
  const value: NpmPolicyRestrictions = {
    versions: Object.fromEntries(sorted.map((h) => [h.version, { name, version: h.version }])),
    message: heldReleasesMessage(name, sorted),
  };
  out.text(`,"policyRestrictions":${JSON.stringify(value)}`);
}

/**
 * A document written straight into one buffer from slices of upstream's bytes and small strings:
 * no Buffer per slice and no final concat (a packument of thousands of versions is thousands of
 * slices). Grows by doubling from an estimate of the final size.
 */
/** Ranges up to this long are copied byte by byte rather than with Buffer#copy. */
const shortCopyBytes = 128;

class Chunks {
  private out: Buffer;
  length = 0;

  constructor(
    private readonly source: Buffer,
    estimate: number,
  ) {
    this.out = Buffer.allocUnsafe(Math.max(estimate, 1024));
  }

  raw(start: number, end: number): void {
    if (end <= start) return;
    const n = end - start;
    this.reserve(n);
    if (n > shortCopyBytes) {
      this.length += this.source.copy(this.out, this.length, start, end);
      return;
    }
    // Most ranges are a few dozen bytes (a field, the bytes between two URLs): copied here, as
    // Buffer#copy makes a view of the source for every call.
    const { source, out } = this;
    let at = this.length;
    for (let i = start; i < end; i++) out[at++] = source[i] ?? 0;
    this.length = at;
  }

  text(s: string): void {
    // At most three bytes per UTF-16 unit.
    this.reserve(s.length * 3);
    this.length += this.out.write(s, this.length);
  }

  /** The bytes written; the buffer is no longer written to. */
  concat(): Buffer {
    return this.out.subarray(0, this.length);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.out.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.length + bytes));
    this.out.copy(grown, 0, 0, this.length);
    this.out = grown;
  }
}
