import semver from 'semver';

/**
 * The dist-tags clients may see, given upstream's tags and the versions that are visible now.
 *
 * - A tag naming a visible version stays.
 * - `latest` always names a visible version when there is one: the highest visible release (by
 *   semver, not publish time, since several release lines are maintained at once) that is not
 *   above upstream's `latest`, so a held `5.1.0` falls back to `5.0.0` rather than to a `4.x`
 *   patch published later; pre-releases only when upstream's `latest` is one.
 * - Any other tag moves to the highest visible version of the same line below it (same major, or
 *   same minor below 1.0.0, and for a pre-release the same pre-release name), or is dropped.
 *
 * Each version is parsed once (sorting thousands of versions parsed both sides of every comparison).
 *
 * @example recomputeDistTags({ latest: '2.0.0' }, ['1.0.0', '1.1.0']) // { latest: '1.1.0' }
 */
export function recomputeDistTags(upstream: Record<string, string>, visible: readonly string[]): Record<string, string> {
  const shown = new Set(visible);
  const tags: Record<string, string> = {};
  let sorted: Listed[] | null = null;
  for (const [tag, target] of Object.entries(upstream)) {
    if (shown.has(target)) {
      tags[tag] = target;
      continue;
    }
    sorted ??= newestFirst(visible);
    const replacement = tag === 'latest' ? latestBelow(target, sorted) : sameLineBelow(target, sorted);
    if (replacement) tags[tag] = replacement.text;
  }
  if (!tags.latest) {
    sorted ??= newestFirst(visible);
    const fallback = sorted.find((v) => v.parsed.prerelease.length === 0);
    if (fallback) tags.latest = fallback.text;
  }
  return tags;
}

/** A visible version: its text as listed, and parsed (loose, as everywhere here). */
interface Listed {
  text: string;
  parsed: semver.SemVer;
}

/** The versions parsed, highest first (ascending and reversed, so equal ones keep the order they always had). */
function newestFirst(versions: readonly string[]): Listed[] {
  const listed: Listed[] = [];
  for (const text of versions) {
    const parsed = semver.parse(text, true);
    if (parsed) listed.push({ text, parsed });
  }
  return listed.sort((a, b) => a.parsed.compare(b.parsed)).reverse();
}

function latestBelow(target: string, sortedDesc: readonly Listed[]): Listed | null {
  const t = semver.parse(target, true);
  const stable = sortedDesc.filter((v) => v.parsed.prerelease.length === 0);
  if (!t) return stable[0] ?? null;
  const pool = t.prerelease.length > 0 ? sortedDesc : stable;
  return pool.find((v) => v.parsed.compare(t) <= 0) ?? stable[0] ?? null;
}

function sameLineBelow(target: string, sortedDesc: readonly Listed[]): Listed | null {
  const t = semver.parse(target, true);
  if (!t) return null;
  const name = (v: semver.SemVer) => (v.prerelease.length > 0 ? String(v.prerelease[0]) : null);
  for (const candidate of sortedDesc) {
    const c = candidate.parsed;
    if (c.compare(t) > 0) continue;
    const sameLine = c.major === t.major && (t.major > 0 || c.minor === t.minor);
    if (sameLine && name(c) === name(t)) return candidate;
  }
  return null;
}
