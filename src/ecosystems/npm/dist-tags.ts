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
 * @example recomputeDistTags({ latest: '2.0.0' }, ['1.0.0', '1.1.0']) // { latest: '1.1.0' }
 */
export function recomputeDistTags(upstream: Record<string, string>, visible: readonly string[]): Record<string, string> {
  const shown = new Set(visible);
  const sorted = [...visible].sort((a, b) => semver.compare(a, b, true)).reverse();
  const tags: Record<string, string> = {};
  for (const [tag, target] of Object.entries(upstream)) {
    if (shown.has(target)) {
      tags[tag] = target;
      continue;
    }
    const replacement = tag === 'latest' ? latestBelow(target, sorted) : sameLineBelow(target, sorted);
    if (replacement) tags[tag] = replacement;
  }
  if (!tags.latest) {
    const fallback = sorted.find((v) => !semver.prerelease(v, true)) ?? null;
    if (fallback) tags.latest = fallback;
  }
  return tags;
}

function latestBelow(target: string, sortedDesc: readonly string[]): string | null {
  const valid = semver.valid(target, true) !== null;
  const stable = sortedDesc.filter((v) => !semver.prerelease(v, true));
  const allowPrerelease = valid && semver.prerelease(target, true) !== null;
  const pool = allowPrerelease ? sortedDesc : stable;
  if (!valid) return stable[0] ?? null;
  return pool.find((v) => semver.lte(v, target, true)) ?? stable[0] ?? null;
}

function sameLineBelow(target: string, sortedDesc: readonly string[]): string | null {
  const t = semver.parse(target, true);
  if (!t) return null;
  const name = (v: semver.SemVer) => (v.prerelease.length > 0 ? String(v.prerelease[0]) : null);
  for (const candidate of sortedDesc) {
    const c = semver.parse(candidate, true);
    if (!c || semver.gt(c, t)) continue;
    const sameLine = c.major === t.major && (t.major > 0 || c.minor === t.minor);
    if (sameLine && name(c) === name(t)) return candidate;
  }
  return null;
}
