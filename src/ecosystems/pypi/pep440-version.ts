/**
 * PEP 440 versions: parsing, normalisation and ordering, as `packaging.version.Version` does it.
 * https://peps.python.org/pep-0440/ and the regex in packaging's `version.py` (VERSION_PATTERN).
 *
 * Numbers are kept as decimal strings without leading zeros and compared by length then text, so
 * date-like or absurd release numbers (`20240101`, `9999999999999999999`) order exactly.
 */
export interface Pep440Version {
  epoch: string;
  /** Release segment, e.g. `['1', '2', '0']`. */
  release: string[];
  /** `a`, `b` or `rc` and its number. */
  pre: { label: 'a' | 'b' | 'rc'; number: string } | null;
  post: string | null;
  dev: string | null;
  /** Local label parts, lowercased, e.g. `['ubuntu', '1']`. */
  local: string[] | null;
}

const pattern = new RegExp(
  [
    '^\\s*v?',
    '(?:(?<epoch>[0-9]+)!)?',
    '(?<release>[0-9]+(?:\\.[0-9]+)*)',
    '(?<pre>[-_.]?(?<preL>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<preN>[0-9]+)?)?',
    '(?<post>(?:-(?<postN1>[0-9]+))|(?:[-_.]?(?<postL>post|rev|r)[-_.]?(?<postN2>[0-9]+)?))?',
    '(?<dev>[-_.]?(?<devL>dev)[-_.]?(?<devN>[0-9]+)?)?',
    '(?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?',
    '\\s*$',
  ].join(''),
  'i',
);

/** Parses a PEP 440 version; null when `text` is not one (a legacy version pip no longer accepts). */
export function parseVersion(text: string): Pep440Version | null {
  const m = pattern.exec(text);
  if (!m?.groups) return null;
  const g = m.groups;
  const preLabel = g.preL?.toLowerCase();
  return {
    epoch: num(g.epoch ?? '0'),
    release: (g.release ?? '0').split('.').map(num),
    pre: preLabel ? { label: preLabelOf(preLabel), number: num(g.preN ?? '0') } : null,
    post: g.post ? num(g.postN1 ?? g.postN2 ?? '0') : null,
    dev: g.dev ? num(g.devN ?? '0') : null,
    local: g.local ? g.local.toLowerCase().split(/[-_.]/).map((p) => (/^[0-9]+$/.test(p) ? num(p) : p)) : null,
  };
}

/**
 * The normalised spelling (`str(Version(text))`), e.g. `1.0-ALPHA.1` → `1.0a1`, `1!2.0.post` → `1!2.0.post0`.
 * Null when `text` is not a PEP 440 version.
 */
export function normalizeVersion(text: string): string | null {
  const v = parseVersion(text);
  return v ? formatVersion(v) : null;
}

/**
 * The key of a release: the normalised spelling with trailing zeros of the release segment
 * dropped (packaging's `canonicalize_version`), so every spelling pip treats as the same version
 * is one key: `1.2`, `1.2.0` and `1.2.0.0` → `1.2`; `1.2.0.post0` → `1.2.post0`;
 * `1.0.0-alpha.1` → `1a1`. Local labels stay (`1.0+cpu` is a version of its own). Null when
 * `text` is not a PEP 440 version.
 */
export function canonicalVersion(text: string): string | null {
  const v = parseVersion(text);
  return v ? formatVersion({ ...v, release: trimZeros(v.release) }) : null;
}

export function formatVersion(v: Pep440Version): string {
  let out = v.epoch === '0' ? '' : `${v.epoch}!`;
  out += v.release.join('.');
  if (v.pre) out += `${v.pre.label}${v.pre.number}`;
  if (v.post !== null) out += `.post${v.post}`;
  if (v.dev !== null) out += `.dev${v.dev}`;
  if (v.local) out += `+${v.local.join('.')}`;
  return out;
}

/** Whether the version is a pre-release or a development release (packaging's `is_prerelease`). */
export function isPrerelease(text: string): boolean {
  const v = parseVersion(text);
  return v !== null && (v.pre !== null || v.dev !== null);
}

/**
 * Negative when `a` sorts before `b` in PEP 440 order. Versions that do not parse sort before all
 * valid ones (and among themselves by text), so they can never be chosen as the newest.
 */
export function compareVersions(a: string, b: string): number {
  const va = parseVersion(a);
  const vb = parseVersion(b);
  if (!va || !vb) {
    if (va) return 1;
    if (vb) return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  return compareParsed(va, vb);
}

export function compareParsed(a: Pep440Version, b: Pep440Version): number {
  return (
    compareNum(a.epoch, b.epoch) ||
    compareRelease(a.release, b.release) ||
    comparePre(a, b) ||
    compareOptional(a.post, b.post, -1) ||
    compareOptional(a.dev, b.dev, 1) ||
    compareLocal(a.local, b.local)
  );
}

/**
 * A dev release of a final version sorts before its pre-releases (`1.0.dev0 < 1.0a1`); a version
 * without a pre-release sorts after all its pre-releases (`1.0rc1 < 1.0`).
 */
function comparePre(a: Pep440Version, b: Pep440Version): number {
  const rank = (v: Pep440Version): number => {
    if (v.pre === null && v.post === null && v.dev !== null) return -1;
    if (v.pre === null) return 3;
    return ['a', 'b', 'rc'].indexOf(v.pre.label);
  };
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  return a.pre && b.pre ? compareNum(a.pre.number, b.pre.number) : 0;
}

/** A missing post sorts first (`absent` = -1); a missing dev sorts last (`absent` = 1). */
function compareOptional(a: string | null, b: string | null, absent: -1 | 1): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? absent : -absent;
  return compareNum(a, b);
}

/** Trailing zeros do not count: `1.0 == 1.0.0`. */
function compareRelease(a: string[], b: string[]): number {
  const ta = trimZeros(a);
  const tb = trimZeros(b);
  for (let i = 0; i < Math.max(ta.length, tb.length); i++) {
    const c = compareNum(ta[i] ?? '0', tb[i] ?? '0');
    if (c !== 0) return c;
  }
  return 0;
}

/** No local label sorts first; numeric parts sort after alphanumeric ones; a longer label wins a tie. */
function compareLocal(a: string[] | null, b: string[] | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    const xn = /^[0-9]+$/.test(x);
    const yn = /^[0-9]+$/.test(y);
    if (xn !== yn) return xn ? 1 : -1;
    const c = xn ? compareNum(x, y) : x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

function trimZeros(release: string[]): string[] {
  let end = release.length;
  while (end > 1 && release[end - 1] === '0') end--;
  return release.slice(0, end);
}

function compareNum(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Strips leading zeros: `007` → `7`. */
function num(text: string): string {
  return text.replace(/^0+(?=.)/, '');
}

function preLabelOf(label: string): 'a' | 'b' | 'rc' {
  if (label === 'a' || label === 'alpha') return 'a';
  if (label === 'b' || label === 'beta') return 'b';
  return 'rc'; // c, rc, pre, preview
}
